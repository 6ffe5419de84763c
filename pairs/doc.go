// Package pairs makes labeled pair data a first-class input of gometric's losses.
//
// Pair data is a batch of B pairs (x1[i], x2[i], y[i]) with y = 1 for "same" and y = 0 for "different",
// both sides embedded by one shared encoder (a siamese network) into e1 and e2, each [B, D]. There are
// three ways to turn such a batch into a loss, and they train different things:
//
// # Explicit: only the given pairs (pair classification / verification)
//
// Mode Explicit compares e1[i] with e2[i] and nothing else: pair i is a positive when y[i] = 1 and a
// negative when y[i] = 0 (PML's indices_tuple recipe, issues 509 and 549). Use it with a pair loss
// such as Contrastive when the labeled pairs are all you know — for example, when "different" pairs
// were chosen by hand as hard negatives and other cross pairs in the batch may in fact match.
//
// Per-anchor losses such as NT-Xent and SupCon need an anchor with both a positive and a negative; in
// Explicit mode no anchor has both, so they are 0 (as in PML, issue 705). Use one of the next modes for
// them.
//
// # LabelConstruction: in-batch negatives (retrieval)
//
// Mode LabelConstruction gives both sides of a positive pair one label and every other embedding a
// label of its own (Batch.Labels), and computes the loss over the 2B embeddings concat(e1, e2). Every
// cross pair that is not a given positive becomes a negative: B² − B extra negatives for free, which is
// what retrieval and de-duplication models want, and it makes NT-Xent, SupCon and the other per-anchor
// losses work. Give items stable ids (Batch.IDs1, Batch.IDs2) when an item can occur in several pairs
// of a batch: equal ids get one label, positives are merged transitively, so an item is never a
// negative of itself (a contradiction, a pair labelled 0 whose items are linked by positives, is an
// error).
//
// # PositivesOnly: positive pairs with in-batch negatives (self-supervised)
//
// Mode PositivesOnly is for data with positive pairs only (two views of one item, a question and its
// answer): x1[i] and x2[i] match and every x1[i], x2[j≠i] is a negative. It is PML's
// SelfSupervisedLoss (symmetric); with item ids it merges recurring items like LabelConstruction. A
// pair labelled 0 is an error in this mode.
//
// Validate a host-side Batch with Batch.Validate(mode) before building a step: labels other than 0/1,
// mismatched lengths and an empty batch get errors that name the pair.
package pairs
