package eval

import (
	"fmt"
	"math"
)

// Criterion is what ChooseThreshold maximises on the validation pairs.
type Criterion int

const (
	// Fixed is the criterion of a threshold that was set by hand, not chosen.
	Fixed Criterion = iota
	// MaxAccuracy maximises the fraction of pairs classified correctly.
	MaxAccuracy
	// MaxF1 maximises the F1 score of the matching class.
	MaxF1
)

// String names the criterion.
func (c Criterion) String() string {
	switch c {
	case Fixed:
		return "fixed"
	case MaxAccuracy:
		return "max-accuracy"
	case MaxF1:
		return "max-F1"
	}
	return fmt.Sprintf("Criterion(%d)", int(c))
}

// Threshold is a frozen decision rule: a pair is a match when its similarity is >= Value, or, for
// a distance threshold, when its distance is <= Value. Choose it on validation pairs with
// ChooseThreshold and apply it unchanged to test pairs with VerifyAt; tuning the threshold on the
// test pairs themselves overstates accuracy.
type Threshold struct {
	// Value is the score at which pairs start to match (inclusive). It may be ±Inf for a rule
	// that matches nothing.
	Value float64
	// Distance says the scores are distances (match when score <= Value).
	Distance bool
	// Criterion and Validation record how the threshold was chosen: the criterion and the value it
	// reached on the validation pairs. A threshold built by SimilarityThreshold or
	// DistanceThreshold has Criterion Fixed and Validation 0.
	Criterion Criterion
	// Validation is the accuracy or F1 that the threshold reached on the validation pairs.
	Validation float64
}

// SimilarityThreshold returns the rule "match when similarity >= value".
func SimilarityThreshold(value float64) Threshold { return Threshold{Value: value} }

// DistanceThreshold returns the rule "match when distance <= value".
func DistanceThreshold(value float64) Threshold { return Threshold{Value: value, Distance: true} }

// Match applies the rule to one score.
func (t Threshold) Match(score float64) bool {
	if t.Distance {
		return score <= t.Value
	}
	return score >= t.Value
}

// String describes the rule, for example "similarity >= 0.42".
func (t Threshold) String() string {
	if t.Distance {
		return fmt.Sprintf("distance <= %v", t.Value)
	}
	return fmt.Sprintf("similarity >= %v", t.Value)
}

// ChooseThreshold picks the threshold that maximises c on validation pairs, to be frozen and
// applied to test pairs with VerifyAt:
//
//	th, err := eval.ChooseThreshold(eval.Similarities(valScores, valLabels), eval.MaxAccuracy)
//	...
//	m, err := eval.VerifyAt(eval.Similarities(testScores, testLabels), th)
//
// The candidates are the rules that call a match every pair scoring at least each distinct
// validation score, and the rule that calls nothing a match. Among equally good candidates the
// strictest wins (fewest predicted matches). The returned Value lies halfway between the chosen
// score and the next less alike validation score, so every validation pair is classified as the
// candidate rule classifies it, with the widest margin on both sides; when the chosen score is the
// least alike, Value is that score; when nothing is matched, Value is +Inf for similarities and
// -Inf for distances.
//
// With MaxAccuracy, validation pairs of a single class are allowed (the rule then matches all or
// nothing). With MaxF1 there must be at least one matching pair. Invalid pairs are an error (see
// ScoredPairs).
func ChooseThreshold(val ScoredPairs, c Criterion) (Threshold, error) {
	if c != MaxAccuracy && c != MaxF1 {
		return Threshold{}, fmt.Errorf("eval: unknown threshold criterion %d", int(c))
	}
	cv, err := newCurve(val)
	if err != nil {
		return Threshold{}, err
	}
	if c == MaxF1 && cv.pos == 0 {
		return Threshold{}, fmt.Errorf("eval: F1 is undefined without any matching validation pair")
	}
	objective := func(tp, fp int) float64 {
		cm := confusion{tp: tp, fp: fp, fn: cv.pos - tp, tn: cv.neg - fp}
		if c == MaxF1 {
			return cm.f1()
		}
		return cm.accuracy()
	}
	best := -1 // The rule that matches nothing.
	bestValue := objective(0, 0)
	for n := range cv.score {
		if v := objective(cv.tp[n], cv.fp[n]); v > bestValue {
			best, bestValue = n, v
		}
	}
	var value float64
	switch {
	case best < 0:
		value = math.Inf(1)
	case best == len(cv.score)-1:
		value = cv.score[best]
	default:
		hi, lo := cv.score[best], cv.score[best+1]
		value = hi/2 + lo/2
		if !(value > lo && value <= hi) { // Adjacent floats: the midpoint rounds onto one of them.
			value = hi
		}
	}
	if val.Distance {
		value = -value
	}
	return Threshold{Value: value, Distance: val.Distance, Criterion: c, Validation: bestValue}, nil
}

