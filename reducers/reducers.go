package reducers

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/internal/gmath"
)

// MeanReducer averages the selected entries (each counted by its weight): PML's MeanReducer. An empty
// selection gives 0 with a zero gradient.
type MeanReducer struct{}

// Reduce implements Reducer.
func (r MeanReducer) Reduce(t SubLoss) *graph.Node { return r.Partial(t).Value() }

// Partial implements Decomposable.
func (MeanReducer) Partial(t SubLoss) Partial { return weightedPartial(t.Losses, t.weights(), nil) }

// SumReducer sums the selected entries: PML's SumReducer.
type SumReducer struct{}

// Reduce implements Reducer.
func (r SumReducer) Reduce(t SubLoss) *graph.Node { return r.Partial(t).Value() }

// Partial implements Decomposable: the sum, with no count.
func (SumReducer) Partial(t SubLoss) Partial {
	return Partial{Sum: weightedPartial(t.Losses, t.weights(), nil).Sum}
}

// ThresholdReducer averages the entries strictly above Low and strictly below High (a nil bound is not
// applied): PML's ThresholdReducer. No surviving entry gives 0.
type ThresholdReducer struct {
	Low, High *float64
}

// NewThresholdReducer returns a ThresholdReducer; pass nil for a bound that is not used. At least one
// bound must be set.
func NewThresholdReducer(low, high *float64) (*ThresholdReducer, error) {
	if low == nil && high == nil {
		return nil, fmt.Errorf("ThresholdReducer: at least one of low and high must be set")
	}
	return &ThresholdReducer{Low: low, High: high}, nil
}

// Reduce implements Reducer.
func (r *ThresholdReducer) Reduce(t SubLoss) *graph.Node { return r.Partial(t).Value() }

// Partial implements Decomposable.
func (r *ThresholdReducer) Partial(t SubLoss) Partial {
	g, dt := t.Losses.Graph(), t.Losses.DType()
	var keep *graph.Node
	and := func(c *graph.Node) {
		if keep == nil {
			keep = c
		} else {
			keep = graph.LogicalAnd(keep, c)
		}
	}
	if r.Low != nil {
		and(graph.GreaterThan(t.Losses, graph.Scalar(g, dt, *r.Low)))
	}
	if r.High != nil {
		and(graph.LessThan(t.Losses, graph.Scalar(g, dt, *r.High)))
	}
	return weightedPartial(t.Losses, t.weights(), keep)
}

// AvgNonZeroReducer averages the strictly positive entries: PML's AvgNonZeroReducer
// (ThresholdReducer with low=0). Like PML it drops negative losses as well as zeros.
type AvgNonZeroReducer struct{}

// Reduce implements Reducer.
func (r AvgNonZeroReducer) Reduce(t SubLoss) *graph.Node { return r.Partial(t).Value() }

// Partial implements Decomposable.
func (AvgNonZeroReducer) Partial(t SubLoss) Partial {
	return weightedPartial(t.Losses, t.weights(), graph.GreaterThan(t.Losses, gmath.Zero(t.Losses)))
}

// DivisorReducer divides the sum of the selected entries by SubLoss.Divisor: PML's DivisorReducer. A
// zero divisor gives 0.
type DivisorReducer struct{}

// Reduce implements Reducer.
func (DivisorReducer) Reduce(t SubLoss) *graph.Node {
	if t.Divisor == nil {
		panic(fmt.Sprintf("DivisorReducer: sub-loss %q has no divisor", t.Name))
	}
	sum := SumReducer{}.Partial(t).Sum
	return gmath.SafeDiv(sum, graph.ConvertDType(t.Divisor, sum.DType()))
}

// ClassWeightedReducer is PML's ClassWeightedReducer: the mean of loss·Weights[label of the anchor].
// For pair terms the anchor is the row (query) of the pair.
type ClassWeightedReducer struct {
	// Weights holds one weight per class id (labels must be in [0, len(Weights))).
	Weights []float64
}

// Reduce implements Reducer.
func (r *ClassWeightedReducer) Reduce(t SubLoss) *graph.Node { return r.Partial(t).Value() }

// Partial implements Decomposable.
func (r *ClassWeightedReducer) Partial(t SubLoss) Partial {
	if t.AnchorLabels == nil {
		panic(fmt.Sprintf("ClassWeightedReducer: sub-loss %q has no anchor labels (labels are required)", t.Name))
	}
	g := t.Losses.Graph()
	cw := graph.Const(g, r.Weights)
	cw = graph.ConvertDType(cw, t.Losses.DType())
	labels := graph.ConvertDType(t.AnchorLabels, graph.Const(g, int32(0)).DType())
	perAnchor := graph.Gather(cw, graph.InsertAxes(labels, -1)) // [N]
	if t.Losses.Rank() == 2 {
		perAnchor = graph.InsertAxes(perAnchor, -1)
	}
	return weightedPartial(graph.Mul(t.Losses, perAnchor), t.weights(), nil)
}

