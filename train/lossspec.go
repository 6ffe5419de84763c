package train

import (
	"strings"

	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/miners"
)

// Config.Loss and Config.Miner are specifications in PML's terms (docs/SPECS.md): a name, options
// named as PML's arguments, and for losses a weighted sum, for example
//
//	ntxent(temperature=0.1)
//	contrastive(pos_margin=0, neg_margin=0.8) + 0.5*multisimilarity(alpha=2)
//	tripletmargin(margin=0.05, type_of_triplets=semihard)
//
// A run folder records them in canonical form (CanonicalLoss, CanonicalMiner), and --resume and eval
// rebuild exactly that.

// NewLoss returns the loss of a specification (losses.Parse). The losses with learnable class
// parameters in it are not ready until SetClasses gives them the data's class count.
func NewLoss(spec string) (losses.Loss, error) {
	return losses.Parse(spec)
}

// CanonicalLoss returns the canonical form of a loss specification: the registry's names and only the
// options that differ from PML's defaults ("NTXentLoss(temperature=0.07)" → "ntxent").
func CanonicalLoss(spec string) (string, error) {
	l, err := NewLoss(spec)
	if err != nil {
		return "", err
	}
	return losses.Format(l)
}

// NewMiner returns the miner of a specification (miners.Parse, with PyTorch Metric Learning's
// defaults for the options not given), or nil for "" or "none" (no mining). A miner selects, in each
// batch, the positive and negative pairs the loss uses: among the label-derived pairs for class
// batches and the label-based pair modes, among the given pairs in the explicit pair mode.
func NewMiner(spec string) (miners.PairMiner, error) {
	if s := strings.TrimSpace(spec); s == "" || strings.EqualFold(s, "none") {
		return nil, nil
	}
	return miners.Parse(spec)
}

// CanonicalMiner returns the canonical form of a miner specification ("" for none).
func CanonicalMiner(spec string) (string, error) {
	m, err := NewMiner(spec)
	if err != nil || m == nil {
		return "", err
	}
	return miners.Format(m)
}

// IsClassLoss reports whether the loss specification has learnable class parameters (a
// losses.ParametricLoss such as ArcFace, CosFace, ProxyAnchor, alone or in a sum): it trains on class
// batches only, with the class labels as class ids. An invalid specification is not one.
func IsClassLoss(spec string) bool {
	l, err := losses.Parse(spec)
	return err == nil && len(losses.ClassLosses(l)) > 0
}
