package golden

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"
)

// What the checkers of the loss and miner sections share: building outcomes, comparing losses and
// gradients with PML's, decoding parameters, and making cases that must fail.

// buildOutcome is the outcome of a case whose spec could not be built: skipped for a part gometric
// does not have (notImplemented), failed otherwise, with prefix ("building the loss: ", say) before
// the error.
func buildOutcome(err error, prefix string) outcome {
	if ni, ok := err.(notImplemented); ok {
		return skip("%s", ni.Error())
	}
	return fail("%s%v", prefix, err)
}

// recoverError, deferred, turns a panic of the function that defers it into its error *err.
func recoverError(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("panic: %v", r)
	}
}

// lossProblems compares a loss and its embeddings' gradient with PML's, and describes each mismatch,
// prefixed with prefix ("" or "step 2: ", say).
func lossProblems(prefix string, got, want float64, grad, wantGrad [][]float64) []string {
	var problems []string
	if !relClose(got, want, 1e-9) {
		problems = append(problems, fmt.Sprintf("%sloss %.17g, want %.17g", prefix, got, want))
	}
	if e, ok := gradClose(grad, wantGrad); !ok {
		problems = append(problems, fmt.Sprintf("%sgrad relative error %.3g", prefix, e))
	}
	return problems
}

// relClose reports whether got is within tol of want, relative (within 1e-12 when want is 0).
func relClose(got, want, tol float64) bool {
	if want == 0 {
		return math.Abs(got) <= 1e-12
	}
	return math.Abs(got-want) <= tol*math.Abs(want)
}

// gradClose returns ‖got − want‖ / ‖want‖ (or ‖got − want‖ when ‖want‖ is 0) and whether it is within
// the golden tolerance.
func gradClose(got, want [][]float64) (float64, bool) {
	if len(got) != len(want) {
		return math.Inf(1), false
	}
	var diff, norm float64
	for i := range want {
		if len(got[i]) != len(want[i]) {
			return math.Inf(1), false
		}
		for j := range want[i] {
			d := got[i][j] - want[i][j]
			diff += d * d
			norm += want[i][j] * want[i][j]
		}
	}
	diff, norm = math.Sqrt(diff), math.Sqrt(norm)
	if norm == 0 {
		return diff, diff <= 1e-12
	}
	return diff / norm, diff/norm <= 1e-9
}

// decodeMatrices decodes each named matrix of raw (a case's initial_parameters or parameter_grads).
func decodeMatrices(raw map[string]json.RawMessage) (map[string][][]float64, error) {
	out := map[string][][]float64{}
	for name, r := range raw {
		var m [][]float64
		if err := json.Unmarshal(r, &m); err != nil {
			return nil, fmt.Errorf("parameter %q: %v", name, err)
		}
		out[name] = m
	}
	return out, nil
}

// mustJSON encodes v as JSON.
func mustJSON(t *testing.T, v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// cloneCase returns a deep copy of the decoded case v.
func cloneCase(t *testing.T, v map[string]any) map[string]any {
	var out map[string]any
	if err := json.Unmarshal(mustJSON(t, v), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// lossOff returns a copy of the case c with its loss off by 1e-7, relative.
func lossOff(t *testing.T, c map[string]any) map[string]any {
	off := cloneCase(t, c)
	off["loss"] = off["loss"].(float64) * (1 + 1e-7)
	return off
}

// entryOff returns a copy of the case c with the first entry of the matrix at path ("grad", or
// "parameter_grads", "W") off by 1e-6.
func entryOff(t *testing.T, c map[string]any, path ...string) map[string]any {
	off := cloneCase(t, c)
	var v any = off
	for _, key := range path {
		v = v.(map[string]any)[key]
	}
	row := v.([]any)[0].([]any)
	row[0] = row[0].(float64) + 1e-6
	return off
}
