package report

import (
	"fmt"
	"math"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/eval"
	"github.com/gometric/gometric/match"
)

// Raw is the baseline embedder that returns the raw features themselves (a copy: match.Identity,
// gometric's one identity eval.Embedder): compared by cosine similarity, they are the "raw
// features" (raw pixels) row of a report.
type Raw = match.Identity

// Source names data to measure a saved model on (train.LoadEvalSet loads it): nothing (the run's
// own test split), a built-in data set, an items file, a pairs file, or a pairs file with the items
// it names.
type Source struct {
	Dataset, Items, Pairs string
	// SkipBadLines skips malformed lines of the files (they come back as warnings).
	SkipBadLines bool
}

// Set is the data a model is measured on.
type Set struct {
	// Items are class-labelled test items, for the retrieval metrics (each item queries the others);
	// nil for none.
	Items *datasets.Items
	// Pairs are labeled test pairs, for the verification metrics; nil for none.
	Pairs *datasets.Pairs
	// ValPairs are labeled validation pairs on which a threshold is chosen for a model that has
	// none (the baselines); nil for none.
	ValPairs *datasets.Pairs
	// Baseline is the data set's own baseline (the molecules' fingerprints), reported first; nil
	// for none.
	Baseline *Baseline
	// Triplets are test triplets, for the triplet accuracy (graph-edit); nil for none.
	Triplets *Triplets
	// Groups, when not nil, group Items (place-names: by script) for the figures by group
	// (Report.ByGroup); the Pairs must be pairs of Items.
	Groups *Groups
}

// Evaluate measures embedder e on set and returns its row, called name (with its figures by group
// when set.Groups is given). threshold is the model's
// frozen cosine-similarity threshold; NaN means choose one on set.ValPairs with e's own scores
// (maximum accuracy), or report no accuracy and F1 when there are no validation pairs.
func Evaluate(name string, e eval.Embedder, set Set, threshold float64) (Row, error) {
	row := Row{Name: name}
	var byGroup *embedded // the test items' embeddings, for the figures by group
	if set.Items != nil {
		if !set.Items.HasLabels() {
			return row, fmt.Errorf("%s: retrieval needs class-labelled items", name)
		}
		x, err := embedAll(e, set.Items)
		if err != nil {
			return row, fmt.Errorf("%s: %w", name, err)
		}
		r, err := x.retrieval(set.Items.Labels, nil)
		if err != nil {
			return row, fmt.Errorf("%s: retrieval: %w", name, err)
		}
		row.Retrieval = &Retrieval{PrecisionAt1: r.PrecisionAt1, RPrecision: r.RPrecision, MAPAtR: r.MAPAtR, Queries: r.Queries}
		byGroup = x
	}
	if set.Pairs != nil {
		v, err := Verify(e, set.Pairs, set.ValPairs, threshold)
		if err != nil {
			return row, fmt.Errorf("%s: %w", name, err)
		}
		row.Verification = v
	}
	if set.Triplets != nil {
		acc, err := set.Triplets.Accuracy(e)
		if err != nil {
			return row, fmt.Errorf("%s: triplets: %w", name, err)
		}
		row.Triplets = &TripletMetrics{Triplets: set.Triplets.Len(), Accuracy: acc}
	}
	if set.Groups != nil && byGroup != nil {
		th := math.NaN()
		if row.Verification != nil {
			th = row.Verification.Threshold
		}
		var err error
		if row.groups, err = groupRows(name, byGroup, set, th); err != nil {
			return row, err
		}
	}
	return row, nil
}

// Verify computes the verification metrics of e on the test pairs: ROC-AUC and average precision,
// and accuracy and F1 at threshold (cosine similarity), or, when threshold is NaN, at the threshold
// chosen on valPairs (NaN accuracy and F1 when valPairs is nil too).
func Verify(e eval.Embedder, pairs, valPairs *datasets.Pairs, threshold float64) (*Verification, error) {
	scores, err := eval.PairScores(e, pairs)
	if err != nil {
		return nil, err
	}
	sp := eval.Similarities(scores, pairs.Y)
	v := &Verification{Pairs: pairs.Len(), ROCAUC: math.NaN(), AveragePrecision: math.NaN(), Threshold: threshold,
		Accuracy: math.NaN(), F1: math.NaN()}
	if pos := pairs.NumPositives(); pos > 0 && pos < pairs.Len() {
		s, err := eval.Summarize(sp)
		if err != nil {
			return nil, fmt.Errorf("verification: %w", err)
		}
		v.ROCAUC, v.AveragePrecision = s.ROCAUC, s.AveragePrecision
	}
	if math.IsNaN(threshold) && valPairs != nil {
		th, err := eval.ChoosePairThreshold(e, valPairs)
		if err != nil {
			return nil, fmt.Errorf("choosing a threshold: %w", err)
		}
		v.Threshold = th.Value
	}
	if !math.IsNaN(v.Threshold) {
		m, err := eval.VerifyAt(sp, eval.SimilarityThreshold(v.Threshold))
		if err != nil {
			return nil, fmt.Errorf("verification: %w", err)
		}
		v.Accuracy, v.F1 = m.Accuracy, m.F1
	}
	return v, nil
}
