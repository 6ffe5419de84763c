// Command train trains an embedding model on the built-in digits data from a few lines of Go, with
// the same library the gometric command uses, into a run folder, and prints its report.
//
//	go run ./examples/train [RUN]
package main

import (
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/gometric/gometric/report"
	"github.com/gometric/gometric/runfolder"
	"github.com/gometric/gometric/train"
)

func main() {
	dir := "runs/example-" + time.Now().Format("20060102-150405")
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	cfg := train.DefaultConfig() // digits, MLP, NT-Xent on labeled pairs, 1,500 steps of 64 pairs
	run := runfolder.Folder{Dir: dir}
	// StartRun records the data's fingerprints and split in the run folder, and returns the split data.
	data, err := train.StartRun(run, cfg)
	if err != nil {
		log.Fatal(err)
	}
	var rep *report.Report
	// The report (metrics.json, report.md, plots, the scored test pairs) is written into the model
	// folder, published with the weights it describes.
	writeReport := func(res *train.Result, modelDir string) error {
		if rep, err = train.BuildReport(cfg, data, res); err != nil {
			return err
		}
		return report.WriteRun(modelDir, rep, report.RunFiles{History: res.History, Model: res.Model, Items: data.Test, TestPairs: data.TestPairs})
	}
	_, err = train.Fit(cfg, data, train.Options{RunDir: dir, Report: writeReport, Log: os.Stderr,
		Progress: train.NewProgressLog(os.Stderr, 10*time.Second)})
	if err != nil {
		log.Fatal(err)
	}
	_ = rep.WriteText(os.Stdout)
	log.Printf("model and report in %s", filepath.Join(dir, runfolder.ModelDir))
}
