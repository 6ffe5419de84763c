package datasets

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gometric/gometric/mat"
)

// testItems returns 6 items of classes 0,1,0,2,1,0 with features (i, 10i).
func testItems() *Items {
	it := &Items{Name: "t", Labels: []int{0, 1, 0, 2, 1, 0}, ClassNames: []string{"a", "b", "c"}, Features: mat.New(6, 2)}
	for i := range 6 {
		it.IDs = append(it.IDs, string(rune('p'+i)))
		it.Features.Data[2*i], it.Features.Data[2*i+1] = float32(i), float32(10*i)
	}
	return it
}

func TestItemsHelpers(t *testing.T) {
	it := testItems()
	if err := it.Validate(); err != nil {
		t.Fatal(err)
	}
	if it.Len() != 6 || it.Dim() != 2 || !it.HasLabels() || it.NumClasses() != 3 {
		t.Errorf("Len, Dim, HasLabels, NumClasses = %d, %d, %v, %d", it.Len(), it.Dim(), it.HasLabels(), it.NumClasses())
	}
	if got := it.Classes(); !reflect.DeepEqual(got, []int{0, 1, 2}) {
		t.Errorf("Classes = %v", got)
	}
	if got := it.IndicesByClass(); !reflect.DeepEqual(got, map[int][]int{0: {0, 2, 5}, 1: {1, 4}, 2: {3}}) {
		t.Errorf("IndicesByClass = %v", got)
	}
	if got := it.ClassCounts(); !reflect.DeepEqual(got, map[int]int{0: 3, 1: 2, 2: 1}) {
		t.Errorf("ClassCounts = %v", got)
	}
	if it.ClassName(1) != "b" || it.ClassName(7) != "7" {
		t.Errorf("ClassName(1), ClassName(7) = %q, %q", it.ClassName(1), it.ClassName(7))
	}
	if got := it.IndexByID()["r"]; got != 2 {
		t.Errorf(`IndexByID()["r"] = %d`, got)
	}
	s := it.Subset([]int{3, 0})
	if !reflect.DeepEqual(s.IDs, []string{"s", "p"}) || !reflect.DeepEqual(s.Labels, []int{2, 0}) ||
		!reflect.DeepEqual(s.Features.Data, []float32{3, 30, 0, 0}) || s.Name != "t" {
		t.Errorf("Subset = %+v", s)
	}
	s.Features.Data[0] = 99
	if it.Features.Data[6] != 3 {
		t.Error("Subset shares feature memory")
	}
	unl := &Items{IDs: []string{"x"}, Features: mat.New(1, 1)}
	if unl.HasLabels() || unl.Classes() != nil || unl.IndicesByClass() != nil || unl.ClassCounts() != nil {
		t.Error("unlabeled items report classes")
	}
}

func TestItemsValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Items)
		want   string
	}{
		{"nil features", func(it *Items) { it.Features = nil }, "nil Features"},
		{"rows", func(it *Items) { it.IDs = it.IDs[:5] }, "5 ids but 6 feature rows"},
		{"labels", func(it *Items) { it.Labels = it.Labels[:2] }, "6 ids but 2 labels"},
		{"official", func(it *Items) { it.OfficialTest = []bool{true} }, "6 ids but 1 OfficialTest flags"},
		{"negative label", func(it *Items) { it.Labels[4] = -1 }, `item 4 ("t") has negative label -1`},
		{"duplicate id", func(it *Items) { it.IDs[3] = "p" }, `duplicate id "p" (items 0 and 3)`},
		{"bad matrix", func(it *Items) { it.Features.Data = it.Features.Data[:3] }, "matrix 6x2 holds 3 values"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it := testItems()
			tc.mutate(it)
			err := it.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestOfficialSplit(t *testing.T) {
	it := testItems()
	if _, _, err := it.OfficialSplit(); err == nil {
		t.Error("OfficialSplit without OfficialTest: no error")
	}
	it.OfficialTest = []bool{false, true, false, false, true, false}
	tr, te, err := it.OfficialSplit()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tr.IDs, []string{"p", "r", "s", "u"}) || !reflect.DeepEqual(te.IDs, []string{"q", "t"}) {
		t.Errorf("OfficialSplit ids = %v, %v", tr.IDs, te.IDs)
	}
	if !reflect.DeepEqual(te.OfficialTest, []bool{true, true}) {
		t.Errorf("test OfficialTest = %v", te.OfficialTest)
	}
}
