package golden

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"testing"

	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/miners"
	"github.com/gometric/gometric/spec"
)

// How a golden case's spec becomes a gometric object: the PML class name and keyword arguments of
// the case are turned into a spec call (package spec) and built by the registry of losses or miners,
// that is NewX() with PML's defaults and only the arguments the case gives. Nothing here sets a
// default by hand, so a wrong default in a constructor makes its cases fail.

// notImplementedCases lists, by case name, the loss and miner cases gometric knowingly cannot build
// or run, each with the reason. Only these may be skipped: any other loss or miner case that cannot be
// built (an unknown loss, miner, option or kind) fails the golden test. Empty at present: every case
// of the golden files is built.
var notImplementedCases = map[string]string{}

// unmodelledArgs are PML constructor arguments that gometric has no option for because it implements
// one value only: a case may give that value (and is then built without the argument); any other
// value is an unknown option and fails.
var unmodelledArgs = map[string]map[string]any{
	// gometric computes every triplet (PML's default "all"); the other values are not implemented.
	"TripletMarginLoss": {"triplets_per_anchor": "all"},
	"MarginLoss":        {"triplets_per_anchor": "all"},
}

// specValue converts a JSON value of a case's spec to a spec value: numbers, booleans, strings,
// null (None), lists, and objects with a "type" key (a nested PML object such as a distance).
func specValue(v any) (spec.Value, error) {
	switch x := v.(type) {
	case nil:
		return spec.Value{Kind: spec.None}, nil
	case bool:
		return spec.Value{Kind: spec.Bool, Bool: x}, nil
	case float64:
		return spec.Value{Kind: spec.Number, Num: x, Text: strconv.FormatFloat(x, 'g', -1, 64)}, nil
	case string:
		return spec.Value{Kind: spec.String, Text: x}, nil
	case []any:
		out := spec.Value{Kind: spec.List}
		for _, e := range x {
			ev, err := specValue(e)
			if err != nil {
				return spec.Value{}, err
			}
			out.List = append(out.List, ev)
		}
		return out, nil
	case map[string]any:
		typ, ok := x["type"].(string)
		if !ok {
			return spec.Value{}, fmt.Errorf("object without a \"type\": %v", x)
		}
		rest := map[string]any{}
		for k, e := range x {
			if k != "type" {
				rest[k] = e
			}
		}
		c, err := specCall(typ, rest)
		if err != nil {
			return spec.Value{}, err
		}
		return spec.Value{Kind: spec.Call, Call: &c}, nil
	}
	return spec.Value{}, fmt.Errorf("unsupported value %v (%T)", v, v)
}

// specCall is the call name(key=value, ...) of params, in sorted key order, less the unmodelled
// arguments at their one implemented value.
func specCall(name string, params map[string]any) (spec.CallExpr, error) {
	c := spec.CallExpr{Name: name}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := params[k]
		if only, ok := unmodelledArgs[name][k]; ok && v == only {
			continue
		}
		sv, err := specValue(v)
		if err != nil {
			return c, fmt.Errorf("%s %s: %w", name, k, err)
		}
		c.Args = append(c.Args, spec.Arg{Key: k, Value: sv})
	}
	return c, nil
}

// lossCall is the spec call of a case's loss: its params plus distance, reducer and the regularizers.
func lossCall(s lossSpec) (spec.CallExpr, error) {
	params := map[string]any{}
	for k, v := range s.Params {
		params[k] = v
	}
	for k, v := range map[string]map[string]any{
		"distance":              s.Distance,
		"reducer":               s.Reducer,
		"embedding_regularizer": s.EmbeddingRegularizer,
		"weight_regularizer":    s.WeightRegularizer,
	} {
		if v != nil {
			params[k] = v
		}
	}
	return specCall(s.Loss, params)
}

// buildLoss builds the loss of a case's spec through losses.Specs (losses.Parse's registry).
func buildLoss(s lossSpec) (losses.Loss, error) {
	c, err := lossCall(s)
	if err != nil {
		return nil, err
	}
	v, err := losses.Specs.Build(c)
	if err != nil {
		return nil, err
	}
	return v.(losses.Loss), nil
}

// buildMiner builds the miner of a case's spec through miners.Specs (miners.Parse's registry).
func buildMiner(s minerSpec) (miners.PairMiner, error) {
	params := map[string]any{}
	for k, v := range s.Params {
		params[k] = v
	}
	if s.Distance != nil {
		params["distance"] = s.Distance
	}
	c, err := specCall(s.Miner, params)
	if err != nil {
		return nil, err
	}
	v, err := miners.Specs.Build(c)
	if err != nil {
		return nil, err
	}
	return v.(miners.PairMiner), nil
}

// TestUnbuildableCaseFails makes sure a loss or miner case gometric cannot build fails instead of
// being skipped: an unknown loss, an unknown option, an unknown miner.
func TestUnbuildableCaseFails(t *testing.T) {
	f, err := Load("../../testdata/golden/pml-2.8.1.json")
	if err != nil {
		t.Fatal(err)
	}
	var loss, miner map[string]any
	if err := json.Unmarshal(f.Sections["losses"][0], &loss); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(f.Sections["miners"][0], &miner); err != nil {
		t.Fatal(err)
	}
	unknown := cloneCase(t, loss)
	unknown["spec"].(map[string]any)["loss"] = "NoSuchLoss"
	if o := checkLossCase(mustJSON(t, unknown)); o.status != failed {
		t.Errorf("unknown loss: got status %v (%s), want failed", o.status, o.detail)
	}
	option := cloneCase(t, loss)
	option["spec"].(map[string]any)["params"] = map[string]any{"no_such_option": 1.0}
	if o := checkLossCase(mustJSON(t, option)); o.status != failed {
		t.Errorf("unknown option: got status %v (%s), want failed", o.status, o.detail)
	}
	m := cloneCase(t, miner)
	m["spec"].(map[string]any)["miner"] = "NoSuchMiner"
	if o := checkMinerCase(mustJSON(t, m)); o.status != failed {
		t.Errorf("unknown miner: got status %v (%s), want failed", o.status, o.detail)
	}
}
