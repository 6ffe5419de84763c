package miners

import "github.com/gometric/gometric/internal/registry"

// constructors maps each miner's command-line name to its constructor with PML's defaults.
var constructors = map[string]func() PairMiner{
	"multisimilarity": func() PairMiner { return NewMultiSimilarity() },
	"pairmargin":      func() PairMiner { return NewPairMargin() },
	"tripletmargin":   func() PairMiner { return NewTripletMargin() },
	"batchhard":       func() PairMiner { return NewBatchHard() },
	"batcheasyhard":   func() PairMiner { return NewBatchEasyHard() },
	"hdc":             func() PairMiner { return NewHDC() },
	"angular":         func() PairMiner { return NewAngular() },
}

// Names lists the miners ByName knows, sorted.
func Names() []string {
	return registry.Names(constructors)
}

// ByName returns the miner called name ("batchhard", "multisimilarity", ...; case and "-"/"_" are
// ignored, and PML's class names such as "BatchHardMiner" are accepted) with PML's defaults. Every
// miner is a PairMiner; the triplet miners (tripletmargin, batchhard, angular) are also TripletMiners.
func ByName(name string) (PairMiner, error) {
	key := registry.Key(name, "miner")
	if c, ok := constructors[key]; ok {
		return c(), nil
	}
	return nil, registry.Unknown("miner", name, Names())
}
