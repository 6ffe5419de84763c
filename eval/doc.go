// Package eval measures embeddings: retrieval accuracy with PyTorch Metric Learning's
// AccuracyCalculator semantics, pair verification with scikit-learn's semantics, and clustering
// agreement (NMI, AMI).
package eval
