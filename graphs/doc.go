// Package graphs holds graph items for deep metric learning on graphs (molecules, programs):
// the Graph type, graph and graph-pair files in JSON Lines, label vocabularies, the packing of a
// batch of graphs into static shapes, and a GIN graph encoder in GoMLX.
//
// The pipeline:
//
//	set, _, err := graphs.ReadGraphsFile("graphs.jsonl", nil)      // streamed, file:line errors
//	vocab := graphs.NewVocab(set.Graphs)                           // training labels; row 0 = unknown
//	packer := graphs.NewPacker(set.Schema, vocab, 128)             // 128 graph slots per batch
//	batch, err := packer.Pack(set.Graphs[:128])                    // static shapes, masked padding
//	gin := graphs.NewGIN(set.Schema, vocab, 128)
//	// In a GoMLX graph function taking the []*Node of batch.Tensors(dtypes.Float32):
//	//   emb := gin.Encode(ctx, graphs.NewInputs(set.Schema, nodes)) // [Graphs, 128]
//
// # Budgets and compilations
//
// GoMLX compiles a graph per input shape. A Packer rounds a batch's graph, node and message
// counts up to sizes m·2^k (m = 4..7, see RoundUp), or picks among fixed Budgets, so that a
// training stream of random batches of 128 graphs of about 25 nodes needs two or three budgets
// for its full batches (see Packer.Budgets, and TestBudgetsOfStream).
//
// # Gradients
//
// Train with gometric's DotGeneral gradient installed (dotgrad.Install, as gometric's training
// does): GoMLX's own rule makes each Dense layer's gradient about 10× slower.
//
// The file formats, the vocabulary rule, the size limits and every error are described in
// docs/DATA.md, section "Graphs".
package graphs
