package pairs

import (
	"fmt"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/losses"
)

// Mode is how a batch of labeled pairs becomes a loss's inputs. The package documentation says when to
// use which.
type Mode int

const (
	// Explicit uses only the given pairs: pair i is a positive when y[i]=1 and a negative when
	// y[i]=0, and no other comparison is made (PML's indices_tuple recipe).
	Explicit Mode = iota
	// LabelConstruction gives both sides of a positive pair one label and every other embedding a
	// label of its own, so every other cross pair in the batch is a negative (in-batch negatives).
	LabelConstruction
	// PositivesOnly treats every pair as positive, with every other cross pair a negative: PML's
	// SelfSupervisedLoss (symmetric). The batch must not contain negative pairs.
	PositivesOnly
)

var modeNames = []string{"explicit", "label-construction", "positives-only"}

// String returns the mode's command-line name.
func (m Mode) String() string {
	if m >= 0 && int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode parses a mode's name ("explicit", "label-construction", "positives-only"; "_" for "-"
// and case are accepted).
func ParseMode(s string) (Mode, error) {
	k := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "_", "-"))
	for i, n := range modeNames {
		if k == n {
			return Mode(i), nil
		}
	}
	return 0, fmt.Errorf("unknown pair mode %q (known: %s)", s, strings.Join(modeNames, ", "))
}

// ModeNames lists the modes' names.
func ModeNames() []string { return append([]string(nil), modeNames...) }

// Batch is a batch of B labeled pairs on the host: Y[i] ∈ {0, 1} says whether side-1 item i and
// side-2 item i are the same (1) or different (0). IDs1 and IDs2 are optional stable item ids (both or
// neither): an item that occurs in several pairs of the batch gets one label, so it is never a
// negative of itself, and positives are merged transitively.
type Batch struct {
	Y          []int
	IDs1, IDs2 []string
}

// Validate checks the batch for mode: a non-empty Y of 0/1 values, ids of matching lengths, no
// negative pair in PositivesOnly mode, and (with ids) no negative pair whose two items are linked
// by positive pairs. Errors name the offending pair.
func (b Batch) Validate(mode Mode) error {
	_, err := b.labels(mode)
	return err
}

// Labels returns the [2B] labels of the label construction (side 1 first, then side 2): one label per
// connected group of items linked by positive pairs (and by equal ids), numbered from 0 in order of
// first appearance.
func (b Batch) Labels() ([]int32, error) { return b.labels(LabelConstruction) }

func (b Batch) labels(mode Mode) ([]int32, error) {
	n := len(b.Y)
	if n == 0 {
		return nil, fmt.Errorf("pairs: empty batch")
	}
	if (b.IDs1 == nil) != (b.IDs2 == nil) {
		return nil, fmt.Errorf("pairs: item ids must be given for both sides or neither")
	}
	if b.IDs1 != nil && (len(b.IDs1) != n || len(b.IDs2) != n) {
		return nil, fmt.Errorf("pairs: %d pair labels but %d side-1 ids and %d side-2 ids", n, len(b.IDs1), len(b.IDs2))
	}
	for i, y := range b.Y {
		if y != 0 && y != 1 {
			return nil, fmt.Errorf("pairs: pair %d has label %d; labels must be 0 (different) or 1 (same)", i, y)
		}
		if mode == PositivesOnly && y == 0 {
			return nil, fmt.Errorf("pairs: pair %d is a negative (label 0), but mode %s takes positive pairs only", i, mode)
		}
	}
	// Union-find over the 2B items: items with equal ids are one node, positive pairs join nodes.
	parent := make([]int, 2*n)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int) {
		if ra, rb := find(a), find(b); ra != rb {
			parent[rb] = ra
		}
	}
	if b.IDs1 != nil {
		first := map[string]int{}
		for k := 0; k < 2*n; k++ {
			id := b.IDs1[k%n]
			if k >= n {
				id = b.IDs2[k-n]
			}
			if j, ok := first[id]; ok {
				union(j, k)
			} else {
				first[id] = k
			}
		}
	}
	for i, y := range b.Y {
		if y == 1 {
			union(i, n+i)
		}
	}
	for i, y := range b.Y {
		if y == 0 && find(i) == find(n+i) {
			return nil, fmt.Errorf("pairs: pair %d is labelled different (0), but its items are the same item or are linked by positive pairs", i)
		}
	}
	labels := make([]int32, 2*n)
	ids := map[int]int32{}
	for k := range labels {
		r := find(k)
		id, ok := ids[r]
		if !ok {
			id = int32(len(ids))
			ids[r] = id
		}
		labels[k] = id
	}
	return labels, nil
}

