package dotgrad_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/dotgrad"
)

// Benchmarks compare GoMLX's own DotGeneral gradient ("original") with dotgrad's ("installed"):
//
//	go test -run xxx -bench . -benchmem ./dotgrad
//
// The pure-Go backend allocates buffers that -benchmem does not see, so measure peak memory with a
// separate process per variant, e.g.:
//
//	go test -c -o /tmp/dotgrad.test ./dotgrad
//	/usr/bin/time -v /tmp/dotgrad.test -test.run xxx -test.bench 'NTXent/N=1024/original' -test.benchtime 3x

// ruleVariants are the two gradient rules, by sub-benchmark name.
var ruleVariants = []struct {
	name string
	set  func()
}{
	{"original", dotgrad.Uninstall},
	{"installed", dotgrad.Install},
}

// randomTensor returns a float32 tensor of uniform values in [-scale, scale).
func randomTensor(rng *rand.Rand, scale float32, dims ...int) *tensors.Tensor {
	data := make([]float32, shapes.Make(dtypes.Float32, dims...).Size())
	for i := range data {
		data[i] = scale * (2*rng.Float32() - 1)
	}
	return tensors.FromFlatDataAndDimensions(data, dims...)
}

// benchExec sets the rule, compiles graphFn with a first (untimed) call on args, then times calls.
func benchExec[F graph.ExecGraphFn](b *testing.B, setRule func(), graphFn F, args ...any) {
	defer dotgrad.Install()
	setRule() // The rule is read while the gradient graph is built, at the first call below.
	exec := graph.MustNewExec(backend.MustShared(), graphFn)
	defer exec.Finalize()
	run := func() {
		for _, t := range exec.MustExec(args...) {
			t.MustFinalizeAll()
		}
	}
	run()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		run()
	}
}

// ntXentGradient returns the gradient with respect to x of an NT-Xent-like loss on embeddings x
// shaped [N, D]: logits s = x·xᵀ/0.07; loss = mean over rows of logsumexp(s row, diagonal masked)
// minus the mean positive logit, where row i's positive is row (i + N/2) mod N.
func ntXentGradient(x *graph.Node) *graph.Node {
	g := x.Graph()
	n := x.Shape().Dimensions[0]
	s := graph.DivScalar(graph.DotGeneral(x, []int{1}, nil, x, []int{1}, nil), 0.07)
	rows := graph.Iota(g, shapes.Make(dtypes.Int32, n, n), 0)
	cols := graph.Iota(g, shapes.Make(dtypes.Int32, n, n), 1)
	masked := graph.Where(graph.Equal(rows, cols), graph.Scalar(g, s.DType(), -1e9), s)
	rowMax := graph.StopGradient(graph.ReduceAndKeep(masked, graph.ReduceMax, 1))
	lse := graph.Add(graph.Log(graph.ReduceSum(graph.Exp(graph.Sub(masked, rowMax)), 1)), graph.Squeeze(rowMax, 1))
	positive := graph.Equal(cols, graph.ModScalar(graph.AddScalar(rows, n/2), n))
	positiveLogits := graph.ReduceSum(graph.Where(positive, s, graph.ScalarZero(g, s.DType())), 1)
	loss := graph.Sub(graph.ReduceAllMean(lse), graph.ReduceAllMean(positiveLogits))
	return graph.Gradient(loss, x)[0]
}

// BenchmarkNTXent times one NT-Xent-like forward and backward pass on x shaped [N, 128] float32.
func BenchmarkNTXent(b *testing.B) {
	for _, n := range []int{256, 1024} {
		x := randomTensor(rand.New(rand.NewPCG(1, uint64(n))), 0.1, n, 128)
		for _, rule := range ruleVariants {
			b.Run(fmt.Sprintf("N=%d/%s", n, rule.name), func(b *testing.B) {
				benchExec(b, rule.set, ntXentGradient, x)
			})
		}
	}
}

// denseStep is one SGD step of a Dense layer y = x·w + bias with a mean-squared-error loss; it
// returns the updated w and bias.
func denseStep(x, w, bias, target *graph.Node) (*graph.Node, *graph.Node) {
	y := graph.Add(graph.DotGeneral(x, []int{1}, nil, w, []int{0}, nil), graph.InsertAxes(bias, 0))
	loss := graph.ReduceAllMean(graph.Square(graph.Sub(y, target)))
	grads := graph.Gradient(loss, w, bias)
	const learningRate = 0.01
	return graph.Sub(w, graph.MulScalar(grads[0], learningRate)), graph.Sub(bias, graph.MulScalar(grads[1], learningRate))
}

// BenchmarkDense times one training step of a Dense layer [B=256, 784]×[784, 256], float32.
func BenchmarkDense(b *testing.B) {
	const batch, in, out = 256, 784, 256
	rng := rand.New(rand.NewPCG(2, 3))
	x, w := randomTensor(rng, 1, batch, in), randomTensor(rng, 0.05, in, out)
	bias, target := randomTensor(rng, 0.1, out), randomTensor(rng, 1, batch, out)
	for _, rule := range ruleVariants {
		b.Run(fmt.Sprintf("B=%d/%s", batch, rule.name), func(b *testing.B) {
			benchExec(b, rule.set, denseStep, x, w, bias, target)
		})
	}
}
