package train

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/gometric/gometric/datasets"
)

// WriteTestPairs writes p to the run folder's TestPairsFile, atomically: one JSON object per pair,
// {"a": [features], "b": [features], "label": 0|1}, the format `gometric match` reads. The features
// are the items' raw features; the model applies its own input normalisation.
func (r Run) WriteTestPairs(p *datasets.Pairs) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
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
