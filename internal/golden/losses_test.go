package golden

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/pairs"
)

func init() { sectionCheckers["losses"] = checkLossCase }

// lossSpec is a golden case's "spec": enough to rebuild the PML object.
type lossSpec struct {
	Loss                 string          `json:"loss"`
	Params               map[string]any  `json:"params"`
	Distance             map[string]any  `json:"distance"`
	Reducer              map[string]any  `json:"reducer"`
	EmbeddingRegularizer map[string]any  `json:"embedding_regularizer"`
	WeightRegularizer    map[string]any  `json:"weight_regularizer"`
	Wrapper              string          `json:"wrapper"`
	Symmetric            *bool           `json:"symmetric"`
	Kind                 string          `json:"kind"`
	WrapperParams        json.RawMessage `json:"wrapper_params"`
}

type lossCase struct {
	Name          string      `json:"name"`
	Spec          lossSpec    `json:"spec"`
	Labels        []int       `json:"labels"`
	RefLabels     []int       `json:"ref_labels"`
	PairLabels    []int       `json:"pair_labels"`
	Embeddings    [][]float64 `json:"embeddings"`
	RefEmbeddings [][]float64 `json:"ref_embeddings"`
	Loss          *float64    `json:"loss"`
	Grad          [][]float64 `json:"grad"`
	RefGrad       [][]float64 `json:"ref_grad"`

	// For losses with learnable parameters and the stateful kinds (see lossCaseCheckers).
	InitialParameters map[string]json.RawMessage `json:"initial_parameters"`
	ParameterGrads    map[string]json.RawMessage `json:"parameter_grads"`
	Steps             []json.RawMessage          `json:"steps"`
}

// lossCaseCheckers lets other test files of this package check the cases that need more than buildLoss
// and caseGraph offer: keyed by PML class name (losses with learnable parameters, say) or by
// "kind:" + kind ("kind:xbm", "kind:vicreg"). Each registers in an init function.
var lossCaseCheckers = map[string]func(c *lossCase) outcome{}

// notImplemented is returned by the spec builders for a part gometric does not have yet: the case is
// skipped, with the part named.
type notImplemented string

func (e notImplemented) Error() string { return string(e) + " not implemented" }

// lossGraph builds the graph of one case: the loss of the embeddings (and of the reference embeddings
// for the kinds that have them).
type lossGraph func(emb, ref *graph.Node) *graph.Node

func caseGraph(c *lossCase, loss losses.Loss) (lossGraph, error) {
	kind := c.Spec.Kind
	if c.Spec.Wrapper != "" && c.Spec.Wrapper != "SelfSupervisedLoss" {
		return nil, notImplemented("wrapper " + c.Spec.Wrapper)
	}
	// The cases checked here are one call of a fresh PML object: a PlainLoss's Compute (the losses
	// with learnable parameters have checkers of their own, lossCaseCheckers).
	plain, ok := loss.(losses.PlainLoss)
	if !ok {
		return nil, fmt.Errorf("%T needs a context: no checker for it", loss)
	}
	switch kind {
	case "", "labels":
		return func(emb, _ *graph.Node) *graph.Node {
			return plain.Compute(losses.Inputs{Embeddings: emb, Labels: graph.Const(emb.Graph(), c.Labels)})
		}, nil
	case "ref":
		return func(emb, ref *graph.Node) *graph.Node {
			g := emb.Graph()
			return plain.Compute(losses.Inputs{Embeddings: emb, Labels: graph.Const(g, c.Labels), Ref: ref, RefLabels: graph.Const(g, c.RefLabels)})
		}, nil
	case "selfsup":
		w := losses.NewSelfSupervised(loss)
		if c.Spec.Symmetric != nil {
			w.Symmetric = *c.Spec.Symmetric
		}
		return w.Compute, nil
	case "pairs_indices", "pairs_label_trick":
		b := len(c.PairLabels)
		if len(c.Embeddings) != 2*b {
			return nil, fmt.Errorf("%d embeddings for %d pairs", len(c.Embeddings), b)
		}
		mode := pairs.Explicit
		var labels []int32
		if kind == "pairs_label_trick" {
			mode = pairs.LabelConstruction
			var err error
			if labels, err = (pairs.Batch{Y: c.PairLabels}).Labels(); err != nil {
				return nil, err
			}
			if err := samePartition(labels, c.Labels); err != nil {
				return nil, fmt.Errorf("label construction differs from PML's labels: %w", err)
			}
		}
		y := make([]int32, b)
		for i, v := range c.PairLabels {
			y[i] = int32(v)
		}
		return func(emb, _ *graph.Node) *graph.Node {
			g := emb.Graph()
			e1 := graph.Slice(emb, graph.AxisRange(0, b))
			e2 := graph.Slice(emb, graph.AxisRange(b, 2*b))
			var ln *graph.Node
			if labels != nil {
				ln = graph.Const(g, labels)
			}
			return pairs.Loss(loss, mode, e1, e2, graph.Const(g, y), ln)
		}, nil
	}
	return nil, notImplemented("kind " + kind)
}

