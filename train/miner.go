package train

import (
	"fmt"
	"sort"

	. "github.com/gomlx/gomlx/pkg/core/graph"
)

// Miner selects, in a batch, the positive and negative pairs a loss uses (PyTorch Metric Learning's
// tuple miners). It receives the batch's embeddings [N, D] and labels [N] and returns the weights
// Pos and Neg [N, N] of losses.Inputs (how many times each pair is selected).
//
// This is the hook for miners: gometric has none yet, so NewMiner only accepts "" (no miner). A
// miner added to the registry is available to Config.Miner and to `gometric train --miner`; it is
// applied to class batches and to pair batches under the label-based pair modes.
type Miner interface {
	Mine(embeddings, labels *Node) (pos, neg *Node)
}

// miners maps each miner's name to its constructor.
var miners = map[string]func() Miner{}

// MinerNames lists the miners NewMiner knows, sorted (none yet).
func MinerNames() []string {
	names := make([]string, 0, len(miners))
	for n := range miners {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// NewMiner returns the miner called name, or nil for "" (no mining).
func NewMiner(name string) (Miner, error) {
	if name == "" {
		return nil, nil
	}
	if c, ok := miners[name]; ok {
		return c(), nil
	}
	if len(miners) == 0 {
		return nil, fmt.Errorf("unknown miner %q: gometric has no miners yet", name)
	}
	return nil, fmt.Errorf("unknown miner %q (known: %v)", name, MinerNames())
}
