package golden

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/losses"
)

// Builders and checkers for the ranking, pair and self-supervised losses of package losses that the
// base harness does not know: AngularLoss, NPairsLoss, FastAPLoss, HistogramLoss, PNPLoss,
// RankedListLoss, InstanceLoss, MarginLoss (with its learnable beta), VICRegLoss and CrossBatchMemory.
func init() {
	lossBuilders["RankedListLoss"] = func(p *params) (losses.Loss, *losses.Options, error) {
		margin, tn := p.optFloat("margin"), p.optFloat("Tn")
		if margin == nil || tn == nil {
			return nil, nil, fmt.Errorf("RankedListLoss needs margin and Tn")
		}
		l := losses.NewRankedList(*margin, *tn)
		l.Imbalance, l.Tp = p.float("imbalance", 0.5), p.float("Tp", 0)
		if a := p.optFloat("alpha"); a != nil {
			l.Alpha = *a
		}
		return l, &l.Options, nil
	}
	lossBuilders["InstanceLoss"] = func(p *params) (losses.Loss, *losses.Options, error) {
		l := losses.NewInstance()
		l.Gamma = p.float("gamma", 64)
		return l, &l.Options, nil
	}
	lossBuilders["MarginLoss"] = func(p *params) (losses.Loss, *losses.Options, error) {
		l, err := buildMargin(p)
		if err != nil {
			return nil, nil, err
		}
		return l, &l.Options, nil
	}
	lossCaseCheckers["MarginLoss"] = checkMarginCase
	lossBuilders["NPairsLoss"] = func(p *params) (losses.Loss, *losses.Options, error) {
		l := losses.NewNPairs()
		return l, &l.Options, nil
	}
	lossBuilders["PNPLoss"] = func(p *params) (losses.Loss, *losses.Options, error) {
		l := losses.NewPNP()
		l.B, l.Alpha, l.Anneal = p.float("b", 2), p.float("alpha", 1), p.float("anneal", 0.01)
		p.used["variant"] = true
		if v, ok := p.m["variant"].(string); ok {
			l.Variant = v
		}
		return l, &l.Options, nil
	}
	lossBuilders["AngularLoss"] = func(p *params) (losses.Loss, *losses.Options, error) {
		l := losses.NewAngular()
		l.Alpha = p.float("alpha", 40)
		l.RawNegatives = true // PML does not normalize the negatives (bug 7); the cases' embeddings show it.
		return l, &l.Options, nil
	}
	lossBuilders["HistogramLoss"] = func(p *params) (losses.Loss, *losses.Options, error) {
		l := losses.NewHistogram()
		nBins, delta := p.optFloat("n_bins"), p.optFloat("delta")
		switch {
		case nBins != nil:
			l.NBins = int(*nBins)
		case delta != nil:
			l.NBins = int(math.Round(2 / *delta))
		}
		return l, &l.Options, nil
	}
	lossBuilders["FastAPLoss"] = func(p *params) (losses.Loss, *losses.Options, error) {
		l := losses.NewFastAP()
		l.NumBins = int(p.float("num_bins", 10))
		return l, &l.Options, nil
	}
}

func buildMargin(p *params) (*losses.Margin, error) {
	l := losses.NewMargin()
	l.Margin, l.Nu, l.Beta = p.float("margin", 0.2), p.float("nu", 0), p.float("beta", 1.2)
	l.LearnBeta = p.bool("learn_beta", false)
	if c := p.optFloat("num_classes"); c != nil {
		l.NumClasses = int(*c)
	}
	p.used["triplets_per_anchor"] = true
	if v, ok := p.m["triplets_per_anchor"]; ok && v != nil && v != "all" {
		return nil, notImplemented(fmt.Sprintf("MarginLoss triplets_per_anchor=%v", v))
	}
	return l, nil
}

// checkMarginCase runs MarginLoss with beta as an input (its initial value from the case), and checks
// the loss, the embeddings' gradient and beta's gradient.
func checkMarginCase(c *lossCase) outcome {
	if c.Spec.Kind != "" && c.Spec.Kind != "labels" {
		return skip("MarginLoss kind %s", c.Spec.Kind)
	}
	loss, err := buildLoss(c.Spec)
	if ni, ok := err.(notImplemented); ok {
		return skip("%s", ni.Error())
	} else if err != nil {
		return fail("building the loss: %v", err)
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
	var problems []string
	if !relClose(got, *c.Loss, 1e-9) {
		problems = append(problems, fmt.Sprintf("loss %.17g, want %.17g", got, *c.Loss))
	}
	if e, ok := gradClose(grads[0].([][]float64), c.Grad); !ok {
		problems = append(problems, fmt.Sprintf("grad relative error %.3g", e))
	}
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
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
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
