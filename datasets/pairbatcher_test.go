package datasets

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestPairBatcher(t *testing.T) {
	it := labeledItems(10, 10)
	p, err := SamplePairs(it, 103, 0.5, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewPairBatcher(p, 10, 42)
	if err != nil {
		t.Fatal(err)
	}
	if b.BatchesPerEpoch() != 10 || b.BatchSize() != 10 {
		t.Fatalf("BatchesPerEpoch %d, BatchSize %d", b.BatchesPerEpoch(), b.BatchSize())
	}
	epoch := func(e int) [][]int {
		var out [][]int
		for k, idx := range b.Epoch(e) {
			if k != len(out) || len(idx) != 10 {
				t.Fatalf("batch %d has number %d and %d pairs", len(out), k, len(idx))
			}
			out = append(out, idx)
		}
		return out
	}
	e0, e1 := epoch(0), epoch(1)
	if len(e0) != 10 {
		t.Fatalf("%d batches", len(e0))
	}
	if !reflect.DeepEqual(e0, epoch(0)) {
		t.Error("epoch 0 differs between runs")
	}
	if reflect.DeepEqual(e0, e1) {
		t.Error("epochs 0 and 1 have the same order")
	}
	// Within an epoch, no pair repeats.
	all := slices.Concat(e0...)
	slices.Sort(all)
	if len(slices.Compact(all)) != 100 {
		t.Error("an epoch repeats a pair")
	}
	// Batches spans epochs; breaking out stops it.
	n, lastEpoch := 0, -1
	for e, idx := range b.Batches(3) {
		if e == 1 && n == 10 && !reflect.DeepEqual(idx, e1[0]) {
			t.Error("Batches(3) epoch 1 differs from Epoch(1)")
		}
		n, lastEpoch = n+1, e
	}
	if n != 30 || lastEpoch != 2 {
		t.Errorf("Batches(3) yielded %d batches, last epoch %d", n, lastEpoch)
	}
	n = 0
	for range b.Batches(3) {
		n++
		if n == 4 {
			break
		}
	}
	other, _ := NewPairBatcher(p, 10, 43)
	var o0 [][]int
	for _, idx := range other.Epoch(0) {
		o0 = append(o0, idx)
	}
	if reflect.DeepEqual(o0, e0) {
		t.Error("different seeds, same order")
	}
}

func TestPairBatcherErrors(t *testing.T) {
	p := &Pairs{Items: testItems(), A: []int{0, 1}, B: []int{1, 2}, Y: []int{0, 0}}
	tests := []struct {
		p    *Pairs
		size int
		want string
	}{
		{nil, 1, "nil pairs"},
		{p, 0, "batch size 0 is not positive"},
		{p, 3, "2 pairs are fewer than one batch of 3"},
	}
	for _, tc := range tests {
		if _, err := NewPairBatcher(tc.p, tc.size, 1); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewPairBatcher error = %v, want %q", err, tc.want)
		}
	}
}
