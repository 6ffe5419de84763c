package text

import (
	"hash/fnv"
	"slices"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Ｍüller", "müller"},                         // fullwidth M (NFKC) and case folding
		{"MÜLLER", "müller"},                         // case folding
		{"mu\u0308ller", "müller"},                   // combining diaeresis composed (NFKC)
		{"Straße", "strasse"},                        // full case folding: ß → ss
		{"ﬁnance", "finance"},                        // ligature (NFKC)
		{"  Rio \t de\nJaneiro  ", "rio de janeiro"}, // white space collapsed and trimmed
		{"МОСКВА", "москва"},                         // Cyrillic
		{"ΣΊΣΥΦΟΣ", "σίσυφοσ"},                       // Greek final sigma folds to σ
		{"東京", "東京"},                                 // no case
		{"\u3000", ""},                               // ideographic space only
		{"①", "1"},                                   // circled digit (NFKC)
	} {
		if got := Normalize(c.in); got != c.want {
			t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// fnvBucket is an independent FNV-1a 64 (the standard library's) of kind+token, mod buckets.
func fnvBucket(kind byte, tok string, buckets int) int32 {
	h := fnv.New64a()
	h.Write([]byte{kind})
	h.Write([]byte(tok))
	return int32(h.Sum64() % uint64(buckets))
}

// TestTokeniseIDs checks the ids of a short text against the token list written out by hand and
// hashed with hash/fnv: the ids do not depend on the process (no seeded hash).
func TestTokeniseIDs(t *testing.T) {
	tok := NewTokeniser()
	for _, c := range []struct {
		text  string
		words []string
		grams []string
	}{
		{"Ab", []string{"ab"}, []string{"a", "b", "<a", "ab", "b>", "<ab", "ab>", "<ab>"}},
		{"É-1", []string{"é", "1"}, []string{"é", "-", "1", "<é", "é-", "-1", "1>", "<é-", "é-1", "-1>", "<é-1", "é-1>"}},
		{"東京", []string{"東京"}, []string{"東", "京", "<東", "東京", "京>", "<東京", "東京>", "<東京>"}},
	} {
		var want []int32
		for _, w := range c.words {
			want = append(want, fnvBucket('w', w, tok.Buckets))
		}
		for _, g := range c.grams {
			want = append(want, fnvBucket('c', g, tok.Buckets))
		}
		got := tok.Tokenise(c.text)
		if !slices.Equal(got.IDs, want) {
			t.Errorf("Tokenise(%q) ids %v, want %v", c.text, got.IDs, want)
		}
		for i, n := range got.Counts {
			if n != 1 {
				t.Errorf("Tokenise(%q): count %d of id %d, want 1", c.text, int(n), i)
			}
		}
	}
}

func TestTokeniseCounts(t *testing.T) {
	tok := NewTokeniser()
	got := tok.Tokenise("aaa")
	// word "aaa"; "a" three times; "<a", "aa" twice, "a>"; "<aa", "aaa", "aa>"; "<aaa", "aaa>": 10 ids.
	want := map[string]float32{"a": 3, "aa": 2, "<a": 1, "aaa": 1, "<aaa": 1}
	for g, n := range want {
		id := fnvBucket('c', g, tok.Buckets)
		i := slices.Index(got.IDs, id)
		if i < 0 || got.Counts[i] != n {
			t.Errorf("n-gram %q: index %d, counts %v, want count %v", g, i, got.Counts, n)
		}
	}
	if len(got.IDs) != 10 {
		t.Errorf("%d distinct ids, want 10", len(got.IDs))
	}
}

func TestTokeniseEquivalences(t *testing.T) {
	tok := NewTokeniser()
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"Ｍüller", "müller", true},
		{"MÜLLER GmbH", "müller gmbh", true},
		{"Müller  GmbH", "müller gmbh", true},
		{"Straße", "STRASSE", true},
		{"МОСКВА", "москва", true},
		{"müller", "muller", false},
		{"Москва", "Moskva", false},
	} {
		ta, tb := tok.Tokenise(c.a), tok.Tokenise(c.b)
		same := slices.Equal(ta.IDs, tb.IDs) && slices.Equal(ta.Counts, tb.Counts)
		if same != c.same {
			t.Errorf("Tokenise(%q) and Tokenise(%q): same %v, want %v", c.a, c.b, same, c.same)
		}
	}
}

