package losses_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/miners"
)

// parityNotImplemented lists the parity cases (by PML class name) that have no builder yet, with the
// reason. Every other case must build from its PML name and arguments through Parse and match PML.
var parityNotImplemented = map[string]string{}

// manifoldGoldenGradTol is the gradient tolerance of the ManifoldLoss cases. PML inverts the random
// walk's matrix in float32 whatever the input dtype (manifold_loss.py casts with .float()), so its
// float64 gradients carry float32 rounding: PML itself, rerun on the golden cases on this project's
// machine, differs from the golden gradients by 8.5e-8 and 3.6e-8 relative; gometric (float64
// throughout) by 1.4e-7 and 9.0e-8. The losses keep the README's 1e-9; the exact float64 semantics
// are checked at 1e-9 against PML with a float64 inverse (TestManifoldPML).
const manifoldGoldenGradTol = 1e-6

// manifoldGoldenLossTol is the loss tolerance of the ManifoldLoss cases, for the same reason: PML's
// float32 inverse moves its loss by up to 1.8e-9 relative from the float64 value on the cases
// re-drawn by scripts/golden_reseed.py with seeds 1-3 (5e-12 and 3e-11 on the golden cases), while
// gometric equals PML with a float64 inverse to the last digit (TestManifoldPML checks that at 1e-9).
const manifoldGoldenLossTol = 1e-7

// parityFile finds pml-2.8.1-parity.json: the file named by $GOMETRIC_PARITY_FILE when that is set
// (for example a copy re-drawn with another seed by scripts/golden_reseed.py), else in
// $GOMETRIC_GOLDEN_DIR, testdata/golden (where the repository keeps a copy), or the shared golden
// folder beside the repository (../shared/golden); not finding it fails the test.
func parityFile(t *testing.T) string {
	const name = "pml-2.8.1-parity.json"
	if p := os.Getenv("GOMETRIC_PARITY_FILE"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("$GOMETRIC_PARITY_FILE: %v", err)
		}
		t.Logf("parity cases from $GOMETRIC_PARITY_FILE=%s", p)
		return p
	}
	for _, dir := range []string{os.Getenv("GOMETRIC_GOLDEN_DIR"), "../testdata/golden", "../../shared/golden"} {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatalf("%s not found in $GOMETRIC_GOLDEN_DIR, testdata/golden or ../shared/golden", name)
	return ""
}

type parityFileData struct {
	Losses []json.RawMessage `json:"losses"`
	Miners []json.RawMessage `json:"miners"`
}

