package losses

import (
	"fmt"
	"sort"

	"github.com/gometric/gometric/internal/registry"
)

// Info is what the registry records of a loss: its names, its constructor and the properties that
// callers (train, the command line's help, the tests) read instead of finding them by trial.
type Info struct {
	// Name is gometric's name, as the command line and the spec syntax spell it ("ntxent").
	Name string
	// PMLName is PyTorch Metric Learning's class name ("NTXentLoss").
	PMLName string
	// New returns the loss with PML's defaults.
	New func() Loss
	// NeedsClasses says the loss has learnable class parameters (a ParametricLoss): num_classes and
	// embedding_size must be set (SetClasses), and it trains on class batches.
	NeedsClasses bool
	// Blockwise says the loss's rows are separable: a query row's terms depend only on its own row of
	// the [N, M] matrix, so large batches are computed block by block (Options.BlockRows). The other
	// losses always compute one block, whatever BlockRows says.
	Blockwise bool
	// KeepsState says the loss owns variables or state in the context it is computed with
	// (ComputeWithContext): learnable parameters, DynamicSoftMargin's running histogram, Margin's
	// learned β (with learn_beta).
	KeepsState bool
}

// infos is the registry of losses, one entry per loss of New, Parse and the command line.
var infos = []Info{
	{Name: "contrastive", PMLName: "ContrastiveLoss", New: func() Loss { return NewContrastive() }, Blockwise: true},
	{Name: "ntxent", PMLName: "NTXentLoss", New: func() Loss { return NewNTXent() }, Blockwise: true},
	{Name: "supcon", PMLName: "SupConLoss", New: func() Loss { return NewSupCon() }, Blockwise: true},
	{Name: "snrcontrastive", PMLName: "SignalToNoiseRatioContrastiveLoss", New: func() Loss { return NewSNRContrastive() }, Blockwise: true},
	// A regularizer on the pairs' similarities, usually added to another loss (see Parse); its means
	// are over the whole batch.
	{Name: "thresholdconsistentmargin", PMLName: "ThresholdConsistentMarginLoss", New: func() Loss { return NewThresholdConsistentMargin() }},

	{Name: "multisimilarity", PMLName: "MultiSimilarityLoss", New: func() Loss { return NewMultiSimilarity() }, Blockwise: true},
	{Name: "circle", PMLName: "CircleLoss", New: func() Loss { return NewCircle() }, Blockwise: true},
	{Name: "generalizedlifted", PMLName: "GeneralizedLiftedStructureLoss", New: func() Loss { return NewGeneralizedLiftedStructure() }, Blockwise: true},
	// The means are over the whole batch.
	{Name: "intrapairvariance", PMLName: "IntraPairVarianceLoss", New: func() Loss { return NewIntraPairVariance() }},
	{Name: "tupletmargin", PMLName: "TupletMarginLoss", New: func() Loss { return NewTupletMargin() }, Blockwise: true},
	{Name: "nca", PMLName: "NCALoss", New: func() Loss { return NewNCA() }, Blockwise: true},
	// A pair needs the negatives of both its items.
	{Name: "lifted", PMLName: "LiftedStructureLoss", New: func() Loss { return NewLiftedStructure() }},
	{Name: "tripletmargin", PMLName: "TripletMarginLoss", New: func() Loss { return NewTripletMargin() }, Blockwise: true},

	// rankedlist uses the paper's margin 0.4 and Tn 10: PML requires both.
	{Name: "rankedlist", PMLName: "RankedListLoss", New: func() Loss { return NewRankedList(0.4, 10) }, Blockwise: true},
	// The ranks depend on the whole batch.
	{Name: "instance", PMLName: "InstanceLoss", New: func() Loss { return NewInstance() }},
	// Blockwise with its default DivisorReducer; with another reducer it computes one block.
	{Name: "margin", PMLName: "MarginLoss", New: func() Loss { return NewMargin() }, Blockwise: true, KeepsState: true},
	// The softmax is over the batch's positives.
	{Name: "npairs", PMLName: "NPairsLoss", New: func() Loss { return NewNPairs() }},
	{Name: "fastap", PMLName: "FastAPLoss", New: func() Loss { return NewFastAP() }, Blockwise: true},
	{Name: "pnp", PMLName: "PNPLoss", New: func() Loss { return NewPNP() }, Blockwise: true},
	{Name: "angular", PMLName: "AngularLoss", New: func() Loss { return NewAngular() }, Blockwise: true},
	// The histograms are over the whole batch.
	{Name: "histogram", PMLName: "HistogramLoss", New: func() Loss { return NewHistogram() }},
	// Stateful: the running histogram lives in the context.
	{Name: "dynamicsoftmargin", PMLName: "DynamicSoftMarginLoss", New: func() Loss { return NewDynamicSoftMargin() }, KeepsState: true},
	// Learnable proxies in the context, but no classes: its meta classes are drawn at random. The
	// random walk is over the whole batch.
	{Name: "manifold", PMLName: "ManifoldLoss", New: func() Loss { return NewManifold() }, KeepsState: true},

	// Classification and proxy losses with learnable parameters (ParametricLoss, parametric.go): New
	// returns them with 0 classes, to be set (SetClasses, or num_classes and embedding_size in Parse).
	{Name: "arcface", PMLName: "ArcFaceLoss", New: func() Loss { return NewArcFace(0, 0) }, NeedsClasses: true, KeepsState: true},
	{Name: "cosface", PMLName: "CosFaceLoss", New: func() Loss { return NewCosFace(0, 0) }, NeedsClasses: true, KeepsState: true},
	{Name: "sphereface", PMLName: "SphereFaceLoss", New: func() Loss { return NewSphereFace(0, 0) }, NeedsClasses: true, KeepsState: true},
	{Name: "largemarginsoftmax", PMLName: "LargeMarginSoftmaxLoss", New: func() Loss { return NewLargeMarginSoftmax(0, 0) }, NeedsClasses: true, KeepsState: true},
	{Name: "subcenterarcface", PMLName: "SubCenterArcFaceLoss", New: func() Loss { return NewSubCenterArcFace(0, 0) }, NeedsClasses: true, KeepsState: true},
	{Name: "normalizedsoftmax", PMLName: "NormalizedSoftmaxLoss", New: func() Loss { return NewNormalizedSoftmax(0, 0) }, NeedsClasses: true, KeepsState: true},
	{Name: "proxynca", PMLName: "ProxyNCALoss", New: func() Loss { return NewProxyNCA(0, 0) }, NeedsClasses: true, KeepsState: true},
	{Name: "proxyanchor", PMLName: "ProxyAnchorLoss", New: func() Loss { return NewProxyAnchor(0, 0) }, NeedsClasses: true, KeepsState: true},
	{Name: "softtriple", PMLName: "SoftTripleLoss", New: func() Loss { return NewSoftTriple(0, 0) }, NeedsClasses: true, KeepsState: true},
	{Name: "p2sgrad", PMLName: "P2SGradLoss", New: func() Loss { return NewP2SGrad(0, 0) }, NeedsClasses: true, KeepsState: true},
}

