// Package regularizers holds penalties on embeddings or weights, PyTorch Metric Learning's
// regularizers: LpRegularizer (‖x_i‖_p^power, mean over rows by default) and RegularFaceRegularizer
// (for class weights: each class's largest cosine to another class). Attach one to any loss
// through losses.Options.EmbeddingRegularizer and EmbeddingRegWeight; PML adds it as an
// already-reduced sub-loss computed on the query embeddings.
package regularizers