func loadParity(t *testing.T) parityFileData {
	data, err := os.ReadFile(parityFile(t))
	if err != nil {
		t.Fatal(err)
	}
	var f parityFileData
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// pySpec writes a golden spec value in the spec syntax, as a PML user would write the constructor
// call: a map with "type" is a call, another map a dictionary.
func pySpec(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return strconv.Quote(x)
	case []any:
		items := make([]string, len(x))
		for i, e := range x {
			items[i] = pySpec(e)
		}
		return "[" + strings.Join(items, ", ") + "]"
	case map[string]any:
		typ, isCall := x["type"].(string)
		keys := make([]string, 0, len(x))
		for k := range x {
			if k != "type" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		items := make([]string, len(keys))
		for i, k := range keys {
			if isCall {
				items[i] = k + "=" + pySpec(x[k])
			} else {
				items[i] = strconv.Quote(k) + ": " + pySpec(x[k])
			}
		}
		if isCall {
			return typ + "(" + strings.Join(items, ", ") + ")"
		}
		return "{" + strings.Join(items, ", ") + "}"
	}
	panic(fmt.Sprintf("pySpec: %T", v))
}

// lossSpecString writes a golden loss spec (PML class name, params, distance, reducer, regularizers,
// or MultipleLosses' losses and weights) as a spec.
func lossSpecString(s map[string]any) (string, error) {
	name, _ := s["loss"].(string)
	if name == "MultipleLosses" {
		subs, _ := s["losses"].([]any)
		weights, _ := s["weights"].([]any)
		terms := make([]string, len(subs))
		for i, sub := range subs {
			t, err := lossSpecString(sub.(map[string]any))
			if err != nil {
				return "", err
			}
			if weights != nil {
				t = pySpec(weights[i]) + "*" + t
			}
			terms[i] = t
		}
		return strings.Join(terms, " + "), nil
	}
	args := map[string]any{}
	if p, ok := s["params"].(map[string]any); ok {
		for k, v := range p {
			args[k] = v
		}
	}
	for k, v := range s {
		switch k {
		case "loss", "params", "name", "kind":
		case "distance", "reducer", "embedding_regularizer", "weight_regularizer":
			args[k] = v
		default:
			return "", fmt.Errorf("spec key %q not understood", k)
		}
	}
	call := pySpec(map[string]any{"type": name})
	if len(args) > 0 {
		args["type"] = name
		call = pySpec(args)
	}
	return call, nil
}

type parityLossCase struct {
	Name              string                     `json:"name"`
	Spec              map[string]any             `json:"spec"`
	Labels            []int                      `json:"labels"`
	Embeddings        [][]float64                `json:"embeddings"`
	Loss              float64                    `json:"loss"`
	Grad              [][]float64                `json:"grad"`
	InitialParameters map[string]json.RawMessage `json:"initial_parameters"`
	ParameterGrads    map[string]json.RawMessage `json:"parameter_grads"`
	// MetaClasses are ManifoldLoss's meta classes (kind "manifold"), passed as its indices_tuple.
	MetaClasses []int `json:"meta_classes"`
}

// TestParityGoldenLosses builds every loss case of pml-2.8.1-parity.json from its PML name and
// arguments through Parse (so a wrong default of a constructor fails), computes it in float64 and
// compares the loss, the embeddings' gradient and the parameters' gradients with PML's (README
// tolerances: 1e-9 relative). A case with no builder fails unless parityNotImplemented lists it.
func TestParityGoldenLosses(t *testing.T) {
	f := loadParity(t)
	if len(f.Losses) == 0 {
		t.Fatal("no loss case")
	}
	var matched, failed, notImpl int
	for _, raw := range f.Losses {
		var c parityLossCase
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		if reason, ok := parityNotImplemented[c.Spec["loss"].(string)]; ok {
			notImpl++
			t.Logf("%s: not implemented: %s", c.Name, reason)
			continue
		}
		if problems := checkParityLoss(&c); len(problems) > 0 {
			failed++
			t.Errorf("%s: %s", c.Name, strings.Join(problems, "; "))
		} else {
			matched++
		}
	}
	fmt.Printf("parity pml-2.8.1-parity.json [losses]: %d matched, %d failed, %d not implemented\n", matched, failed, notImpl)
	fmt.Printf("parity pml-2.8.1-parity.json [losses]: %d of them also on the host loss engine\n", parityHostChecked)
}

func checkParityLoss(c *parityLossCase) []string {
	text, err := lossSpecString(c.Spec)
	if err != nil {
		return []string{err.Error()}
	}
	loss, err := losses.Parse(text)
	if err != nil {
		return []string{fmt.Sprintf("Parse(%q): %v", text, err)}
	}
	params := map[string][][]float64{}
	var names []string
	for name, r := range c.InitialParameters {
		var m [][]float64
		if err := json.Unmarshal(r, &m); err != nil {
			var v []float64 // MarginLoss's beta is a vector.
			if err := json.Unmarshal(r, &v); err != nil {
				return []string{fmt.Sprintf("initial parameter %s: %v", name, err)}
			}
			m = [][]float64{v}
		}
		params[name] = m
		names = append(names, name)
	}
	sort.Strings(names)
	got, gEmb, gParams, err := evalParity(loss, c, names, params)
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", text, err)}
	}
	var problems []string
	lossTol := 1e-9
	if c.Spec["loss"] == "ManifoldLoss" {
		lossTol = manifoldGoldenLossTol
	}
	if math.Abs(got-c.Loss) > lossTol*math.Abs(c.Loss) && !(c.Loss == 0 && math.Abs(got) <= 1e-12) {
		problems = append(problems, fmt.Sprintf("loss %.17g, want %.17g", got, c.Loss))
	}
	gradTol := 1e-9
	if c.Spec["loss"] == "ManifoldLoss" {
		gradTol = manifoldGoldenGradTol
	}
	if e := relErr(gEmb, c.Grad); !(e <= gradTol) {
		problems = append(problems, fmt.Sprintf("grad relative error %.3g", e))
	}
	problems = append(problems, hostParityProblems(loss, c, names, params)...)
	for i, name := range names {
		var want [][]float64
		if err := json.Unmarshal(c.ParameterGrads[name], &want); err != nil {
			var v []float64
			if err := json.Unmarshal(c.ParameterGrads[name], &v); err != nil {
				return append(problems, fmt.Sprintf("parameter_grads[%s]: %v", name, err))
			}
			want = [][]float64{v}
		}
		if e := relErr(gParams[i], want); !(e <= gradTol) {
			problems = append(problems, fmt.Sprintf("parameter_grads[%s] relative error %.3g", name, e))
		}
	}
	return problems
}

