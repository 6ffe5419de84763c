// Package text holds text items for deep metric learning on strings (company names, place names,
// product titles, addresses): texts and text-pair files in CSV or JSON Lines, a deterministic
// tokeniser (hashed character n-grams and words), an embedding-bag text encoder in GoMLX, and the
// character n-gram TF-IDF baseline of record linkage. Package text/placenames is its benchmark.
//
// The pipeline:
//
//	set, _, err := text.ReadTextsFile("names.csv", nil)     // streamed, file:line errors
//	items, err := text.ToItems(set)                          // datasets.Items, Objects = texts
//	enc := text.NewEncoder(128)                              // tokeniser + bag, defaults
//	ts, err := enc.Inputs(items, []int{0, 1, 2}, 8)          // ids and weights [8, budget]
//	// In a GoMLX graph function: emb := enc.EncodeInputs(ctx, nodes) // [8, 128]
//	spec := enc.Spec()                                       // saved with a run
//	enc2, err := text.EncoderFromSpec(spec)                  // same tokens in any process
//
// # Tokens
//
// Tokeniser normalises a text (NFKC, full case folding, NFKC, white space collapsed: Normalize),
// then hashes its character 1- to 4-grams between the markers "<" and ">" and its words with
// 64-bit FNV-1a into 2^18 buckets. A text becomes its distinct bucket ids with their counts; a
// batch is padded to the smallest of a few budgets (32, 64, ..., 4,096 ids) that holds its
// longest text, so that GoMLX compiles one graph per budget, not per batch. The settings are saved
// in the encoder's Spec and checked on loading (a tokeniser of another version is refused).
//
// # Encoder
//
// Bag: an embedding table [2^18, 64], the mean (or sum, or sum/√n) of a text's bucket embeddings
// weighted by their counts, then Dense(256)+ReLU and Dense(128). Encoder pairs it with its
// tokeniser and implements encoders.ItemEncoder, the interface gometric's trainer uses for items
// that are not feature vectors. A text's embedding does not depend on its batch (padding is
// masked; there is no batch normalisation).
//
// # Files
//
// The formats, the limits (1,000 characters by default, refused or truncated) and every error are
// described in docs/DATA.md, section "Text".
package text
