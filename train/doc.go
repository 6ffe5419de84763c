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
//   - Adam, with a cosine learning-rate schedule by default; static batch shapes, so the training
//     step compiles once; dotgrad's fast matmul gradient is installed;
//   - every EvalEvery steps: the validation metric (MAP@R of the validation items, or the average
//     precision of the validation pairs), a checkpoint, and the best weights so far; early stopping
//     after Patience evaluations without improvement.
//
// The result is a Model (the best weights on validation, the input normalisation, and the match
// threshold chosen on the validation pairs and frozen) that embeds raw feature vectors.
//
// # Run folders
//
// With Options.RunDir, Fit writes a run folder (Run): config.json, checkpoints/ (the last two
// checkpoints, for Options.Resume), best/ (the kept weights), model.json (ModelInfo) and
// history.json. Run.LoadModel loads the trained model back from the folder alone. Checkpoints and
// files are written to a temporary name and renamed into place, so a run killed while saving
// resumes from the previous checkpoint.
package train
