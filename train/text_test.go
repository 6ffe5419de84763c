package train

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/encoders"
	"github.com/gometric/gometric/graphs"
	"github.com/gometric/gometric/runfolder"
	"github.com/gometric/gometric/text"
)

// The example text files (docs/DATA.md, section Text).
var (
	exampleNames     = filepath.Join("..", "examples", "data", "names.csv")
	exampleNamePairs = filepath.Join("..", "examples", "data", "names-pairs.csv")
)

// TestTextItemKinds checks that text files are read as texts, and that ItemKindOf tells them from
// feature vectors and graphs.
func TestTextItemKinds(t *testing.T) {
	ex := func(name string) string { return filepath.Join("..", "examples", "data", name) }
	for _, c := range []struct {
		items, pairs, want string
	}{
		{exampleNames, "", text.KindText},
		{exampleNames, exampleNamePairs, text.KindText},
		{"", exampleNamePairs, text.KindText}, // inline texts
		{ex("items.csv"), ex("pairs.csv"), datasets.KindVector},
		{ex("graphs.jsonl"), "", graphs.KindGraph},
	} {
		got, err := ItemKindOf(Config{Items: c.items, Pairs: c.pairs})
		if err != nil || got != c.want {
			t.Errorf("ItemKindOf(%q, %q) = %q, %v; want %q", c.items, c.pairs, got, err, c.want)
		}
	}
	items, _, err := ReadItemsFile(exampleNames, nil)
	if err != nil {
		t.Fatal(err)
	}
	if items.Kind() != text.KindText || items.Len() != 43 || len(items.ClassNames) != 12 {
		t.Fatalf("names.csv: %s items, %d of them, %d classes; want text, 43, 12", items.Kind(), items.Len(), len(items.ClassNames))
	}
	p, _, err := ReadPairsFile(exampleNamePairs, items, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Y) != 25 || p.Items.Len() <= items.Len() {
		t.Errorf("names-pairs.csv: %d pairs over %d items; want 25 pairs, and inline texts after the 43", len(p.Y), p.Items.Len())
	}
	if _, _, err := ReadPairsFile(exampleNamePairs, nil, nil); err == nil {
		t.Error("pairs by id without their texts file: no error")
	}
}

// TestTextRoundTrip trains the text encoder on the example name pairs, then loads the run's model
// as a later process would: the same tokeniser settings, the same vectors, the same threshold.
func TestTextRoundTrip(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Dataset, cfg.Items, cfg.Pairs = "", exampleNames, exampleNamePairs
	cfg.Steps, cfg.BatchSize, cfg.EmbeddingDim, cfg.Hidden = 10, 8, 16, []int{32}
	cfg.Normalize = NormalizeNone
	data, err := LoadData(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	res, err := Fit(cfg, data, Options{RunDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if res.Model.Spec.Kind != encoders.KindText {
		t.Fatalf("encoder %s, want the text encoder for texts", res.Model.Spec)
	}
	b, err := backend.New("")
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadRunModel(runfolder.Folder{Dir: dir}, b)
	if err != nil {
		t.Fatal(err)
	}
	enc, ok := loaded.ItemEncoder().(*text.Encoder)
	if !ok || enc.Tokeniser.Buckets != DefaultTextBuckets || !slices.Equal(enc.Bag.Hidden, []int{32}) {
		t.Fatalf("loaded encoder %T %v", loaded.ItemEncoder(), loaded.ItemEncoder())
	}
	if !res.Model.HasThreshold() || loaded.Threshold != res.Model.Threshold {
		t.Errorf("threshold %v, trained %v", loaded.Threshold, res.Model.Threshold)
	}
	items := data.TrainPairs.Items
	want, err := res.Model.EmbedItems(items)
	if err != nil {
		t.Fatal(err)
	}
	got, err := loaded.EmbedItems(items)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Data, want.Data) {
		t.Fatal("the loaded model embeds the texts differently")
	}
	if _, err := loaded.Embed(want); err == nil {
		t.Error("a text model embedded feature vectors")
	}
}
