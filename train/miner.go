package train

import (
	"github.com/gometric/gometric/miners"
)

// NewMiner returns the miner called name (miners.Names, with PyTorch Metric Learning's defaults),
// or nil for "" (no mining). A miner selects, in each batch, the positive and negative pairs the
// loss uses: among the label-derived pairs for class batches and the label-based pair modes, among
// the given pairs in the explicit pair mode.
func NewMiner(name string) (miners.PairMiner, error) {
	if name == "" {
		return nil, nil
	}
	return miners.ByName(name)
}
