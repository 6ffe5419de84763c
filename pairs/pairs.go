package pairs

import (
	"fmt"

	. "github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/losses"
)

// Mode is how a batch of labeled pairs becomes a loss's inputs.
type Mode int

const (
	// Explicit uses only the given pairs: positives where y=1, negatives where y=0.
	Explicit Mode = iota
	// LabelConstruction gives both sides of a positive pair one label and every other embedding a
	// label of its own, so that every other cross pair in the batch is a negative.
	LabelConstruction
	// PositivesOnly treats every pair as positive and every other cross pair as a negative
	// (SelfSupervisedLoss).
	PositivesOnly
)

// Batch is a batch of B labeled pairs on the host: Y[i] ∈ {0, 1} says whether side 1 item i and side
// 2 item i are the same. IDs1 and IDs2 are optional stable item ids (both or neither), so that an item
// that occurs in several pairs of the batch is not a negative of itself.
type Batch struct {
	Y          []int
	IDs1, IDs2 []string
}

// Labels returns the [2B] labels of the label construction for b (side 1 first, then side 2).
func (b Batch) Labels() ([]int32, error) {
	return nil, fmt.Errorf("pairs: not implemented yet")
}

// Loss returns the scalar loss l of a batch of B pairs under mode. e1 and e2 are the two sides'
// embeddings [B, D] from one shared encoder; y are the pair labels [B] (integer 0/1); labels are the
// [2B] labels from Batch.Labels, read by LabelConstruction and PositivesOnly (nil: every item distinct).
func Loss(l losses.Loss, mode Mode, e1, e2, y, labels *Node) *Node {
	panic("pairs.Loss: not implemented yet")
}
