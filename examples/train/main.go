// Command train trains an embedding model on the built-in digits data from a few lines of Go, with
// the same library the gometric command uses, and prints its report.
//
//	go run ./examples/train
package main

import (
	"log"
	"os"
	"time"

	"github.com/gometric/gometric/report"
	"github.com/gometric/gometric/train"
)

func main() {
	cfg := train.DefaultConfig() // digits, MLP, NT-Xent on labeled pairs, 1,500 steps of 64 pairs
	data, err := train.LoadData(cfg)
	if err != nil {
		log.Fatal(err)
	}
	res, err := train.Fit(cfg, data, train.Options{RunDir: "runs/example", Progress: train.NewProgressLog(os.Stderr, 10*time.Second)})
	if err != nil {
		log.Fatal(err)
	}
	rep, err := report.ForTraining(cfg, data, res)
	if err != nil {
		log.Fatal(err)
	}
	_ = rep.WriteText(os.Stdout)
}
