package datasets

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/gometric/gometric/mat"
)

func TestWriteEmbeddingsRoundTrip(t *testing.T) {
	emb := &mat.Dense{Rows: 3, Cols: 2, Data: []float32{0.1, -2.5e-7, 3, 1e30, float32(math.Pi), 0}}
	ids := []string{"a", "b,with comma", `c "quoted"`}
	writers := []struct {
		name  string
		file  string
		write func(w *bytes.Buffer, ids []string, labels []int, emb *mat.Dense) error
	}{
		{"csv", "emb.csv", func(w *bytes.Buffer, ids []string, labels []int, emb *mat.Dense) error {
			return WriteEmbeddingsCSV(w, ids, labels, emb)
		}},
		{"jsonl", "emb.jsonl", func(w *bytes.Buffer, ids []string, labels []int, emb *mat.Dense) error {
			return WriteEmbeddingsJSONL(w, ids, labels, emb)
		}},
	}
	for _, wr := range writers {
		for _, labels := range [][]int{{4, 0, 4}, nil} {
			t.Run(wr.name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := wr.write(&buf, ids, labels, emb); err != nil {
					t.Fatal(err)
				}
				it, _, err := ReadItems(&buf, wr.file, nil)
				if err != nil {
					t.Fatalf("%v\n%s", err, buf.String())
				}
				if !reflect.DeepEqual(it.IDs, ids) || !reflect.DeepEqual(it.Labels, labels) || !reflect.DeepEqual(it.Features, emb) {
					t.Errorf("read back ids %q labels %v features %v", it.IDs, it.Labels, it.Features)
				}
			})
		}
	}
	var buf bytes.Buffer
	if err := WriteEmbeddingsJSONL(&buf, []string{"x"}, []int{1}, &mat.Dense{Rows: 1, Cols: 2, Data: []float32{0.5, -1}}); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != `{"id":"x","label":1,"embedding":[0.5,-1]}`+"\n" {
		t.Errorf("JSONL output %q", got)
	}
}

func TestWriteEmbeddingsErrors(t *testing.T) {
	nan := float32(math.NaN())
	tests := []struct {
		name   string
		ids    []string
		labels []int
		emb    *mat.Dense
		want   string
	}{
		{"nil", []string{"a"}, nil, nil, "nil matrix"},
		{"ids", []string{"a"}, nil, mat.New(2, 1), "1 ids for 2 embeddings"},
		{"labels", []string{"a", "b"}, []int{1}, mat.New(2, 1), "1 labels for 2 embeddings"},
		{"bad matrix", []string{"a"}, nil, &mat.Dense{Rows: 1, Cols: 2}, "holds 0 values"},
		{"nan", []string{"a", "b"}, nil, &mat.Dense{Rows: 2, Cols: 2, Data: []float32{0, 0, 1, nan}}, `item 1 ("b"): value 1 is NaN`},
	}
	for _, tc := range tests {
		for _, write := range []func(*bytes.Buffer) error{
			func(w *bytes.Buffer) error { return WriteEmbeddingsCSV(w, tc.ids, tc.labels, tc.emb) },
			func(w *bytes.Buffer) error { return WriteEmbeddingsJSONL(w, tc.ids, tc.labels, tc.emb) },
		} {
			var buf bytes.Buffer
			if err := write(&buf); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
			}
			if buf.Len() != 0 {
				t.Errorf("%s: wrote %q before failing", tc.name, buf.String())
			}
		}
	}
}
