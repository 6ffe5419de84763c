package report

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/eval"
	"github.com/gometric/gometric/runfolder"
)

// Names of the rows of a training report.
const (
	RowRaw       = "raw features"
	RowUntrained = "untrained encoder"
	RowTrained   = "trained encoder"
)

// Files a training report writes into the run folder.
const (
	MetricsFile  = "metrics.json"
	MarkdownFile = "report.md"
	LossPNG      = "loss.png"
	ValPNG       = "validation.png"
	PCAPNG       = "pca.png"
)

// TrainedRun is a finished training as ForTraining measures it (train.BuildReport makes it from
// a training's configuration, data and result).
type TrainedRun struct {
	// Title heads the report; Data describes the data and its split.
	Title, Data string
	// Set is the test split: test items and pairs, the validation pairs on which the baselines'
	// thresholds are chosen, and the data set's own baseline, triplets and groups when it has them.
	Set Set
	// Untrained is the untrained encoder (fresh weights, same architecture); Trained the trained
	// model, with its frozen Threshold.
	Untrained, Trained eval.Embedder
	Threshold          float64
	// Training summarises the training.
	Training Training
	// Notes are added to the report's notes.
	Notes []string
}

// ForTraining measures a finished training run on its data's test split: the data set's own
// baseline (the molecules' Morgan fingerprints), raw features, the untrained encoder and the
// trained model, on the same test items and pairs (and test triplets, with the published figures,
// for graph-edit). The baselines' thresholds are chosen on the validation pairs with their own
// scores; the trained model uses its frozen threshold.
func ForTraining(t TrainedRun) (*Report, error) {
	set := t.Set
	r := &Report{Title: t.Title, Data: t.Data}
	r.RetrievalOn, r.VerificationOn = describeSet(set, "validation")
	r.Benchmark = benchmarkOf(set)
	type candidate struct {
		name string
		e    eval.Embedder
		th   float64
	}
	var candidates []candidate
	if b := set.Baseline; b != nil {
		candidates = append(candidates, candidate{b.Name, b, math.NaN()})
	}
	for _, c := range append(candidates, candidate{RowRaw, Raw{}, math.NaN()}, candidate{RowUntrained, t.Untrained, math.NaN()}, candidate{RowTrained, t.Trained, t.Threshold}) {
		if c.name == RowRaw && !hasFeatures(set) {
			continue // items that are not feature vectors (graphs) have no raw features to compare
		}
		row, err := Evaluate(c.name, c.e, set, c.th)
		if err != nil {
			return nil, err
		}
		r.Rows = append(r.Rows, row)
	}
	r.ByGroup = gatherGroups(r.Rows, set.Groups)
	training := t.Training
	r.Training = &training
	r.Notes = append(r.Notes, t.Notes...)
	return r, nil
}

// Model is a trained model as ForModel measures it.
type Model struct {
	// Embedder embeds; Threshold is its frozen match threshold (NaN: none).
	Embedder  eval.Embedder
	Threshold float64
	// InputDim is the number of features the model takes (0 for items that are not feature
	// vectors): data with another number is an error.
	InputDim int
}

// ForModel measures a saved model on set (for `gometric eval`): the model with its frozen
// threshold, and, when baselines, the raw features beside it (threshold chosen on set.ValPairs,
// or none).
func ForModel(title, data string, m Model, set Set, baselines bool) (*Report, error) {
	for _, dim := range []int{setDim(set.Items), pairsDim(set.Pairs)} {
		if dim >= 0 && dim != m.InputDim {
			return nil, fmt.Errorf("the data has %d features, the model takes %d", dim, m.InputDim)
		}
	}
	r := &Report{Title: title, Data: data}
	r.RetrievalOn, r.VerificationOn = describeSet(set, "validation")
	if math.IsNaN(m.Threshold) && r.VerificationOn != "" {
		r.Notes = append(r.Notes, "the model has no frozen threshold: accuracy and F1 are not reported")
	}
	if b := set.Baseline; baselines && b != nil {
		row, err := Evaluate(b.Name, b, Set{Items: set.Items, Pairs: set.Pairs, ValPairs: set.ValPairs, Groups: set.Groups}, math.NaN())
		if err != nil {
			return nil, err
		}
		r.Rows = append(r.Rows, row)
	}
	r.Benchmark = benchmarkOf(set)
	if baselines && hasFeatures(set) {
		row, err := Evaluate(RowRaw, Raw{}, Set{Items: set.Items, Pairs: set.Pairs, ValPairs: set.ValPairs}, math.NaN())
		if err != nil {
			return nil, err
		}
		r.Rows = append(r.Rows, row)
	}
	row, err := Evaluate(RowTrained, m.Embedder, Set{Items: set.Items, Pairs: set.Pairs, Triplets: set.Triplets, Groups: set.Groups}, m.Threshold)
	if err != nil {
		return nil, err
	}
	r.Rows = append(r.Rows, row)
	r.ByGroup = gatherGroups(r.Rows, set.Groups)
	return r, nil
}

