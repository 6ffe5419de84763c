package train

import (
	"fmt"
	"math"
	"slices"

	"github.com/gometric/gometric/mat"
)

// scaleRatioWarn is the ratio of one feature's spread to the typical feature's above which global
// normalisation (one scale for all features) would squash the other features to nothing.
const scaleRatioWarn = 1e3

// scaleWarning returns a warning when the global normalisation of x would be dominated by a few
// features: the largest per-feature standard deviation is more than scaleRatioWarn times the median
// one (of the features that vary). "" when the scales are comparable.
func scaleWarning(x *mat.Dense) string {
	if x == nil || x.Rows < 2 || x.Cols < 2 {
		return ""
	}
	std := make([]float64, x.Cols)
	for j := range x.Cols {
		mean, m2 := 0.0, 0.0
		for i := range x.Rows {
			v := float64(x.Data[i*x.Cols+j])
			d := v - mean
			mean += d / float64(i+1)
			m2 += d * (v - mean)
		}
		std[j] = math.Sqrt(m2 / float64(x.Rows))
	}
	var varying []float64
	worst := 0
	for j, s := range std {
		if s > 0 {
			varying = append(varying, s)
		}
		if s > std[worst] || math.IsInf(s, 0) || math.IsNaN(s) {
			worst = j
		}
	}
	if len(varying) < 2 {
		return ""
	}
	slices.Sort(varying)
	median := varying[len(varying)/2]
	if ratio := std[worst] / median; ratio > scaleRatioWarn || math.IsNaN(ratio) {
		return fmt.Sprintf("feature %d varies %.3g times more than the typical feature (standard deviation %.3g vs %.3g): the global normalisation scales every feature by one number and would flatten the others; use --normalize standard, or rescale that feature",
			worst+1, ratio, std[worst], median)
	}
	return ""
}
