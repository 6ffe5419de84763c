package eval

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// ScoredPairs are scored pairs of items with their ground truth: Labels[i] is 1 when pair i is a
// genuine match (same identity/class) and 0 otherwise. Scores are similarities (higher means more
// alike) unless Distance is set, in which case lower means more alike. Build them with
// Similarities or Distances.
//
// Every function taking ScoredPairs checks them first and returns an error for: no pairs,
// different numbers of scores and labels, a label other than 0 or 1, a NaN or infinite score.
type ScoredPairs struct {
	// Scores holds one score per pair.
	Scores []float64
	// Labels holds 1 for a matching pair and 0 for a non-matching one.
	Labels []int
	// Distance says that lower scores mean more alike (a distance), instead of higher (a similarity).
	Distance bool
}

// Similarities returns pairs scored by a similarity: a pair is predicted a match when its score is
// at least the threshold.
func Similarities(scores []float64, labels []int) ScoredPairs {
	return ScoredPairs{Scores: scores, Labels: labels}
}

// Distances returns pairs scored by a distance: a pair is predicted a match when its score is at
// most the threshold.
func Distances(scores []float64, labels []int) ScoredPairs {
	return ScoredPairs{Scores: scores, Labels: labels, Distance: true}
}

// validate checks p and counts its positives and negatives.
func (p ScoredPairs) validate() (pos, neg int, err error) {
	if len(p.Scores) != len(p.Labels) {
		return 0, 0, fmt.Errorf("eval: %d scores but %d labels", len(p.Scores), len(p.Labels))
	}
	if len(p.Scores) == 0 {
		return 0, 0, errors.New("eval: no scored pairs")
	}
	for i, s := range p.Scores {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return 0, 0, fmt.Errorf("eval: score %d is %v; scores must be finite", i, s)
		}
		switch p.Labels[i] {
		case 0:
			neg++
		case 1:
			pos++
		default:
			return 0, 0, fmt.Errorf("eval: label %d is %d; labels must be 0 (non-match) or 1 (match)", i, p.Labels[i])
		}
	}
	return pos, neg, nil
}

// oriented returns score i as a similarity (negated for distances): higher is more alike.
func (p ScoredPairs) oriented(i int) float64 {
	if p.Distance {
		return -p.Scores[i]
	}
	return p.Scores[i]
}

// curve is the ROC/PR step curve of scored pairs: at the n-th distinct oriented score, from the
// highest down, TP[n] and FP[n] are the matches and non-matches predicted when every pair scoring
// at least Score[n] is called a match. Tied scores form one step, as in scikit-learn.
type curve struct {
	pos, neg int
	score    []float64
	tp, fp   []int
}

// newCurve validates p and builds its curve.
func newCurve(p ScoredPairs) (*curve, error) {
	pos, neg, err := p.validate()
	if err != nil {
		return nil, err
	}
	order := make([]int, len(p.Scores))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return p.oriented(order[a]) > p.oriented(order[b]) })
	c := &curve{pos: pos, neg: neg}
	tp, fp := 0, 0
	for n, i := range order {
		if p.Labels[i] == 1 {
			tp++
		} else {
			fp++
		}
		s := p.oriented(i)
		if n+1 < len(order) && p.oriented(order[n+1]) == s {
			continue
		}
		c.score = append(c.score, s)
		c.tp = append(c.tp, tp)
		c.fp = append(c.fp, fp)
	}
	return c, nil
}

// needBoth returns an error naming metric when c lacks matches or non-matches.
func (c *curve) needBoth(metric string) error {
	if c.pos == 0 || c.neg == 0 {
		return fmt.Errorf("eval: %s is undefined with only one class present (%d matching, %d non-matching pairs)", metric, c.pos, c.neg)
	}
	return nil
}

// rocAUC is the area under the ROC polyline from (0, 0), by the trapezoid rule.
func (c *curve) rocAUC() float64 {
	area := 0.0
	prevTPR, prevFPR := 0.0, 0.0
	for n := range c.score {
		tpr := float64(c.tp[n]) / float64(c.pos)
		fpr := float64(c.fp[n]) / float64(c.neg)
		area += (fpr - prevFPR) * (tpr + prevTPR) / 2
		prevTPR, prevFPR = tpr, fpr
	}
	return area
}

// averagePrecision is Σ (R_n − R_{n−1}) P_n over the distinct thresholds, without interpolation.
func (c *curve) averagePrecision() float64 {
	ap := 0.0
	prevRecall := 0.0
	for n := range c.score {
		recall := float64(c.tp[n]) / float64(c.pos)
		precision := float64(c.tp[n]) / float64(c.tp[n]+c.fp[n])
		ap += (recall - prevRecall) * precision
		prevRecall = recall
	}
	return ap
}

