package mat

import (
	"reflect"
	"strings"
	"testing"
)

func TestFromRows(t *testing.T) {
	m, err := FromRows([][]float32{{1, 2}, {3, 4}, {5, 6}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Rows != 3 || m.Cols != 2 || !reflect.DeepEqual(m.Row(1), []float32{3, 4}) {
		t.Errorf("got %+v", m)
	}
	if err := m.Validate(); err != nil {
		t.Error(err)
	}
	if _, err := FromRows([][]float32{{1, 2}, {3}}); err == nil || !strings.Contains(err.Error(), "row 1 has 1 values") {
		t.Errorf("ragged rows: %v", err)
	}
	empty, err := FromRows(nil)
	if err != nil || empty.Rows != 0 {
		t.Errorf("empty: %+v, %v", empty, err)
	}
}

func TestSelectAndRows(t *testing.T) {
	m, _ := FromRows([][]float32{{1, 2}, {3, 4}, {5, 6}})
	s := m.Select([]int{2, 0, 2})
	if !reflect.DeepEqual(s.Rowsf(), [][]float32{{5, 6}, {1, 2}, {5, 6}}) {
		t.Errorf("Select: %v", s.Rowsf())
	}
	s.Row(0)[0] = 9
	if m.Row(2)[0] != 5 {
		t.Error("Select shares memory with its source")
	}
	m.Rowsf()[0][0] = 7
	if m.Data[0] != 7 {
		t.Error("Rowsf does not share memory")
	}
}

func TestValidate(t *testing.T) {
	if err := (&Dense{Rows: 2, Cols: 2, Data: make([]float32, 3)}).Validate(); err == nil {
		t.Error("3 values for 2x2: no error")
	}
}
