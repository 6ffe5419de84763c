package encoders

import (
	"fmt"
	"math"

	"github.com/gometric/gometric/mat"
)

// Normalizer is the input normalisation an encoder was trained with: feature j becomes
// (x_j − Mean[j]) / Scale[j]. The zero Normalizer (no Mean, no Scale) leaves features unchanged.
// It is stored with a trained model, so that raw inputs given later are normalised the same way.
type Normalizer struct {
	// Mean holds one value per feature, or is empty for no centering.
	Mean []float32 `json:"mean,omitempty"`
	// Scale holds one positive value per feature, or is empty for no scaling.
	Scale []float32 `json:"scale,omitempty"`
}

// MinScaleFraction bounds FitStandard's per-feature scale from below, as a fraction of the mean
// standard deviation over all features, so that near-constant features (such as always-blank
// pixels) are not blown up.
const MinScaleFraction = 0.1

// FitStandard returns the standardisation of x's features: each feature's mean and standard
// deviation over the rows of x, the deviation floored at MinScaleFraction times the mean deviation
// (and at a tiny positive value).
func FitStandard(x *mat.Dense) Normalizer {
	n := Normalizer{Mean: make([]float32, x.Cols), Scale: make([]float32, x.Cols)}
	if x.Rows == 0 {
		for j := range n.Scale {
			n.Scale[j] = 1
		}
		return n
	}
	mean := make([]float64, x.Cols)
	for i := range x.Rows {
		for j, v := range x.Row(i) {
			mean[j] += float64(v)
		}
	}
	for j := range mean {
		mean[j] /= float64(x.Rows)
	}
	variance := make([]float64, x.Cols)
	for i := range x.Rows {
		for j, v := range x.Row(i) {
			d := float64(v) - mean[j]
			variance[j] += d * d
		}
	}
	meanStd := 0.0
	for j := range variance {
		variance[j] = math.Sqrt(variance[j] / float64(x.Rows))
		meanStd += variance[j]
	}
	meanStd /= float64(max(x.Cols, 1))
	floor := math.Max(MinScaleFraction*meanStd, 1e-6)
	for j := range mean {
		n.Mean[j] = float32(mean[j])
		n.Scale[j] = float32(math.Max(variance[j], floor))
	}
	return n
}

// FitGlobal returns one standardisation for all of x's features: every feature is centred on the
// mean of all values of x and divided by their standard deviation (1 when x is constant). It keeps
// the relative scale of the features, which suits pixels.
func FitGlobal(x *mat.Dense) Normalizer {
	n := Normalizer{Mean: make([]float32, x.Cols), Scale: make([]float32, x.Cols)}
	mean, sq := 0.0, 0.0
	for _, v := range x.Data {
		mean += float64(v)
	}
	if len(x.Data) > 0 {
		mean /= float64(len(x.Data))
	}
	for _, v := range x.Data {
		d := float64(v) - mean
		sq += d * d
	}
	std := 1.0
	if len(x.Data) > 0 && sq > 0 {
		std = math.Sqrt(sq / float64(len(x.Data)))
	}
	for j := range n.Mean {
		n.Mean[j], n.Scale[j] = float32(mean), float32(std)
	}
	return n
}

// Validate checks that Mean and Scale are empty or have dim values, and that scales are positive
// and finite.
func (n Normalizer) Validate(dim int) error {
	if len(n.Mean) != 0 && len(n.Mean) != dim {
		return fmt.Errorf("normaliser has %d means for %d features", len(n.Mean), dim)
	}
	if len(n.Scale) != 0 && len(n.Scale) != dim {
		return fmt.Errorf("normaliser has %d scales for %d features", len(n.Scale), dim)
	}
	for j, s := range n.Scale {
		if !(s > 0) || math.IsInf(float64(s), 0) {
			return fmt.Errorf("normaliser scale %d is %v, want a positive number", j, s)
		}
	}
	for j, m := range n.Mean {
		if math.IsNaN(float64(m)) || math.IsInf(float64(m), 0) {
			return fmt.Errorf("normaliser mean %d is %v", j, m)
		}
	}
	return nil
}

// Apply returns a normalised copy of x. x must have as many columns as the normaliser has
// features (any number when it is the zero Normalizer).
func (n Normalizer) Apply(x *mat.Dense) (*mat.Dense, error) {
	if err := n.Validate(x.Cols); err != nil {
		return nil, err
	}
	out := &mat.Dense{Rows: x.Rows, Cols: x.Cols, Data: make([]float32, len(x.Data))}
	copy(out.Data, x.Data)
	if len(n.Mean) == 0 && len(n.Scale) == 0 {
		return out, nil
	}
	for i := range out.Rows {
		row := out.Row(i)
		for j := range row {
			if len(n.Mean) != 0 {
				row[j] -= n.Mean[j]
			}
			if len(n.Scale) != 0 {
				row[j] /= n.Scale[j]
			}
		}
	}
	return out, nil
}
