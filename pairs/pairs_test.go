package pairs_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gometric/gometric/pairs"
)

func TestLabels(t *testing.T) {
	tests := []struct {
		name  string
		batch pairs.Batch
		want  []int32
	}{
		{"positives share, negatives apart", pairs.Batch{Y: []int{1, 0, 1}}, []int32{0, 1, 2, 0, 3, 2}},
		{"all negatives", pairs.Batch{Y: []int{0, 0}}, []int32{0, 1, 2, 3}},
		// Item "a" occurs in pairs 0 and 1: one label, and pair 1's positive joins "c" to it.
		{"recurring item", pairs.Batch{Y: []int{1, 1, 0}, IDs1: []string{"a", "a", "d"}, IDs2: []string{"b", "c", "a"}},
			[]int32{0, 0, 1, 0, 0, 0}},
		{"same item on both sides of different pairs", pairs.Batch{Y: []int{0, 0}, IDs1: []string{"x", "y"}, IDs2: []string{"y", "z"}},
			[]int32{0, 1, 1, 2}},
	}
	for _, tc := range tests {
		got, err := tc.batch.Labels()
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestValidateErrors(t *testing.T) {
	tests := []struct {
		name  string
		batch pairs.Batch
		mode  pairs.Mode
		want  string
	}{
		{"empty", pairs.Batch{}, pairs.Explicit, "empty batch"},
		{"label 2", pairs.Batch{Y: []int{1, 2}}, pairs.Explicit, "pair 1 has label 2"},
		{"label -1", pairs.Batch{Y: []int{-1}}, pairs.LabelConstruction, "pair 0 has label -1"},
		{"one side's ids", pairs.Batch{Y: []int{1}, IDs1: []string{"a"}}, pairs.Explicit, "both sides or neither"},
		{"id count", pairs.Batch{Y: []int{1, 0}, IDs1: []string{"a"}, IDs2: []string{"b"}}, pairs.Explicit, "2 pair labels but 1 side-1 ids"},
		{"negative in positives-only", pairs.Batch{Y: []int{1, 0}}, pairs.PositivesOnly, "pair 1 is a negative"},
		{"contradiction", pairs.Batch{Y: []int{1, 0}, IDs1: []string{"a", "a"}, IDs2: []string{"b", "b"}}, pairs.LabelConstruction, "pair 1 is labelled different"},
		{"an item against itself", pairs.Batch{Y: []int{0}, IDs1: []string{"a"}, IDs2: []string{"a"}}, pairs.Explicit, "pair 0 is labelled different"},
	}
	for _, tc := range tests {
		err := tc.batch.Validate(tc.mode)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if err := (pairs.Batch{Y: []int{1, 0, 1}}).Validate(pairs.Explicit); err != nil {
		t.Errorf("valid batch: %v", err)
	}
}

func TestParseMode(t *testing.T) {
	for _, m := range []pairs.Mode{pairs.Explicit, pairs.LabelConstruction, pairs.PositivesOnly} {
		got, err := pairs.ParseMode(m.String())
		if err != nil || got != m {
			t.Errorf("ParseMode(%q) = %v, %v", m.String(), got, err)
		}
	}
	if m, err := pairs.ParseMode("Label_Construction"); err != nil || m != pairs.LabelConstruction {
		t.Errorf("ParseMode(Label_Construction) = %v, %v", m, err)
	}
	if _, err := pairs.ParseMode("triplets"); err == nil || !strings.Contains(err.Error(), "known:") {
		t.Errorf("ParseMode(triplets): %v", err)
	}
}
