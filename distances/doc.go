// Package distances compares embeddings: PyTorch Metric Learning's LpDistance, CosineSimilarity,
// DotProductSimilarity and SNRDistance, with the same defaults and the same "is inverted" convention
// (IsInverted is true for similarities, where larger means closer). Losses are written with Margin and
// Closer so that they work with distances and similarities alike.
//
// Matrix computes the [N, M] matrix between N queries and M references in O(N·M) memory (the L2 and
// SNR distances go through one matrix product). Gradients are safe at zero distance (a point against
// itself): the square root's gradient is taken as 0 there, as torch's cdist does, instead of NaN.
//
// As in PML, DotProductSimilarity normalizes the embeddings by default (so it equals cosine
// similarity); set NormalizeEmbeddings to false for the raw dot product.
package distances
