package datasets

import (
	"reflect"
	"strings"
	"testing"
)

func TestSamplePairs(t *testing.T) {
	tests := []struct {
		name    string
		counts  []int
		n       int
		posFrac float64
		wantPos int
	}{
		{"balanced", []int{10, 10, 10}, 1000, DefaultPositiveFraction, 500},
		{"imbalanced", []int{100, 2, 1}, 400, 0.25, 100},
		{"only positives", []int{3}, 50, 1, 50},
		{"only negatives", []int{1, 1}, 20, 0, 0},
		{"zero pairs", []int{2, 2}, 0, 0.5, 0},
		{"rounding", []int{4, 4}, 5, 0.5, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it := labeledItems(tc.counts...)
			p, err := SamplePairs(it, tc.n, tc.posFrac, 3)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
			if p.Len() != tc.n || p.NumPositives() != tc.wantPos || p.Items != it {
				t.Fatalf("%d pairs, %d positive; want %d, %d", p.Len(), p.NumPositives(), tc.n, tc.wantPos)
			}
			for i := range p.Y {
				a, b := p.A[i], p.B[i]
				same := it.Labels[a] == it.Labels[b]
				if a == b || same != (p.Y[i] == 1) {
					t.Fatalf("pair %d: items %d (class %d) and %d (class %d), label %d", i, a, it.Labels[a], b, it.Labels[b], p.Y[i])
				}
			}
			again, _ := SamplePairs(it, tc.n, tc.posFrac, 3)
			if !reflect.DeepEqual(p, again) {
				t.Error("same seed, different pairs")
			}
		})
	}
}

func TestSamplePairsCoverage(t *testing.T) {
	// Every other item of the class is drawn as a positive partner, and every item of another
	// class as a negative partner: the draws cover all candidates.
	it := labeledItems(3, 2)
	p, err := SamplePairs(it, 2000, 0.5, 9)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[[2]int]bool{}
	for i := range p.Y {
		seen[[2]int{p.A[i], p.B[i]}] = true
	}
	// Ordered pairs of distinct items: 5*4 = 20, all of them possible.
	if len(seen) != 20 {
		t.Errorf("%d distinct ordered pairs drawn, want all 20", len(seen))
	}
	other, _ := SamplePairs(it, 2000, 0.5, 10)
	if reflect.DeepEqual(p.A, other.A) {
		t.Error("different seeds, same pairs")
	}
}

func TestSamplePairsErrors(t *testing.T) {
	unl := labeledItems(3)
	unl.Labels = nil
	tests := []struct {
		name    string
		it      *Items
		n       int
		posFrac float64
		want    string
	}{
		{"nil", nil, 1, 0.5, "nil items"},
		{"no labels", unl, 1, 0.5, "have no class labels"},
		{"negative n", labeledItems(2, 2), -1, 0.5, "negative number of pairs"},
		{"fraction", labeledItems(2, 2), 1, 1.5, "positive fraction 1.5 is not in [0, 1]"},
		{"no positives", labeledItems(1, 1, 1), 4, 0.5, "no class with two items"},
		{"no negatives", labeledItems(5), 4, 0.5, "fewer than two classes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := SamplePairs(tc.it, tc.n, tc.posFrac, 1); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("SamplePairs error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestPairsGatherAndSubset(t *testing.T) {
	it := testItems()
	p := &Pairs{Items: it, A: []int{0, 1, 2}, B: []int{2, 3, 4}, Y: []int{1, 0, 0}}
	b := p.Gather([]int{2, 0})
	if !reflect.DeepEqual(b.A.Data, []float32{2, 20, 0, 0}) || !reflect.DeepEqual(b.B.Data, []float32{4, 40, 2, 20}) ||
		!reflect.DeepEqual(b.Y, []int{0, 1}) || !reflect.DeepEqual(b.IDsA, []string{"r", "p"}) ||
		!reflect.DeepEqual(b.IDsB, []string{"t", "r"}) || !reflect.DeepEqual(b.Index, []int{2, 0}) {
		t.Errorf("Gather = %+v", b)
	}
	s := p.Subset([]int{1})
	if !reflect.DeepEqual(s.A, []int{1}) || s.Items != it || s.NumPositives() != 0 {
		t.Errorf("Subset = %+v", s)
	}
	bad := []struct {
		p    *Pairs
		want string
	}{
		{&Pairs{A: []int{0}, B: []int{0}, Y: []int{1}}, "nil Items"},
		{&Pairs{Items: it, A: []int{0}, B: []int{}, Y: []int{1}}, "1 A sides, 0 B sides, 1 labels"},
		{&Pairs{Items: it, A: []int{0}, B: []int{6}, Y: []int{1}}, "pair 0 joins items 0 and 6, want 0..5"},
		{&Pairs{Items: it, A: []int{0}, B: []int{1}, Y: []int{2}}, "pair 0 has label 2, not 0 or 1"},
	}
	for _, tc := range bad {
		if err := tc.p.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate() = %v, want %q", err, tc.want)
		}
	}
}

func TestNewInlinePairs(t *testing.T) {
	p, err := NewInlinePairs([][]float32{{1, 2}, {3, 4}}, [][]float32{{5, 6}, {7, 8}}, []int{1, 0})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	b := p.Gather([]int{0, 1})
	if !reflect.DeepEqual(b.A.Data, []float32{1, 2, 3, 4}) || !reflect.DeepEqual(b.B.Data, []float32{5, 6, 7, 8}) || p.Items.IDs[3] != "inline-3" {
		t.Errorf("inline pairs gathered A %v B %v, ids %v", b.A.Data, b.B.Data, p.Items.IDs)
	}
	bad := []struct {
		a, b [][]float32
		y    []int
		want string
	}{
		{[][]float32{{1}}, nil, []int{1}, "1 A vectors, 0 B vectors, 1 labels"},
		{[][]float32{{1}}, [][]float32{{2}}, []int{3}, "pair 0 has label 3"},
		{[][]float32{{1, 2}, {1, 2}}, [][]float32{{2, 3}, {4}}, []int{1, 0}, "pair 1 side B has 1 values, pair 0 side A has 2"},
	}
	for _, tc := range bad {
		if _, err := NewInlinePairs(tc.a, tc.b, tc.y); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewInlinePairs error = %v, want %q", err, tc.want)
		}
	}
	empty, err := NewInlinePairs(nil, nil, nil)
	if err != nil || empty.Len() != 0 {
		t.Errorf("empty inline pairs: %v, %v", empty, err)
	}
}
