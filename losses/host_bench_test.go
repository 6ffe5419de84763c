package losses_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gometric/gometric/losses"
)

// BenchmarkHostLosses measures the host engine in BenchmarkLosses' setting (float32, D=128, two
// views per class): one call of HostCompute, the loss and the gradient of the embeddings.
func BenchmarkHostLosses(b *testing.B) {
	const d = 128
	for _, name := range losses.Names() {
		loss, err := losses.ByName(name)
		if err != nil {
			continue // class losses: BenchmarkHostClassLosses
		}
		if _, err := losses.Host(loss); err != nil {
			continue
		}
		for _, n := range benchSizes[:3] {
			b.Run(fmt.Sprintf("%s/N=%d", name, n), func(b *testing.B) {
				h, _ := losses.Host(loss)
				r := rand.New(rand.NewPCG(uint64(n), 1))
				emb := make([]float32, n*d)
				for i := range emb {
					emb[i] = float32(r.NormFloat64())
				}
				labels := make([]int32, n)
				for i := range labels {
					labels[i] = int32(i / 2)
				}
				in := losses.HostInputs{Embeddings: tensors.FromFlatDataAndDimensions(emb, n, d), Labels: tensors.FromValue(labels)}
				for b.Loop() {
					if _, err := h.HostCompute(in); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
