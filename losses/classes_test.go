package losses

import (
	"strings"
	"testing"
)

func TestSetClasses(t *testing.T) {
	for _, c := range []struct {
		spec         string
		classLosses  int
		classes, dim int
		wantErr      string
	}{
		{"ntxent", 0, 10, 128, ""},
		{"arcface", 1, 10, 128, ""},
		{"contrastive + 0.5*proxyanchor", 1, 10, 128, ""},
		{"arcface(num_classes=10, embedding_size=128)", 1, 10, 128, ""},
		{"arcface(num_classes=7)", 1, 10, 128, "num_classes=7"},
		{"cosface(embedding_size=64) + arcface", 2, 10, 128, "embedding_size=64"},
	} {
		l, err := Parse(c.spec)
		if err != nil {
			t.Fatalf("%s: %v", c.spec, err)
		}
		if got := len(ClassLosses(l)); got != c.classLosses {
			t.Errorf("%s: %d class losses, want %d", c.spec, got, c.classLosses)
		}
		err = SetClasses(l, c.classes, c.dim)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: error %v, want one naming %q", c.spec, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.spec, err)
		}
		for _, p := range ClassLosses(l) {
			if o := p.Classes(); o.NumClasses != c.classes || o.EmbeddingSize != c.dim {
				t.Errorf("%s: %T has %d classes, size %d", c.spec, p, o.NumClasses, o.EmbeddingSize)
			}
		}
	}
}
