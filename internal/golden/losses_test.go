package golden

import (
	"encoding/json"
	"fmt"
	"sort"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/pairs"
	"github.com/gometric/gometric/reducers"
	"github.com/gometric/gometric/regularizers"
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

// lossBuilders lets other test files of this package rebuild more PML losses: keyed by PML class name,
// each reads its parameters through p (an unread parameter skips the case) and returns the loss and
// its Options (for distance, reducer and regularizer).
var lossBuilders = map[string]func(p *params) (losses.Loss, *losses.Options, error){}

// notImplemented is returned by the spec builders for a part gometric does not have yet: the case is
// skipped, with the part named.
type notImplemented string

func (e notImplemented) Error() string { return string(e) + " not implemented" }

// params reads a spec's keyword arguments, failing on any key the caller did not consume, so that a
// parameter gometric ignores can never make a case pass by accident.
type params struct {
	m    map[string]any
	used map[string]bool
}

func newParams(m map[string]any, skip ...string) *params {
	p := &params{m: m, used: map[string]bool{}}
	for _, k := range skip {
		p.used[k] = true
	}
	return p
}

func (p *params) float(key string, def float64) float64 {
	p.used[key] = true
	if v, ok := p.m[key]; ok && v != nil {
		return v.(float64)
	}
	return def
}

func (p *params) optFloat(key string) *float64 {
	p.used[key] = true
	if v, ok := p.m[key]; ok && v != nil {
		f := v.(float64)
		return &f
	}
	return nil
}

func (p *params) bool(key string, def bool) bool {
	p.used[key] = true
	if v, ok := p.m[key]; ok && v != nil {
		return v.(bool)
	}
	return def
}

func (p *params) done(what string) error {
	var extra []string
	for k := range p.m {
		if !p.used[k] {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return notImplemented(fmt.Sprintf("%s parameters %v", what, extra))
	}
	return nil
}

func buildDistance(spec map[string]any) (distances.Distance, error) {
	if spec == nil {
		return nil, nil
	}
	typ, _ := spec["type"].(string)
	p := newParams(spec, "type")
	var d distances.Distance
	switch typ {
	case "LpDistance":
		d = &distances.LpDistance{P: p.float("p", 2), Power: p.float("power", 1), NormalizeEmbeddings: p.bool("normalize_embeddings", true)}
	case "CosineSimilarity":
		d = &distances.CosineSimilarity{Power: p.float("power", 1)}
	case "DotProductSimilarity":
		d = &distances.DotProductSimilarity{Power: p.float("power", 1), NormalizeEmbeddings: p.bool("normalize_embeddings", true)}
	case "SNRDistance":
		d = &distances.SNRDistance{Power: p.float("power", 1), NormalizeEmbeddings: p.bool("normalize_embeddings", true)}
	default:
		return nil, notImplemented("distance " + typ)
	}
	return d, p.done(typ)
}

func buildReducer(spec map[string]any) (reducers.Reducer, error) {
	if spec == nil {
		return nil, nil
	}
	typ, _ := spec["type"].(string)
	p := newParams(spec, "type")
	var r reducers.Reducer
	switch typ {
	case "MeanReducer":
		r = reducers.MeanReducer{}
	case "SumReducer":
		r = reducers.SumReducer{}
	case "AvgNonZeroReducer":
		r = reducers.AvgNonZeroReducer{}
	case "DivisorReducer":
		r = reducers.DivisorReducer{}
	case "ThresholdReducer":
		t, err := reducers.NewThresholdReducer(p.optFloat("low"), p.optFloat("high"))
		if err != nil {
			return nil, err
		}
		r = t
	default:
		return nil, notImplemented("reducer " + typ)
	}
	return r, p.done(typ)
}

func buildRegularizer(spec map[string]any) (regularizers.Regularizer, float64, error) {
	typ, _ := spec["type"].(string)
	p := newParams(spec, "type")
	switch typ {
	case "LpRegularizer":
		r := regularizers.NewLpRegularizer()
		r.P, r.Power = p.float("p", 2), p.float("power", 1)
		return r, 1, p.done(typ)
	}
	return nil, 0, notImplemented("regularizer " + typ)
}

// buildLoss rebuilds the PML loss of spec with gometric's types.
func buildLoss(spec lossSpec) (losses.Loss, error) {
	p := newParams(spec.Params)
	var (
		loss losses.Loss
		opts *losses.Options
	)
	switch spec.Loss {
	case "ContrastiveLoss":
		l := losses.NewContrastive()
		l.PosMargin, l.NegMargin = p.float("pos_margin", 0), p.float("neg_margin", 1)
		loss, opts = l, &l.Options
	case "SignalToNoiseRatioContrastiveLoss":
		l := losses.NewSNRContrastive()
		l.PosMargin, l.NegMargin = p.float("pos_margin", 0), p.float("neg_margin", 1)
		loss, opts = l, &l.Options
	case "NTXentLoss":
		l := losses.NewNTXent()
		l.Temperature = p.float("temperature", 0.07)
		loss, opts = l, &l.Options
	case "SupConLoss":
		l := losses.NewSupCon()
		l.Temperature = p.float("temperature", 0.1)
		loss, opts = l, &l.Options
	case "MultiSimilarityLoss":
		l := losses.NewMultiSimilarity()
		l.Alpha, l.Beta, l.Base = p.float("alpha", 2), p.float("beta", 50), p.float("base", 0.5)
		loss, opts = l, &l.Options
	case "CircleLoss":
		l := losses.NewCircle()
		l.M, l.Gamma = p.float("m", 0.4), p.float("gamma", 80)
		loss, opts = l, &l.Options
	case "GeneralizedLiftedStructureLoss":
		l := losses.NewGeneralizedLiftedStructure()
		l.NegMargin, l.PosMargin = p.float("neg_margin", 1), p.float("pos_margin", 0)
		loss, opts = l, &l.Options
	case "LiftedStructureLoss":
		l := losses.NewLiftedStructure()
		l.NegMargin, l.PosMargin = p.float("neg_margin", 1), p.float("pos_margin", 0)
		loss, opts = l, &l.Options
	case "IntraPairVarianceLoss":
		l := losses.NewIntraPairVariance()
		l.PosEps, l.NegEps = p.float("pos_eps", 0.01), p.float("neg_eps", 0.01)
		loss, opts = l, &l.Options
	case "TupletMarginLoss":
		l := losses.NewTupletMargin()
		l.Margin, l.Scale = p.float("margin", 5.73), p.float("scale", 64)
		loss, opts = l, &l.Options
	case "NCALoss":
		l := losses.NewNCA()
		l.SoftmaxScale = p.float("softmax_scale", 1)
		loss, opts = l, &l.Options
	case "TripletMarginLoss":
		l := losses.NewTripletMargin()
		l.Margin, l.Swap, l.SmoothLoss = p.float("margin", 0.05), p.bool("swap", false), p.bool("smooth_loss", false)
		p.used["triplets_per_anchor"] = true
		if v, ok := p.m["triplets_per_anchor"]; ok && v != nil && v != "all" {
			return nil, notImplemented(fmt.Sprintf("TripletMarginLoss triplets_per_anchor=%v", v))
		}
		loss, opts = l, &l.Options
	default:
		build, ok := lossBuilders[spec.Loss]
		if !ok {
			return nil, notImplemented("loss " + spec.Loss)
		}
		var err error
		if loss, opts, err = build(p); err != nil {
			return nil, err
		}
	}
	if err := p.done(spec.Loss); err != nil {
		return nil, err
	}
	if err := setOptions(spec, opts); err != nil {
		return nil, err
	}
	if spec.WeightRegularizer != nil {
		return nil, notImplemented("weight regularizer")
	}
	return loss, nil
}

// setOptions sets the distance, reducer and embedding regularizer of spec, where it has them, in opts.
func setOptions(spec lossSpec, opts *losses.Options) error {
	d, err := buildDistance(spec.Distance)
	if err != nil {
		return err
	}
	if d != nil {
		opts.Distance = d
	}
	r, err := buildReducer(spec.Reducer)
	if err != nil {
		return err
	}
	if r != nil {
		opts.Reducer = r
	}
	if spec.EmbeddingRegularizer != nil {
		reg, w, err := buildRegularizer(spec.EmbeddingRegularizer)
		if err != nil {
			return err
		}
		opts.EmbeddingRegularizer, opts.EmbeddingRegWeight = reg, w
	}
	return nil
}

// lossGraph builds the graph of one case: the loss of the embeddings (and of the reference embeddings
// for the kinds that have them).
type lossGraph func(emb, ref *graph.Node) *graph.Node

func caseGraph(c *lossCase, loss losses.Loss) (lossGraph, error) {
	kind := c.Spec.Kind
	if c.Spec.Wrapper != "" && c.Spec.Wrapper != "SelfSupervisedLoss" {
		return nil, notImplemented("wrapper " + c.Spec.Wrapper)
	}
	switch kind {
	case "", "labels":
		return func(emb, _ *graph.Node) *graph.Node {
			return loss.Compute(losses.Inputs{Embeddings: emb, Labels: graph.Const(emb.Graph(), c.Labels)})
		}, nil
	case "ref":
		return func(emb, ref *graph.Node) *graph.Node {
			g := emb.Graph()
			return loss.Compute(losses.Inputs{Embeddings: emb, Labels: graph.Const(g, c.Labels), Ref: ref, RefLabels: graph.Const(g, c.RefLabels)})
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
