package losses_test

import (
	"fmt"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/backend"
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
				emb, labels := benchBatch(n, d, n/2, 1)
				in := losses.HostInputs{Embeddings: emb, Labels: labels}
				for b.Loop() {
					if _, err := h.HostCompute(in); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkHostClassLosses is BenchmarkHostLosses for the class losses on the host engine (N/2
// classes, the parameters drawn N(0, 1)).
func BenchmarkHostClassLosses(b *testing.B) {
	const d = 128
	for _, name := range losses.Names() {
		for _, n := range benchSizes[:3] {
			loss, err := losses.ByNameWithClasses(name, n/2, d)
			if err != nil {
				break
			}
			hp, ok := loss.(losses.HostParametricLoss)
			if _, err := losses.Host(loss); !ok || err != nil {
				break
			}
			b.Run(fmt.Sprintf("%s/N=%d", name, n), func(b *testing.B) {
				emb, labels := benchBatch(n, d, n/2, 1)
				in := losses.HostInputs{Embeddings: emb, Labels: labels}
				// The parameters as the loss initializes them.
				params, err := context.MustNewExec(backend.MustShared(), context.New(), func(ctx *context.Context, e *graph.Node) []*graph.Node {
					return hp.HostParameters(ctx, e.Graph(), e.DType())
				}).Exec(in.Embeddings)
				if err != nil {
					b.Fatal(err)
				}
				in.Params = params
				for b.Loop() {
					if _, err := hp.HostCompute(in); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
