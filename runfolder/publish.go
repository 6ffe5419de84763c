package runfolder

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gometric/gometric/internal/fault"
)

// oldModelPrefix names the folder the previous model is moved to while a new one takes its place,
// where the operating system cannot exchange two folders in one step.
const oldModelPrefix = ".old-model-"

// exchangeFolders is exchange, replaced by tests of the fallback.
var exchangeFolders = exchange

// errNoExchange says that the platform or file system cannot exchange two folders atomically.
var errNoExchange = errors.New("atomic exchange not supported")

// PublishedDir returns the published model's folder: ModelDir, or, when a publication was interrupted
// between its two renames (platforms without an atomic exchange), the previous model it had moved
// aside. It is an error when the run has no published model.
func (r Folder) PublishedDir() (string, error) {
	dir := r.Path(ModelDir)
	if _, err := os.Stat(filepath.Join(dir, ModelFile)); err == nil {
		return dir, nil
	}
	if old := r.movedAside(); old != "" {
		return old, nil
	}
	if _, err := os.Stat(r.Path(ConfigFile)); err != nil {
		return "", fmt.Errorf("%s is not a run folder (no %s)", r.Dir, ConfigFile)
	}
	return "", fmt.Errorf("%s has no trained model yet (training has not finished): finish it with 'gometric train --out %s --resume'", r.Dir, r.Dir)
}

// movedAside returns the most recent previous model moved aside by an interrupted publication, or "".
func (r Folder) movedAside() string {
	entries, _ := os.ReadDir(r.Dir)
	var names []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), oldModelPrefix) {
			if _, err := os.Stat(filepath.Join(r.Dir, e.Name(), ModelFile)); err == nil {
				names = append(names, e.Name())
			}
		}
	}
	if len(names) == 0 {
		return ""
	}
	sort.Strings(names) // names carry a zero-padded step and a random suffix; any complete one will do
	return filepath.Join(r.Dir, names[len(names)-1])
}

// Publish makes the weights in checkpoint folder weightsDir, described by info, the run's model,
// with the files that write puts beside them (the report of that model): everything is written into
// a temporary folder first, flushed, and then exchanged with ModelDir in one atomic step, so that
// no interruption can leave a model folder whose parts come from different steps.
func (r Folder) Publish(weightsDir string, info ModelInfo, write func(dir string) error) (err error) {
	info.Format = ModelFormat
	if info.Embeddings == "" {
		info.Embeddings = EmbeddingsCosine
	}
	if err := info.Validate(); err != nil {
		return fmt.Errorf("publishing the model: %w", err)
	}
	r.removeLeftovers()
	tmp, err := os.MkdirTemp(r.Dir, tmpPrefix+"model-*")
	if err != nil {
		return err
	}
	defer func() {
		_ = os.RemoveAll(tmp)
	}()
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp makes it 0700, unlike the run's other folders
		return err
	}
	if err := copyFiles(weightsDir, tmp); err != nil {
		return fmt.Errorf("publishing the model: %w", err)
	}
	fault.Point("publish-weights")
	if err := (Folder{Dir: tmp}).WriteJSON(ModelFile, info); err != nil {
		return err
	}
	if write != nil {
		if err := write(tmp); err != nil {
			return err
		}
	}
	fault.Point("publish-files")
	if err := syncDir(tmp); err != nil {
		return err
	}
	final := r.Path(ModelDir)
	if _, statErr := os.Stat(final); errors.Is(statErr, os.ErrNotExist) {
		if err := os.Rename(tmp, final); err != nil {
			return err
		}
		return syncPath(r.Dir)
	}
	switch err := exchangeFolders(tmp, final); {
	case err == nil:
		// tmp now holds the previous model, removed by the deferred RemoveAll.
		fault.Point("publish-exchanged")
		return syncPath(r.Dir)
	case !errors.Is(err, errNoExchange):
		return err
	}
	old := r.Path(fmt.Sprintf("%s%09d-%s", oldModelPrefix, info.Step, filepath.Base(tmp)[len(tmpPrefix):]))
	if err := os.Rename(final, old); err != nil {
		return err
	}
	fault.Point("publish-moved-aside")
	if err := os.Rename(tmp, final); err != nil {
		return err
	}
	if err := syncPath(r.Dir); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

// removeLeftovers removes what interrupted publications left: temporary model folders and, once
// ModelDir is complete, previous models moved aside.
func (r Folder) removeLeftovers() {
	entries, _ := os.ReadDir(r.Dir)
	_, modelErr := os.Stat(filepath.Join(r.Path(ModelDir), ModelFile))
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, tmpPrefix+"model-") || (modelErr == nil && strings.HasPrefix(name, oldModelPrefix)) {
			_ = os.RemoveAll(filepath.Join(r.Dir, name))
		}
	}
	// A complete previous model moved aside while ModelDir is missing goes back to its place.
	if errors.Is(modelErr, os.ErrNotExist) {
		if old := r.movedAside(); old != "" {
			_ = os.RemoveAll(r.Path(ModelDir))
			_ = os.Rename(old, r.Path(ModelDir))
		}
	}
}

// copyFiles copies the regular files of folder src into folder dst.
func copyFiles(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if err := copyFile(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// copyFile copies the file src to dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
