package miners

import (
	"fmt"

	"github.com/gometric/gometric/internal/registry"
	"github.com/gometric/gometric/spec"
)

// Info is what the registry records of a miner.
type Info struct {
	// Name is gometric's name, as the command line and the spec syntax spell it ("batchhard").
	Name string
	// PMLName is PyTorch Metric Learning's class name ("BatchHardMiner").
	PMLName string
	// New returns the miner with PML's defaults.
	New func() PairMiner
	// Triplets says the miner selects triplets: it is also a TripletMiner.
	Triplets bool
	// KeepsState says the miner draws at random and can keep its random state in a context
	// (MineWithContext); Mine draws from its Seed.
	KeepsState bool
}

// infos is the registry of miners.
var infos = []Info{
	{Name: "multisimilarity", PMLName: "MultiSimilarityMiner", New: func() PairMiner { return NewMultiSimilarity() }},
	{Name: "pairmargin", PMLName: "PairMarginMiner", New: func() PairMiner { return NewPairMargin() }},
	{Name: "tripletmargin", PMLName: "TripletMarginMiner", New: func() PairMiner { return NewTripletMargin() }, Triplets: true},
	{Name: "batchhard", PMLName: "BatchHardMiner", New: func() PairMiner { return NewBatchHard() }, Triplets: true},
	{Name: "batcheasyhard", PMLName: "BatchEasyHardMiner", New: func() PairMiner { return NewBatchEasyHard() }},
	{Name: "hdc", PMLName: "HDCMiner", New: func() PairMiner { return NewHDC() }},
	{Name: "angular", PMLName: "AngularMiner", New: func() PairMiner { return NewAngular() }, Triplets: true},
	{Name: "distanceweighted", PMLName: "DistanceWeightedMiner", New: func() PairMiner { return NewDistanceWeighted() }, Triplets: true, KeepsState: true},
	{Name: "uniformhistogram", PMLName: "UniformHistogramMiner", New: func() PairMiner { return NewUniformHistogram() }, KeepsState: true},
	// PML's class name has no "Miner" suffix: the name is the class name in lower case.
	{Name: "embeddingsalreadypackagedastriplets", PMLName: "EmbeddingsAlreadyPackagedAsTriplets", New: func() PairMiner { return NewEmbeddingsAlreadyPackagedAsTriplets() }, Triplets: true},
}

// constructors maps each miner's command-line name to its constructor with PML's defaults.
var constructors = func() map[string]func() PairMiner {
	m := map[string]func() PairMiner{}
	for _, e := range infos {
		m[e.Name] = e.New
	}
	return m
}()

// Infos returns the registry's entries, sorted by name.
func Infos() []Info {
	out := make([]Info, 0, len(infos))
	for _, n := range Names() {
		for _, e := range infos {
			if e.Name == n {
				out = append(out, e)
			}
		}
	}
	return out
}

// Lookup returns the registry's entry of the miner called name (as ByName accepts it).
func Lookup(name string) (Info, error) {
	key := registry.Key(name, "miner")
	for _, e := range infos {
		if e.Name == key {
			return e, nil
		}
	}
	return Info{}, registry.Unknown("miner", name, Names())
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

// Specs is the registry of the miners' specifications, with their options named as PML's constructor
// arguments (see package spec for the syntax): tripletmargin's Type is type_of_triplets, batcheasyhard's
// PosRange and NegRange are allowed_pos_range and allowed_neg_range ([low, high] or none), and every
// other option is its Go field name in snake_case (pos_margin, epsilon, filter_percentage, angle,
// distance, ...).
var Specs = spec.NewRegistry("miner", "miner")

// renames holds the option names that differ from the Go field names in snake_case.
var renames = map[string]map[string]string{
	"tripletmargin": {"Type": "type_of_triplets"},
	"batcheasyhard": {"PosRange": "allowed_pos_range", "NegRange": "allowed_neg_range"},
}

// checks validates the options of the miners that have no Validate method.
var checks = map[string]func(any) error{
	"tripletmargin": func(v any) error {
		switch t := v.(*TripletMargin).Type; t {
		case AllTriplets, HardTriplets, SemihardTriplets, EasyTriplets:
			return nil
		default:
			return fmt.Errorf("type_of_triplets %q: want all, hard, semihard or easy", t)
		}
	},
	"hdc": func(v any) error {
		if f := v.(*HDC).FilterPercentage; !(f > 0 && f <= 1) {
			return fmt.Errorf("filter_percentage %g out of range (0, 1]", f)
		}
		return nil
	},
}

func init() {
	for _, name := range Names() {
		c := constructors[name]
		Specs.Add(spec.Entry{Name: name, New: func() any { return c() }, Rename: renames[name], Check: checks[name]})
	}
}

// Parse returns the miner of a specification such as "multisimilarity(epsilon=0.1)" or
// "TripletMarginMiner(margin=0.05, type_of_triplets=semihard, distance=CosineSimilarity())": its PML
// defaults with the options given set. Names are gometric's or PML's class names; options are PML's
// argument names. Errors are one line naming the unknown miner or option or the bad value.
func Parse(s string) (PairMiner, error) {
	v, err := Specs.Parse(s)
	if err != nil {
		return nil, err
	}
	return v.(PairMiner), nil
}

// Format writes m as a specification that Parse reads back into an equal miner: its registry name and
// the options that differ from PML's defaults.
func Format(m PairMiner) (string, error) { return Specs.Format(m) }