// byName indexes infos by gometric's name; byPMLName by PML's class name.
var byName, byPMLName = func() (map[string]*Info, map[string]*Info) {
	n, p := map[string]*Info{}, map[string]*Info{}
	for i := range infos {
		n[infos[i].Name], p[infos[i].PMLName] = &infos[i], &infos[i]
	}
	return n, p
}()

// aliases maps PML's class names (New trims "Loss") to gometric's, where they differ.
var aliases = map[string]string{
	"liftedstructure":               "lifted",
	"generalizedliftedstructure":    "generalizedlifted",
	"signaltonoiseratiocontrastive": "snrcontrastive",
	"tcm":                           "thresholdconsistentmargin",
}

// Names lists the losses New knows, sorted.
func Names() []string {
	out := make([]string, len(infos))
	for i, e := range infos {
		out[i] = e.Name
	}
	sort.Strings(out)
	return out
}

// Infos returns the registry's entries, sorted by name.
func Infos() []Info {
	out := make([]Info, 0, len(infos))
	for _, n := range Names() {
		out = append(out, *byName[n])
	}
	return out
}

// Lookup returns the registry's entry of the loss called name (as New accepts it).
func Lookup(name string) (Info, error) {
	key := registry.Key(name, "loss")
	if a, ok := aliases[key]; ok {
		key = a
	}
	if e, ok := byName[key]; ok {
		return *e, nil
	}
	return Info{}, registry.Unknown("loss", name, Names())
}

// New returns the loss called name ("ntxent", "contrastive", "supcon", ...; case and "-"/"_" are
// ignored, and PML's class names such as "NTXentLoss" are accepted) with PML's defaults. Parse also
// takes options ("ntxent(temperature=0.1)").
func New(name string) (Loss, error) {
	e, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	return e.New(), nil
}

// ByName returns the loss called name with PML's defaults, as New, for the losses that can be computed
// without a context (PlainLoss); a loss that needs one (Lookup(name).NeedsClasses) is an error.
//
// Deprecated: use New (or Parse), which returns every loss as a Loss, and ComputeWithContext.
func ByName(name string) (PlainLoss, error) {
	l, err := New(name)
	if err != nil {
		return nil, err
	}
	p, ok := l.(PlainLoss)
	if !ok {
		return nil, fmt.Errorf("loss %q owns variables in a context: use New and ComputeWithContext", name)
	}
	return p, nil
}

// rowsSeparable reports whether the loss of PML class name pmlName is computed block by block
// (Info.Blockwise).
func rowsSeparable(pmlName string) bool {
	e, ok := byPMLName[pmlName]
	return ok && e.Blockwise
}
