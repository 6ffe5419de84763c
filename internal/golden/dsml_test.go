package golden

import "github.com/gometric/gometric/losses"

// DynamicSoftMarginLoss: a golden case is one call of a fresh PML object, which Compute reproduces
// (it starts from PML's initial, all-zero histogram).
func init() {
	lossBuilders["DynamicSoftMarginLoss"] = func(p *params) (losses.Loss, *losses.Options, error) {
		l := losses.NewDynamicSoftMargin()
		l.MinVal, l.Momentum = p.float("min_val", -2), p.float("momentum", 0.01)
		l.NumBins = int(p.float("num_bins", 10))
		return l, &l.Options, nil
	}
}