// samePartition checks that two labelings group the items identically (label values may differ).
func samePartition(got []int32, want []int) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d labels, want %d", len(got), len(want))
	}
	for i := range got {
		for j := range got {
			if (got[i] == got[j]) != (want[i] == want[j]) {
				return fmt.Errorf("items %d and %d: same=%v, PML same=%v", i, j, got[i] == got[j], want[i] == want[j])
			}
		}
	}
	return nil
}

// evalLoss runs fn in float64 on the configured backend and returns the loss and its gradients with
// respect to emb and (when ref is not nil) ref.
func evalLoss(fn lossGraph, emb, ref [][]float64) (loss float64, gEmb, gRef [][]float64, err error) {
	defer recoverError(&err)
	be := backend.MustShared()
	args := []any{tensors.FromValue(emb)}
	if ref != nil {
		args = append(args, tensors.FromValue(ref))
	}
	exec, err := graph.NewExecAny(be, func(inputs []*graph.Node) []*graph.Node {
		e := inputs[0]
		var r *graph.Node
		if len(inputs) > 1 {
			r = inputs[1]
		}
		l := fn(e, r)
		wrt := []*graph.Node{e}
		if r != nil {
			wrt = append(wrt, r)
		}
		return append([]*graph.Node{l}, graph.Gradient(l, wrt...)...)
	})
	if err != nil {
		return 0, nil, nil, err
	}
	outs, err := exec.Exec(args...)
	if err != nil {
		return 0, nil, nil, err
	}
	loss = tensors.ToScalar[float64](outs[0])
	gEmb = outs[1].Value().([][]float64)
	if len(outs) > 2 {
		gRef = outs[2].Value().([][]float64)
	}
	return loss, gEmb, gRef, nil
}

func checkLossCase(raw json.RawMessage) outcome {
	var c lossCase
	if err := json.Unmarshal(raw, &c); err != nil {
		return fail("decoding case: %v", err)
	}
	if check, ok := lossCaseCheckers["kind:"+c.Spec.Kind]; ok {
		return check(&c)
	}
	if check, ok := lossCaseCheckers[c.Spec.Loss]; ok {
		return check(&c)
	}
	loss, err := buildLoss(c.Spec)
	if err != nil {
		return buildOutcome(err, "building the loss: ")
	}
	fn, err := caseGraph(&c, loss)
	if err != nil {
		return buildOutcome(err, "")
	}
	if c.Loss == nil {
		return fail("case has no expected loss")
	}
	got, gEmb, gRef, err := evalLoss(fn, c.Embeddings, c.RefEmbeddings)
	if err != nil {
		return fail("computing: %v", err)
	}
	problems := lossProblems("", got, *c.Loss, gEmb, c.Grad)
	problems = append(problems, hostProblems(&c, loss, nil, nil, nil)...)
	if c.RefGrad != nil {
		if e, ok := gradClose(gRef, c.RefGrad); !ok {
			problems = append(problems, fmt.Sprintf("ref_grad relative error %.3g", e))
		}
	}
	return failOrMatch(problems)
}

// TestLossCheckerCanFail makes sure the losses checker rejects a case whose expected loss or gradient
// is off by more than the tolerance: a golden test that cannot fail would prove nothing.
func TestLossCheckerCanFail(t *testing.T) {
	f, err := Load("../../testdata/golden/pml-2.8.1.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(f.Sections["losses"][0], &raw); err != nil {
		t.Fatal(err)
	}
	if o := checkLossCase(mustJSON(t, raw)); o.status != matched {
		t.Fatalf("unmodified case: %v %s", o.status, o.detail)
	}
	if o := checkLossCase(mustJSON(t, lossOff(t, raw))); o.status != failed {
		t.Errorf("loss off by 1e-7 relative: got status %v, want failed", o.status)
	}
	if o := checkLossCase(mustJSON(t, entryOff(t, raw, "grad"))); o.status != failed {
		t.Errorf("gradient off by 1e-6: got status %v, want failed", o.status)
	}
}