// PerAnchorReducer first aggregates each anchor's pair losses into one value per anchor with
// Aggregation (default MeanAggregation: the average over its selected pairs, 0 for an anchor with
// none), then reduces the per-anchor vector with Inner (default MeanReducer): PML's PerAnchorReducer,
// with its aggregation_func. Element terms go straight to Inner.
//
// Aggregation receives, like PML's aggregation_func(x, num_per_row), the [N, M] losses with zeros at
// the pairs not selected (a pair selected k times contributes k·loss) and the [N] number of selected
// pairs per row, and returns the [N] per-anchor values. It must compute each row from that row alone
// (PML's functions do), since a loss computed block by block hands it a block of rows at a time. It is
// a Go function, so specs cannot set it (as PML's is a Python callable).
type PerAnchorReducer struct {
	Inner       Reducer
	Aggregation func(x, numPerRow *graph.Node) *graph.Node
}

// MeanAggregation is PML's default aggregation_func: Σ_j x[i, j] / numPerRow[i], 0 where numPerRow[i]
// is 0 (with a zero gradient).
func MeanAggregation(x, numPerRow *graph.Node) *graph.Node {
	return gmath.SafeDiv(graph.ReduceSum(x, 1), numPerRow)
}

// Reduce implements Reducer.
func (r *PerAnchorReducer) Reduce(t SubLoss) *graph.Node { return r.inner().Reduce(r.perAnchor(t)) }

// Partial implements Decomposable when Inner does (per-anchor averages only need their own row).
func (r *PerAnchorReducer) Partial(t SubLoss) Partial {
	d, ok := r.inner().(Decomposable)
	if !ok {
		panic(fmt.Sprintf("PerAnchorReducer: inner reducer %T cannot reduce block by block", r.inner()))
	}
	return d.Partial(r.perAnchor(t))
}

// IsDecomposable reports whether Partial can be used: whether Inner is Decomposable.
func (r *PerAnchorReducer) IsDecomposable() bool {
	_, ok := r.inner().(Decomposable)
	return ok
}

func (r *PerAnchorReducer) inner() Reducer {
	if r.Inner == nil {
		return MeanReducer{}
	}
	return r.Inner
}

// perAnchor turns pair terms into the element terms of each anchor's average.
func (r *PerAnchorReducer) perAnchor(t SubLoss) SubLoss {
	if t.Kind == Element {
		return t
	}
	w := t.weights()
	x := graph.Where(graph.GreaterThan(w, gmath.Zero(w)), graph.Mul(w, t.Losses), gmath.Zero(w))
	agg := r.Aggregation
	if agg == nil {
		agg = MeanAggregation
	}
	return SubLoss{Name: t.Name, Kind: Element, Losses: agg(x, graph.ReduceSum(w, 1)), AnchorLabels: t.AnchorLabels}
}

// DoNothingReducer marks a loss whose terms the caller reduces itself: use the loss's Terms method.
// Reduce panics, since there is no scalar to return.
type DoNothingReducer struct{}

// Reduce panics: with DoNothingReducer, call the loss's Terms method instead of Compute.
func (DoNothingReducer) Reduce(t SubLoss) *graph.Node {
	panic(fmt.Sprintf("DoNothingReducer cannot reduce sub-loss %q: call the loss's Terms method and reduce the terms yourself", t.Name))
}

// MultipleReducers reduces each sub-loss with the reducer named after it in ByName, or Default
// (MeanReducer when nil), and sums the results: PML's MultipleReducers.
type MultipleReducers struct {
	ByName  map[string]Reducer
	Default Reducer
}

func (r *MultipleReducers) reducerFor(name string) Reducer {
	if red, ok := r.ByName[name]; ok {
		return red
	}
	if r.Default != nil {
		return r.Default
	}
	return MeanReducer{}
}

// Reduce reduces one sub-loss with the reducer registered for its name.
func (r *MultipleReducers) Reduce(t SubLoss) *graph.Node { return r.reducerFor(t.Name).Reduce(t) }

// ReducerFor returns the reducer used for the sub-loss called name.
func (r *MultipleReducers) ReducerFor(name string) Reducer { return r.reducerFor(name) }