// relErr is ‖got − want‖ / ‖want‖ (‖got − want‖ / 1e-3 when ‖want‖ is 0, so that the 1e-9 bound
// reads as the README's absolute 1e-12).
func relErr(got, want [][]float64) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var diff, norm float64
	for i := range want {
		if len(got[i]) != len(want[i]) {
			return math.Inf(1)
		}
		for j := range want[i] {
			d := got[i][j] - want[i][j]
			diff += d * d
			norm += want[i][j] * want[i][j]
		}
	}
	if norm == 0 {
		return math.Sqrt(diff) / 1e-3
	}
	return math.Sqrt(diff / norm)
}

// evalParity computes the case's loss and its gradients with respect to the embeddings and each named
// parameter (created with its initial value where the loss keeps it: a ParametricLoss's scope, or
// MarginLoss's beta as an input).
func evalParity(loss losses.Loss, c *parityLossCase, names []string, params map[string][][]float64) (l float64, gEmb [][]float64, gParams [][][]float64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	ctx := context.New()
	var vars []*context.Variable
	margin, isMargin := loss.(*losses.Margin)
	manifold, isManifold := loss.(*losses.Manifold)
	if isManifold != (c.MetaClasses != nil) {
		return 0, nil, nil, fmt.Errorf("%T with meta classes %v", loss, c.MetaClasses)
	}
	if len(names) > 0 && !isMargin {
		var scope string
		if isManifold {
			scope = manifold.Scope
		} else {
			co := reflect.ValueOf(loss).Elem().FieldByName("ClassOptions")
			if !co.IsValid() {
				return 0, nil, nil, fmt.Errorf("%T has initial parameters but no ClassOptions", loss)
			}
			scope = co.Interface().(losses.ClassOptions).Scope
		}
		scoped := ctx.In(scope)
		for _, name := range names {
			vars = append(vars, scoped.VariableWithValue(name, params[name]))
		}
	}
	args := []any{tensors.FromValue(c.Embeddings)}
	if isMargin && len(names) == 1 {
		args = append(args, tensors.FromValue(params[names[0]][0]))
	}
	exec, err := context.NewExecAny(backend.MustShared(), ctx, func(ctx *context.Context, in []*graph.Node) []*graph.Node {
		e := in[0]
		g := e.Graph()
		inputs := losses.Inputs{Embeddings: e}
		if c.Labels != nil {
			inputs.Labels = graph.Const(g, c.Labels)
		}
		wrt := []*graph.Node{e}
		var v *graph.Node
		switch {
		case isManifold:
			v = manifold.ComputeWithMetaClasses(ctx, e, graph.Const(g, c.MetaClasses))
			for _, x := range vars {
				wrt = append(wrt, x.ValueGraph(g))
			}
		case len(in) > 1:
			v = margin.ComputeWithBeta(inputs, in[1])
			wrt = append(wrt, in[1])
		case len(vars) > 0:
			v = loss.ComputeWithContext(ctx, inputs)
			for _, x := range vars {
				wrt = append(wrt, x.ValueGraph(g))
			}
		default:
			v = loss.ComputeWithContext(ctx, inputs)
		}
		return append([]*graph.Node{v}, graph.Gradient(v, wrt...)...)
	})
	if err != nil {
		return 0, nil, nil, err
	}
	outs, err := exec.Exec(args...)
	if err != nil {
		return 0, nil, nil, err
	}
	l = tensors.ToScalar[float64](outs[0])
	gEmb = outs[1].Value().([][]float64)
	for _, o := range outs[2:] {
		switch v := o.Value().(type) {
		case [][]float64:
			gParams = append(gParams, v)
		case []float64:
			gParams = append(gParams, [][]float64{v})
		}
	}
	if len(gParams) != len(names) {
		return 0, nil, nil, fmt.Errorf("%d parameter gradients for %d parameters", len(gParams), len(names))
	}
	return l, gEmb, gParams, nil
}

type parityMinerCase struct {
	Name          string         `json:"name"`
	Spec          map[string]any `json:"spec"`
	Embeddings    [][]float64    `json:"embeddings"`
	Labels        []int          `json:"labels"`
	RefEmbeddings [][]float64    `json:"ref_embeddings"`
	RefLabels     []int          `json:"ref_labels"`
	PosPairs      [][]int        `json:"pos_pairs"`
	NegPairs      [][]int        `json:"neg_pairs"`
	Triplets      [][]int        `json:"triplets"`
	// Draws and Frequencies are the random miners' cases: how often each tuple was selected over
	// Draws calls ("(a, p, n)", "pos (a, p)", "neg (a, n)").
	Draws       int            `json:"draws"`
	Frequencies map[string]int `json:"frequencies"`
}