// eer is the equal error rate: where the ROC polyline (from (0, 0)) crosses FNR = FPR, by linear
// interpolation between the first point with FNR − FPR <= 0 and the point before it.
func (c *curve) eer() float64 {
	prevFPR, prevFNR := 0.0, 1.0
	for n := range c.score {
		fpr := float64(c.fp[n]) / float64(c.neg)
		fnr := 1 - float64(c.tp[n])/float64(c.pos)
		if d := fnr - fpr; d <= 0 {
			d0 := prevFNR - prevFPR
			t := d0 / (d0 - d)
			return prevFPR + t*(fpr-prevFPR)
		}
		prevFPR, prevFNR = fpr, fnr
	}
	return math.NaN() // Unreachable: the last point has FNR = 0 and FPR = 1.
}

// ROCAUC returns the area under the ROC curve (scikit-learn's roc_auc_score): the probability
// that a random matching pair scores as more alike than a random non-matching one, ties counting
// one half. It is an error when all pairs have the same label.
func ROCAUC(p ScoredPairs) (float64, error) {
	c, err := newCurve(p)
	if err != nil {
		return 0, err
	}
	if err := c.needBoth("ROC-AUC"); err != nil {
		return 0, err
	}
	return c.rocAUC(), nil
}

// AveragePrecision returns the average precision of ranking the matching pairs first
// (scikit-learn's average_precision_score): Σ (R_n − R_{n−1}) P_n over the distinct scores, with no
// interpolation. It is an error when no pair matches; when every pair matches it is 1.
func AveragePrecision(p ScoredPairs) (float64, error) {
	c, err := newCurve(p)
	if err != nil {
		return 0, err
	}
	if c.pos == 0 {
		return 0, errors.New("eval: average precision is undefined without any matching pair")
	}
	return c.averagePrecision(), nil
}

// EER returns the equal error rate: the rate at which false matches (FMR, the ROC's FPR) equal
// false non-matches (FNMR = 1 − TPR), interpolated linearly on the ROC curve of scikit-learn's
// roc_curve. It is an error when all pairs have the same label.
func EER(p ScoredPairs) (float64, error) {
	c, err := newCurve(p)
	if err != nil {
		return 0, err
	}
	if err := c.needBoth("EER"); err != nil {
		return 0, err
	}
	return c.eer(), nil
}

// FNMRAtFMR returns the false non-match rate at the loosest threshold whose false match rate is at
// most fmr: among the thresholds at every distinct score (and the one that matches nothing), the
// lowest similarity (highest distance) threshold with FMR <= fmr, and the fraction of matching
// pairs it rejects there. Ties are never split: a threshold takes all pairs of a score or none, so
// the FMR reached may be below fmr. fmr must lie in [0, 1]; it is an error when all pairs have the
// same label.
func FNMRAtFMR(p ScoredPairs, fmr float64) (float64, error) {
	if !(fmr >= 0 && fmr <= 1) {
		return 0, fmt.Errorf("eval: FMR must be within [0, 1], got %v", fmr)
	}
	c, err := newCurve(p)
	if err != nil {
		return 0, err
	}
	if err := c.needBoth("FNMR@FMR"); err != nil {
		return 0, err
	}
	return c.fnmrAtFMR(fmr), nil
}

// fnmrAtFMR is FNMRAtFMR on a checked curve.
func (c *curve) fnmrAtFMR(fmr float64) float64 {
	tp := 0 // The threshold that matches nothing.
	for n := range c.score {
		if float64(c.fp[n])/float64(c.neg) > fmr {
			break
		}
		tp = c.tp[n]
	}
	return 1 - float64(tp)/float64(c.pos)
}

// VerificationSummary holds the threshold-free verification metrics of a set of scored pairs.
type VerificationSummary struct {
	// Pairs, Matching and NonMatching count the pairs.
	Pairs, Matching, NonMatching int
	// ROCAUC is the area under the ROC curve (see ROCAUC).
	ROCAUC float64
	// AveragePrecision is the non-interpolated average precision (see AveragePrecision).
	AveragePrecision float64
	// EER is the equal error rate (see EER).
	EER float64
	// FNMRAtFMR maps each requested FMR to the FNMR there (see FNMRAtFMR).
	FNMRAtFMR map[float64]float64
}

// Summarize returns ROC-AUC, average precision, EER and the FNMR at each of fmrs, sorting the
// scores once. It is an error when all pairs have the same label, or an FMR is outside [0, 1].
func Summarize(p ScoredPairs, fmrs ...float64) (*VerificationSummary, error) {
	for _, f := range fmrs {
		if !(f >= 0 && f <= 1) {
			return nil, fmt.Errorf("eval: FMR must be within [0, 1], got %v", f)
		}
	}
	c, err := newCurve(p)
	if err != nil {
		return nil, err
	}
	if err := c.needBoth("verification"); err != nil {
		return nil, err
	}
	s := &VerificationSummary{
		Pairs: c.pos + c.neg, Matching: c.pos, NonMatching: c.neg,
		ROCAUC: c.rocAUC(), AveragePrecision: c.averagePrecision(), EER: c.eer(),
		FNMRAtFMR: map[float64]float64{},
	}
	for _, f := range fmrs {
		s.FNMRAtFMR[f] = c.fnmrAtFMR(f)
	}
	return s, nil
}