// Inputs returns the loss inputs for a batch of B pairs under mode. e1 and e2 are the two sides'
// embeddings [B, D] from one shared encoder; y are the pair labels [B] (integers 0/1), read by
// Explicit; labels are the [2B] labels from Batch.Labels, read by LabelConstruction and
// PositivesOnly (nil there: every item distinct, as in SelfSupervisedLoss).
//
//   - Explicit: embeddings concat(e1, e2), Pos[i, B+i] = y[i], Neg[i, B+i] = 1−y[i] (PML's
//     indices_tuple recipe, (P, P+B, N, N+B)).
//   - LabelConstruction and PositivesOnly: embeddings concat(e1, e2) with labels.
func Inputs(mode Mode, e1, e2, y, labels *graph.Node) losses.Inputs {
	if e1.Rank() != 2 || !e1.Shape().Equal(e2.Shape()) {
		exceptions.Panicf("pairs: both sides' embeddings must be [B, D] with the same shape, got %s and %s", e1.Shape(), e2.Shape())
	}
	b := e1.Shape().Dimensions[0]
	g := e1.Graph()
	switch mode {
	case Explicit:
		if y == nil || y.Rank() != 1 || y.Shape().Dimensions[0] != b {
			exceptions.Panicf("pairs: explicit mode needs pair labels y shaped [%d]", b)
		}
		// PML's recipe: embeddings cat(e1, e2) and the pairs (i, B+i). Every one of the 2B rows is an
		// anchor, so losses averaged per anchor count the B rows without a pair too, as PML does.
		dt := e1.DType()
		n := 2 * b
		rows := graph.Iota(g, shapes.Make(dtypes.Int32, n), 0)
		isPair := graph.Equal(graph.InsertAxes(graph.AddScalar(rows, float64(b)), -1), graph.InsertAxes(rows, 0)) // [2B, 2B]: col == row+B
		yf := graph.ConvertDType(y, dt)
		padding := graph.Zeros(g, shapes.Make(dt, b))
		posRow := graph.Concatenate([]*graph.Node{yf, padding}, 0)
		negRow := graph.Concatenate([]*graph.Node{graph.OneMinus(yf), padding}, 0)
		zero := graph.ScalarZero(g, dt)
		pos := graph.Where(isPair, graph.BroadcastToDims(graph.InsertAxes(posRow, -1), n, n), zero)
		neg := graph.Where(isPair, graph.BroadcastToDims(graph.InsertAxes(negRow, -1), n, n), zero)
		return losses.Inputs{Embeddings: graph.Concatenate([]*graph.Node{e1, e2}, 0), Pos: pos, Neg: neg}
	case LabelConstruction, PositivesOnly:
		if labels == nil {
			if mode == LabelConstruction {
				exceptions.Panicf("pairs: label-construction mode needs the [2B] labels of Batch.Labels")
			}
			ids := graph.Iota(g, shapes.Make(dtypes.Int32, b), 0)
			labels = graph.Concatenate([]*graph.Node{ids, ids}, 0)
		}
		if labels.Rank() != 1 || labels.Shape().Dimensions[0] != 2*b {
			exceptions.Panicf("pairs: labels must be [%d] (both sides), got shape %s", 2*b, labels.Shape())
		}
		return losses.Inputs{Embeddings: graph.Concatenate([]*graph.Node{e1, e2}, 0), Labels: labels}
	}
	exceptions.Panicf("pairs: unknown mode %d", int(mode))
	return losses.Inputs{}
}

// Loss returns the scalar loss l of a batch of B pairs under mode, without a context:
// l.ComputeWithContext(nil, Inputs(mode, e1, e2, y, labels)), for a loss that keeps no variables or
// state (see losses.Loss). LossWithContext passes a context.
func Loss(l losses.Loss, mode Mode, e1, e2, y, labels *graph.Node) *graph.Node {
	return LossWithContext(nil, l, mode, e1, e2, y, labels)
}

// LossWithContext returns the scalar loss l of a batch of B pairs under mode:
// l.ComputeWithContext(ctx, Inputs(mode, e1, e2, y, labels)).
func LossWithContext(ctx *context.Context, l losses.Loss, mode Mode, e1, e2, y, labels *graph.Node) *graph.Node {
	return l.ComputeWithContext(ctx, Inputs(mode, e1, e2, y, labels))
}
