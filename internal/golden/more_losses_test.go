package golden

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/spec"
)

// Builders and checkers for the ranking, pair and self-supervised losses of package losses that the
// base harness does not know: AngularLoss, NPairsLoss, FastAPLoss, HistogramLoss, PNPLoss,
// RankedListLoss, InstanceLoss, MarginLoss (with its learnable beta), VICRegLoss and CrossBatchMemory.
func init() {
	lossCaseCheckers["MarginLoss"] = checkMarginCase
	lossCaseCheckers["kind:vicreg"] = checkVICRegCase
	lossCaseCheckers["kind:xbm"] = checkXBMCase
}

// checkMarginCase runs MarginLoss with beta as an input (its initial value from the case), and checks
// the loss, the embeddings' gradient and beta's gradient.
func checkMarginCase(c *lossCase) outcome {
	if c.Spec.Kind != "" && c.Spec.Kind != "labels" {
		return skip("MarginLoss kind %s", c.Spec.Kind)
	}
	loss, err := buildLoss(c.Spec)
	if err != nil {
		return buildOutcome(err, "building the loss: ")
	}
	l := loss.(*losses.Margin)
	var beta []float64
	if raw, ok := c.InitialParameters["beta"]; ok {
		if err := json.Unmarshal(raw, &beta); err != nil {
			return fail("initial beta: %v", err)
		}
	} else {
		beta = []float64{l.Beta}
	}
	got, grads, err := evalWithParams(func(emb, b *graph.Node) *graph.Node {
		return l.ComputeWithBeta(losses.Inputs{Embeddings: emb, Labels: graph.Const(emb.Graph(), c.Labels)}, b)
	}, c.Embeddings, beta)
	if err != nil {
		return fail("computing: %v", err)
	}
	problems := lossProblems("", got, *c.Loss, grads[0].([][]float64), c.Grad)
	if raw, ok := c.ParameterGrads["beta"]; ok && l.LearnBeta {
		var want []float64
		if err := json.Unmarshal(raw, &want); err != nil {
			return fail("beta grad: %v", err)
		}
		if e, ok := gradClose([][]float64{grads[1].([]float64)}, [][]float64{want}); !ok {
			problems = append(problems, fmt.Sprintf("beta grad relative error %.3g", e))
		}
	}
	return failOrMatch(problems)
}

// evalWithParams runs fn in float64 and returns its value and gradients with respect to emb and param.
func evalWithParams(fn func(emb, param *graph.Node) *graph.Node, emb [][]float64, param []float64) (loss float64, grads []any, err error) {
	defer recoverError(&err)
	exec, err := graph.NewExecAny(backend.MustShared(), func(in []*graph.Node) []*graph.Node {
		l := fn(in[0], in[1])
		return append([]*graph.Node{l}, graph.Gradient(l, in[0], in[1])...)
	})
	if err != nil {
		return 0, nil, err
	}
	outs, err := exec.Exec(tensors.FromValue(emb), tensors.FromValue(param))
	if err != nil {
		return 0, nil, err
	}
	loss = tensors.ToScalar[float64](outs[0])
	if math.IsNaN(loss) {
		return 0, nil, fmt.Errorf("loss is NaN")
	}
	return loss, []any{outs[1].Value(), outs[2].Value()}, nil
}

// vicregSpecs builds VICRegLoss, which is not one of losses.Specs (it is computed from two views,
// not Inputs): NewVICReg() with the case's arguments.
var vicregSpecs = func() *spec.Registry {
	r := spec.NewRegistry("loss", "loss")
	r.Add(spec.Entry{Name: "vicreg", New: func() any { return losses.NewVICReg() }})
	return r
}()

// checkVICRegCase runs VICRegLoss()(embeddings, ref_emb=ref_embeddings).
func checkVICRegCase(c *lossCase) outcome {
	call, err := lossCall(c.Spec)
	if err != nil {
		return fail("building the loss: %v", err)
	}
	v, err := vicregSpecs.Build(call)
	if err != nil {
		return fail("building the loss: %v", err)
	}
	l := v.(*losses.VICReg)
	got, gEmb, gRef, err := evalLoss(l.Compute, c.Embeddings, c.RefEmbeddings)
	if err != nil {
		return fail("computing: %v", err)
	}
	problems := lossProblems("", got, *c.Loss, gEmb, c.Grad)
	if e, ok := gradClose(gRef, c.RefGrad); !ok {
		problems = append(problems, fmt.Sprintf("ref_grad relative error %.3g", e))
	}
	return failOrMatch(problems)
}

// xbmStep is one call of a "xbm" case.
type xbmStep struct {
	Embeddings [][]float64 `json:"embeddings"`
	Labels     []int       `json:"labels"`
	Loss       float64     `json:"loss"`
	Grad       [][]float64 `json:"grad"`
}

// checkXBMCase runs the case's steps through one CrossBatchMemory and one context: the step graph is
// compiled once and executed once per step, the memory carried by the context's variables.
func checkXBMCase(c *lossCase) outcome {
	var wp struct {
		EmbeddingSize int  `json:"embedding_size"`
		MemorySize    *int `json:"memory_size"`
	}
	if err := json.Unmarshal(c.Spec.WrapperParams, &wp); err != nil {
		return fail("wrapper_params: %v", err)
	}
	var extra map[string]any
	_ = json.Unmarshal(c.Spec.WrapperParams, &extra)
	for k := range extra {
		if k != "embedding_size" && k != "memory_size" {
			return fail("CrossBatchMemory parameter %s not implemented", k)
		}
	}
	memSize := losses.DefaultMemorySize
	if wp.MemorySize != nil {
		memSize = *wp.MemorySize
	}
	spec := c.Spec
	spec.Wrapper, spec.Kind = "", ""
	inner, err := buildLoss(spec)
	if err != nil {
		return buildOutcome(err, "building the loss: ")
	}
	x := losses.NewCrossBatchMemory(inner, wp.EmbeddingSize, memSize)
	ctx := context.New()
	exec, err := context.NewExecAny(backend.MustShared(), ctx, func(ctx *context.Context, emb, labels *graph.Node) []*graph.Node {
		l := x.ComputeWithContext(ctx, losses.Inputs{Embeddings: emb, Labels: labels})
		return []*graph.Node{l, graph.Gradient(l, emb)[0]}
	})
	if err != nil {
		return fail("%v", err)
	}
	var problems []string
	for i, raw := range c.Steps {
		var st xbmStep
		if err := json.Unmarshal(raw, &st); err != nil {
			return fail("step %d: %v", i, err)
		}
		labels := make([]int64, len(st.Labels))
		for j, v := range st.Labels {
			labels[j] = int64(v)
		}
		outs, err := execSafely(exec, tensors.FromValue(st.Embeddings), tensors.FromValue(labels))
		if err != nil {
			return fail("step %d: %v", i, err)
		}
		got := tensors.ToScalar[float64](outs[0])
		problems = append(problems, lossProblems(fmt.Sprintf("step %d: ", i), got, st.Loss, outs[1].Value().([][]float64), st.Grad)...)
	}
	return failOrMatch(problems)
}

func execSafely(exec *context.Exec, args ...any) (outs []*tensors.Tensor, err error) {
	defer recoverError(&err)
	return exec.Exec(args...)
}
