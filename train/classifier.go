package train

import (
	"math"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/layers"

	"github.com/gometric/gometric/losses"
)

// ClassifierScope is the context scope of the classifier head's variables (Config.ClassifierLossWeight):
// a Dense layer, "classifier/dense/weights" [EmbeddingDim, classes] and "classifier/dense/biases"
// [classes]. They are trained and checkpointed with the encoder, and are no part of the embedding.
const ClassifierScope = "classifier"

// DefaultMetricLossWeight is PML's default loss_weights["metric_loss"] (every loss weighs 1 when
// loss_weights is None), the weight of the metric loss when Config.MetricLossWeight is nil.
const DefaultMetricLossWeight = 1.0

// objective is the training loss of PML's trainers: MetricLossOnly (Classifier 0) or
// TrainWithClassifier, the weighted sum
//
//	Metric × metric_loss(embeddings, labels, mined tuples) + Classifier × CrossEntropy(classifier(embeddings), labels)
//
// where a term whose weight is 0 is not computed (PML's maybe_get_metric_loss and
// maybe_get_logits).
type objective struct {
	// Metric and Classifier are PML's loss_weights["metric_loss"] and ["classifier_loss"].
	Metric, Classifier float64
	// Classes is the classifier's number of outputs: the training items' classes, as dense class
	// ids 0..Classes-1 (the labels of the class batches).
	Classes int
}

// loss returns the objective of a batch: metric is the metric loss's inputs after mining (labels:
// class ids when Classifier > 0), emb and labels the batch's embeddings and class ids, which the
// classifier head sees.
func (o objective) loss(ctx *context.Context, metric losses.Loss, in losses.Inputs, emb, labels *Node) *Node {
	var total *Node
	if o.Metric > 0 {
		total = metric.ComputeWithContext(ctx, in)
		if o.Metric != 1 {
			total = MulScalar(total, o.Metric)
		}
	}
	if o.Classifier > 0 {
		ce := MulScalar(crossEntropy(classifierLogits(ctx, emb, o.Classes), labels), o.Classifier)
		if total == nil {
			total = ce
		} else {
			total = Add(total, ConvertDType(ce, total.DType()))
		}
	}
	return total
}

// classifierLogits returns the classifier head's logits [B, classes] for embeddings [B, D]: a Dense
// layer with bias (PyTorch's nn.Linear, as in PML's examples of TrainWithClassifier), its weights
// and biases initialised as nn.Linear's, uniform in ±1/√D, from the context's random numbers.
func classifierLogits(ctx *context.Context, emb *Node, classes int) *Node {
	bound := 1 / math.Sqrt(float64(emb.Shape().Dimensions[1]))
	c := ctx.In(ClassifierScope).Checked(false)
	c = c.WithInitializer(initializers.RandomUniformFn(c, -bound, bound))
	return layers.Dense(c, emb, true, classes)
}

// crossEntropy returns the mean over the batch of the cross-entropy of logits [B, C] against the
// class ids labels [B]: torch.nn.CrossEntropyLoss() with its defaults (mean reduction, no class
// weights, no label smoothing), PML's classifier_loss in its examples.
func crossEntropy(logits, labels *Node) *Node {
	classes := logits.Shape().Dimensions[1]
	picked := ReduceSum(Mul(OneHot(labels, classes, logits.DType()), LogSoftmax(logits, -1)), -1)
	return Neg(ReduceAllMean(picked))
}
