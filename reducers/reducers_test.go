package reducers_test

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/internal/testutil"
	"github.com/gometric/gometric/reducers"
)

func f(v float64) *float64 { return &v }

func TestReducers(t *testing.T) {
	losses := [][]float64{{0, 0.5, 2}, {-1, 0.2, 3}}
	weights := [][]float64{{1, 2, 0}, {1, 1, 0}} // (0,2) and (1,2) are not selected.
	none := [][]float64{{0, 0, 0}, {0, 0, 0}}
	labels := []int32{1, 0}
	thr, _ := reducers.NewThresholdReducer(f(0.1), f(0.9))
	low, _ := reducers.NewThresholdReducer(f(0), nil)
	tests := []struct {
		name    string
		r       reducers.Reducer
		weights [][]float64
		want    float64
	}{
		// Selected entries, with multiplicity: 0, 0.5, 0.5, -1, 0.2.
		{"mean", reducers.MeanReducer{}, weights, (0 + 0.5 + 0.5 - 1 + 0.2) / 5},
		{"sum", reducers.SumReducer{}, weights, 0 + 0.5 + 0.5 - 1 + 0.2},
		{"avg_non_zero", reducers.AvgNonZeroReducer{}, weights, (0.5 + 0.5 + 0.2) / 3},
		{"threshold_low_high", thr, weights, (0.5 + 0.5 + 0.2) / 3},
		{"threshold_low_only", low, weights, (0.5 + 0.5 + 0.2) / 3},
		{"class_weighted", &reducers.ClassWeightedReducer{Weights: []float64{10, 1}}, weights, (1*(0+0.5+0.5) + 10*(-1+0.2)) / 5},
		{"per_anchor", &reducers.PerAnchorReducer{}, weights, ((0+0.5+0.5)/3 + (-1+0.2)/2) / 2},
		{"mean_empty", reducers.MeanReducer{}, none, 0},
		{"avg_non_zero_empty", reducers.AvgNonZeroReducer{}, none, 0},
		{"per_anchor_empty", &reducers.PerAnchorReducer{}, none, 0},
		{"per_anchor_mean_aggregation", &reducers.PerAnchorReducer{Aggregation: reducers.MeanAggregation}, weights, ((0+0.5+0.5)/3 + (-1+0.2)/2) / 2},
		// PML's aggregation_func gets x with the unselected pairs zeroed (k-fold pairs k·loss) and the
		// count per row: a sum aggregation gives each anchor's total.
		{"per_anchor_sum_aggregation", &reducers.PerAnchorReducer{Aggregation: func(x, _ *graph.Node) *graph.Node { return graph.ReduceSum(x, 1) }}, weights, ((0 + 0.5 + 0.5) + (-1 + 0.2)) / 2},
		{"per_anchor_count_aggregation_sum", &reducers.PerAnchorReducer{Inner: reducers.SumReducer{}, Aggregation: func(x, n *graph.Node) *graph.Node { return graph.Add(graph.ReduceSum(x, 1), n) }}, weights, (0 + 0.5 + 0.5 + 3) + (-1 + 0.2 + 2)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			loss, grads, err := testutil.LossAndGrads(func(in []*graph.Node) *graph.Node {
				return tc.r.Reduce(reducers.SubLoss{Name: "loss", Kind: reducers.PosPair, Losses: in[0], Weights: in[1], AnchorLabels: graph.Const(in[0].Graph(), labels)})
			}, losses, tc.weights)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(loss-tc.want) > 1e-12 {
				t.Errorf("got %.15g, want %.15g", loss, tc.want)
			}
			for i, row := range grads[0].([][]float64) {
				for j, g := range row {
					if math.IsNaN(g) {
						t.Errorf("NaN gradient at %d,%d", i, j)
					}
					if tc.weights[i][j] == 0 && g != 0 {
						t.Errorf("unselected entry %d,%d has gradient %g", i, j, g)
					}
				}
			}
		})
	}
}

func TestDivisorReducer(t *testing.T) {
	for _, tc := range []struct{ divisor, want float64 }{{4, 1.5}, {0, 0}} {
		loss, _, err := testutil.LossAndGrads(func(in []*graph.Node) *graph.Node {
			return reducers.DivisorReducer{}.Reduce(reducers.SubLoss{Kind: reducers.Element, Losses: in[0], Divisor: in[1]})
		}, []float64{1, 2, 3}, tc.divisor)
		if err != nil {
			t.Fatal(err)
		}
		if loss != tc.want {
			t.Errorf("divisor %g: got %g, want %g", tc.divisor, loss, tc.want)
		}
	}
}

// ReduceAll reduces each sub-loss independently and sums, and MultipleReducers picks a reducer by the
// sub-loss's name; an already-reduced term passes through untouched.
func TestReduceAllAndMultipleReducers(t *testing.T) {
	run := func(r reducers.Reducer) float64 {
		outs, err := testutil.Exec(func(in []*graph.Node) []*graph.Node {
			terms := []reducers.SubLoss{
				{Name: "pos_loss", Kind: reducers.Element, Losses: in[0]},
				{Name: "neg_loss", Kind: reducers.Element, Losses: in[1]},
				{Name: "reg", Kind: reducers.AlreadyReduced, Losses: graph.Const(in[0].Graph(), 100.0)},
			}
			return []*graph.Node{reducers.ReduceAll(r, terms)}
		}, []float64{0, 2, 4}, []float64{1, 1, 0})
		if err != nil {
			t.Fatal(err)
		}
		return outs[0].(float64)
	}
	if got, want := run(reducers.AvgNonZeroReducer{}), 3.0+1+100; got != want {
		t.Errorf("AvgNonZero per sub-loss: got %g, want %g", got, want)
	}
	multi := &reducers.MultipleReducers{ByName: map[string]reducers.Reducer{"pos_loss": reducers.SumReducer{}}}
	if got, want := run(multi), 6.0+2.0/3+100; math.Abs(got-want) > 1e-12 {
		t.Errorf("MultipleReducers: got %g, want %g", got, want)
	}
}

func TestThresholdReducerNeedsABound(t *testing.T) {
	if _, err := reducers.NewThresholdReducer(nil, nil); err == nil {
		t.Error("NewThresholdReducer(nil, nil) returned no error")
	}
}
