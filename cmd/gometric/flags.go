package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gometric/gometric/report"
	"github.com/gometric/gometric/runfolder"
)

// newFlagSet returns a flag set that reports errors instead of exiting, printing its usage (the
// command's synopsis, then every flag with its default) on --help.
func newFlagSet(name, synopsis string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "%s\n\nFlags:\n", strings.TrimRight(synopsis, "\n"))
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parseFlags parses args, letting flags and positional arguments mix (flags may follow the run
// folder), and returns the positional arguments. --help prints the usage and returns
// flag.ErrHelp; other mistakes are usage errors.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	// The flag package prints the usage on every error; only --help should: a wrong value is a
	// one-line error.
	usage := fs.Usage
	fs.Usage = func() {}
	defer func() { fs.Usage = usage }()
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				usage()
				return nil, err
			}
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// backendFlag adds the --backend flag of the commands that load a trained model.
func backendFlag(fs *flag.FlagSet) *string {
	return fs.String("backend", "", "GoMLX backend (default $GOMLX_BACKEND, else \"go\")")
}

// forceFlag adds the --force flag of the commands that write an output file.
func forceFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("force", false, "replace the --out file when it exists (never an input file nor a file of the run folder)")
}

// runFileNames are the names of the files and folders a run folder holds: an output of that name
// in the run folder would replace, or pass for, one of the run's own files (a lock, a model, ...).
var runFileNames = []string{runfolder.ConfigFile, runfolder.DataFile, runfolder.SplitFile, runfolder.LockFile, runfolder.HistoryFile,
	runfolder.CheckpointsDir, runfolder.BestDir, runfolder.ModelDir, runfolder.ModelFile, runfolder.TestPairsFile,
	report.MetricsFile, report.MarkdownFile, report.LossPNG, report.ValPNG, report.PCAPNG}

// checkOutput refuses the output file out before anything is loaded or computed, so that a
// command never destroys its input: out may not be the same file as one of inputs (os.SameFile when
// both exist, else the same cleaned absolute path, symbolic links resolved), a folder, nor a file of
// run's folder (one of its names, a hidden name like its temporaries', anything in its subfolders,
// or any file it already holds); and it may replace an existing file only when force is set. The
// output itself is then written through a temporary file renamed over out once complete
// (writeOutput). Empty out (stdout) and empty inputs are skipped. Mistakes of the command line are
// usage errors (exit 2); an existing file without force is an error (exit 1), like `train --out`
// over a run.
func checkOutput(out string, force bool, run runfolder.Folder, inputs ...string) error {
	if out == "" {
		return nil
	}
	outInfo, statErr := os.Stat(out)
	exists := statErr == nil
	for _, in := range inputs {
		if in != "" && sameFile(out, outInfo, in) {
			return usagef("--out %s is the input file %s: write the output to another file", out, in)
		}
	}
	if exists && outInfo.IsDir() {
		return usagef("--out %s is a folder, not a file", out)
	}
	if rel, ok := inside(run.Dir, out); ok {
		parts := strings.Split(rel, string(filepath.Separator))
		if len(parts) > 1 || exists || slices.Contains(runFileNames, parts[0]) || strings.HasPrefix(parts[0], ".") {
			return usagef("--out %s is a file of the run folder %s: write the output elsewhere", out, run.Dir)
		}
	}
	if exists && !force {
		return fmt.Errorf("--out %s exists: give --force to replace it, or another --out", out)
	}
	return nil
}

// sameFile reports whether out (outInfo: its os.Stat, nil when it does not exist) and in are the
// same file.
func sameFile(out string, outInfo os.FileInfo, in string) bool {
	if outInfo != nil {
		if inInfo, err := os.Stat(in); err == nil {
			return os.SameFile(outInfo, inInfo)
		}
	}
	return resolvePath(out) == resolvePath(in)
}

// inside returns the path of p relative to folder dir when p lies in it (symbolic links resolved).
func inside(dir, p string) (string, bool) {
	if dir == "" {
		return "", false
	}
	rel, err := filepath.Rel(resolvePath(dir), resolvePath(p))
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return rel, true
}

// resolvePath returns p absolute and cleaned, with symbolic links resolved as far as p exists (a
// file to be created is resolved through its folder).
func resolvePath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(dir, filepath.Base(abs))
	}
	return abs
}

// setFlags returns the names of the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// intList is a flag of comma-separated positive integers, like "256,256".
type intList struct{ v *[]int }

func (l intList) String() string {
	if l.v == nil || *l.v == nil {
		return ""
	}
	parts := make([]string, len(*l.v))
	for i, n := range *l.v {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}

func (l intList) Set(s string) error {
	var out []int
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n <= 0 {
			return fmt.Errorf("%q is not a comma-separated list of positive integers", s)
		}
		out = append(out, n)
	}
	*l.v = out
	return nil
}

// isTerminal reports whether f is a terminal (a character device).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// weightFlag is a flag of a weight whose unset value (nil) means def: setting def stores nil, so
// that the recorded configuration of a run is the same whether the default was given or not.
type weightFlag struct {
	v   **float64
	def float64
}

func (w weightFlag) String() string {
	if w.v == nil || *w.v == nil {
		return strconv.FormatFloat(w.def, 'g', -1, 64)
	}
	return strconv.FormatFloat(**w.v, 'g', -1, 64)
}

func (w weightFlag) Set(s string) error {
	x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return fmt.Errorf("%q is not a number", s)
	}
	if x == w.def {
		*w.v = nil
	} else {
		*w.v = &x // a new value: a copy of the configuration keeps its own
	}
	return nil
}
