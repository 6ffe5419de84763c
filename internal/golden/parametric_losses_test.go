package golden

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/losses"
)

// The classification and proxy losses keep their parameters in a GoMLX context: their cases are
// checked by setting the context's variables to the case's initial_parameters and comparing the loss,
// its gradient with respect to the embeddings, and its gradient with respect to each parameter.
func init() {
	for _, name := range []string{
		"ArcFaceLoss", "CosFaceLoss", "SphereFaceLoss", "LargeMarginSoftmaxLoss", "SubCenterArcFaceLoss",
		"NormalizedSoftmaxLoss", "ProxyNCALoss", "ProxyAnchorLoss", "SoftTripleLoss", "P2SGradLoss",
	} {
		lossCaseCheckers[name] = checkParametricCase
	}
}

// parametricLoss is a rebuilt classification / proxy loss and its class options (for the scope).
type parametricLoss struct {
	loss losses.ParametricLoss
	cls  *losses.ClassOptions
}

// buildParametric builds the PML loss of spec through losses.Specs (buildLoss): NewX() with PML's
// defaults and the case's arguments, num_classes and embedding_size (descriptors_dim) among them.
func buildParametric(spec lossSpec) (*parametricLoss, error) {
	l, err := buildLoss(spec)
	if err != nil {
		return nil, err
	}
	p, ok := l.(losses.ParametricLoss)
	if !ok {
		return nil, fmt.Errorf("%s is not a ParametricLoss", spec.Loss)
	}
	f := reflect.ValueOf(l).Elem().FieldByName("ClassOptions")
	if !f.IsValid() {
		return nil, fmt.Errorf("%s has no ClassOptions", spec.Loss)
	}
	return &parametricLoss{p, f.Addr().Interface().(*losses.ClassOptions)}, nil
}

func checkParametricCase(c *lossCase) outcome {
	if c.Spec.Kind != "" && c.Spec.Kind != "labels" {
		return skip("%s kind %s not implemented", c.Spec.Loss, c.Spec.Kind)
	}
	if c.Spec.Wrapper != "" {
		return skip("wrapper %s not implemented", c.Spec.Wrapper)
	}
	pl, err := buildParametric(c.Spec)
	if err != nil {
		return buildOutcome(err, "building the loss: ")
	}
	if c.Loss == nil {
		return fail("case has no expected loss")
	}
	initial, err := decodeMatrices(c.InitialParameters)
	if err != nil {
		return fail("initial_parameters: %v", err)
	}
	wantGrads, err := decodeMatrices(c.ParameterGrads)
	if err != nil {
		return fail("parameter_grads: %v", err)
	}
	if len(initial) == 0 {
		return fail("case has no initial_parameters")
	}
	names := make([]string, 0, len(initial))
	for name := range initial {
		if _, ok := wantGrads[name]; !ok {
			return fail("parameter %q has no parameter_grads", name)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	if len(wantGrads) != len(names) {
		return fail("parameter_grads names %d parameters, initial_parameters %d", len(wantGrads), len(names))
	}

	got, gEmb, gParams, err := evalParametric(pl, names, initial, c.Embeddings, c.Labels)
	if err != nil {
		return fail("computing: %v", err)
	}
	problems := lossProblems("", got, *c.Loss, gEmb, c.Grad)
	problems = append(problems, hostProblems(c, pl.loss, names, initial, wantGrads)...)
	for i, name := range names {
		if e, ok := gradClose(gParams[i], wantGrads[name]); !ok {
			problems = append(problems, fmt.Sprintf("parameter_grads[%s] relative error %.3g", name, e))
		}
	}
	return failOrMatch(problems)
}

// evalParametric computes, in float64, the loss of emb and labels with the variables names set to
// their initial values, and the gradients with respect to the embeddings and to each variable. It
// fails if the loss creates any variable other than those.
func evalParametric(pl *parametricLoss, names []string, initial map[string][][]float64, emb [][]float64, labels []int) (loss float64, gEmb [][]float64, gParams [][][]float64, err error) {
	defer recoverError(&err)
	ctx := context.New()
	scoped := ctx.In(pl.cls.Scope)
	vars := make([]*context.Variable, len(names))
	for i, name := range names {
		vars[i] = scoped.VariableWithValue(name, initial[name])
	}
	exec, err := context.NewExec(backend.MustShared(), ctx, func(ctx *context.Context, e *graph.Node) []*graph.Node {
		g := e.Graph()
		l := pl.loss.ComputeWithContext(ctx, losses.Inputs{Embeddings: e, Labels: graph.Const(g, labels)})
		wrt := []*graph.Node{e}
		for _, v := range vars {
			wrt = append(wrt, v.ValueGraph(g))
		}
		return append([]*graph.Node{l}, graph.Gradient(l, wrt...)...)
	})
	if err != nil {
		return 0, nil, nil, err
	}
	outs, err := exec.Exec(tensors.FromValue(emb))
	if err != nil {
		return 0, nil, nil, err
	}
	for v := range ctx.IterVariables() {
		if v.Scope() == scoped.Scope() && initial[v.Name()] == nil {
			return 0, nil, nil, fmt.Errorf("the loss created variable %s/%s, not in initial_parameters", v.Scope(), v.Name())
		}
	}
	loss = tensors.ToScalar[float64](outs[0])
	gEmb = outs[1].Value().([][]float64)
	for _, o := range outs[2:] {
		gParams = append(gParams, o.Value().([][]float64))
	}
	return loss, gEmb, gParams, nil
}

// TestParametricCheckerCanFail makes sure the checker of the classification / proxy losses matches
// each of their unmodified cases and rejects a case whose loss, embedding gradient or parameter
// gradient is off by more than the tolerance.
func TestParametricCheckerCanFail(t *testing.T) {
	f, err := Load("../../testdata/golden/pml-2.8.1.json")
	if err != nil {
		t.Fatal(err)
	}
	var arcface map[string]any
	seen := 0
	for _, raw := range f.Sections["losses"] {
		var c lossCase
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		if lossCaseCheckers[c.Spec.Loss] == nil || c.InitialParameters == nil {
			continue
		}
		if _, ok := c.InitialParameters["beta"]; ok {
			continue // MarginLoss, not a classification loss.
		}
		seen++
		if o := checkParametricCase(&c); o.status != matched {
			t.Errorf("%s: %v %s", c.Name, o.status, o.detail)
		}
		if c.Name == "ArcFaceLoss" {
			if err := json.Unmarshal(raw, &arcface); err != nil {
				t.Fatal(err)
			}
		}
	}
	if seen != 11 || arcface == nil {
		t.Fatalf("found %d classification / proxy cases (want 11), ArcFaceLoss found: %v", seen, arcface != nil)
	}
	check := func(v map[string]any) outcome {
		var c lossCase
		if err := json.Unmarshal(mustJSON(t, v), &c); err != nil {
			t.Fatal(err)
		}
		return checkParametricCase(&c)
	}
	offs := map[string]map[string]any{
		"loss":            lossOff(t, arcface),
		"grad":            entryOff(t, arcface, "grad"),
		"parameter_grads": entryOff(t, arcface, "parameter_grads", "W"),
	}
	for name, v := range offs {
		if o := check(v); o.status != failed {
			t.Errorf("%s off: got status %v, want failed", name, o.status)
		}
	}
}
