package miners_test

import (
	"encoding/json"
	"math"
	"os"
	"reflect"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/internal/testutil"
	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/miners"
)

// TestEmbeddingsAlreadyPackagedAsTriplets compares the miner, built through Parse from PML's class
// name, with PML's selections (testdata/packaged-triplets-pml.json, written by
// testdata/gen_packaged_triplets.py): the triplets as a mask and as pair weights, with and without
// Ref, the TripletMarginLoss it feeds (value and gradient at 1e-9), and PML's failure on a batch that
// is not whole triplets.
func TestEmbeddingsAlreadyPackagedAsTriplets(t *testing.T) {
	data, err := os.ReadFile("testdata/packaged-triplets-pml.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []struct {
			Name          string      `json:"name"`
			Embeddings    [][]float64 `json:"embeddings"`
			Labels        []int       `json:"labels"`
			RefEmbeddings [][]float64 `json:"ref_embeddings"`
			RefLabels     []int       `json:"ref_labels"`
			Triplets      [][]int     `json:"triplets"`
			Error         string      `json:"error"`
			Loss          *float64    `json:"triplet_margin_loss"`
			Grad          [][]float64 `json:"grad"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) != 3 {
		t.Fatalf("%d cases, want 3", len(f.Cases))
	}
	m, err := miners.Parse("EmbeddingsAlreadyPackagedAsTriplets()")
	if err != nil {
		t.Fatal(err)
	}
	tm := m.(miners.TripletMiner)
	for _, c := range f.Cases {
		t.Run(c.Name, func(t *testing.T) {
			inputs := []any{c.Embeddings}
			if c.RefEmbeddings != nil {
				inputs = append(inputs, c.RefEmbeddings)
			}
			outs, err := testutil.Exec(func(in []*graph.Node) []*graph.Node {
				g := in[0].Graph()
				li := losses.Inputs{Embeddings: in[0], Labels: graph.Const(g, c.Labels)}
				if len(in) > 1 {
					li.Ref, li.RefLabels = in[1], graph.Const(g, c.RefLabels)
				}
				pos, neg := m.Mine(li)
				tp, tn := miners.TripletPairs(tm.MineTriplets(li), in[0].DType())
				out := []*graph.Node{pos, neg, tp, tn}
				if len(in) == 1 {
					loss := losses.NewTripletMargin().Compute(miners.Apply(m, li))
					out = append(out, loss, graph.Gradient(loss, in[0])[0])
				}
				return out
			}, inputs...)
			if c.Error != "" {
				if err == nil {
					t.Fatalf("PML fails (%s), the miner does not", c.Error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var wantPos, wantNeg [][2]int
			for _, tr := range c.Triplets {
				wantPos = append(wantPos, [2]int{tr[0], tr[1]})
				wantNeg = append(wantNeg, [2]int{tr[0], tr[2]})
			}
			for i, want := range [][][2]int{wantPos, wantNeg, wantPos, wantNeg} {
				if got := pairs(outs[i].([][]float64)); !reflect.DeepEqual(got, want) {
					t.Errorf("output %d: pairs %v, want %v", i, got, want)
				}
			}
			if c.Loss == nil {
				return
			}
			if got := outs[4].(float64); math.Abs(got-*c.Loss) > 1e-9*math.Abs(*c.Loss) {
				t.Errorf("TripletMarginLoss %.17g, want %.17g", got, *c.Loss)
			}
			var diff, norm float64
			for i, row := range outs[5].([][]float64) {
				for j, x := range row {
					diff += (x - c.Grad[i][j]) * (x - c.Grad[i][j])
					norm += c.Grad[i][j] * c.Grad[i][j]
				}
			}
			if !(math.Sqrt(diff) <= 1e-9*math.Sqrt(norm)) || norm == 0 {
				t.Errorf("gradient relative error %.3g (norm %.3g)", math.Sqrt(diff/norm), math.Sqrt(norm))
			}
		})
	}
}
