package reducers

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// Kind says what the entries of a Terms are, PML's reduction_type.
type Kind int

const (
	// Element terms are one loss per anchor: Losses is [N].
	Element Kind = iota
	// PosPair terms are one loss per positive pair (query i, reference j): Losses is [N, M].
	PosPair
	// NegPair terms are one loss per negative pair: Losses is [N, M].
	NegPair
	// AlreadyReduced terms are a scalar that every reducer passes through unchanged.
	AlreadyReduced
)

// String returns PML's name for the kind.
func (k Kind) String() string {
	switch k {
	case Element:
		return "element"
	case PosPair:
		return "pos_pair"
	case NegPair:
		return "neg_pair"
	case AlreadyReduced:
		return "already_reduced"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Terms is one sub-loss before reduction (an entry of PML's loss dict), in static-shape form: PML
// lists the selected pairs' losses; gometric keeps the whole [N, M] matrix of losses and a matrix of
// Weights that says how many times each pair was selected (0: not selected).
type Terms struct {
	// Name is the sub-loss's name, as in PML ("loss", "pos_loss", "neg_loss", ...), used by
	// MultipleReducers to pick a reducer.
	Name string
	// Kind tells how to read Losses.
	Kind Kind
	// Losses holds the per-element or per-pair losses ([N] or [N, M]), or a scalar (AlreadyReduced).
	Losses *graph.Node
	// Weights has the shape of Losses: the multiplicity of each entry, 0 where the entry is not part of
	// the sub-loss. Nil means every entry counts once.
	Weights *graph.Node
	// AnchorLabels are the [N] labels of the anchors (rows), for ClassWeighted; may be nil.
	AnchorLabels *graph.Node
	// Divisor, for DivisorReducer, is the scalar the sum of the losses is divided by.
	Divisor *graph.Node
}

// weights returns t.Weights, or ones shaped like t.Losses.
func (t Terms) weights() *graph.Node {
	if t.Weights == nil {
		return graph.OnesLike(t.Losses)
	}
	return graph.ConvertDType(t.Weights, t.Losses.DType())
}

// Reducer turns the Terms of one sub-loss into a scalar loss, as PML's reducers do.
type Reducer interface {
	// Reduce returns the scalar loss of t.
	Reduce(t Terms) *graph.Node
}

// ReduceAll reduces each sub-loss with r and sums the results, PML's MultipleReducers behaviour for a
// loss with several sub-losses (each sub-loss gets its own copy of the reducer).
func ReduceAll(r Reducer, terms []Terms) *graph.Node {
	var total *graph.Node
	for _, t := range terms {
		v := reduceOne(r, t)
		if total == nil {
			total = v
		} else {
			total = graph.Add(total, v)
		}
	}
	return total
}

func reduceOne(r Reducer, t Terms) *graph.Node {
	if t.Kind == AlreadyReduced {
		return t.Losses
	}
	if m, ok := r.(*MultipleReducers); ok {
		return m.reducerFor(t.Name).Reduce(t)
	}
	return r.Reduce(t)
}

// safeDiv returns num / den where den > 0, else 0, with no NaN in the gradient: PML's "zero loss" for
// an empty selection (sum(embeddings*0)), whose gradient is zero.
func safeDiv(num, den *graph.Node) *graph.Node {
	zero := graph.ZerosLike(den)
	positive := graph.GreaterThan(den, zero)
	safe := graph.Where(positive, den, graph.OnesLike(den))
	return graph.Where(positive, graph.Div(num, safe), graph.ZerosLike(num))
}

// weightedMean returns Σ w·l / Σ w over the entries selected by keep (nil: all), 0 when nothing is
// selected.
func weightedMean(losses, w, keep *graph.Node) *graph.Node {
	if keep != nil {
		w = graph.Where(keep, w, graph.ZerosLike(w))
	}
	num := graph.ReduceAllSum(graph.Where(graph.GreaterThan(w, graph.ZerosLike(w)), graph.Mul(w, losses), graph.ZerosLike(losses)))
	return safeDiv(num, graph.ReduceAllSum(w))
}