// Verification holds the metrics of a frozen threshold applied to scored pairs.
type Verification struct {
	// Threshold is the rule that was applied.
	Threshold Threshold
	// TP, FP, TN and FN count true matches, false matches, true non-matches and false non-matches.
	TP, FP, TN, FN int
	// Accuracy is (TP+TN) / pairs.
	Accuracy float64
	// Precision is TP / (TP+FP), 0 when nothing is predicted a match (scikit-learn's zero_division).
	Precision float64
	// Recall is TP / (TP+FN), the true match rate; 0 when no pair matches.
	Recall float64
	// F1 is 2TP / (2TP+FP+FN); 0 when TP is 0.
	F1 float64
	// MCC is Matthews' correlation coefficient; 0 when a row or column of the confusion matrix is
	// empty (scikit-learn's convention).
	MCC float64
	// FMR is FP / non-matching pairs, NaN when there is none.
	FMR float64
	// FNMR is FN / matching pairs (1 − Recall), NaN when there is none.
	FNMR float64
}

// VerifyAt applies a frozen threshold to scored pairs and returns accuracy, precision, recall, F1,
// MCC, FMR and FNMR. The pairs must be scored the same way as the threshold (similarities or
// distances); pairs of a single class are allowed, with the conventions documented on
// Verification.
func VerifyAt(p ScoredPairs, t Threshold) (*Verification, error) {
	pos, neg, err := p.validate()
	if err != nil {
		return nil, err
	}
	if math.IsNaN(t.Value) {
		return nil, fmt.Errorf("eval: threshold is NaN")
	}
	if p.Distance != t.Distance {
		kind := map[bool]string{false: "similarities", true: "distances"}
		return nil, fmt.Errorf("eval: the pairs are scored by %s but the threshold is for %s", kind[p.Distance], kind[t.Distance])
	}
	var cm confusion
	for i, s := range p.Scores {
		switch m := t.Match(s); {
		case m && p.Labels[i] == 1:
			cm.tp++
		case m:
			cm.fp++
		case p.Labels[i] == 1:
			cm.fn++
		default:
			cm.tn++
		}
	}
	v := &Verification{
		Threshold: t, TP: cm.tp, FP: cm.fp, TN: cm.tn, FN: cm.fn,
		Accuracy: cm.accuracy(), Precision: ratio(cm.tp, cm.tp+cm.fp), Recall: ratio(cm.tp, pos),
		F1: cm.f1(), MCC: cm.mcc(), FMR: math.NaN(), FNMR: math.NaN(),
	}
	if neg > 0 {
		v.FMR = float64(cm.fp) / float64(neg)
	}
	if pos > 0 {
		v.FNMR = float64(cm.fn) / float64(pos)
	}
	return v, nil
}

// BestAccuracy returns the highest accuracy any threshold reaches on p (thresholds at every
// distinct score, and the one matching nothing). It describes the separability of p; it is not a
// fair test figure, since the threshold is tuned on the pairs it is measured on.
func BestAccuracy(p ScoredPairs) (float64, error) {
	th, err := ChooseThreshold(p, MaxAccuracy)
	return th.Validation, err
}

// BestF1 returns the highest F1 any threshold at a distinct score reaches on p; like BestAccuracy,
// it is tuned on the pairs it is measured on. It is an error when no pair matches.
func BestF1(p ScoredPairs) (float64, error) {
	th, err := ChooseThreshold(p, MaxF1)
	return th.Validation, err
}

// confusion is a 2x2 confusion matrix.
type confusion struct{ tp, fp, tn, fn int }

func (c confusion) accuracy() float64 { return ratio(c.tp+c.tn, c.tp+c.fp+c.tn+c.fn) }

func (c confusion) f1() float64 { return ratio(2*c.tp, 2*c.tp+c.fp+c.fn) }

// mcc is Matthews' correlation coefficient, 0 when its denominator is 0.
func (c confusion) mcc() float64 {
	tp, fp, tn, fn := float64(c.tp), float64(c.fp), float64(c.tn), float64(c.fn)
	den := (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)
	if den == 0 {
		return 0
	}
	return (tp*tn - fp*fn) / math.Sqrt(den)
}

// ratio is a/b, or 0 when b is 0.
func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
