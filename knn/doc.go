// Package knn finds the exact k nearest neighbours of a set of query embeddings in a set of
// reference embeddings, with the distances of PyTorch Metric Learning (CosineSimilarity,
// DotProductSimilarity, LpDistance with normalize_embeddings and power).
//
// Search compares a block of queries with a block of references at a time with a
// register-blocked panel kernel (6 queries x 8 references in float64; AVX2 and FMA assembly on
// amd64 CPUs that have them, portable Go elsewhere, the two bit-identical) that also marks the
// values that can enter a query's K best, which alone reach a per-query candidate buffer; blocks
// of queries are spread over all cores. For the cosine and dot-product similarities on AVX2 CPUs,
// the pass over all pairs runs in float32 (6 x 16, twice the speed) as a filter with a proven
// error bound, and only the candidates that can be among the K best get their float64 values:
// the results are the same, bit for bit. The candidates are re-ranked six queries (one panel) at a
// time, each reference row of their union reduced against all six at once. The references are
// prepared (converted to float64 and normalised) once per search and kept, when they fit fixed
// budgets, as float64 rows (at most 64 MiB) and float32 filter panels (at most 256 MiB). Memory
// beyond the inputs is O(Workers·(BlockSize·(D+K) + R) + Q·K) plus those copies, for Q queries
// and R references. Results are sorted best first (largest similarity or smallest distance), ties
// broken by the lower reference index.
//
// Leave-one-out search (Options.ExcludeSelf, PML's ref_includes_query) skips reference i for query
// i, which returns what PML's "K+1 neighbours, then drop self" returns.
//
// Distance.Pairwise and Distance.Rowwise compute values through the same code as Search, so a
// threshold applied to either agrees with the ranking.
package knn