func TestTokeniseLimits(t *testing.T) {
	tok := NewTokeniser()
	if got := tok.Tokenise(" \t "); len(got.IDs) != 0 {
		t.Errorf("white space has %d ids", len(got.IDs))
	}
	// A text over MaxRunes reads as its first MaxRunes characters.
	tok.MaxRunes = 10
	if a, b := tok.Tokenise(strings.Repeat("abcde", 4)), tok.Tokenise("abcdeabcde"); !slices.Equal(a.IDs, b.IDs) {
		t.Errorf("text over MaxRunes: ids differ from those of its first MaxRunes characters")
	}
	// More distinct ids than the largest budget: the first ones are kept.
	tok = NewTokeniser()
	tok.Budgets = []int{8, 16}
	long := tok.Tokenise("the quick brown fox")
	if len(long.IDs) != 16 {
		t.Fatalf("%d ids, want 16 (the largest budget)", len(long.IDs))
	}
	tok.Budgets = []int{1 << 12}
	if all := tok.Tokenise("the quick brown fox"); !slices.Equal(all.IDs[:16], long.IDs) {
		t.Errorf("the capped ids are not the first ones")
	}
}

func TestPack(t *testing.T) {
	tok := NewTokeniser()
	texts := []string{"ab", strings.Repeat("abcdefghij", 5)}
	b, err := tok.Pack(texts, 4)
	if err != nil {
		t.Fatal(err)
	}
	n0, n1 := len(tok.Tokenise(texts[0]).IDs), len(tok.Tokenise(texts[1]).IDs)
	if want := tok.Budget(max(n0, n1)); b.Budget != want || b.Slots != 4 || len(b.IDs) != 4*want {
		t.Fatalf("batch %d slots × %d, want 4 × %d", b.Slots, b.Budget, want)
	}
	if n1 <= 32 || b.Budget <= 32 {
		t.Fatalf("the long text has %d ids, budget %d: the test needs more than the smallest budget", n1, b.Budget)
	}
	for row, n := range []int{n0, n1, 0, 0} {
		for k := range b.Budget {
			w := b.Weights[row*b.Budget+k]
			if (w > 0) != (k < n) || k >= n && b.IDs[row*b.Budget+k] != 0 {
				t.Fatalf("row %d position %d: id %d weight %v (row has %d ids)", row, k, b.IDs[row*b.Budget+k], w, n)
			}
		}
	}
	if _, err := tok.Pack(texts, 1); err == nil {
		t.Error("2 texts in 1 slot: no error")
	}
	for _, c := range []struct{ n, want int }{{0, 32}, {32, 32}, {33, 64}, {4096, 4096}, {5000, 4096}} {
		if got := tok.Budget(c.n); got != c.want {
			t.Errorf("Budget(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}

func TestTokeniserValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Tokeniser)
		want string
	}{
		{"defaults", func(*Tokeniser) {}, ""},
		{"version", func(t *Tokeniser) { t.Version = 2 }, "version 2"},
		{"hash", func(t *Tokeniser) { t.Hash = "maphash" }, "hash"},
		{"buckets", func(t *Tokeniser) { t.Buckets = 0 }, "0 buckets"},
		{"n", func(t *Tokeniser) { t.MinN, t.MaxN = 3, 2 }, "n-grams"},
		{"runes", func(t *Tokeniser) { t.MaxRunes = 0 }, "max runes"},
		{"budgets", func(t *Tokeniser) { t.Budgets = []int{64, 32} }, "increasing"},
		{"no budgets", func(t *Tokeniser) { t.Budgets = nil }, "no budgets"},
	} {
		tok := NewTokeniser()
		c.edit(tok)
		err := tok.Validate()
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: error %v, want one with %q", c.name, err, c.want)
		}
	}
}
