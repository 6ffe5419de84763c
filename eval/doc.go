// Package eval measures embeddings: retrieval accuracy with PyTorch Metric Learning's
// AccuracyCalculator semantics, pair verification with scikit-learn's semantics, and clustering
// agreement (NMI, AMI).
//
// # Retrieval
//
// Retrieval ranks the reference set for every query with knn.Search and reports PML's
// precision_at_1, r_precision, mean_average_precision_at_r, mean_average_precision and
// mean_reciprocal_rank (RetrievalScores documents each formula), plus Recall@k (CMC@k) and
// Precision@k for several k at once, per-class results, PML's avg_of_avgs, and NMI/AMI of a
// k-means clustering of the queries. K defaults to PML's "max_bin_count", the smallest K for
// which R-precision and MAP@R are exact. Deliberate differences from PML 2.8.1:
//
//   - the zero RetrievalOptions differ from AccuracyCalculator()'s defaults in K (max_bin_count,
//     PML: None, every reference item), the distance (cosine, PML: L2 of the raw embeddings) and
//     clustering (off, PML: NMI and AMI computed): gometric's own evaluations rely on them.
//     PMLRetrievalOptions returns PML's defaults; RetrievalOptions lists each option;
//   - labels are integers, never cast to float32 (in PML labels above 2^24 collide);
//   - when every query is lone (no other reference item shares its label) the metrics are NaN;
//   - ranking is exact, in float64, ties broken by the lower reference index (PML ranks float32
//     distances with torch.topk or faiss);
//   - k-means is this package's own (k-means++ from a fixed seed, 20 Lloyd iterations), not
//     faiss's, so NMI/AMI agree with PML's only in distribution;
//   - Recall@k and Precision@k are additions.
//
// # Verification
//
// ScoredPairs are scored pairs with 0/1 labels, scored by a similarity (Similarities) or a
// distance (Distances). ROCAUC, AveragePrecision, EER and FNMRAtFMR are threshold-free (Summarize
// computes them all at once); tied scores form one step, as in scikit-learn. Thresholds are chosen
// on validation pairs and then frozen:
//
//	th, err := eval.ChooseThreshold(eval.Similarities(valScores, valLabels), eval.MaxAccuracy)
//	m, err := eval.VerifyAt(eval.Similarities(testScores, testLabels), th)
//
// VerifyAt reports accuracy, precision, recall, F1, MCC, FMR and FNMR of the frozen rule.
//
// # Embedders and pair scores
//
// Embedder is gometric's one interface of an embedding model (train.Model, a baseline, or
// match.Identity): Embed maps feature vectors to embeddings; ItemsEmbedder embeds items of any kind
// (graphs, texts) and SparseEmbedder sparse vectors (a TF-IDF baseline, AsSparse). EmbedItems embeds
// items with any of them. PairScores is the one scoring of labeled pairs (the cosine similarity of
// the two items' embeddings, each item embedded once), shared by training, the reports and
// `gometric match`; ChoosePairThreshold chooses the frozen threshold on the validation pairs with
// it, and ValidationMetric is the metric training tracks (MAP@R of validation items, or the average
// precision of validation pairs).
//
// # Clustering
//
// NMI and AMI compare two labellings with scikit-learn 1.2.1's definitions (arithmetic
// normalisation, exact expected mutual information).
package eval
