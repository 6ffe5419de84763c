// Package encoders holds the networks that map input feature vectors to embeddings: an MLP and a
// small convolutional network, both built with GoMLX layers.
//
// An Encoder only builds graphs; its weights live in a GoMLX context.Context under the scope
// Scope, so the same Encoder value can embed both sides of a pair batch (shared weights by
// construction), be trained by package train and be reloaded from a checkpoint. A Spec is the
// JSON-serialisable description of an encoder: New(spec) rebuilds it.
//
// ItemEncoder is the interface of every encoder that package train trains, of any kind of item:
// Inputs turns a batch of items into input tensors of static shapes, EncodeInputs embeds them. The
// MLP and CNN implement it for feature vectors (VectorInputs), package graphs' Encoder for graphs,
// and a caller's own encoder can too (Spec kind KindCustom).
package encoders
