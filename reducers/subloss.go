package reducers

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/internal/gmath"
)

// Kind says what the entries of a SubLoss are, PML's reduction_type.
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

// SubLoss is one sub-loss before reduction (an entry of PML's loss dict), in static-shape form: PML
// lists the selected pairs' losses; gometric keeps the whole [N, M] matrix of losses and a matrix of
// Weights that says how many times each pair was selected (0: not selected).
type SubLoss struct {
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

// Terms is the former name of SubLoss.
//
// Deprecated: use SubLoss.
type Terms = SubLoss

// weights returns t.Weights, or ones shaped like t.Losses.
func (t SubLoss) weights() *graph.Node {
	if t.Weights == nil {
		return graph.OnesLike(t.Losses)
	}
	return graph.ConvertDType(t.Weights, t.Losses.DType())
}

// Reducer turns one SubLoss into a scalar loss, as PML's reducers do.
type Reducer interface {
	// Reduce returns the scalar loss of t.
	Reduce(t SubLoss) *graph.Node
}

// ReduceAll reduces each sub-loss with r and sums the results, PML's MultipleReducers behaviour for a
// loss with several sub-losses (each sub-loss gets its own copy of the reducer).
func ReduceAll(r Reducer, terms []SubLoss) *graph.Node {
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

func reduceOne(r Reducer, t SubLoss) *graph.Node {
	if t.Kind == AlreadyReduced {
		return t.Losses
	}
	return ReducerFor(r, t.Name).Reduce(t)
}

// Partial is a sub-loss reduced to a sum and a count, whose ratio is the reduced loss. Sums and counts
// of disjoint blocks of rows add up, which lets a loss be computed block by block (see package
// losses): the count of every reducer here is piecewise constant in the losses, so the gradient of the
// loss is the sum of the blocks' gradients divided by the total count.
type Partial struct {
	// Sum is the scalar weighted sum of the kept entries.
	Sum *graph.Node
	// Count is the scalar the total Sum is divided by; nil means 1 (no division).
	Count *graph.Node
}

// Value returns Sum / Count, or 0 when Count is 0 (with a zero gradient).
func (p Partial) Value() *graph.Node {
	if p.Count == nil {
		return p.Sum
	}
	return gmath.SafeDiv(p.Sum, p.Count) // An empty selection gives PML's zero loss, with a zero gradient.
}

// Add returns the partial of the union of two disjoint blocks.
func (p Partial) Add(q Partial) Partial {
	out := Partial{Sum: graph.Add(p.Sum, q.Sum)}
	if p.Count != nil {
		out.Count = graph.Add(p.Count, q.Count)
	}
	return out
}

// Decomposable is a Reducer whose result is a Partial's Value, so that it can reduce a loss computed
// block by block. Every reducer of this package is, except DivisorReducer and DoNothingReducer.
type Decomposable interface {
	Reducer
	// Partial returns the sum and count of t's kept entries.
	Partial(t SubLoss) Partial
}

// weightedPartial returns Σ w·l and Σ w over the entries selected by keep (nil: all).
func weightedPartial(losses, w, keep *graph.Node) Partial {
	if keep != nil {
		w = graph.Where(keep, w, gmath.Zero(w))
	}
	num := graph.ReduceAllSum(graph.Where(graph.GreaterThan(w, gmath.Zero(w)), graph.Mul(w, losses), gmath.Zero(losses)))
	return Partial{Sum: num, Count: graph.ReduceAllSum(w)}
}

// ReducerFor returns the reducer r applies to the sub-loss called name: r itself, or for
// MultipleReducers the one registered for the name.
func ReducerFor(r Reducer, name string) Reducer {
	if m, ok := r.(*MultipleReducers); ok {
		return m.ReducerFor(name)
	}
	return r
}

// PartialOf returns the Partial of t under r (the reducer for t's name), and false when that reducer
// cannot reduce block by block. Already-reduced terms are their own sum.
func PartialOf(r Reducer, t SubLoss) (Partial, bool) {
	if t.Kind == AlreadyReduced {
		return Partial{Sum: t.Losses}, true
	}
	red := ReducerFor(r, t.Name)
	if !IsDecomposable(red) {
		return Partial{}, false
	}
	return red.(Decomposable).Partial(t), true
}

// IsDecomposable reports whether r reduces through Partial sums and counts, which a loss computed
// block by block needs: for MultipleReducers, whether every reducer it holds does; for
// PerAnchorReducer, whether its inner reducer does.
func IsDecomposable(r Reducer) bool {
	switch red := r.(type) {
	case *MultipleReducers:
		for _, sub := range red.ByName {
			if !IsDecomposable(sub) {
				return false
			}
		}
		return red.Default == nil || IsDecomposable(red.Default)
	case *PerAnchorReducer:
		return red.IsDecomposable()
	case Decomposable:
		return true
	}
	return false
}
