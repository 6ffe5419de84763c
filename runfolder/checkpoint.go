package runfolder

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/internal/fault"
)

// Checkpoints is a folder of numbered checkpoints of a GoMLX context, each in GoMLX's checkpoint
// format (package checkpoints) in a sub-folder "step-<step>", written whole or not at all.
//
// Save writes the new checkpoint into a temporary folder, flushes it to disk and only then renames
// it to its final name, an atomic step: a process killed while saving leaves at most a temporary
// folder, which Latest ignores and the next Save removes, so loading always finds the previous
// complete checkpoint.
type Checkpoints struct {
	// Dir is the folder that holds the checkpoints.
	Dir string
	// Keep is how many of the most recent checkpoints Save keeps (at least 1).
	Keep int
}

// checkpointPrefix starts every checkpoint folder's name; tmpPrefix every temporary folder's.
const (
	checkpointPrefix = "step-"
	tmpPrefix        = ".tmp-"
)

// failSave, when set (by tests), is called between writing a checkpoint's files and renaming its
// folder into place; an error it returns fails the save there, as a crash would.
var failSave func(tmpDir string) error

// Save writes ctx's variables and parameters as the checkpoint of the given step, then removes all
// but the Keep most recent checkpoints. It returns the checkpoint's folder.
func (c *Checkpoints) Save(ctx *context.Context, step int) (dir string, err error) {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	c.removeTemporaries()
	tmp, err := os.MkdirTemp(c.Dir, tmpPrefix+"*")
	if err != nil {
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(tmp)
		}
	}()
	if err = os.Chmod(tmp, 0o755); err != nil { // MkdirTemp makes it 0700
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	// A checkpoints.Handler attaches itself to ctx as its variable loader; it is only used here to
	// write, so the previous loader is restored afterwards.
	prevLoader := ctx.Loader()
	err = exceptions.TryCatch[error](func() {
		defer ctx.SetLoader(prevLoader)
		h, err := checkpoints.Build(ctx).Dir(tmp).Keep(-1).Done()
		if err != nil {
			panic(err)
		}
		if err := h.Save(); err != nil {
			panic(err)
		}
	})
	if err != nil {
		return "", fmt.Errorf("checkpoint: saving step %d: %w", step, err)
	}
	if err := syncDir(tmp); err != nil {
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	fault.Point("checkpoint-files")
	if failSave != nil {
		if err := failSave(tmp); err != nil {
			return "", err
		}
	}
	dir = filepath.Join(c.Dir, CheckpointName(step))
	if _, statErr := os.Stat(dir); statErr == nil {
		// Saving the same step again (for example at the end of a resumed run that had nothing
		// left to do): move the old one aside first, so that a checkpoint of this step always exists.
		old := dir + ".old"
		_ = os.RemoveAll(old)
		if err := os.Rename(dir, old); err != nil {
			return "", fmt.Errorf("checkpoint: %w", err)
		}
		defer os.RemoveAll(old)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	if err := syncDir(c.Dir); err != nil {
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	if err := c.prune(); err != nil {
		return dir, err
	}
	return dir, nil
}

// Latest returns the folder and step of the most recent complete checkpoint; dir is "" when there
// is none.
func (c *Checkpoints) Latest() (dir string, step int, err error) {
	steps, err := c.Steps()
	if err != nil || len(steps) == 0 {
		return "", 0, err
	}
	step = steps[len(steps)-1]
	return filepath.Join(c.Dir, CheckpointName(step)), step, nil
}

// Steps lists the steps of the complete checkpoints in Dir, in increasing order.
func (c *Checkpoints) Steps() ([]int, error) {
	entries, err := os.ReadDir(c.Dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	var steps []int
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !strings.HasPrefix(name, checkpointPrefix) {
			continue
		}
		step, err := strconv.Atoi(strings.TrimPrefix(name, checkpointPrefix))
		if err != nil || step < 0 {
			continue
		}
		steps = append(steps, step)
	}
	sort.Ints(steps)
	return steps, nil
}

// prune removes all but the Keep most recent checkpoints.
func (c *Checkpoints) prune() error {
	steps, err := c.Steps()
	if err != nil {
		return err
	}
	keep := max(c.Keep, 1)
	for len(steps) > keep {
		if err := os.RemoveAll(filepath.Join(c.Dir, CheckpointName(steps[0]))); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		steps = steps[1:]
	}
	return nil
}

// removeTemporaries removes the temporary folders that interrupted saves left.
func (c *Checkpoints) removeTemporaries() {
	entries, _ := os.ReadDir(c.Dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			_ = os.RemoveAll(filepath.Join(c.Dir, e.Name()))
		}
	}
}

// CheckpointName is the folder name of step's checkpoint; zero-padded so names sort by step.
func CheckpointName(step int) string { return fmt.Sprintf("%s%09d", checkpointPrefix, step) }

// LoadCheckpoint loads the checkpoint in dir (a folder written by Checkpoints.Save) into ctx: every
// variable and parameter it holds is set in ctx immediately.
func LoadCheckpoint(ctx *context.Context, dir string) error {
	err := exceptions.TryCatch[error](func() {
		if _, err := checkpoints.Load(ctx).Dir(dir).Immediate().Done(); err != nil {
			panic(err)
		}
	})
	if err != nil {
		return fmt.Errorf("loading checkpoint %s: %w", dir, err)
	}
	return nil
}

// syncDir flushes dir's files and dir itself to disk.
func syncDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		if err := syncPath(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return syncPath(dir)
}

// syncPath flushes one file or folder to disk.
func syncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// WriteFileAtomic writes data to path through a temporary file in the same folder, flushed and then
// renamed over path, so that path holds either its old content or the new one, never a part.
func WriteFileAtomic(path string, data []byte) error {
	return WriteAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteAtomic is WriteFileAtomic for content that write streams (through a buffer) instead of a
// byte slice: path is replaced only once write has returned nil and the file is flushed.
func WriteAtomic(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), tmpPrefix+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = f.Chmod(0o644)
	if err == nil {
		bw := bufio.NewWriter(f)
		if err = write(bw); err == nil {
			err = bw.Flush()
		}
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}
