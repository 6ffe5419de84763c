package placenames

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/text"
)

// Script says which script a name is written in.
type Script string

// The scripts of ScriptOf.
const (
	// ScriptLatin: every letter of the name is Latin (unicode.Latin).
	ScriptLatin Script = "latin"
	// ScriptOther: at least one letter is of another script (Cyrillic, Arabic, Han, ...).
	ScriptOther Script = "other"
)

// ScriptOf returns ScriptLatin when every letter of s (unicode.IsLetter) is Latin
// (unicode.Is(unicode.Latin, r)), including a name without letters, else ScriptOther.
func ScriptOf(s string) Script {
	for _, r := range s {
		if unicode.IsLetter(r) && !unicode.Is(unicode.Latin, r) {
			return ScriptOther
		}
	}
	return ScriptLatin
}

// Kinds of entity.
const (
	// KindCountry is an ISO 3166-1 country (its code the alpha-2 code, "DE").
	KindCountry = "country"
	// KindSubdivision is an ISO 3166-2 subdivision (its code "DE-BY").
	KindSubdivision = "subdivision"
)

// Name is one item of the data set: a distinct name of an entity.
type Name struct {
	// Text is the name as the first locale that gives it writes it.
	Text string
	// Entity is the entity's code ("FR", "FR-IDF"), the item's class.
	Entity string
	// Locales are the locales that give this name (after normalisation), "en" (the English name of
	// iso-codes' JSON) first, then the others sorted.
	Locales []string
	// Script is the script of Text.
	Script Script
}

// Locale returns the first locale of the name.
func (n Name) Locale() string { return n.Locales[0] }

// Data are the place names.
type Data struct {
	// Version is the iso-codes version the names come from.
	Version string
	// Names are the items, grouped by entity (entities by code), each entity's names in the
	// order of their first locale.
	Names []Name
	// Kinds maps each entity's code to KindCountry or KindSubdivision.
	Kinds map[string]string
	// Locales are the locales of the catalogs read, sorted ("en" for the English names).
	Locales []string
	// Dropped counts what conversion left out: "shared" names (one normalised name of several
	// entities, dropped from all of them) and "single" entities (fewer than 2 distinct names).
	Dropped map[string]int
}

// Entities returns the entity codes, sorted.
func (d *Data) Entities() []string {
	var out []string
	for _, n := range d.Names {
		if len(out) == 0 || out[len(out)-1] != n.Entity {
			out = append(out, n.Entity)
		}
	}
	return out
}

// Items returns the names as text items (text.NewItems): ids "<entity>/<k>" (the k-th name of
// the entity, from 0), class labels the entity codes, named "place-names".
func (d *Data) Items() (*datasets.Items, error) {
	ids := make([]string, len(d.Names))
	texts := make([]string, len(d.Names))
	labels := make([]string, len(d.Names))
	k := 0
	for i, n := range d.Names {
		if i > 0 && d.Names[i-1].Entity != n.Entity {
			k = 0
		}
		ids[i], texts[i], labels[i] = fmt.Sprintf("%s/%d", n.Entity, k), n.Text, n.Entity
		k++
	}
	return text.NewItems("place-names", ids, texts, labels)
}

// DefaultFractions are the shares of the entities in the training, validation and test splits.
var DefaultFractions = datasets.Fractions{Train: 0.7, Val: 0.1, Test: 0.2}

