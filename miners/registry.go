package miners

import (
	"fmt"
	"sort"
	"strings"
)

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
	names := make([]string, 0, len(constructors))
	for n := range constructors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ByName returns the miner called name ("batchhard", "multisimilarity", ...; case and "-"/"_" are
// ignored, and PML's class names such as "BatchHardMiner" are accepted) with PML's defaults. Every
// miner is a PairMiner; the triplet miners (tripletmargin, batchhard, angular) are also TripletMiners.
func ByName(name string) (PairMiner, error) {
	key := strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(name))
	key = strings.TrimSuffix(key, "miner")
	if c, ok := constructors[key]; ok {
		return c(), nil
	}
	return nil, fmt.Errorf("unknown miner %q (known: %s)", name, strings.Join(Names(), ", "))
}
