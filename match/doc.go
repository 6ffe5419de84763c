// Package match turns embeddings into decisions: PyTorch Metric Learning's MatchFinder and
// InferenceModel.
//
// A MatchFinder decides whether two embeddings match (similarity >= threshold, or distance <=
// threshold) and builds match matrices. An InferenceModel couples an eval.Embedder (a trained model,
// or Identity for ready-made embeddings), a MatchFinder and an Index of items with optional IDs
// and labels: it adds items, finds exact nearest neighbours (knn.Search), lists all matches of a
// query, and saves and loads its index in a versioned, checksummed binary file written
// atomically.
//
// Differences from PML: matching, nearest neighbours and match matrices all go through knn's
// single distance code path (PML's is_match skips normalisation and power), and reported values
// are the distance's own (PML's default faiss index reports squared L2, issue #429). A
// MatchFinder's zero Threshold is 0, where PML's threshold=None has none (each call must give
// one); NewInferenceModel takes its finder explicitly, DefaultInferenceFinder being PML's
// InferenceModel default (cosine similarity, threshold 0.9).
package match
