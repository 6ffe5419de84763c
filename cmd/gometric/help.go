package main

import (
	"slices"
	"strings"

	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/miners"
	"github.com/gometric/gometric/spec"
)

// helpWidth is the width, in characters, at which the loss and miner lists of --help are wrapped
// (the flag package indents each line by a tab).
const helpWidth = 92

// lossHelp is the usage of --loss: the syntax, then every loss of the registry (losses.Infos) with
// its options and PML's defaults, read from the spec registry (losses.Specs.Options): the pair and
// tuple losses, then the losses with learnable class parameters (losses.Info.NeedsClasses). The
// options every loss shares are listed once.
func lossHelp() string {
	var tuple, class []string
	for _, e := range losses.Infos() {
		if e.NeedsClasses {
			class = append(class, e.Name)
		} else {
			tuple = append(tuple, e.Name)
		}
	}
	all := append(slices.Clone(tuple), class...)
	opts := registryOptions(losses.Specs, all, nil)
	common := commonOptions(opts, all)
	classCommon := commonOptions(without(opts, common), class)
	var b strings.Builder
	b.WriteString("loss (default ntxent): a specification with PML's option names, a weighted sum allowed,\n" +
		"e.g. 'ntxent(temperature=0.1)' or 'contrastive(neg_margin=0.8) + 0.5*multisimilarity' (docs/SPECS.md);\n" +
		"PML's class names (NTXentLoss) are accepted too. Each loss with its options and PyTorch Metric\n" +
		"Learning's defaults:\n")
	for _, name := range tuple {
		writeEntry(&b, name, ordered(opts[name], common))
	}
	writeWrapped(&b, "every loss also takes: ", formatOptions(common), "")
	b.WriteString("with learnable class parameters (class batches only; train sets num_classes and the\n" +
		"embedding size from the data):\n")
	for _, name := range class {
		writeEntry(&b, name, ordered(opts[name], append(slices.Clone(common), classCommon...)))
	}
	writeWrapped(&b, "these also take: ", formatOptions(classCommon), "")
	return strings.TrimSuffix(b.String(), "\n")
}

// minerHelp is the usage of --miner: the syntax, then every miner of the registry (miners.Infos)
// with its options and PML's defaults (miners.Specs.Options). A miner's distance left unset is
// PML's BaseMiner default, LpDistance, shown as lp.
func minerHelp() string {
	var names []string
	for _, e := range miners.Infos() {
		names = append(names, e.Name)
	}
	opts := registryOptions(miners.Specs, names, func(o spec.Option) spec.Option {
		if o.Name == "distance" && o.Default == "none" {
			o.Default = "lp"
		}
		return o
	})
	var b strings.Builder
	b.WriteString("miner selecting each batch's pairs (default none), a specification with PML's option names,\n" +
		"e.g. 'tripletmargin(margin=0.05, type_of_triplets=semihard)' (docs/SPECS.md). Each miner with its\n" +
		"options and PyTorch Metric Learning's defaults:\n")
	for _, name := range names {
		writeEntry(&b, name, ordered(opts[name], nil))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// registryOptions returns the options of each entry of reg called names, through fix when not nil.
// A name the registry does not know panics: the registries are built from the same lists.
func registryOptions(reg *spec.Registry, names []string, fix func(spec.Option) spec.Option) map[string][]spec.Option {
	out := map[string][]spec.Option{}
	for _, name := range names {
		opts, err := reg.Options(name)
		if err != nil {
			panic(err)
		}
		if fix != nil {
			for i := range opts {
				opts[i] = fix(opts[i])
			}
		}
		out[name] = opts
	}
	return out
}

// commonOptions returns the options, in the first entry's order, that every entry called names
// has with the same default; none for fewer than two entries.
func commonOptions(opts map[string][]spec.Option, names []string) []spec.Option {
	if len(names) < 2 {
		return nil
	}
	var common []spec.Option
	for _, o := range opts[names[0]] {
		shared := true
		for _, n := range names[1:] {
			if !slices.ContainsFunc(opts[n], func(p spec.Option) bool { return p.Name == o.Name && p.Default == o.Default }) {
				shared = false
				break
			}
		}
		if shared {
			common = append(common, o)
		}
	}
	return common
}

// without returns opts less the options in drop (same name and default).
func without(opts map[string][]spec.Option, drop []spec.Option) map[string][]spec.Option {
	out := map[string][]spec.Option{}
	for name, os := range opts {
		out[name] = ordered(os, drop)
	}
	return out
}

// ordered returns opts less those in drop (same name and default), an entry's own options first and
// its distance and reducer last.
func ordered(opts, drop []spec.Option) []spec.Option {
	var own, last []spec.Option
	for _, o := range opts {
		switch {
		case slices.Contains(drop, o):
		case o.Name == "distance" || o.Name == "reducer":
			last = append(last, o)
		default:
			own = append(own, o)
		}
	}
	return append(own, last...)
}

// formatOptions writes each option as name=default.
func formatOptions(opts []spec.Option) []string {
	out := make([]string, len(opts))
	for i, o := range opts {
		out[i] = o.Name + "=" + o.Default
	}
	return out
}

// writeEntry writes "  name(option=default, ...)", wrapped.
func writeEntry(b *strings.Builder, name string, opts []spec.Option) {
	items := formatOptions(opts)
	if len(items) == 0 {
		b.WriteString("  " + name + "()\n")
		return
	}
	items[len(items)-1] += ")"
	writeWrapped(b, "  "+name+"(", items, "      ")
}

// writeWrapped writes prefix and the items separated by ", ", breaking the line before an item that
// would pass helpWidth; continuation lines start with indent.
func writeWrapped(b *strings.Builder, prefix string, items []string, indent string) {
	line := prefix
	for i, it := range items {
		sep := ""
		if i < len(items)-1 {
			sep = ","
		}
		switch {
		case i == 0:
			line += it + sep
		case len(line)+1+len(it)+len(sep) > helpWidth:
			b.WriteString(line + "\n")
			line = indent + it + sep
		default:
			line += " " + it + sep
		}
	}
	b.WriteString(line + "\n")
}
