// Package registry holds what the losses and miners name registries share: how a name is normalised
// for look-up, the sorted list of known names, and the error for an unknown one.
package registry

import (
	"fmt"
	"sort"
	"strings"
)

// Key normalises name for look-up: lower case, without "-" and "_", and without the trailing suffix
// (a PML class-name suffix such as "loss" or "miner", given in lower case).
func Key(name, suffix string) string {
	key := strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(name))
	return strings.TrimSuffix(key, suffix)
}

// Names lists the keys of m, sorted.
func Names[T any](m map[string]T) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Unknown is the error for a name that is not in the registry of kind ("loss", "miner").
func Unknown(kind, name string, known []string) error {
	return fmt.Errorf("unknown %s %q (known: %s)", kind, name, strings.Join(known, ", "))
}
