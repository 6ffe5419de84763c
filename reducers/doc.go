// Package reducers turns a loss's per-element or per-pair losses into a scalar, with PyTorch Metric
// Learning's reducers: MeanReducer, SumReducer, AvgNonZeroReducer, ThresholdReducer, DivisorReducer,
// ClassWeightedReducer, PerAnchorReducer, MultipleReducers and DoNothingReducer.
//
// PML reduces a list of the selected pairs' losses; gometric keeps static shapes, so a sub-loss is a
// SubLoss: the whole [N, M] (or [N]) matrix of losses with a matrix of Weights that counts how often each
// entry was selected. Every reducer weighs entries by that count, which is exactly PML's behaviour for
// repeated selections. An empty selection reduces to 0 with a zero gradient (PML's "zero loss").
//
// A loss with several sub-losses (Contrastive has "pos_loss" and "neg_loss") reduces each one on its
// own and adds the results (ReduceAll), as PML does by deep-copying the reducer per sub-loss; with
// MultipleReducers each sub-loss can have its own reducer.
package reducers
