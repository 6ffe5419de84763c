package train

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/miners"
)

// TupleMiner returns the mine function of PML's TuplesToWeightsSampler
// (datasets.NewTuplesToWeightsSampler) over class-labelled items: it embeds the subset with m (PML's
// tester: the model's embeddings of the items) and mines them with miner against their labels,
// returning PML's indices_tuple — (anchors, positives, negatives) for a triplet miner
// (miners.TripletMiner), else the pairs (anchors, positives, anchors, negatives), a pair listed as
// many times as its weight counts. The triplet mask takes O(N³) memory: mine subsets of up to a few
// hundred items (TuplesToWeightsConfig.SubsetSize).
func TupleMiner(m *Model, miner miners.PairMiner, items *datasets.Items) datasets.MineFunc {
	return func(subset []int) (datasets.Tuples, error) {
		if items.Labels == nil {
			return nil, fmt.Errorf("tuple miner: the items have no class labels")
		}
		emb, err := m.EmbedItems(items.Subset(subset))
		if err != nil {
			return nil, err
		}
		labels := make([]int32, len(subset))
		for k, i := range subset {
			labels[k] = int32(items.Labels[i])
		}
		x := tensors.FromFlatDataAndDimensions(emb.Data, emb.Rows, emb.Cols)
		var out []*tensors.Tensor
		err = exceptions.TryCatch[error](func() {
			out = MustExecOnceN(m.Backend(), func(e, l *Node) []*Node {
				in := losses.Inputs{Embeddings: e, Labels: l}
				if tm, ok := miner.(miners.TripletMiner); ok {
					return []*Node{ConvertDType(tm.MineTriplets(in), dtypes.Int32)}
				}
				pos, neg := miner.Mine(in)
				return []*Node{ConvertDType(pos, dtypes.Int32), ConvertDType(neg, dtypes.Int32)}
			}, x, labels)
		})
		if err != nil {
			return nil, fmt.Errorf("tuple miner: %w", err)
		}
		n := len(subset)
		if len(out) == 1 {
			return tripletTuples(tensors.MustCopyFlatData[int32](out[0]), n), nil
		}
		return pairTuples(tensors.MustCopyFlatData[int32](out[0]), tensors.MustCopyFlatData[int32](out[1]), n), nil
	}
}

// tripletTuples returns the triplets (a, p, n) of a flat [n, n, n] mask.
func tripletTuples(mask []int32, n int) datasets.Tuples {
	t := make(datasets.Tuples, 3)
	for k, v := range mask {
		if v != 0 {
			t[0] = append(t[0], k/(n*n))
			t[1] = append(t[1], k/n%n)
			t[2] = append(t[2], k%n)
		}
	}
	return t
}

// pairTuples returns the pairs (a1, p, a2, n) of flat [n, n] positive and negative pair counts.
func pairTuples(pos, neg []int32, n int) datasets.Tuples {
	t := make(datasets.Tuples, 4)
	for k := range pos {
		for range pos[k] {
			t[0], t[1] = append(t[0], k/n), append(t[1], k%n)
		}
		for range neg[k] {
			t[2], t[3] = append(t[2], k/n), append(t[3], k%n)
		}
	}
	return t
}
