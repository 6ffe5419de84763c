// Package miners holds gometric's tuple miners, with PyTorch Metric Learning's semantics and defaults:
// MultiSimilarity, PairMargin, BatchEasyHard and HDC select pairs; TripletMargin, BatchHard and Angular
// select triplets; EmbeddingsAlreadyPackagedAsTriplets selects the triplets a batch is laid out as. Each is checked against PML's own selections (internal/golden); ByName finds them
// by their command-line names (Names) or PML's class names.
//
// DistanceWeighted (triplets) and UniformHistogram (pairs) are random miners (RandomMiner): they draw
// inside the graph from a GoMLX RNG state — derived from their Seed and the embeddings in Mine, passed
// in MineRandom, or kept in a context variable by MineWithContext — and return how many times each
// pair was drawn. They are compared with PML by selection frequencies over 2,000 draws (a chi-square
// test, losses/parity_random_test.go), since no seed reproduces torch's draws.
//
// A miner is a GoMLX graph function with static shapes, so a training step compiles once whatever it
// selects. It reads the same losses.Inputs as a loss (embeddings [N, D], labels, and optionally
// references [M, D] with their labels) and returns the selection as [N, M] weights for
// losses.Inputs{Pos, Neg}: Apply(miner, in) gives the inputs of the loss. Triplet miners also return a
// [N, M, M] boolean mask (MineTriplets); TripletPairs converts it to pair counts the way PML's
// convert_to_pairs does, so a triplet miner can feed any pair loss.
//
// As in PML: miners compute under StopGradient (PML mines under no_grad); without Ref a query is never
// its own positive; labels are required (or candidate pairs in Inputs.Pos and Inputs.Neg, PML's
// HDCMiner.set_idx_externally, generalized).
//
// Where gometric departs from PML, on purpose:
//   - Ties (BatchHard, BatchEasyHard, HDC) go to the lowest index; PML's torch.max/min/topk index on
//     ties is device-dependent.
//   - BatchHard and BatchEasyHard pick among the candidates only; PML multiplies by a 0/1 mask before
//     torch.max, which can pick a non-candidate with a similarity.
//   - Ref without RefLabels is an error (PML silently reuses the query labels).
//   - Triplet selections are [N, M, M] masks: O(N·M²) memory, for batches of up to a few hundred.
//   - AngularMiner does not add torch.pairwise_distance's 1e-6 to the differences.
package miners
