// Package report measures embedding models honestly and writes what it finds: the trained model
// beside the baselines (the raw features, and the untrained encoder) on the same held-out data,
// with retrieval metrics (precision_at_1, r_precision, MAP@R, as PyTorch Metric Learning's
// AccuracyCalculator computes them, via package eval) on class-labelled test items and
// verification metrics (ROC-AUC, average precision, and accuracy and F1 at a threshold chosen on
// validation pairs and frozen) on labeled test pairs.
//
// ForTraining builds the report of a finished training run (a TrainedRun: train.BuildReport makes
// it from a training's result), ForModel the report of a saved model (a Model) on any data (a Set:
// train.LoadEvalSet loads the one a Source names). A Set holds the test items and pairs, and a data
// set's own Baseline (the molecules' Morgan fingerprints, place-names' TF-IDF), Triplets
// (graph-edit) and Groups (place-names' scripts, ScriptGroups). A Report prints as text tables
// (WriteText), Markdown (WriteMarkdown) or JSON; WriteRun writes it into the model folder of a run
// being published (package runfolder): PNG plots (training loss, validation metric, and a PCA
// projection of the test embeddings coloured by class), the scored test pairs, report.md, and last
// metrics.json, written once, which lists them all.
//
// Package report does not import package train: train calls it (cmd → train → eval, report,
// runfolder). Embedding and pair scoring are package eval's (eval.Embedder, eval.PairScores).
package report
