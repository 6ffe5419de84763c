package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the command failed (bad input file, training error, ...)
	exitUsage = 2 // the command line is wrong
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// usageError is a mistake on the command line: it is printed with a hint to --help and exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usagef returns a usageError.
func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// commands maps each sub-command to its function and one-line description.
var commands = []struct {
	name, about string
	fn          func(args []string, stdout, stderr io.Writer) error
}{
	{"train", "train an embedding model and report how good it is (the default: digits)", cmdTrain},
	{"eval", "print the report of a trained model on any data", cmdEval},
	{"embed", "write the embeddings of items (CSV or JSON Lines)", cmdEmbed},
	{"match", "score labeled pairs and decide match / no match with the frozen threshold", cmdMatch},
}

// run runs the command line args and returns the exit code. It is the boundary of the program: no
// panic gets past it, so no stack trace ever reaches the user.
func run(args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "gometric: internal error: %v\n", r)
			code = exitError
		}
	}()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) > 1 {
			return run([]string{args[1], "--help"}, stdout, stderr)
		}
		printUsage(stdout)
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.fn(args[1:], stdout, stderr)
			return exitCode(err, c.name, stderr)
		}
	}
	fmt.Fprintf(stderr, "gometric: unknown command %q\n\n", args[0])
	printUsage(stderr)
	return exitUsage
}

// exitCode prints err for the user and returns the exit code.
func exitCode(err error, cmd string, stderr io.Writer) int {
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "gometric %s: %v\nRun 'gometric %s --help' for usage.\n", cmd, err, cmd)
		return exitUsage
	}
	msg := strings.TrimRight(err.Error(), "\n")
	if strings.Contains(msg, "\n") {
		fmt.Fprintf(stderr, "gometric %s:\n%s\n", cmd, indent(msg))
	} else {
		fmt.Fprintf(stderr, "gometric %s: %s\n", cmd, msg)
	}
	return exitError
}

// indent prefixes every line of s with two spaces.
func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

// printUsage prints the top-level help.
func printUsage(w io.Writer) {
	fmt.Fprint(w, `gometric: deep metric learning for Go.

Usage:
  gometric train [flags]             train (no flags: MLP + NT-Xent on the built-in digits data)
  gometric eval RUN [data flags]     report of the model in run folder RUN
  gometric embed RUN INPUT [flags]   embeddings of the items in INPUT
  gometric match RUN --pairs FILE    match / no match for each labeled pair

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-6s %s\n", c.name, c.about)
	}
	fmt.Fprint(w, `
Run 'gometric COMMAND --help' for a command's flags. Data formats: docs/DATA.md.
`)
}