// TestParityGoldenMiners builds every miner case of pml-2.8.1-parity.json from its PML name and
// arguments through miners.Parse and compares the selected pairs or triplets with PML's as sets.
func TestParityGoldenMiners(t *testing.T) {
	f := loadParity(t)
	if len(f.Miners) == 0 {
		t.Fatal("no miner case")
	}
	var matched, failed, notImpl int
	for _, raw := range f.Miners {
		var c parityMinerCase
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		if reason, ok := parityNotImplemented[c.Spec["miner"].(string)]; ok {
			notImpl++
			t.Logf("%s: not implemented: %s", c.Name, reason)
			continue
		}
		if problems := checkParityMiner(&c); len(problems) > 0 {
			failed++
			t.Errorf("%s: %s", c.Name, strings.Join(problems, "; "))
		} else {
			matched++
		}
	}
	fmt.Printf("parity pml-2.8.1-parity.json [miners]: %d matched, %d failed, %d not implemented\n", matched, failed, notImpl)
}

// minerSpecString writes a golden miner spec (PML class name, params, distance) as a spec.
func minerSpecString(c *parityMinerCase) (string, error) {
	args := map[string]any{"type": c.Spec["miner"]}
	for k, v := range c.Spec {
		switch k {
		case "miner", "name":
		case "params":
			for pk, pv := range v.(map[string]any) {
				args[pk] = pv
			}
		case "distance":
			args[k] = v
		default:
			return "", fmt.Errorf("spec key %q not understood", k)
		}
	}
	return pySpec(args), nil
}

func checkParityMiner(c *parityMinerCase) (problems []string) {
	if c.Frequencies != nil {
		return checkParityFrequencies(c, 1)
	}
	text, err := minerSpecString(c)
	if err != nil {
		return []string{err.Error()}
	}
	m, err := miners.Parse(text)
	if err != nil {
		return []string{fmt.Sprintf("Parse(%q): %v", text, err)}
	}
	defer func() {
		if r := recover(); r != nil {
			problems = append(problems, fmt.Sprintf("panic: %v", r))
		}
	}()
	tm, triplets := m.(miners.TripletMiner)
	triplets = triplets && c.Triplets != nil
	inputs := []any{tensors.FromValue(c.Embeddings)}
	if c.RefEmbeddings != nil {
		inputs = append(inputs, tensors.FromValue(c.RefEmbeddings))
	}
	exec, err := graph.NewExecAny(backend.MustShared(), func(in []*graph.Node) []*graph.Node {
		g := in[0].Graph()
		li := losses.Inputs{Embeddings: in[0], Labels: graph.Const(g, c.Labels)}
		if len(in) > 1 {
			li.Ref, li.RefLabels = in[1], graph.Const(g, c.RefLabels)
		}
		if triplets {
			return []*graph.Node{graph.ConvertDType(tm.MineTriplets(li), in[0].DType())}
		}
		p, n := m.Mine(li)
		return []*graph.Node{p, n}
	})
	if err != nil {
		return []string{err.Error()}
	}
	outs, err := exec.Exec(inputs...)
	if err != nil {
		return []string{err.Error()}
	}
	if triplets {
		var got [][]int
		for a, rows := range outs[0].Value().([][][]float64) {
			for p, row := range rows {
				for n, x := range row {
					if x != 0 {
						got = append(got, []int{a, p, n})
					}
				}
			}
		}
		return sameSet("triplets", got, c.Triplets)
	}
	if c.PosPairs == nil || c.NegPairs == nil {
		return []string{"case has neither triplets nor pos_pairs and neg_pairs"}
	}
	queryBlock := func(w [][]float64) [][]int {
		var out [][]int
		for i, row := range w {
			for j, x := range row {
				if x != 0 {
					out = append(out, []int{i, j})
				}
			}
		}
		return out
	}
	problems = sameSet("pos_pairs", queryBlock(outs[0].Value().([][]float64)), c.PosPairs)
	return append(problems, sameSet("neg_pairs", queryBlock(outs[1].Value().([][]float64)), c.NegPairs)...)
}

