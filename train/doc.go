// Package train trains embedding models: GoMLX's trainer and training loop (package
// github.com/gomlx/gomlx/pkg/ml/train) around an encoder from package encoders and a loss from
// package losses, with the data of package datasets.
//
// # The recipe
//
// Config holds a run's settings (DefaultConfig: the `gometric train` defaults). LoadData reads and
// splits the data (a built-in data set, an items file or a pairs file): a fixed-seed stratified
// split into training, validation and test items, labeled validation and test pairs drawn from
// them. Fit then trains:
//
//   - pair batches: each step takes BatchSize labeled pairs (drawn afresh each epoch from the
//     training items, half positive, or dealt from a pairs file); both sides go through the same
//     encoder in one call (concat → encoder → split), and pairs.Inputs turns the batch into the
//     loss's inputs under the configured pair mode (the label construction by default);
//   - class batches: each step takes BatchSize items, M per class, and the loss sees their labels
//     (the losses with learnable class parameters, such as ArcFace, train on these only);
//   - a miner (Config.Miner, package miners), when set, selects each batch's pairs;
//   - a classifier head (Config.ClassifierLossWeight, PML's TrainWithClassifier), when set: a Dense
//     layer from the embeddings to the training items' classes, trained with the encoder on class
//     batches, the loss MetricLossWeight × the metric loss + ClassifierLossWeight × the head's
//     cross-entropy (PML's loss_weights; PML weighs both 1 by default, gometric's default is no
//     head). Its weights (context scope ClassifierScope) are checkpointed with the encoder, so
//     --resume goes on with them, and are no part of the embedding;
//   - the loss engine (Config.LossEngine): on the pure-Go backend, a loss that the host loss engine
//     covers (losses.Host) is computed natively in a two-stage step — the encoder's forward graph
//     gives the batch's embeddings (and the loss's parameters), the engine the loss and its
//     gradients, and the training graph runs the encoder again with those gradients as cotangents
//     (GradCache's step) — unless a miner or a classifier head is set; LossEngineGraph keeps the
//     loss in the training graph (the XLA backend always does);
//   - Adam, with a cosine learning-rate schedule by default; static batch shapes, so the training
//     step compiles once; dotgrad's fast matmul gradient is installed;
//   - every EvalEvery steps: the validation metric (MAP@R of the validation items, or the average
//     precision of the validation pairs), a checkpoint, and the best weights so far; early stopping
//     after Patience evaluations without improvement.
//
// The result is a Model (the best weights on validation, the input normalisation, and the match
// threshold chosen on the validation pairs and frozen, eval.ChoosePairThreshold) that embeds raw
// feature vectors (Embed) or items of any kind (EmbedItems): an eval.Embedder and
// eval.ItemsEmbedder.
//
// # Kinds of item and encoders
//
// An item is a feature vector (an image: its pixels), or an object held in datasets.Items.Objects:
// a graph (package graphs; ReadItemsFile and ReadPairsFile read graph files as such). The encoder is
// an encoders.ItemEncoder: its Inputs half turns a batch of item indices into input tensors of
// static shapes (vectors [B, F]; graphs a packed budget, of which a run has a handful: the step
// compiles once per budget, Result.InputShapes), its EncodeInputs half embeds them. Config.Encoder
// names a built-in one (mlp, cnn for vectors; gnn for graphs, with the training graphs' label
// vocabulary, saved in model.json), or encoders.KindCustom for the caller's own, passed as
// Options.Encoder and again to LoadRunModelWith. Pairs of graphs go through the encoder in one
// packed batch (both sides), pairs of vectors side by side (concat → encoder → split).
//
// # Run folders
//
// A run folder (package runfolder: its layout, and how each file is written safely) records a
// run. StartRun begins one: it records what the run trains on — data.json, the SHA-256 of every
// input file and of the data as read (runfolder.DataRecord), and split.json, which items or pair
// lines went to training, validation and test (runfolder.DataSplit) — then config.json. RunData
// reloads exactly that data, refusing an input file whose content changed, so resuming and
// evaluating never re-split; RunConfig reads the configuration.
//
// With Options.RunDir, Fit locks the folder and writes into it: checkpoints/ (the last two
// checkpoints, for Options.Resume), best/ (the best weights on validation), history.json, and at
// the end the published model, model/: the weights, model.json (runfolder.ModelInfo: encoder,
// input normalisation, frozen threshold) and whatever Options.Report writes beside them (the report
// of those weights, report.WriteRun), published in one atomic step (runfolder.Folder.Publish).
// LoadRunModel loads it.
//
// # Packages around train
//
// Data flows one way, cmd → train → eval, report, runfolder; none of these imports train. The
// command (cmd/gometric) calls train; train calls package eval for embedding, pair scoring,
// threshold choice and validation metrics (eval.Embedder, eval.PairScores,
// eval.ChoosePairThreshold, eval.ValidationMetric), package runfolder to read and write the run
// folder, and package report for reports: BuildReport measures a finished training
// (report.ForTraining), LoadEvalSet loads the data a saved model is measured on (report.ForModel,
// Model.ReportModel), and the command writes the report into the model folder through the callback
// Options.Report (report.WriteRun).
package train
