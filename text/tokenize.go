package text

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Tokeniser defaults (see Tokeniser).
const (
	// DefaultBuckets is the number of hash buckets B (2^18): the rows of the encoder's embedding
	// table.
	DefaultBuckets = 1 << 18
	// DefaultMinN and DefaultMaxN bound the character n-grams (1 to 4 characters).
	DefaultMinN, DefaultMaxN = 1, 4
	// DefaultMaxRunes is the longest text, in characters (runes) after normalisation, that the
	// tokeniser reads; the rest of a longer text is ignored (the readers refuse such texts unless
	// asked to truncate them, see ReadOptions).
	DefaultMaxRunes = 1000
	// HashFNV1a64 is the only hash: 64-bit FNV-1a (fixed constants, the same in every process,
	// unlike Go's map hash or hash/maphash, which are seeded per process).
	HashFNV1a64 = "fnv1a64"
	// TokeniserVersion is the version of the tokenisation rules; a saved Tokeniser with another
	// version is refused, so that a model is never fed ids it was not trained on.
	TokeniserVersion = 1
)

// DefaultBudgets are the padded lengths of a batch's id lists: a batch takes the smallest budget
// that holds its longest list, so that a run compiles at most one graph per budget. A place name
// (5 to 60 characters) has 20 to 250 distinct ids.
var DefaultBudgets = []int{32, 64, 128, 256, 512, 1024, 2048, 4096}

// Markers are the characters put around a text before its character n-grams are taken, so that
// n-grams at the start and end differ from the same characters inside the text.
const (
	StartMarker = '<'
	EndMarker   = '>'
)

// Tokeniser turns a text into bucket ids: the hashing trick over character n-grams and words.
// It is deterministic: the same text gives the same ids in every process, on every platform,
// and its settings are saved with a model (Encoder.Spec). The steps:
//
//  1. Normalise (Normalize): Unicode NFKC, then full Unicode case folding (golang.org/x/text/cases
//     Fold: "Straße" → "strasse", "ǅ" → "ǆ"), then NFKC again (folding can undo it), then every
//     run of white space (unicode.IsSpace) becomes one space and the text is trimmed. Fullwidth
//     and compatibility forms become their plain letters: "Ｍüller" → "müller". Text longer than
//     MaxRunes characters after normalisation is cut to MaxRunes.
//  2. Character n-grams: the normalised text between StartMarker and EndMarker ("<müller>"), every
//     window of MinN to MaxN characters (runes), except the markers alone.
//  3. Words (when Words): the maximal runs of letters, marks and digits (unicode.IsLetter,
//     unicode.IsMark, unicode.IsDigit) of the normalised text.
//  4. Each token is hashed with 64-bit FNV-1a over a kind byte ('c' for an n-gram, 'w' for a
//     word) followed by its UTF-8 bytes; its bucket is the hash modulo Buckets.
//
// A text's ids are its distinct buckets in order of first appearance (words first, then n-grams
// by length and position), each with its count (how many tokens fell into it). Texts with more
// distinct buckets than the largest budget keep the first ones (long texts lose their last
// 4-grams first).
//
// The zero value is not usable: use NewTokeniser (defaults) or set every field.
type Tokeniser struct {
	// Version is TokeniserVersion.
	Version int `json:"version"`
	// Buckets is the number of hash buckets B (default 2^18).
	Buckets int `json:"buckets"`
	// MinN and MaxN bound the length of character n-grams (default 1 and 4).
	MinN int `json:"min_n"`
	MaxN int `json:"max_n"`
	// Words adds word tokens (default true).
	Words bool `json:"words"`
	// MaxRunes is the most characters of a normalised text that are read (default 1,000).
	MaxRunes int `json:"max_runes"`
	// Hash is HashFNV1a64.
	Hash string `json:"hash"`
	// Budgets are the padded lengths of id lists, increasing (default DefaultBudgets).
	Budgets []int `json:"budgets"`
}

// NewTokeniser returns a Tokeniser with the defaults: 2^18 buckets, n-grams of 1 to 4
// characters, words, 1,000 characters, FNV-1a 64, budgets 32 to 4,096.
func NewTokeniser() *Tokeniser {
	return &Tokeniser{
		Version: TokeniserVersion, Buckets: DefaultBuckets, MinN: DefaultMinN, MaxN: DefaultMaxN,
		Words: true, MaxRunes: DefaultMaxRunes, Hash: HashFNV1a64, Budgets: slices.Clone(DefaultBudgets),
	}
}

// Validate reports the first problem of t's settings.
func (t *Tokeniser) Validate() error {
	switch {
	case t.Version != TokeniserVersion:
		return fmt.Errorf("text tokeniser: version %d, this gometric has version %d", t.Version, TokeniserVersion)
	case t.Hash != HashFNV1a64:
		return fmt.Errorf("text tokeniser: hash %q, want %q", t.Hash, HashFNV1a64)
	case t.Buckets < 1 || t.Buckets > 1<<30:
		return fmt.Errorf("text tokeniser: %d buckets, want 1 to 2^30", t.Buckets)
	case t.MinN < 1 || t.MaxN < t.MinN || t.MaxN > 16:
		return fmt.Errorf("text tokeniser: n-grams of %d to %d characters, want 1 <= min <= max <= 16", t.MinN, t.MaxN)
	case t.MaxRunes < 1:
		return fmt.Errorf("text tokeniser: max runes %d, want at least 1", t.MaxRunes)
	case len(t.Budgets) == 0:
		return fmt.Errorf("text tokeniser: no budgets")
	}
	for i, b := range t.Budgets {
		if b < 1 || i > 0 && b <= t.Budgets[i-1] {
			return fmt.Errorf("text tokeniser: budgets %v, want positive and increasing", t.Budgets)
		}
	}
	return nil
}

