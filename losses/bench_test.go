package losses_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/dotgrad"
	"github.com/gometric/gometric/losses"
)

// benchSizes are the batch sizes of docs/PERFORMANCE.md. Select one with, for example,
// -bench 'Losses/ntxent/N=16384$'.
var benchSizes = []int{256, 1024, 4096, 16384}

// BenchmarkLosses measures one training step's loss work: forward and backward to the embeddings, in
// float32, D=128, two views per class (N/2 classes), the setting of ../shared/bench.
func BenchmarkLosses(b *testing.B) {
	dotgrad.Install()
	const d = 128
	for _, name := range []string{"ntxent", "contrastive", "supcon", "multisimilarity", "nca", "instance", "circle", "tripletmargin", "npairs", "angular", "dynamicsoftmargin", "pnp", "generalizedlifted", "intrapairvariance", "rankedlist", "lifted", "tupletmargin", "fastap"} {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("%s/N=%d", name, n), func(b *testing.B) {
				loss, err := losses.ByName(name)
				if err != nil {
					b.Fatal(err)
				}
				if nt, ok := loss.(*losses.NTXent); ok {
					nt.Temperature = 0.07
				}
				emb, labels := benchBatch(n, d, n/2, 1)
				benchGraphStep(b, loss, emb, labels)
			})
		}
	}
}

// BenchmarkAllTripletsFewClasses times the losses that combine every positive with every negative of
// an anchor when the classes are large (N/C samples per class): their pivot loops run
// K = min(|P|, |N|) = N/C − 1 times (against 1 for two views per class).
//
//	go test ./losses -run XXX -bench 'AllTripletsFewClasses/tripletmargin/N=256/C=8$'
func BenchmarkAllTripletsFewClasses(b *testing.B) {
	dotgrad.Install()
	const d = 128
	for _, name := range []string{"tripletmargin", "angular", "dynamicsoftmargin", "pnp"} {
		for _, nc := range [][2]int{{256, 8}, {256, 32}, {1024, 32}, {1024, 128}} {
			n, classes := nc[0], nc[1]
			b.Run(fmt.Sprintf("%s/N=%d/C=%d", name, n, classes), func(b *testing.B) {
				loss, err := losses.ByName(name)
				if err != nil {
					b.Fatal(err)
				}
				emb, labels := benchBatch(n, d, classes, 2)
				benchGraphStep(b, loss, emb, labels)
			})
		}
	}
}

// benchBatch returns n standard normal embeddings of width d (seeded by n and stream) and labels,
// as tensors: i/2 for classes = n/2 (two consecutive views per class, ../shared/bench's layout), else
// i mod classes.
func benchBatch(n, d, classes int, stream uint64) (emb, labels *tensors.Tensor) {
	r := rand.New(rand.NewPCG(uint64(n), stream))
	e := make([]float32, n*d)
	for i := range e {
		e[i] = float32(r.NormFloat64())
	}
	l := make([]int32, n)
	for i := range l {
		l[i] = int32(i % classes)
		if classes == n/2 {
			l[i] = int32(i / 2)
		}
	}
	return tensors.FromFlatDataAndDimensions(e, n, d), tensors.FromValue(l)
}

// benchGraphStep times loss's graph formulation (backend.GraphOnly) on emb and labels: one execution
// of the loss and its gradient with respect to the embeddings, compiled (and run once) before the
// timing.
func benchGraphStep(b *testing.B, loss losses.PlainLoss, emb, labels *tensors.Tensor) {
	be, err := backend.GraphOnly()
	if err != nil {
		b.Fatal(err)
	}
	exec, err := graph.NewExec(be, func(e, l *graph.Node) (*graph.Node, *graph.Node) {
		v := loss.Compute(losses.Inputs{Embeddings: e, Labels: l})
		return v, graph.Gradient(v, e)[0]
	})
	if err != nil {
		b.Fatal(err)
	}
	run := func() {
		outs, err := exec.Exec(emb, labels)
		if err != nil {
			b.Fatal(err)
		}
		for _, o := range outs {
			o.FinalizeAll()
		}
	}
	run()
	b.ResetTimer()
	for b.Loop() {
		run()
	}
}