// Split splits the names by entity: every name of an entity is in one split, so that test
// entities are never seen in training. The entities are ordered by the FNV-1a 64 hash of the
// seed (8 bytes, little-endian) followed by their code, and cut in the given fractions
// (rounded to whole entities); the result depends only on the entity codes, f and seed. It
// returns the indices of the names (in Names) of each split, in order.
func (d *Data) Split(f datasets.Fractions, seed uint64) (train, val, test []int, err error) {
	if !(f.Train >= 0 && f.Val >= 0 && f.Test >= 0) || f.Train+f.Val+f.Test < 0.999 || f.Train+f.Val+f.Test > 1.001 {
		return nil, nil, nil, fmt.Errorf("place names: fractions %+v, want non-negative and summing to 1", f)
	}
	ents := d.Entities()
	key := func(code string) uint64 {
		h := fnv.New64a()
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], seed)
		h.Write(b[:])
		h.Write([]byte(code))
		return h.Sum64()
	}
	keys := make(map[string]uint64, len(ents))
	for _, e := range ents {
		keys[e] = key(e)
	}
	slices.SortFunc(ents, func(a, b string) int {
		if keys[a] != keys[b] {
			if keys[a] < keys[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	nTrain := int(f.Train*float64(len(ents)) + 0.5)
	nVal := int((f.Train+f.Val)*float64(len(ents))+0.5) - nTrain
	split := make(map[string]int, len(ents))
	for i, e := range ents {
		switch {
		case i < nTrain:
			split[e] = 0
		case i < nTrain+nVal:
			split[e] = 1
		default:
			split[e] = 2
		}
	}
	for i, n := range d.Names {
		switch split[n.Entity] {
		case 0:
			train = append(train, i)
		case 1:
			val = append(val, i)
		default:
			test = append(test, i)
		}
	}
	return train, val, test, nil
}

// snapshot is the converted data shipped with gometric (see data/NOTICE.md).
//
//go:embed data/place-names.tsv.gz
var snapshot []byte

// Load returns the place names shipped with gometric: iso-codes 4.15.0 (Debian 12), converted
// once by Convert (see data/NOTICE.md: LGPL-2.1-or-later, with attribution). It needs nothing
// installed.
func Load() (*Data, error) {
	zr, err := gzip.NewReader(bytes.NewReader(snapshot))
	if err != nil {
		return nil, fmt.Errorf("place names: %w", err)
	}
	return ReadTSV(zr)
}

// DefaultRoot is where Debian's iso-codes package installs its files: Root/iso-codes/json and
// Root/locale/*/LC_MESSAGES.
const DefaultRoot = "/usr/share"

// Convert reads the place names from an installed iso-codes (apt-get install iso-codes): the
// entities and their English names from root/iso-codes/json/iso_3166-1.json (countries: "name",
// "official_name" and "common_name") and iso_3166-2.json (subdivisions: "name"), and their
// translations from every root/locale/<locale>/LC_MESSAGES/iso_3166-1.mo and iso_3166-2.mo.
// White space in a name is trimmed and collapsed to single spaces. A name is kept once per entity after normalisation (text.Normalize); a normalised name of
// several entities is dropped from all of them (it cannot tell them apart), and entities left
// with fewer than 2 names are dropped. version is recorded as Data.Version.
func Convert(root, version string) (*Data, error) {
	jsonDir := filepath.Join(root, "iso-codes", "json")
	if _, err := os.Stat(filepath.Join(jsonDir, "iso_3166-1.json")); err != nil {
		return nil, fmt.Errorf("place names: %w (install Debian's iso-codes package: apt-get install iso-codes)", err)
	}
	type entity struct {
		code, kind string
		names      []string // English names, as msgids
	}
	var ents []entity
	var countries struct {
		List []map[string]string `json:"3166-1"`
	}
	if err := readJSON(filepath.Join(jsonDir, "iso_3166-1.json"), &countries); err != nil {
		return nil, err
	}
	for _, c := range countries.List {
		e := entity{code: c["alpha_2"], kind: KindCountry}
		for _, k := range []string{"name", "official_name", "common_name"} {
			if c[k] != "" {
				e.names = append(e.names, c[k])
			}
		}
		ents = append(ents, e)
	}
	var subdivisions struct {
		List []map[string]string `json:"3166-2"`
	}
	if err := readJSON(filepath.Join(jsonDir, "iso_3166-2.json"), &subdivisions); err != nil {
		return nil, err
	}
	for _, s := range subdivisions.List {
		ents = append(ents, entity{code: s["code"], kind: KindSubdivision, names: []string{s["name"]}})
	}

	// Catalogs by locale, for each standard.
	cats := map[string]map[string]*Catalog{KindCountry: {}, KindSubdivision: {}}
	localeSet := map[string]bool{"en": true}
	for kind, file := range map[string]string{KindCountry: "iso_3166-1.mo", KindSubdivision: "iso_3166-2.mo"} {
		paths, err := filepath.Glob(filepath.Join(root, "locale", "*", "LC_MESSAGES", file))
		if err != nil {
			return nil, err
		}
		for _, p := range paths {
			locale := filepath.Base(filepath.Dir(filepath.Dir(p)))
			c, err := ReadMOFile(p)
			if err != nil {
				return nil, err
			}
			cats[kind][locale] = c
			localeSet[locale] = true
		}
	}
	d := &Data{Version: version, Kinds: map[string]string{}, Dropped: map[string]int{}}
	for l := range localeSet {
		d.Locales = append(d.Locales, l)
	}
	slices.Sort(d.Locales)
	others := slices.DeleteFunc(slices.Clone(d.Locales), func(l string) bool { return l == "en" })

	slices.SortFunc(ents, func(a, b entity) int { return strings.Compare(a.code, b.code) })
	owners := map[string]map[string]bool{} // normalised name → entities
	for _, e := range ents {
		if e.code == "" {
			return nil, errors.New("place names: an entity without a code")
		}
		if _, dup := d.Kinds[e.code]; dup {
			return nil, fmt.Errorf("place names: entity %s twice", e.code)
		}
		d.Kinds[e.code] = e.kind
		var names []Name
		index := map[string]int{}
		add := func(s, locale string) {
			s = strings.Join(strings.Fields(s), " ") // a few translations end in a tab
			key := text.Normalize(s)
			if key == "" {
				return
			}
			if i, ok := index[key]; ok {
				if !slices.Contains(names[i].Locales, locale) {
					names[i].Locales = append(names[i].Locales, locale)
				}
				return
			}
			index[key] = len(names)
			names = append(names, Name{Text: s, Entity: e.code, Locales: []string{locale}, Script: ScriptOf(s)})
			if owners[key] == nil {
				owners[key] = map[string]bool{}
			}
			owners[key][e.code] = true
		}
		for _, n := range e.names {
			add(n, "en")
		}
		for _, l := range others {
			c := cats[e.kind][l]
			if c == nil {
				continue
			}
			for _, n := range e.names {
				if tr, ok := c.Messages[n]; ok {
					add(tr, l)
				}
			}
		}
		d.Names = append(d.Names, names...)
	}
	// Drop shared names, then entities with fewer than 2 names.
	var kept []Name
	for _, n := range d.Names {
		if len(owners[text.Normalize(n.Text)]) > 1 {
			d.Dropped["shared"]++
			continue
		}
		kept = append(kept, n)
	}
	count := map[string]int{}
	for _, n := range kept {
		count[n.Entity]++
	}
	d.Names = d.Names[:0]
	for _, n := range kept {
		if count[n.Entity] >= 2 {
			d.Names = append(d.Names, n)
		}
	}
	for code := range d.Kinds {
		if count[code] < 2 {
			d.Dropped["single"]++
			delete(d.Kinds, code)
		}
	}
	return d, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("place names: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("place names: %s: %w", path, err)
	}
	return nil
}

// tsvHeader starts the first line of the TSV form.
const tsvHeader = "# place-names"

// WriteTSV writes d in the form that ReadTSV reads (and that gometric ships gzip-compressed): a
// first line "# place-names iso-codes <version>; dropped shared <n>, single <n>; locales
// <l1>,<l2>,...", then one name per line, "<entity>\t<kind>\t<locales, comma-separated>\t<text>".
func WriteTSV(w io.Writer, d *Data) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%s iso-codes %s; dropped shared %d, single %d; locales %s\n", tsvHeader, d.Version,
		d.Dropped["shared"], d.Dropped["single"], strings.Join(d.Locales, ","))
	for _, n := range d.Names {
		if strings.ContainsAny(n.Text, "\t\n\r") {
			return fmt.Errorf("place names: name %q of %s has a tab or line break", n.Text, n.Entity)
		}
		fmt.Fprintf(bw, "%s\t%s\t%s\t%s\n", n.Entity, d.Kinds[n.Entity], strings.Join(n.Locales, ","), n.Text)
	}
	return bw.Flush()
}

// ReadTSV reads the form that WriteTSV writes.
func ReadTSV(r io.Reader) (*Data, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	d := &Data{Kinds: map[string]string{}, Dropped: map[string]int{}}
	line := 0
	for sc.Scan() {
		line++
		s := sc.Text()
		if line == 1 {
			var shared, single int
			var locales string
			if _, err := fmt.Sscanf(s, tsvHeader+" iso-codes %s dropped shared %d, single %d; locales %s", &d.Version, &shared, &single, &locales); err != nil {
				return nil, fmt.Errorf("place names:1: header %q: %v", s, err)
			}
			d.Version = strings.TrimSuffix(d.Version, ";")
			d.Dropped["shared"], d.Dropped["single"] = shared, single
			d.Locales = strings.Split(locales, ",")
			continue
		}
		f := strings.Split(s, "\t")
		if len(f) != 4 || f[0] == "" || f[3] == "" || f[1] != KindCountry && f[1] != KindSubdivision {
			return nil, fmt.Errorf("place names:%d: want entity, kind, locales and text, tab-separated: %q", line, s)
		}
		d.Kinds[f[0]] = f[1]
		d.Names = append(d.Names, Name{Text: f[3], Entity: f[0], Locales: strings.Split(f[2], ","), Script: ScriptOf(f[3])})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("place names: %w", err)
	}
	if line == 0 {
		return nil, fmt.Errorf("place names: %w", fs.ErrNotExist)
	}
	return d, nil
}
