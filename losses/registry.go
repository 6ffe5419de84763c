package losses

import "github.com/gometric/gometric/internal/registry"

// constructors maps each loss's name (as the command line spells it) to its constructor with PML's
// defaults.
var constructors = map[string]func() Loss{
	"contrastive":    func() Loss { return NewContrastive() },
	"ntxent":         func() Loss { return NewNTXent() },
	"supcon":         func() Loss { return NewSupCon() },
	"snrcontrastive": func() Loss { return NewSNRContrastive() },

	// A regularizer on the pairs' similarities, usually added to another loss (see Parse).
	"thresholdconsistentmargin": func() Loss { return NewThresholdConsistentMargin() },

	// Row-separable pair losses (and Lifted / IntraPairVariance, computed in one block).
	"multisimilarity":   func() Loss { return NewMultiSimilarity() },
	"circle":            func() Loss { return NewCircle() },
	"generalizedlifted": func() Loss { return NewGeneralizedLiftedStructure() },
	"intrapairvariance": func() Loss { return NewIntraPairVariance() },
	"tupletmargin":      func() Loss { return NewTupletMargin() },
	"nca":               func() Loss { return NewNCA() },
	"lifted":            func() Loss { return NewLiftedStructure() },
	"tripletmargin":     func() Loss { return NewTripletMargin() },

	// Ranking and other losses (rankedlist uses the paper's margin 0.4 and Tn 10: PML requires both).
	"rankedlist": func() Loss { return NewRankedList(0.4, 10) },
	"instance":   func() Loss { return NewInstance() },
	"margin":     func() Loss { return NewMargin() },
	"npairs":     func() Loss { return NewNPairs() },
	"fastap":     func() Loss { return NewFastAP() },
	"pnp":        func() Loss { return NewPNP() },
	"angular":    func() Loss { return NewAngular() },
	"histogram":  func() Loss { return NewHistogram() },
	// Stateful (running histogram): Compute is one call from PML's initial state; see ComputeWithContext.
	"dynamicsoftmargin": func() Loss { return NewDynamicSoftMargin() },

	// Classification and proxy losses with learnable parameters (ParametricLoss, parametric.go): ByName
	// returns them with 0 classes, to be set (ByNameWithClasses does) before ComputeWithContext.
	"arcface":            func() Loss { return NewArcFace(0, 0) },
	"cosface":            func() Loss { return NewCosFace(0, 0) },
	"sphereface":         func() Loss { return NewSphereFace(0, 0) },
	"largemarginsoftmax": func() Loss { return NewLargeMarginSoftmax(0, 0) },
	"subcenterarcface":   func() Loss { return NewSubCenterArcFace(0, 0) },
	"normalizedsoftmax":  func() Loss { return NewNormalizedSoftmax(0, 0) },
	"proxynca":           func() Loss { return NewProxyNCA(0, 0) },
	"proxyanchor":        func() Loss { return NewProxyAnchor(0, 0) },
	"softtriple":         func() Loss { return NewSoftTriple(0, 0) },
	"p2sgrad":            func() Loss { return NewP2SGrad(0, 0) },
}

// aliases maps PML's class names (ByName trims "Loss") to gometric's, where they differ.
var aliases = map[string]string{
	"liftedstructure":               "lifted",
	"generalizedliftedstructure":    "generalizedlifted",
	"signaltonoiseratiocontrastive": "snrcontrastive",
	"tcm":                           "thresholdconsistentmargin",
}

// Names lists the losses ByName knows, sorted.
func Names() []string {
	return registry.Names(constructors)
}

// ByName returns the loss called name ("ntxent", "contrastive", "supcon", ...; case and "-"/"_" are
// ignored, and PML's class names such as "NTXentLoss" are accepted) with PML's defaults.
func ByName(name string) (Loss, error) {
	key := registry.Key(name, "loss")
	if a, ok := aliases[key]; ok {
		key = a
	}
	if c, ok := constructors[key]; ok {
		return c(), nil
	}
	return nil, registry.Unknown("loss", name, Names())
}