// sameSet compares two lists of tuples as sets, describing the first differences.
func sameSet(what string, got, want [][]int) []string {
	key := func(x []int) string { return fmt.Sprint(x) }
	g, w := map[string]bool{}, map[string]bool{}
	for _, x := range got {
		g[key(x)] = true
	}
	for _, x := range want {
		w[key(x)] = true
	}
	var extra, missing []string
	for k := range g {
		if !w[k] {
			extra = append(extra, k)
		}
	}
	for k := range w {
		if !g[k] {
			missing = append(missing, k)
		}
	}
	if len(extra) == 0 && len(missing) == 0 {
		return nil
	}
	sort.Strings(extra)
	sort.Strings(missing)
	return []string{fmt.Sprintf("%s: %d extra %v, %d missing %v (of %d)", what, len(extra), head(extra), len(missing), head(missing), len(want))}
}

func head(s []string) []string {
	if len(s) > 5 {
		return s[:5]
	}
	return s
}

// TestParityCheckerCanFail makes sure the parity check rejects a case whose expected loss is off by
// 1e-7 relative, whose gradient is off, whose spec drops an argument (the default then differs from
// the case's), or whose loss has no builder.
func TestParityCheckerCanFail(t *testing.T) {
	f := loadParity(t)
	var base parityLossCase
	for _, raw := range f.Losses {
		if err := json.Unmarshal(raw, &base); err != nil {
			t.Fatal(err)
		}
		if base.Name == "ThresholdConsistentMarginLoss_custom" {
			break
		}
	}
	if base.Name != "ThresholdConsistentMarginLoss_custom" {
		t.Fatal("case ThresholdConsistentMarginLoss_custom not found")
	}
	if p := checkParityLoss(&base); len(p) > 0 {
		t.Fatalf("unmodified case: %v", p)
	}
	clone := func() parityLossCase {
		var c parityLossCase
		b, _ := json.Marshal(base)
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	for name, modify := range map[string]func(c *parityLossCase){
		"loss off":       func(c *parityLossCase) { c.Loss *= 1 + 1e-7 },
		"grad off":       func(c *parityLossCase) { c.Grad[0][0] += 1e-6 },
		"param dropped":  func(c *parityLossCase) { delete(c.Spec["params"].(map[string]any), "margin_plus") },
		"unknown loss":   func(c *parityLossCase) { c.Spec["loss"] = "NoSuchLoss" },
		"unknown option": func(c *parityLossCase) { c.Spec["params"].(map[string]any)["lambda"] = 1.0 },
	} {
		c := clone()
		modify(&c)
		if p := checkParityLoss(&c); len(p) == 0 {
			t.Errorf("%s: the check passed, want a failure", name)
		}
	}
}

// parityHostChecked counts the parity cases also checked on the host loss engine.
var parityHostChecked int

// hostParityProblems checks a parity case on the host loss engine as well, when it covers the loss's
// settings (a batch with labels; a parametric loss with its one parameter), at the same tolerances.
func hostParityProblems(loss losses.Loss, c *parityLossCase, names []string, params map[string][][]float64) []string {
	h, err := losses.Host(loss)
	if err != nil || c.Labels == nil || c.MetaClasses != nil {
		return nil
	}
	in := losses.HostInputs{Embeddings: tensors.FromValue(c.Embeddings)}
	labels := make([]int64, len(c.Labels))
	for i, y := range c.Labels {
		labels[i] = int64(y)
	}
	in.Labels = tensors.FromValue(labels)
	_, parametric := h.(losses.HostParametricLoss)
	if parametric {
		if len(names) != 1 {
			return nil
		}
		in.Params = []*tensors.Tensor{tensors.FromValue(params[names[0]])}
	} else if len(names) > 0 {
		return nil // MarginLoss's learnable beta: the graph only
	}
	res, err := h.HostCompute(in)
	if err != nil {
		return []string{"host engine: " + err.Error()}
	}
	parityHostChecked++
	var problems []string
	if math.Abs(res.Loss-c.Loss) > 1e-9*math.Abs(c.Loss) && !(c.Loss == 0 && math.Abs(res.Loss) <= 1e-12) {
		problems = append(problems, fmt.Sprintf("host engine: loss %.17g, want %.17g", res.Loss, c.Loss))
	}
	if e := relErr(res.Gradient.Value().([][]float64), c.Grad); !(e <= 1e-9) {
		problems = append(problems, fmt.Sprintf("host engine: grad relative error %.3g", e))
	}
	if parametric {
		var want [][]float64
		if err := json.Unmarshal(c.ParameterGrads[names[0]], &want); err != nil {
			return append(problems, fmt.Sprintf("host engine: parameter_grads[%s]: %v", names[0], err))
		}
		if e := relErr(res.ParamGradients[0].Value().([][]float64), want); !(e <= 1e-9) {
			problems = append(problems, fmt.Sprintf("host engine: parameter_grads[%s] relative error %.3g", names[0], e))
		}
	}
	return problems
}
