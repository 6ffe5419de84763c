package losses

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gometric/gometric/spec"
)

// Specs is the registry of the losses' specifications: every loss of ByName, with its options named
// as PML's constructor arguments (see package spec for the syntax). Besides Options' distance,
// reducer, embedding_regularizer and embedding_reg_weight, every loss has gometric's block_rows
// (Options.BlockRows), and the losses with learnable parameters have num_classes, embedding_size
// (descriptors_dim for p2sgrad, as PML), weight_regularizer, weight_reg_weight and gometric's scope
// (ClassOptions.Scope).
var Specs = spec.NewRegistry("loss", "loss")

// renames holds the option names that differ from the Go field names in snake_case, for the losses
// where a `pml` tag on the field cannot say it (a shared embedded field).
var renames = map[string]map[string]string{
	"p2sgrad": {"EmbeddingSize": "descriptors_dim"},
}

func init() {
	for _, name := range Names() {
		c := byName[name].New
		Specs.Add(spec.Entry{
			Name:     name,
			New:      func() any { return c() },
			Rename:   renames[name],
			NoFormat: name == "snrcontrastive", // Written as contrastive(distance=snr).
		})
	}
	for alias, name := range aliases {
		Specs.Alias(alias, name)
	}
}

// Parse returns the loss of a specification such as
//
//	ntxent(temperature=0.1)
//	ContrastiveLoss(pos_margin=0.1, neg_margin=0.8, distance=CosineSimilarity())
//	contrastive(pos_margin=0, neg_margin=1) + 0.5*multisimilarity(alpha=2)
//
// One call gives that loss (its PML defaults, with the options given set); a weighted sum, or a single
// call with a weight ("0.5*ntxent"), gives a *MultipleLosses. Names are gometric's or PML's class
// names (case, "_" and "-" ignored); options are PML's argument names. An unknown loss or option, a
// value of the wrong type, or a value the loss rejects is an error of one line naming it. Format
// writes a loss back.
func Parse(s string) (Loss, error) {
	terms, err := spec.ParseSum(s)
	if err != nil {
		return nil, err
	}
	if len(terms) == 1 && !terms[0].HasWeight {
		return buildLoss(terms[0].Call)
	}
	m := &MultipleLosses{Weights: make([]float64, len(terms))}
	for i, t := range terms {
		l, err := buildLoss(t.Call)
		if err != nil {
			return nil, err
		}
		m.Losses = append(m.Losses, l)
		m.Weights[i] = t.Weight
	}
	if allOnes(m.Weights) {
		m.Weights = nil // PML's default.
	}
	return m, m.Validate()
}

func buildLoss(c spec.CallExpr) (Loss, error) {
	v, err := Specs.Build(c)
	if err != nil {
		return nil, err
	}
	return v.(Loss), nil
}

// Format writes l as a specification that Parse reads back into an equal loss: its registry name and
// the options that differ from PML's defaults ("contrastive(neg_margin=0.8)"); a MultipleLosses as a
// weighted sum ("contrastive + 0.5*multisimilarity"). A loss that is not in the registry, a
// MultipleLosses with miners or nested in another, or an option with no spec syntax is an error.
func Format(l Loss) (string, error) {
	m, ok := l.(*MultipleLosses)
	if !ok {
		return Specs.Format(l)
	}
	if err := m.Validate(); err != nil {
		return "", err
	}
	for _, mi := range m.Miners {
		if mi != nil {
			return "", fmt.Errorf("MultipleLosses with miners has no spec syntax")
		}
	}
	parts := make([]string, len(m.Losses))
	for i, li := range m.Losses {
		if _, nested := li.(*MultipleLosses); nested {
			return "", fmt.Errorf("MultipleLosses nested in MultipleLosses has no spec syntax")
		}
		s, err := Specs.Format(li)
		if err != nil {
			return "", err
		}
		w := 1.0
		if m.Weights != nil {
			w = m.Weights[i]
		}
		if w != 1 || len(m.Losses) == 1 {
			s = strconv.FormatFloat(w, 'g', -1, 64) + "*" + s
		}
		parts[i] = s
	}
	return strings.Join(parts, " + "), nil
}

func allOnes(w []float64) bool {
	for _, x := range w {
		if x != 1 {
			return false
		}
	}
	return true
}
