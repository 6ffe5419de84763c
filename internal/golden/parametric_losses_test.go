package golden

import (
	"encoding/json"
	"fmt"
	"sort"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/regularizers"
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

// parametricLoss is a rebuilt classification / proxy loss with the options the spec may set.
type parametricLoss struct {
	loss losses.ParametricLoss
	opts *losses.Options
	cls  *losses.ClassOptions
}

// buildParametric rebuilds the PML loss of spec; parameters are read through params so that an
// unread one skips the case.
func buildParametric(spec lossSpec) (*parametricLoss, error) {
	p := newParams(spec.Params)
	required := func(key string) (int, error) {
		v := p.float(key, -1)
		if v <= 0 {
			return 0, fmt.Errorf("spec has no %s", key)
		}
		return int(v), nil
	}
	var sizeKey = "embedding_size"
	if spec.Loss == "P2SGradLoss" {
		sizeKey = "descriptors_dim"
	}
	c, err := required("num_classes")
	if err != nil {
		return nil, err
	}
	d, err := required(sizeKey)
	if err != nil {
		return nil, err
	}
	var out parametricLoss
	switch spec.Loss {
	case "ArcFaceLoss":
		l := losses.NewArcFace(c, d)
		l.Margin, l.Scale = p.float("margin", 28.6), p.float("scale", 64)
		out = parametricLoss{l, &l.Options, &l.ClassOptions}
	case "SubCenterArcFaceLoss":
		l := losses.NewSubCenterArcFace(c, d)
		l.Margin, l.Scale = p.float("margin", 28.6), p.float("scale", 64)
		l.SubCenters = int(p.float("sub_centers", 3))
		out = parametricLoss{l, &l.Options, &l.ClassOptions}
	case "CosFaceLoss":
		l := losses.NewCosFace(c, d)
		l.Margin, l.Scale = p.float("margin", 0.35), p.float("scale", 64)
		out = parametricLoss{l, &l.Options, &l.ClassOptions}
	case "SphereFaceLoss":
		l := losses.NewSphereFace(c, d)
		l.Margin, l.Scale = p.float("margin", 4), p.float("scale", 1)
		out = parametricLoss{l, &l.Options, &l.ClassOptions}
	case "LargeMarginSoftmaxLoss":
		l := losses.NewLargeMarginSoftmax(c, d)
		l.Margin, l.Scale = p.float("margin", 4), p.float("scale", 1)
		out = parametricLoss{l, &l.Options, &l.ClassOptions}
	case "NormalizedSoftmaxLoss":
		l := losses.NewNormalizedSoftmax(c, d)
		l.Temperature = p.float("temperature", 0.05)
		out = parametricLoss{l, &l.Options, &l.ClassOptions}
	case "ProxyNCALoss":
		l := losses.NewProxyNCA(c, d)
		l.SoftmaxScale = p.float("softmax_scale", 1)
		out = parametricLoss{l, &l.Options, &l.ClassOptions}
	case "ProxyAnchorLoss":
		l := losses.NewProxyAnchor(c, d)
		l.Margin, l.Alpha = p.float("margin", 0.1), p.float("alpha", 32)
		out = parametricLoss{l, &l.Options, &l.ClassOptions}
	case "SoftTripleLoss":
		l := losses.NewSoftTriple(c, d)
		l.CentersPerClass = int(p.float("centers_per_class", 10))
		l.La, l.Gamma, l.Margin = p.float("la", 20), p.float("gamma", 0.1), p.float("margin", 0.01)
		out = parametricLoss{l, &l.Options, &l.ClassOptions}
	case "P2SGradLoss":
		l := losses.NewP2SGrad(c, d)
		out = parametricLoss{l, &l.Options, &l.ClassOptions}
	default:
		return nil, notImplemented("loss " + spec.Loss)
	}
	if err := p.done(spec.Loss); err != nil {
		return nil, err
	}
	if err := setOptions(spec, out.opts); err != nil {
		return nil, err
	}
	if spec.WeightRegularizer != nil {
		reg, err := buildWeightRegularizer(spec.WeightRegularizer)
		if err != nil {
			return nil, err
		}
		out.cls.WeightRegularizer = reg
	}
	return &out, nil
}

// buildWeightRegularizer is buildRegularizer plus RegularFaceRegularizer, which only makes sense on
// class weights.
func buildWeightRegularizer(spec map[string]any) (regularizers.Regularizer, error) {
	if typ, _ := spec["type"].(string); typ == "RegularFaceRegularizer" {
		return regularizers.NewRegularFaceRegularizer(), newParams(spec, "type").done(typ)
	}
	reg, _, err := buildRegularizer(spec)
	return reg, err
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
