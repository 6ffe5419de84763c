// Package losses holds gometric's metric-learning losses, with PyTorch Metric Learning's semantics and
// defaults: the pair and ranking losses (Contrastive, SNRContrastive, NTXent, SupCon,
// MultiSimilarity, Circle, TripletMargin, Margin, LiftedStructure, GeneralizedLiftedStructure,
// Angular, NPairs, NCA, FastAP, PNP, RankedList, Histogram, TupletMargin, IntraPairVariance,
// Instance, DynamicSoftMargin); the classification and proxy losses with learnable parameters
// (ArcFace, CosFace, SphereFace, LargeMarginSoftmax, SubCenterArcFace, NormalizedSoftmax, ProxyNCA,
// ProxyAnchor, SoftTriple, P2SGrad: ParametricLoss, whose parameters live in a GoMLX context);
// Manifold (learnable proxies, random meta classes); VICReg; and the SelfSupervised and
// CrossBatchMemory wrappers (the memory's queue also lives in a
// context). Each is checked against PML's own outputs (internal/golden); New and Parse find them by
// their command-line names (Names) or PML's class names, and Lookup returns what the registry knows
// of each (Info: PML's name, constructor, whether it needs classes, whether its rows are separable,
// whether it keeps state).
//
// A loss is a GoMLX graph function computed with a context, as GoMLX computes whatever may own
// variables or state: every Loss has ComputeWithContext(ctx, Inputs), which returns a scalar *Node,
// differentiable with respect to the embeddings (and the references). The losses with learnable
// parameters or state keep them in ctx; the others ignore it (it may be nil) and are also a
// PlainLoss, whose Compute(Inputs) needs no context. Inputs carries what PML's loss call takes:
// embeddings and labels; reference embeddings with their labels (PML's ref_emb, ref_labels); and
// explicit pair selections (PML's indices_tuple) as [N, M] weight matrices, so that shapes stay static
// and a training loop compiles once (PairWeights and TripletWeights convert index lists). For labeled
// pair data, see package pairs.
//
// Every loss shares Options: a Distance (package distances), a Reducer (package reducers: one copy per
// sub-loss, summed, as PML's MultipleReducers) and an optional EmbeddingRegularizer (package
// regularizers). The constructors set PML's defaults for each loss; change the exported fields to
// configure.
//
// Large batches: above 4M matrix entries (N·M > 2²²), Compute goes block by block over the query rows
// (Options.BlockRows): each block computes its part of the loss and of its gradient at once, and only
// one block's [rows, M] intermediates are alive at a time. The value and gradient are those of the
// one-block computation; memory is O(rows·M + N·D) instead of a dozen [N, M] matrices (NT-Xent at
// N = 16,384: 0.4 GB peak, where one block had passed 19.7 GB when stopped; docs/PERFORMANCE.md).
// The price: Compute always computes the gradient of a blockwise loss, even when nothing asks for it.
//
// All-triplet losses (TripletMargin, Angular, DynamicSoftMargin, PNP) never build PML's [N, M, M]
// triplets: a graph loop over "pivots" takes, at each iteration, one entry of each anchor row's
// smaller side (positives or negatives; Angular: its positives) and combines it with the whole row,
// with a hand-written gradient (losses/pivot.go). Memory is O(N·M); time is O(N·M·K) (Angular
// O(N·M·D·K)), K = the largest min(|positives|, |negatives|) of an anchor: 1 for two samples per
// class, N/C − 1 for C classes of N/C samples (Angular switches to an O(N·M²) matrix product when K is
// large). Value and gradient are those of the straightforward formulation, which the tests keep.
//
// The host loss engine (HostLoss, HostParametricLoss, Host): most losses can also compute their value
// and gradient with respect to the embeddings (and their parameters) directly on the host, without a
// graph. On GoMLX's pure-Go backend every graph op is its own pass over the [N, M] matrix, a few dozen
// per step; the engine computes the matrix and the gradients with gometric's GEMM kernels
// (internal/gemm) and the loss in one or two fused, multi-core passes over each row. A loss's Compute
// (a class loss's ComputeWithContext) uses it by itself on that backend whenever the embeddings and
// labels are parameters of the graph (a loss on given embeddings): it builds a host call
// (backend.HostCall) whose value and gradients join the graph, so graph.Gradient and a context's
// variable gradients are the engine's (backend.GraphOnly, "go:nohostcalls", keeps the graph
// formulation; XLA always does, as it fuses the graph itself). A graph that computes the embeddings
// keeps the graph formulation; package train runs the engine between two graphs instead
// (train.LossEngineHost). Host says whether a loss's current settings are covered (otherwise the
// graph computes it). Both paths agree to float rounding, in float32 and
// float64: TestHostMatchesGraph and TestHostClassLossesMatchGraph compare every covered case with the
// graph path, which the golden files check against PML, and TestComputeRunsHostEngine every
// registered loss's in-graph host call with its graph formulation. docs/PERFORMANCE.md ("The host loss engine")
// lists the covered losses and the timings beside PML.
//
// Where gometric departs from PML, on purpose:
//   - Memory: every loss works on the [N, M] distance matrix: O(N·M). PML's NT-Xent builds a positive ×
//     negative pairs matrix (O(N³) per batch; 4 GB at N=1024).
//   - Stability: NT-Xent and SupCon use log-sum-exp; PML's NT-Xent computes log(num/den + tiny) and
//     saturates near 87 in float32.
//   - Ref without RefLabels is an error (PML silently reuses the query labels and drops the diagonal).
//   - A selection of one positive and one negative pair is a selection (PML's GenericPairLoss returns 0
//     whenever every index list has length ≤ 1).
//
// Migrating from the earlier API:
//   - Loss was Compute(Inputs); it is now ComputeWithContext(ctx, Inputs) for every loss, and the
//     losses without variables keep Compute(Inputs) (PlainLoss). Code holding a Loss calls
//     loss.ComputeWithContext(ctx, in) (ctx may be nil for a PlainLoss); code holding a concrete
//     loss such as *NTXent may keep calling Compute.
//   - The ten classification and proxy losses no longer have a Compute that panics: they are computed
//     with ComputeWithContext only. ParametricLoss is a Loss with Classes() (its ClassOptions).
//   - MultipleLosses and CrossBatchMemory are Losses like the others (ComputeWithContext; the former
//     MultipleLosses.Compute is gone).
//   - ByName and ByNameWithClasses are deprecated: New(name) returns any loss with PML's defaults,
//     SetClasses fills in num_classes and embedding_size, and Lookup(name).NeedsClasses says whether a
//     loss needs them. ByName still returns the losses that need no context, as a PlainLoss.
//   - reducers.Terms (one sub-loss) is reducers.SubLoss (the old name is a deprecated alias).
//   - pairs.Loss computes without a context; pairs.LossWithContext passes one.
//
// Install dotgrad (dotgrad.Install()) before training: GoMLX v0.27.2's gradient of a matrix product
// is an order of magnitude slower without it.
package losses