// RunFiles are what WriteRun writes beside a training report in the model folder.
type RunFiles struct {
	// History gives the plots of the training loss and the validation metric (when it has
	// points).
	History runfolder.History
	// Model and Items give the PCA plot of the model's embeddings of Items (class-labelled test
	// items), when both are set.
	Model eval.Embedder
	Items *datasets.Items
	// TestPairs, when not empty, are written as runfolder.TestPairsFile (runfolder.Folder.WriteTestPairs),
	// for `gometric match`.
	TestPairs *datasets.Pairs
	// Started, when not zero, is when the whole command started: Training.TotalSeconds is the time
	// since then when metrics.json is written.
	Started time.Time
}

// WriteRun writes the report r into dir, the model folder of a run being published: the plots and
// the test pairs of files, then report.md, then metrics.json, each once and last, so that it records
// everything written (r.Files: the plots and the test pairs; r.Training.TotalSeconds).
func WriteRun(dir string, r *Report, files RunFiles) error {
	r.Files = nil
	write := func(name string, data []byte, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := runfolder.WriteFileAtomic(filepath.Join(dir, name), data); err != nil {
			return err
		}
		if strings.HasSuffix(name, ".png") {
			r.Files = append(r.Files, name)
		}
		return nil
	}
	h := files.History
	if len(h.Loss) > 0 {
		data, err := LossPlot(h)
		if err := write(LossPNG, data, err); err != nil {
			return err
		}
	}
	if len(h.Val) > 0 {
		data, err := ValidationPlot(h)
		if err := write(ValPNG, data, err); err != nil {
			return err
		}
	}
	if items := files.Items; items != nil && items.HasLabels() && files.Model != nil {
		emb, err := eval.EmbedItems(files.Model, items)
		if err != nil {
			return err
		}
		data, err := PCAPlot(fmt.Sprintf("Test embeddings, PCA (%d items)", items.Len()), emb, items.Labels, items.ClassName)
		if err := write(PCAPNG, data, err); err != nil {
			return err
		}
	}
	if p := files.TestPairs; p != nil && p.Len() > 0 {
		if err := (runfolder.Folder{Dir: dir}).WriteTestPairs(p); err != nil {
			return err
		}
		r.Files = append(r.Files, runfolder.TestPairsFile)
	}
	var md strings.Builder
	if err := r.WriteMarkdown(&md); err != nil {
		return err
	}
	if err := write(MarkdownFile, []byte(md.String()), nil); err != nil {
		return err
	}
	if !files.Started.IsZero() && r.Training != nil {
		r.Training.TotalSeconds = time.Since(files.Started).Seconds()
	}
	js, err := r.JSON()
	return write(MetricsFile, js, err)
}

// gatherGroups returns the rows' figures by group as the report's section, or nil without groups.
func gatherGroups(rows []Row, g *Groups) *GroupSection {
	if g == nil {
		return nil
	}
	sec := &GroupSection{By: g.By, Groups: g.Names}
	for _, row := range rows {
		sec.Rows = append(sec.Rows, row.groups...)
	}
	if len(sec.Rows) == 0 {
		return nil
	}
	return sec
}

// benchmarkOf returns the published benchmark of the set's triplets, or nil.
func benchmarkOf(s Set) *Benchmark {
	t := s.Triplets
	if t == nil || t.Benchmark == "" {
		return nil
	}
	b := &Benchmark{Name: t.Benchmark}
	for _, p := range t.References {
		b.Published = append(b.Published, Published{Name: p.Name, PairAUC: p.PairAUC, TripletAccuracy: p.TripletAccuracy})
	}
	return b
}

// describeSet describes the retrieval and verification test data; thresholdFrom names where the
// baselines' threshold is chosen ("" when only a frozen threshold is used).
func describeSet(s Set, thresholdFrom string) (retrieval, verification string) {
	if s.Items != nil {
		retrieval = fmt.Sprintf("each of the %s test items queries the other %s, by cosine similarity (PML AccuracyCalculator)",
			Count(s.Items.Len()), Count(s.Items.Len()-1))
	}
	if s.Pairs != nil {
		verification = fmt.Sprintf("%s test pairs (%s positive), cosine similarity; accuracy and F1 at the trained model's frozen threshold",
			Count(s.Pairs.Len()), Count(s.Pairs.NumPositives()))
		if thresholdFrom != "" && s.ValPairs != nil {
			verification += fmt.Sprintf(", chosen on %s %s pairs (each baseline's own threshold likewise)", Count(s.ValPairs.Len()), thresholdFrom)
		}
	}
	return retrieval, verification
}

// Count formats n with thousands separators, as reports write counts.
func Count(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// hasFeatures reports whether the set's items are feature vectors (not graphs), so that the raw
// features are a baseline.
func hasFeatures(s Set) bool {
	if s.Items != nil && s.Items.Objects != nil {
		return false
	}
	return s.Pairs == nil || s.Pairs.Items == nil || s.Pairs.Items.Objects == nil
}

// setDim returns the feature dimension of items, or -1 for nil.
func setDim(items *datasets.Items) int {
	if items == nil {
		return -1
	}
	return items.Dim()
}

// pairsDim returns the feature dimension of the pairs' items, or -1 for nil.
func pairsDim(p *datasets.Pairs) int {
	if p == nil || p.Items == nil {
		return -1
	}
	return p.Items.Dim()
}
