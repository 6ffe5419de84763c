package runfolder

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/gometric/gometric/datasets"
)

// WriteTestPairs writes p to the run folder's TestPairsFile, atomically: one JSON object per pair,
// {"a": [features], "b": [features], "label": 0|1}, the format `gometric match` reads. The features
// are the items' raw features; the model applies its own input normalisation. Items that are
// objects (graphs) are written inline as such ({"a": {graph}, "b": {graph}, "label": 0|1}, see
// graphs.ReadPairs), when they know how (a JSONItem method).
func (r Folder) WriteTestPairs(p *datasets.Pairs) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if o := p.Items.Objects; o != nil {
		js, ok := o.(interface {
			JSONItem(i int) (json.RawMessage, error)
		})
		if !ok {
			return fmt.Errorf("test pairs: %s items cannot be written inline", o.Kind())
		}
		type objLine struct {
			A     json.RawMessage `json:"a"`
			B     json.RawMessage `json:"b"`
			Label int             `json:"label"`
		}
		for i := range p.Y {
			a, err := js.JSONItem(p.A[i])
			if err != nil {
				return fmt.Errorf("test pair %d: %w", i, err)
			}
			b, err := js.JSONItem(p.B[i])
			if err != nil {
				return fmt.Errorf("test pair %d: %w", i, err)
			}
			if err := enc.Encode(objLine{A: a, B: b, Label: p.Y[i]}); err != nil {
				return fmt.Errorf("test pair %d: %w", i, err)
			}
		}
		return WriteFileAtomic(r.Path(TestPairsFile), buf.Bytes())
	}
	type line struct {
		A     []float32 `json:"a"`
		B     []float32 `json:"b"`
		Label int       `json:"label"`
	}
	for i := range p.Y {
		if err := enc.Encode(line{A: p.Items.Features.Row(p.A[i]), B: p.Items.Features.Row(p.B[i]), Label: p.Y[i]}); err != nil {
			return fmt.Errorf("test pair %d: %w", i, err)
		}
	}
	return WriteFileAtomic(r.Path(TestPairsFile), buf.Bytes())
}
