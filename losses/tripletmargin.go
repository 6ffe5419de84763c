package losses

import (
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/reducers"
)

// TripletMargin is PML's TripletMarginLoss (Weinberger & Saul, 2009; Schroff et al., 2015): for each
// triplet (a, p, n) of a positive pair (a, p) and a negative pair (a, n) with the same anchor,
//
//	relu(d_ap − d_an + Margin)      (softplus(d_ap − d_an + Margin) when SmoothLoss)
//
// (with a similarity, PML's margin() flips the signs: s_an − s_ap + Margin). With Swap, d_an is
// replaced by min(d_an, d_pn), the distance from n to the closer of a and p (max for a similarity).
// The triplets are all of them, PML's triplets_per_anchor="all": every positive pair times every
// negative pair of the same anchor, a triplet counted with the product of the two pairs'
// multiplicities (PML's convert_to_triplets of a pair selection). PML's random sampling of an integer
// triplets_per_anchor is not supported (select pairs instead); nor is an exact list of triplets, which
// Pos/Neg cannot express (TripletWeights turns triplets into pairs, as PML's convert_to_pairs does).
//
// Terms: the triplets of anchor i are the row i of an [N, M·M] "pos_pair" term, entry (i, p·M + n), so
// that reducers see one row per anchor (PerAnchorReducer averages an anchor's triplets,
// ClassWeightedReducer weights by the anchor's class).
//
// Computation: Compute never materializes the triplets. Each anchor row combines every entry of its
// smaller side (its positives, or its negatives when it has more positives than negatives) with the
// whole row, in a loop whose trip count is the batch's K = max_i min(|P(i)|, |N(i)|) (1 for two
// samples per class), reducing the triplets to a per-anchor sum and weight for the reducer as it
// goes, with a hand-written gradient accumulated in the same loop (see tripletSums): O(N·M·K) time,
// O(N·M) memory, exact value and gradient. PML materializes all N·M² triplets (and their index lists).
// This path needs Swap false and a reducer of this repository that selects triplets by their own value
// (Mean, Sum, AvgNonZero, Threshold, ClassWeighted, PerAnchor, and MultipleReducers of them); explicit
// pair weights are multiplicities there (entries ≤ 0 select nothing, and the weights get no gradient).
//
// Otherwise (Swap, another reducer), and always in Terms, the triplets of a block of rows are a
// [rows, M, M] tensor: Compute goes block by block (exact value and gradient, see
// Options.BlockRows) with rows chosen so that rows·M² stays near 4M entries when BlockRows is 0:
// O(rows·M²) memory, and never less than one anchor's M² triplets, O(N·M²) time. With Swap, every
// block also computes the [M, M] reference-to-reference matrix: O(M²·D) more work per block.
//
// Deliberate difference from PML: with references (Inputs.Ref), Swap's d_pn is the distance between
// the references p and n; PML indexes its query × reference matrix with the reference index p as a
// query index, mixing the two index spaces. Without Ref, the two agree.
//
// Defaults (NewTripletMargin): Margin 0.05, Swap false, SmoothLoss false, LpDistance (normalized,
// p=2), AvgNonZeroReducer (over triplets).
type TripletMargin struct {
	Options
	Margin           float64
	Swap, SmoothLoss bool
}

// NewTripletMargin returns TripletMarginLoss with PML's defaults.
func NewTripletMargin() *TripletMargin {
	return &TripletMargin{Options: defaultOptions(distances.NewLpDistance(), reducers.AvgNonZeroReducer{}), Margin: 0.05}
}

// Terms implements TermsLoss: one "loss" term per triplet, shaped [N, M·M] (one block, O(N·M²) memory).
func (l *TripletMargin) Terms(in Inputs) []reducers.SubLoss {
	return l.terms(in, "TripletMarginLoss", l.block)
}

// Compute implements PlainLoss: anchor by anchor without Swap, else block by block for large inputs (see
// the type's documentation).
func (l *TripletMargin) Compute(in Inputs) *graph.Node {
	if v := onHost(l, in); v != nil {
		return v
	}
	if keep, ok := l.fast(); ok {
		return l.compute(in, "TripletMarginLoss", l.fastBlock(keep))
	}
	o := l.Options
	if o.BlockRows == 0 {
		o.BlockRows = tripletBlockRows(in)
	}
	return o.compute(in, "TripletMarginLoss", l.block)
}

// tripletBlockRows returns the number of rows whose [rows, M, M] triplets make about 4M entries (at
// least 1), or 0 when the inputs are invalid (resolve then says why).
func tripletBlockRows(in Inputs) int {
	ref := in.Ref
	if ref == nil {
		ref = in.Embeddings
	}
	if ref == nil || ref.Rank() != 2 {
		return 0
	}
	m := ref.Shape().Dimensions[0]
	return max(1, autoBlockEntries/max(1, m*m))
}

// fast returns the reducer's selection when Compute can use the pivot loop (tripletSums): without
// Swap, with a reducer it knows.
func (l *TripletMargin) fast() (keepRule, bool) {
	if l.Swap {
		return keepRule{}, false
	}
	return keepRuleFor(l.Reducer, "loss")
}

// fastBlock computes a block's triplets anchor by anchor (tripletSums): one [rows, 1] pair term whose
// reduction is that of the [rows, M·M] triplet term.
func (l *TripletMargin) fastBlock(keep keepRule) blockFn {
	return func(p queryBlock) blockResult {
		d := l.Distance.Matrix(p.q, p.ref)
		rowSum, rowCount := tripletSums(d, p, l.Distance.IsInverted(), l.Margin, l.SmoothLoss, keep)
		return blockResult{terms: []reducers.SubLoss{rowTerms("loss", rowSum, rowCount, p.anchorLabels)}}
	}
}

func (l *TripletMargin) block(p queryBlock) blockResult {
	d := l.Distance
	mat := d.Matrix(p.q, p.ref)
	rows, m := mat.Shape().Dimensions[0], mat.Shape().Dimensions[1]
	ap := graph.InsertAxes(mat, -1) // [rows, M, 1]: d(a, p).
	an := graph.InsertAxes(mat, 1)  // [rows, 1, M]: d(a, n).
	if l.Swap {
		pn := graph.InsertAxes(d.Matrix(p.ref, p.ref), 0) // [1, M, M]: d(p, n).
		an = graph.BroadcastToDims(an, rows, m, m)
		pn = graph.BroadcastToDims(pn, rows, m, m)
		an = graph.Where(distances.Closer(d, pn, an), pn, an) // PML's smallest_dist.
	}
	violation := graph.AddScalar(distances.Margin(d, ap, an), l.Margin)
	violation = graph.BroadcastToDims(violation, rows, m, m)
	var perTriplet *graph.Node
	if l.SmoothLoss {
		perTriplet = softplus(violation)
	} else {
		perTriplet = relu(violation)
	}
	weights := graph.Mul(graph.InsertAxes(p.pos, -1), graph.InsertAxes(p.neg, 1)) // [rows, M, M]
	terms := []reducers.SubLoss{{
		Name: "loss", Kind: reducers.PosPair,
		Losses:       graph.Reshape(perTriplet, rows, m*m),
		Weights:      graph.Reshape(weights, rows, m*m),
		AnchorLabels: p.anchorLabels,
	}}
	return blockResult{terms: terms}
}
