package losses

import (
	. "github.com/gomlx/gomlx/pkg/core/graph"
)

// Inputs are what a loss is computed from: PyTorch Metric Learning's (embeddings, labels,
// indices_tuple, ref_emb, ref_labels), with static shapes. Explicit pair selections are weights
// over [N, M] instead of index lists, so a training loop compiles once whatever it selects.
type Inputs struct {
	// Embeddings are the N queries (anchors), shaped [N, D].
	Embeddings *Node
	// Labels are the N integer class labels, shaped [N]. They may be nil when Pos and Neg are given.
	Labels *Node
	// Ref are the M reference embeddings, shaped [M, D]. Nil means Embeddings, and then a query is
	// never paired with itself (the diagonal is excluded).
	Ref *Node
	// RefLabels are the M reference labels, shaped [M]. Required when Ref and Labels are both set:
	// unlike PML, gometric never silently reuses Labels for the reference side.
	RefLabels *Node
	// Pos and Neg, when set, replace the label-derived pairs (PML's indices_tuple): Pos[i, j] is how
	// many times the positive pair (query i, reference j) was selected, Neg[i, j] the same for
	// negative pairs. Shaped [N, M], any float dtype; both must be set together. See Selection for
	// building them from index lists.
	Pos, Neg *Node
}

// Loss is a metric-learning loss.
type Loss interface {
	// Compute returns the scalar loss: the reduced loss terms plus any embedding regularization.
	Compute(in Inputs) *Node
}
