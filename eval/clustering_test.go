package eval

import (
	"math"
	"testing"
)

func TestNMIAndAMI(t *testing.T) {
	// U = [0 0 1 1], V = [0 0 0 1] by hand: cells 2/4, 1/4, 1/4.
	mi := 0.5*math.Log(4.0/3) + 0.25*math.Log(2.0/3) + 0.25*math.Log(2)
	hu := math.Log(2)
	hv := -(0.75*math.Log(0.75) + 0.25*math.Log(0.25))
	tests := []struct {
		name     string
		a, b     []int
		nmi, ami float64
	}{
		{"identical up to renaming", []int{3, 3, 7, 7, 9}, []int{1, 1, 0, 0, 5}, 1, 1},
		{"both one group", []int{4, 4, 4}, []int{2, 2, 2}, 1, 1},
		{"one group vs all apart", []int{0, 0, 0, 0}, []int{0, 1, 2, 3}, 0, 0},
		{"by hand", []int{0, 0, 1, 1}, []int{0, 0, 0, 1}, mi / ((hu + hv) / 2), math.NaN()},
		{"single item", []int{5}, []int{6}, 1, 1},
	}
	for _, tc := range tests {
		nmi, err := NMI(tc.a, tc.b)
		if err != nil || !near(nmi, tc.nmi) {
			t.Errorf("%s: NMI got %v (%v), want %v", tc.name, nmi, err, tc.nmi)
		}
		rev, _ := NMI(tc.b, tc.a)
		if !near(rev, nmi) {
			t.Errorf("%s: NMI not symmetric: %v vs %v", tc.name, nmi, rev)
		}
		ami, err := AMI(tc.a, tc.b)
		if err != nil || (!math.IsNaN(tc.ami) && !near(ami, tc.ami)) {
			t.Errorf("%s: AMI got %v (%v), want %v", tc.name, ami, err, tc.ami)
		}
		if ami > nmi+1e-12 {
			t.Errorf("%s: AMI %v above NMI %v", tc.name, ami, nmi)
		}
	}
	for _, f := range []func(a, b []int) (float64, error){NMI, AMI} {
		if _, err := f(nil, nil); err == nil {
			t.Error("empty labellings: want an error")
		}
		if _, err := f([]int{1}, []int{1, 2}); err == nil {
			t.Error("different lengths: want an error")
		}
	}
}