// Normalize returns s normalised as the tokeniser sees it (step 1 of Tokeniser, without the
// MaxRunes cut): NFKC, case folded, NFKC, white space collapsed and trimmed. Invalid UTF-8
// bytes become U+FFFD.
func Normalize(s string) string {
	s = norm.NFKC.String(s)
	s = cases.Fold().String(s)
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Tokens are the bucket ids of one text with their counts.
type Tokens struct {
	// IDs are the distinct buckets, in order of first appearance.
	IDs []int32
	// Counts[i] is how many tokens fell into bucket IDs[i].
	Counts []float32
}

// FNV-1a 64 constants.
const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

// hashToken returns FNV-1a 64 of the kind byte followed by the UTF-8 bytes of runes.
func hashToken(kind byte, runes []rune) uint64 {
	h := uint64(fnvOffset64)
	h ^= uint64(kind)
	h *= fnvPrime64
	var buf [utf8.UTFMax]byte
	for _, r := range runes {
		n := utf8.EncodeRune(buf[:], r)
		for _, c := range buf[:n] {
			h ^= uint64(c)
			h *= fnvPrime64
		}
	}
	return h
}

// Tokenise returns the bucket ids of s (see Tokeniser), at most the largest budget of them.
// An empty text (after normalisation) has no ids.
func (t *Tokeniser) Tokenise(s string) Tokens {
	runes := []rune(Normalize(s))
	if len(runes) > t.MaxRunes {
		runes = runes[:t.MaxRunes]
	}
	limit := t.Budgets[len(t.Budgets)-1]
	var out Tokens
	if len(runes) == 0 {
		return out
	}
	index := make(map[int32]int, 4*len(runes))
	add := func(kind byte, tok []rune) {
		id := int32(hashToken(kind, tok) % uint64(t.Buckets))
		if i, ok := index[id]; ok {
			out.Counts[i]++
			return
		}
		if len(out.IDs) == limit {
			return
		}
		index[id] = len(out.IDs)
		out.IDs = append(out.IDs, id)
		out.Counts = append(out.Counts, 1)
	}
	if t.Words {
		start := -1
		for i := 0; i <= len(runes); i++ {
			inWord := i < len(runes) && (unicode.IsLetter(runes[i]) || unicode.IsMark(runes[i]) || unicode.IsDigit(runes[i]))
			switch {
			case inWord && start < 0:
				start = i
			case !inWord && start >= 0:
				add('w', runes[start:i])
				start = -1
			}
		}
	}
	marked := make([]rune, 0, len(runes)+2)
	marked = append(append(append(marked, StartMarker), runes...), EndMarker)
	for n := t.MinN; n <= t.MaxN; n++ {
		for i := 0; i+n <= len(marked); i++ {
			if n == 1 && (i == 0 || i == len(marked)-1) {
				continue // A marker alone says nothing.
			}
			add('c', marked[i:i+n])
		}
	}
	return out
}

// Budget returns the smallest budget that holds n ids (the largest budget when none does).
func (t *Tokeniser) Budget(n int) int {
	for _, b := range t.Budgets {
		if n <= b {
			return b
		}
	}
	return t.Budgets[len(t.Budgets)-1]
}

// Batch is a batch of tokenised texts padded to static shapes: Slots rows of Budget ids each.
// Row i holds the ids of text i and their counts; the rest of the row, and the rows of padding
// slots, have id 0 and weight 0 (the weights are the mask).
type Batch struct {
	// Slots is the number of rows; Budget the length of each row.
	Slots, Budget int
	// IDs [Slots*Budget] are the bucket ids, row-major.
	IDs []int32
	// Weights [Slots*Budget] are the counts of the ids, 0 for padding.
	Weights []float32
}

// Pack tokenises texts and pads them into a Batch of slots rows (slots >= len(texts); 0 means
// len(texts)), with the smallest budget that holds the longest id list.
func (t *Tokeniser) Pack(texts []string, slots int) (*Batch, error) {
	if slots == 0 {
		slots = len(texts)
	}
	if slots < len(texts) {
		return nil, fmt.Errorf("text: %d texts for %d slots", len(texts), slots)
	}
	toks := make([]Tokens, len(texts))
	for i, s := range texts {
		toks[i] = t.Tokenise(s)
	}
	return t.PackTokens(toks, slots), nil
}

// PackTokens pads already tokenised texts into a Batch of slots rows (slots >= len(toks)).
func (t *Tokeniser) PackTokens(toks []Tokens, slots int) *Batch {
	longest := 0
	for _, tk := range toks {
		longest = max(longest, len(tk.IDs))
	}
	L := t.Budget(longest)
	b := &Batch{Slots: slots, Budget: L, IDs: make([]int32, slots*L), Weights: make([]float32, slots*L)}
	for i, tk := range toks {
		n := min(len(tk.IDs), L)
		copy(b.IDs[i*L:i*L+n], tk.IDs[:n])
		copy(b.Weights[i*L:i*L+n], tk.Counts[:n])
	}
	return b
}
