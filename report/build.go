package report

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/eval"
	"github.com/gometric/gometric/train"
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

// ForTraining measures a finished training run on its data's test split: the data set's own
// baseline (data.Baseline, the molecules' Morgan fingerprints), raw features, the untrained encoder
// (fresh weights, same architecture) and the trained model, on the same test items and pairs (and
// test triplets, with the published figures, for graph-edit). The baselines' thresholds are chosen on the validation pairs with their own
// scores; the trained model uses its frozen threshold.
func ForTraining(cfg train.Config, data *train.Data, res *train.Result) (*Report, error) {
	m := res.Model
	untrained, err := train.NewUntrainedModelWith(m.Backend(), m.Spec, m.ItemEncoder(), m.Norm, cfg.Seed)
	if err != nil {
		return nil, err
	}
	set := Set{Items: data.Test, Pairs: data.TestPairs, ValPairs: data.ValPairs, Baseline: data.Baseline, Triplets: data.TestTriplets, Groups: data.TestGroups}
	r := &Report{Title: "gometric: " + data.Name, Data: describeData(cfg, data)}
	r.RetrievalOn, r.VerificationOn = describeSet(set, "validation")
	r.Benchmark = benchmarkOf(set)
	type candidate struct {
		name string
		e    eval.Embedder
		th   float64
	}
	var candidates []candidate
	if b := data.Baseline; b != nil {
		candidates = append(candidates, candidate{b.Name, b, math.NaN()})
	}
	for _, c := range append(candidates, candidate{RowRaw, Raw{}, math.NaN()}, candidate{RowUntrained, untrained, math.NaN()}, candidate{RowTrained, m, m.Threshold}) {
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
	best := math.NaN()
	for _, p := range res.History.Val {
		if p.Step == res.BestStep {
			best = p.Value
		}
	}
	r.Training = &Training{
		Config:    describeConfig(cfg, m),
		StartStep: res.StartStep, Steps: res.Steps, BestStep: res.BestStep,
		Epochs:       float64(res.Steps) / float64(max(res.StepsPerEpoch, 1)),
		StoppedEarly: res.StoppedEarly, Seconds: res.TrainTime.Seconds(), StepsPerSecond: res.StepsPerSecond,
		ValMetric: res.History.ValMetric, BestVal: best,
	}
	switch {
	case data.TestTriplets != nil:
		r.Notes = append(r.Notes, fmt.Sprintf("the training and validation pairs were generated from seed %d; the test pairs and triplets are the fixed evaluation sets (seed %d), the same for every run", cfg.Seed, train.GraphEditEvalSeed))
	case data.TrainPairs != nil:
		r.Notes = append(r.Notes, "the pairs file was split into training, validation and test pairs at random: an item may appear in pairs of several splits")
	case cfg.SplitByClass:
		r.Notes = append(r.Notes, "split by class: no class of the validation and test items is seen in training")
	}
	return r, nil
}

// ForModel measures a saved model on set (for `gometric eval`): the model with its frozen
// threshold, and, when baselines, the raw features beside it (threshold chosen on set.ValPairs,
// or none).
func ForModel(title, data string, m *train.Model, set Set, baselines bool) (*Report, error) {
	for _, dim := range []int{setDim(set.Items), pairsDim(set.Pairs)} {
		if dim >= 0 && dim != m.Spec.InputDim {
			return nil, fmt.Errorf("the data has %d features, the model takes %d", dim, m.Spec.InputDim)
		}
	}
	r := &Report{Title: title, Data: data}
	r.RetrievalOn, r.VerificationOn = describeSet(set, "validation")
	if !m.HasThreshold() && r.VerificationOn != "" {
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
	row, err := Evaluate(RowTrained, m, Set{Items: set.Items, Pairs: set.Pairs, Triplets: set.Triplets, Groups: set.Groups}, m.Threshold)
	if err != nil {
		return nil, err
	}
	r.Rows = append(r.Rows, row)
	r.ByGroup = gatherGroups(r.Rows, set.Groups)
	return r, nil
}

// WriteRun writes the report into run folder dir: metrics.json, report.md and the plots (training
// loss and validation metric from h, when it has points; the PCA of the model's embeddings of
// items, when items is not nil). It records the plots in r.Files.
func WriteRun(dir string, r *Report, h train.History, m *train.Model, items *datasets.Items) error {
	r.Files = nil
	write := func(name string, data []byte, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := train.WriteFileAtomic(filepath.Join(dir, name), data); err != nil {
			return err
		}
		if strings.HasSuffix(name, ".png") {
			r.Files = append(r.Files, name)
		}
		return nil
	}
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
	if items != nil && items.HasLabels() && m != nil {
		emb, err := m.EmbedItems(items)
		if err != nil {
			return err
		}
		data, err := PCAPlot(fmt.Sprintf("Test embeddings, PCA (%d items)", items.Len()), emb, items.Labels, items.ClassName)
		if err := write(PCAPNG, data, err); err != nil {
			return err
		}
	}
	js, err := r.JSON()
	if err := write(MetricsFile, js, err); err != nil {
		return err
	}
	var md strings.Builder
	if err := r.WriteMarkdown(&md); err != nil {
		return err
	}
	return write(MarkdownFile, []byte(md.String()), nil)
}

// gatherGroups returns the rows' figures by group as the report's section, or nil without groups.
func gatherGroups(rows []Row, g *train.Groups) *GroupSection {
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

// describeData describes a run's data and split.
func describeData(cfg train.Config, d *train.Data) string {
	what := fmt.Sprintf("%d features", d.Dim())
	if k := d.Kind(); k != datasets.KindVector {
		what = k + "s"
	}
	if d.TrainPairs != nil {
		return fmt.Sprintf("%s, %s; %s training / %s validation / %s test pairs (seed %d)",
			d.Name, what, count(d.TrainPairs.Len()), count(d.ValPairs.Len()), count(d.TestPairs.Len()), cfg.Seed)
	}
	s := fmt.Sprintf("%s, %s, %d classes; %s training / %s validation / %s test items",
		d.Name, what, d.Train.NumClasses(), count(d.Train.Len()), count(d.Val.Len()), count(d.Test.Len()))
	if d.Test.OfficialTest != nil {
		s += " (official test split)"
	}
	return s + fmt.Sprintf(", seed %d", cfg.Seed)
}

// describeSet describes the retrieval and verification test data; thresholdFrom names where the
// baselines' threshold is chosen ("" when only a frozen threshold is used).
func describeSet(s Set, thresholdFrom string) (retrieval, verification string) {
	if s.Items != nil {
		retrieval = fmt.Sprintf("each of the %s test items queries the other %s, by cosine similarity (PML AccuracyCalculator)",
			count(s.Items.Len()), count(s.Items.Len()-1))
	}
	if s.Pairs != nil {
		verification = fmt.Sprintf("%s test pairs (%s positive), cosine similarity; accuracy and F1 at the trained model's frozen threshold",
			count(s.Pairs.Len()), count(s.Pairs.NumPositives()))
		if thresholdFrom != "" && s.ValPairs != nil {
			verification += fmt.Sprintf(", chosen on %s %s pairs (each baseline's own threshold likewise)", count(s.ValPairs.Len()), thresholdFrom)
		}
	}
	return retrieval, verification
}

// describeConfig summarises the training configuration in one line.
func describeConfig(cfg train.Config, m *train.Model) string {
	batches := cfg.BatchKind()
	if batches == train.BatchesPairs {
		batches = cfg.PairMode + " pairs"
	} else {
		batches = "class batches"
	}
	s := fmt.Sprintf("%s, loss %s, %s, batch %d, Adam lr %g (%s), %s inputs, seed %d",
		m.Spec, cfg.Loss, batches, cfg.BatchSize, cfg.LR, cfg.Schedule, cfg.Normalize, cfg.Seed)
	if cfg.Miner != "" {
		s += ", miner " + cfg.Miner
	}
	return s
}

// count formats n with thousands separators.
func count(n int) string {
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
