// Package report measures embedding models honestly and writes what it finds: the trained model
// beside the baselines (the raw features, and the untrained encoder) on the same held-out data,
// with retrieval metrics (precision_at_1, r_precision, MAP@R, as PyTorch Metric Learning's
// AccuracyCalculator computes them, via package eval) on class-labelled test items and
// verification metrics (ROC-AUC, average precision, and accuracy and F1 at a threshold chosen on
// validation pairs and frozen) on labeled test pairs.
//
// ForTraining builds the report of a finished training run, ForModel the report of a saved model
// on any data (LoadSet loads it). A Report prints as text tables (WriteText), Markdown
// (WriteMarkdown) or JSON; WriteRun writes metrics.json, report.md and PNG plots (training loss,
// validation metric, and a PCA projection of the test embeddings coloured by class) into a run
// folder.
package report
