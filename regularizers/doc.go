// Package regularizers holds penalties on embeddings or weights, PyTorch Metric Learning's five
// regularizers: LpRegularizer (‖x_i‖_p^power, mean over rows by default), ZeroMeanRegularizer
// (|Σ_d x_id|), and for class weights RegularFaceRegularizer (each class's largest cosine to another
// class), CenterInvariantRegularizer (the spread of the squared norms) and SparseCentersRegularizer
// (the distances between a class's centers, for SoftTriple's several centers per class).
//
// Attach one to any loss through losses.Options.EmbeddingRegularizer and EmbeddingRegWeight; PML adds
// it as an already-reduced sub-loss computed on the query embeddings. The weight regularizers attach
// through losses.ClassOptions.WeightRegularizer. In specs: embedding_regularizer=zero_mean,
// weight_regularizer=sparse_centers(num_classes=10, centers_per_class=3) (package spec).
package regularizers
