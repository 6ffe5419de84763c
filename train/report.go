package train

import (
	"fmt"
	"math"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/report"
)

// BuildReport measures a finished training (Fit's result res, on data, as cfg says) on its data's
// test split with report.ForTraining: the data set's own baseline, the raw features, the untrained
// encoder (fresh weights from cfg.Seed, same architecture) and the trained model with its frozen
// threshold. It is what `gometric train` writes into the published model folder (Options.Report,
// report.WriteRun).
func BuildReport(cfg Config, data *Data, res *Result) (*report.Report, error) {
	m := res.Model
	untrained, err := NewUntrainedModelWith(m.Backend(), m.Spec, m.ItemEncoder(), m.Norm, cfg.Seed)
	if err != nil {
		return nil, err
	}
	best := math.NaN()
	for _, p := range res.History.Val {
		if p.Step == res.BestStep {
			best = p.Value
		}
	}
	t := report.TrainedRun{
		Title: "gometric: " + data.Name, Data: describeData(cfg, data), Set: data.testSet(),
		Untrained: untrained, Trained: m, Threshold: m.Threshold,
		Training: report.Training{
			Config:    describeConfig(cfg, m),
			StartStep: res.StartStep, Steps: res.Steps, BestStep: res.BestStep,
			Epochs:       float64(res.Steps) / float64(max(res.StepsPerEpoch, 1)),
			StoppedEarly: res.StoppedEarly, Seconds: res.TrainTime.Seconds(), StepsPerSecond: res.StepsPerSecond,
			ValMetric: res.History.ValMetric, BestVal: best,
		},
	}
	switch {
	case data.TestTriplets != nil:
		t.Notes = append(t.Notes, fmt.Sprintf("the training and validation pairs were generated from seed %d; the test pairs and triplets are the fixed evaluation sets (seed %d), the same for every run", cfg.Seed, GraphEditEvalSeed))
	case data.TrainPairs != nil:
		t.Notes = append(t.Notes, "the pairs file was split into training, validation and test pairs at random: an item may appear in pairs of several splits")
	case cfg.SplitByClass:
		t.Notes = append(t.Notes, "split by class: no class of the validation and test items is seen in training")
	}
	return report.ForTraining(t)
}

// ReportModel returns m as report.ForModel measures it: its embeddings, its frozen threshold and
// its input width.
func (m *Model) ReportModel() report.Model {
	return report.Model{Embedder: m, Threshold: m.Threshold, InputDim: m.Spec.InputDim}
}

// testSet returns the data's test split as a report measures it.
func (d *Data) testSet() report.Set {
	return report.Set{Items: d.Test, Pairs: d.TestPairs, ValPairs: d.ValPairs, Baseline: d.Baseline, Triplets: d.TestTriplets, Groups: d.TestGroups}
}

// describeData describes a run's data and split.
func describeData(cfg Config, d *Data) string {
	what := fmt.Sprintf("%d features", d.Dim())
	if k := d.Kind(); k != datasets.KindVector {
		what = k + "s"
	}
	if d.TrainPairs != nil {
		return fmt.Sprintf("%s, %s; %s training / %s validation / %s test pairs (seed %d)",
			d.Name, what, report.Count(d.TrainPairs.Len()), report.Count(d.ValPairs.Len()), report.Count(d.TestPairs.Len()), cfg.Seed)
	}
	s := fmt.Sprintf("%s, %s, %d classes; %s training / %s validation / %s test items",
		d.Name, what, d.Train.NumClasses(), report.Count(d.Train.Len()), report.Count(d.Val.Len()), report.Count(d.Test.Len()))
	if d.Test.OfficialTest != nil {
		s += " (official test split)"
	}
	return s + fmt.Sprintf(", seed %d", cfg.Seed)
}

// describeConfig summarises the training configuration in one line.
func describeConfig(cfg Config, m *Model) string {
	batches := cfg.BatchKind()
	if batches == BatchesPairs {
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
