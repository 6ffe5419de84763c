package datasets

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/gometric/gometric/mat"
)

// checkEmbeddings checks that ids, labels (when not nil) and emb describe the same items, and that
// every value is finite.
func checkEmbeddings(ids []string, labels []int, emb *mat.Dense) error {
	if emb == nil {
		return fmt.Errorf("write embeddings: nil matrix")
	}
	if err := emb.Validate(); err != nil {
		return fmt.Errorf("write embeddings: %w", err)
	}
	if len(ids) != emb.Rows {
		return fmt.Errorf("write embeddings: %d ids for %d embeddings", len(ids), emb.Rows)
	}
	if labels != nil && len(labels) != emb.Rows {
		return fmt.Errorf("write embeddings: %d labels for %d embeddings", len(labels), emb.Rows)
	}
	for k, v := range emb.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			i := k / emb.Cols
			return fmt.Errorf("write embeddings: item %d (%q): value %d is %v", i, ids[i], k%emb.Cols, v)
		}
	}
	return nil
}

// formatValue writes v in the shortest form that reads back as the same float32.
func formatValue(v float32) string { return strconv.FormatFloat(float64(v), 'g', -1, 32) }

// WriteEmbeddingsCSV writes one row per item: the header id,label,e0,e1,...,e<D-1> (no label
// column when labels is nil), then each item's id, label and embedding. ReadItems reads it back as
// items with integer labels. Non-finite values are an error, before anything is written.
func WriteEmbeddingsCSV(w io.Writer, ids []string, labels []int, emb *mat.Dense) error {
	if err := checkEmbeddings(ids, labels, emb); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	rec := []string{"id"}
	if labels != nil {
		rec = append(rec, "label")
	}
	for j := range emb.Cols {
		rec = append(rec, "e"+strconv.Itoa(j))
	}
	if err := cw.Write(rec); err != nil {
		return err
	}
	for i, id := range ids {
		rec = rec[:0]
		rec = append(rec, id)
		if labels != nil {
			rec = append(rec, strconv.Itoa(labels[i]))
		}
		for _, v := range emb.Row(i) {
			rec = append(rec, formatValue(v))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteEmbeddingsJSONL writes one JSON object per line and item:
// {"id": "...", "label": 3, "embedding": [0.1, ...]} (no label when labels is nil). ReadItems reads
// it back as items with integer labels. Non-finite values are an error, before anything is
// written.
func WriteEmbeddingsJSONL(w io.Writer, ids []string, labels []int, emb *mat.Dense) error {
	if err := checkEmbeddings(ids, labels, emb); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	var buf []byte
	for i, id := range ids {
		idJSON, err := json.Marshal(id)
		if err != nil {
			return err
		}
		buf = append(buf[:0], `{"id":`...)
		buf = append(buf, idJSON...)
		if labels != nil {
			buf = append(buf, `,"label":`...)
			buf = strconv.AppendInt(buf, int64(labels[i]), 10)
		}
		buf = append(buf, `,"embedding":[`...)
		for j, v := range emb.Row(i) {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendFloat(buf, float64(v), 'g', -1, 32)
		}
		buf = append(buf, "]}\n"...)
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}
