package losses

import "fmt"

// ClassLosses returns the losses with learnable class parameters in l: l itself, or the members of a
// MultipleLosses (at any depth). A loss trains on class batches, with class ids as labels, when this
// is not empty.
func ClassLosses(l Loss) []ParametricLoss {
	var out []ParametricLoss
	var walk func(l Loss)
	walk = func(l Loss) {
		switch v := l.(type) {
		case *MultipleLosses:
			for _, m := range v.Losses {
				walk(m)
			}
		case ParametricLoss:
			out = append(out, v)
		}
	}
	walk(l)
	return out
}

// SetClasses sets the number of classes and the embedding size of every loss of ClassLosses(l) that
// its specification left unset (0, PML's required num_classes and embedding_size), so that a training
// program can fill them in from its data. A value that was given and differs is an error naming it.
func SetClasses(l Loss, numClasses, embeddingSize int) error {
	for _, p := range ClassLosses(l) {
		o := p.Classes()
		if o.NumClasses == 0 {
			o.NumClasses = numClasses
		} else if o.NumClasses != numClasses {
			return fmt.Errorf("loss %T: num_classes=%d, but the data has %d classes", p, o.NumClasses, numClasses)
		}
		if o.EmbeddingSize == 0 {
			o.EmbeddingSize = embeddingSize
		} else if o.EmbeddingSize != embeddingSize {
			return fmt.Errorf("loss %T: embedding_size=%d, but the encoder's embeddings have %d", p, o.EmbeddingSize, embeddingSize)
		}
	}
	return nil
}
