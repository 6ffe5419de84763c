package main

import (
	"strings"
	"testing"

	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/miners"
	"github.com/gometric/gometric/spec"
)

// helpEntries returns the entries "name(option=default, ...)" of a --loss or --miner usage as
// `gometric train --help` prints it, by name, with their wrapped lines joined, and the lines that
// list options shared by several entries ("every loss also takes: ...").
func helpEntries(t *testing.T, usage string) (entries map[string]string, shared []string) {
	t.Helper()
	entries = map[string]string{}
	for _, line := range strings.Split(strings.ReplaceAll(usage, "\n    \t      ", " "), "\n") {
		line = strings.TrimPrefix(line, "    \t")
		switch {
		case strings.HasPrefix(line, "  ") && strings.Contains(line, "("):
			e := strings.TrimSpace(line)
			name := e[:strings.Index(e, "(")]
			if _, dup := entries[name]; dup {
				t.Errorf("entry %s listed twice", name)
			}
			entries[name] = e
		case strings.Contains(line, "also take"):
			shared = append(shared, line)
		}
	}
	return entries, shared
}

// flagUsage returns the part of `gometric train --help` that documents flag name, up to the next
// flag.
func flagUsage(t *testing.T, help, name string) string {
	t.Helper()
	i := strings.Index(help, "\n  -"+name+" ")
	if i < 0 {
		t.Fatalf("train --help has no -%s", name)
	}
	rest := help[i+1:]
	if j := strings.Index(rest[1:], "\n  -"); j >= 0 {
		rest = rest[:j+1]
	}
	// The flag package ends the usage with the flag's default, when it has one.
	if j := strings.LastIndex(rest, " (default "); j >= 0 && !strings.Contains(strings.TrimSuffix(rest[j:], "\n"), "\n") {
		rest = rest[:j]
	}
	return rest
}

// TestTrainHelpListsLossesAndMiners checks that `gometric train --help` lists every registered loss
// and miner with every one of its options and its default (from the spec registries), and, for a
// few, PML 2.8.1's defaults written out here by hand.
func TestTrainHelpListsLossesAndMiners(t *testing.T) {
	code, help, _ := gometric("train", "--help")
	if code != exitOK {
		t.Fatalf("train --help: code %d", code)
	}
	lossEntries, lossShared := helpEntries(t, flagUsage(t, help, "loss"))
	minerEntries, minerShared := helpEntries(t, flagUsage(t, help, "miner"))
	if len(minerShared) != 0 {
		t.Errorf("miner help has shared option lines %q; every miner lists its own", minerShared)
	}
	for _, tc := range []struct {
		kind    string
		names   []string
		reg     *spec.Registry
		entries map[string]string
		shared  []string
	}{
		{"loss", losses.Names(), losses.Specs, lossEntries, lossShared},
		{"miner", miners.Names(), miners.Specs, minerEntries, nil},
	} {
		if len(tc.entries) != len(tc.names) {
			t.Errorf("%s help lists %d entries, the registry %d", tc.kind, len(tc.entries), len(tc.names))
		}
		for _, name := range tc.names {
			entry, ok := tc.entries[name]
			if !ok {
				t.Errorf("%s help lacks %s", tc.kind, name)
				continue
			}
			opts, err := tc.reg.Options(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range opts {
				want := o.Name + "=" + o.Default
				if tc.kind == "miner" && want == "distance=none" {
					want = "distance=lp" // PML's BaseMiner default.
				}
				found := strings.Contains(entry, want+",") || strings.Contains(entry, want+")")
				for _, s := range tc.shared {
					found = found || strings.Contains(strings.TrimSpace(s)+",", " "+want+",")
				}
				if !found {
					t.Errorf("%s help: %s lacks %s (%s)", tc.kind, name, want, entry)
				}
			}
		}
	}
	// PML 2.8.1's defaults, from its source.
	for _, tc := range []struct {
		entry string
		want  []string
	}{
		{lossEntries["ntxent"], []string{"temperature=0.07", "distance=cosine", "reducer=mean"}},
		{lossEntries["contrastive"], []string{"pos_margin=0", "neg_margin=1", "distance=lp", "reducer=avg_non_zero"}},
		{lossEntries["tripletmargin"], []string{"margin=0.05", "swap=false", "smooth_loss=false"}},
		{lossEntries["multisimilarity"], []string{"alpha=2", "beta=50", "base=0.5"}},
		{lossEntries["supcon"], []string{"temperature=0.1"}},
		{lossEntries["arcface"], []string{"margin=28.6", "scale=64"}},
		{lossEntries["softtriple"], []string{"centers_per_class=10", "la=20", "gamma=0.1", "margin=0.01"}},
		{minerEntries["tripletmargin"], []string{"margin=0.2", "type_of_triplets=all", "distance=lp"}},
		{minerEntries["multisimilarity"], []string{"epsilon=0.1", "distance=cosine"}},
		{minerEntries["pairmargin"], []string{"pos_margin=0.2", "neg_margin=0.8"}},
		{strings.Join(lossShared, "\n"), []string{"embedding_reg_weight=1", "num_classes=0", "weight_reg_weight=1"}},
	} {
		for _, w := range tc.want {
			if !strings.Contains(tc.entry, w) {
				t.Errorf("help %q lacks PML's default %s", tc.entry, w)
			}
		}
	}
}

// TestHelpWrapping checks that the loss and miner lists wrap at helpWidth.
func TestHelpWrapping(t *testing.T) {
	for name, usage := range map[string]string{"loss": lossHelp(), "miner": minerHelp()} {
		for _, line := range strings.Split(usage, "\n") {
			if strings.HasPrefix(line, "  ") && len(line) > helpWidth {
				t.Errorf("%s help: line of %d characters, over %d: %q", name, len(line), helpWidth, line)
			}
		}
	}
}
