// Command customencoder trains an encoder of its own, written in GoMLX, on labeled pairs with
// gometric's training loop: a residual MLP on the built-in digits data, pairs drawn from the
// training split, the contrastive loss on the explicit pairs. It saves the run, loads the model
// back from the run folder (passing the same encoder) and checks that the loaded model embeds the
// test items as the trained one does.
//
//	go run ./examples/customencoder [RUN]
package main

import (
	"fmt"
	"log"
	"os"
	"time"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/encoders"
	"github.com/gometric/gometric/runfolder"
	"github.com/gometric/gometric/train"
)

// residualMLP is the encoder: a Dense projection to Width, Blocks residual blocks
// h + Dense(ReLU(Dense(h))), then a Dense layer to Dim. Embedding encoders.VectorInputs makes it
// take feature vectors (one [B, F] input); EncodeInputs is the network.
type residualMLP struct {
	encoders.VectorInputs
	Width, Blocks, Dim int
}

// String names the encoder in the run's model.json.
func (r residualMLP) String() string {
	return fmt.Sprintf("residual-mlp %d×%d→%d", r.Blocks, r.Width, r.Dim)
}

// EncodeInputs implements encoders.ItemEncoder. Its variables live in ctx, under encoders.Scope.
func (r residualMLP) EncodeInputs(ctx *context.Context, inputs []*Node) *Node {
	ctx = ctx.In(encoders.Scope)
	h := layers.DenseWithBias(ctx.In("input"), inputs[0], r.Width)
	for i := range r.Blocks {
		b := ctx.Inf("block_%d", i)
		z := activations.Relu(layers.DenseWithBias(b.In("a"), activations.Relu(h), r.Width))
		h = Add(h, layers.DenseWithBias(b.In("b"), z, r.Width))
	}
	return layers.DenseWithBias(ctx.In("output"), activations.Relu(h), r.Dim)
}

func main() {
	dir := "runs/customencoder-" + time.Now().Format("20060102-150405")
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	enc := residualMLP{Width: 128, Blocks: 2, Dim: 32}

	cfg := train.DefaultConfig() // the built-in digits data, pairs drawn from the training split
	cfg.Encoder = encoders.KindCustom
	cfg.EmbeddingDim = enc.Dim
	cfg.Loss, cfg.PairMode = "contrastive", "explicit"
	cfg.Steps, cfg.BatchSize = 300, 64

	run := runfolder.Folder{Dir: dir}
	data, err := train.StartRun(run, cfg) // records the data's fingerprints and split in the run folder
	if err != nil {
		log.Fatal(err)
	}
	res, err := train.Fit(cfg, data, train.Options{RunDir: dir, Encoder: enc, Log: os.Stderr})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("trained %s for %d steps: validation %s %.4f at step %d, threshold %.4f\n",
		res.Model.Spec, res.Steps, res.History.ValMetric, res.History.Val[len(res.History.Val)-1].Value, res.BestStep, res.Model.Threshold)

	// Load the published model back: the manifest names a custom encoder, so the caller passes it.
	loaded, err := train.LoadRunModelWith(run, backend.MustShared(), enc)
	if err != nil {
		log.Fatal(err)
	}
	want, err := res.Model.EmbedItems(data.Test)
	if err != nil {
		log.Fatal(err)
	}
	got, err := loaded.EmbedItems(data.Test)
	if err != nil {
		log.Fatal(err)
	}
	same := true
	for i := range want.Data {
		same = same && want.Data[i] == got.Data[i]
	}
	fmt.Printf("loaded %s from %s: %d test embeddings of dimension %d, identical to the trained model's: %v\n",
		loaded.Spec, dir, got.Rows, got.Cols, same)
	if !same {
		os.Exit(1)
	}
}
