package losses_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/testutil"
	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/reducers"
	"github.com/gometric/gometric/regularizers"
)

// configurable is a loss whose Options can be changed.
type configurable interface {
	losses.Loss
	options() *losses.Options
}

type contrastive struct{ *losses.Contrastive }

func (c contrastive) options() *losses.Options { return &c.Options }

type ntxent struct{ *losses.NTXent }

func (c ntxent) options() *losses.Options { return &c.Options }

type supcon struct{ *losses.SupCon }

func (c supcon) options() *losses.Options { return &c.Options }

// Computing block by block gives the value and gradients of computing in one block, for every loss,
// reducer, distance and kind of input, including a last block smaller than the others.
func TestBlockwiseMatchesOneBlock(t *testing.T) {
	const n, m, d = 10, 7, 5
	emb, ref := randEmb(11, n, d), randEmb(12, m, d)
	labels := []int32{0, 1, 2, 0, 1, 2, 3, 3, 0, 4}
	refLabels := []int32{0, 1, 2, 3, 5, 5, 0}
	pos, neg, err := losses.PairWeights(n, n, []int{0, 0, 3, 9}, []int{3, 8, 8, 2}, []int{0, 1, 1, 5}, []int{1, 2, 2, 6})
	if err != nil {
		t.Fatal(err)
	}
	low := 0.05
	thr, _ := reducers.NewThresholdReducer(&low, nil)
	reducerCases := map[string]reducers.Reducer{
		"default": nil, "mean": reducers.MeanReducer{}, "sum": reducers.SumReducer{}, "threshold": thr,
		"per_anchor": &reducers.PerAnchorReducer{}, "class_weighted": &reducers.ClassWeightedReducer{Weights: []float64{1, 2, 3, 4, 5}},
	}
	kinds := []string{"labels", "ref", "explicit"}
	makeLosses := func() map[string]configurable {
		return map[string]configurable{
			"contrastive": contrastive{losses.NewContrastive()},
			"ntxent":      ntxent{losses.NewNTXent()},
			"supcon":      supcon{losses.NewSupCon()},
		}
	}
	data := blockData{labels: labels, refLabels: refLabels, pos: pos, neg: neg}
	for lossName := range makeLosses() {
		for redName, red := range reducerCases {
			for _, kind := range kinds {
				if kind == "ref" && redName == "class_weighted" {
					continue
				}
				t.Run(fmt.Sprintf("%s/%s/%s", lossName, redName, kind), func(t *testing.T) {
					one, blocks := oneBlockAndBlocks(t, func(rows int) losses.Loss {
						l := makeLosses()[lossName]
						o := l.options()
						if red != nil {
							o.Reducer = red
						}
						o.BlockRows = rows
						if lossName == "contrastive" {
							o.Distance = &distances.LpDistance{P: 2, Power: 2, NormalizeEmbeddings: true}
						}
						if redName == "sum" {
							o.EmbeddingRegularizer = regularizers.NewLpRegularizer()
						}
						return l
					}, data.inputs(kind), emb, ref)
					if one.loss == 0 && kind != "explicit" {
						t.Fatalf("loss is 0: the case tests nothing")
					}
					checkBlocksMatch(t, one, blocks)
				})
			}
		}
	}
}

// The gradient of a blockwise loss flows on through whatever produced the embeddings (here a linear
// encoder), as the one-block loss's does.
func TestBlockwiseGradientReachesTheEncoder(t *testing.T) {
	x, w := randEmb(21, 9, 6), randEmb(22, 6, 4)
	labels := []int32{0, 0, 1, 1, 2, 2, 3, 3, 4}
	var grads [2][][]float64
	for i, rows := range []int{-1, 2} {
		l := losses.NewNTXent()
		l.BlockRows = rows
		_, g, err := testutil.LossAndGrads(func(in []*graph.Node) *graph.Node {
			emb := graph.MatMul(in[0], in[1])
			return l.Compute(losses.Inputs{Embeddings: emb, Labels: graph.Const(emb.Graph(), labels)})
		}, x, w)
		if err != nil {
			t.Fatal(err)
		}
		grads[i] = g[1].([][]float64)
	}
	for i := range grads[0] {
		for j := range grads[0][i] {
			if math.Abs(grads[0][i][j]-grads[1][i][j]) > 1e-12 || grads[0][i][j] == 0 {
				t.Fatalf("dL/dW[%d][%d]: one block %g, blocks %g", i, j, grads[0][i][j], grads[1][i][j])
			}
		}
	}
}
