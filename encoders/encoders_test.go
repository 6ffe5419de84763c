package encoders

import (
	"math"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/mat"
)

func TestImageShape(t *testing.T) {
	tests := []struct {
		in      int
		h, w, c int
		wantErr bool
	}{
		{784, 28, 28, 1, false},
		{64, 8, 8, 1, false},
		{9, 3, 3, 1, false},
		{10, 0, 0, 0, true},
		{0, 0, 0, 0, true},
	}
	for _, tt := range tests {
		h, w, c, err := ImageShape(tt.in)
		if (err != nil) != tt.wantErr || h != tt.h || w != tt.w || c != tt.c {
			t.Errorf("ImageShape(%d) = %d,%d,%d,%v; want %d,%d,%d, error %v", tt.in, h, w, c, err, tt.h, tt.w, tt.c, tt.wantErr)
		}
	}
}

func TestSpecValidate(t *testing.T) {
	tests := []struct {
		name    string
		spec    Spec
		wantErr string
	}{
		{"mlp ok", Spec{Kind: "mlp", InputDim: 64, EmbeddingDim: 8}, ""},
		{"mlp upper case", Spec{Kind: " MLP ", InputDim: 64, EmbeddingDim: 8}, ""},
		{"cnn ok", Spec{Kind: "cnn", InputDim: 784, EmbeddingDim: 8}, ""},
		{"unknown kind", Spec{Kind: "rnn", InputDim: 64, EmbeddingDim: 8}, "unknown kind"},
		{"no input", Spec{Kind: "mlp", EmbeddingDim: 8}, "input dimension"},
		{"no embedding", Spec{Kind: "mlp", InputDim: 4}, "embedding dimension"},
		{"bad hidden", Spec{Kind: "mlp", InputDim: 4, EmbeddingDim: 2, Hidden: []int{0}}, "hidden"},
		{"cnn not square", Spec{Kind: "cnn", InputDim: 10, EmbeddingDim: 2}, "not a square"},
		{"cnn wrong shape", Spec{Kind: "cnn", InputDim: 16, EmbeddingDim: 2, Height: 2, Width: 2, ImageChannels: 2}, "has 8 values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.spec)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// TestEncode checks output shapes and that two Encode calls in one graph share the weights.
func TestEncode(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
	}{
		{"mlp", Spec{Kind: KindMLP, InputDim: 12, EmbeddingDim: 5, Hidden: []int{7, 6}}},
		{"cnn 8x8", Spec{Kind: KindCNN, InputDim: 64, EmbeddingDim: 4, Channels: []int{3, 4}, Hidden: []int{6}}},
		{"cnn 3x3x2", Spec{Kind: KindCNN, InputDim: 18, EmbeddingDim: 3, Channels: []int{2, 2, 2}, Height: 3, Width: 3, ImageChannels: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := New(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			x := make([][]float32, 4)
			for i := range x {
				x[i] = make([]float32, tt.spec.InputDim)
				for j := range x[i] {
					x[i][j] = float32(math.Sin(float64(i*31 + j)))
				}
			}
			ctx := context.New()
			outs, err := context.ExecOnceN(backend.MustShared(), ctx, func(ctx *context.Context, x *Node) []*Node {
				return []*Node{enc.Encode(ctx, x), enc.Encode(ctx, x)}
			}, x)
			if err != nil {
				t.Fatal(err)
			}
			if got := outs[0].Shape().Dimensions; got[0] != 4 || got[1] != tt.spec.EmbeddingDim {
				t.Fatalf("output shape %v, want [4 %d]", got, tt.spec.EmbeddingDim)
			}
			a, b := tensors.MustCopyFlatData[float32](outs[0]), tensors.MustCopyFlatData[float32](outs[1])
			for i := range a {
				if a[i] != b[i] {
					t.Fatalf("two Encode calls differ at %d: %g vs %g (weights not shared)", i, a[i], b[i])
				}
			}
			for v := range ctx.IterVariables() {
				if v.Trainable && !strings.HasPrefix(v.Scope(), "/"+Scope) {
					t.Errorf("variable %s outside scope %q", v.ParameterName(), Scope)
				}
			}
		})
	}
}

func TestNormalizer(t *testing.T) {
	x := &mat.Dense{Rows: 4, Cols: 3, Data: []float32{
		0, 1, 5,
		2, 1, 5,
		4, 1, 5,
		6, 1, 6,
	}}
	n := FitStandard(x)
	if err := n.Validate(3); err != nil {
		t.Fatal(err)
	}
	y, err := n.Apply(x)
	if err != nil {
		t.Fatal(err)
	}
	// Column 0: mean 3, std sqrt(5); column 1 is constant: centred to 0 with the floored scale.
	if got, want := y.Row(0)[0], float32(-3/math.Sqrt(5)); math.Abs(float64(got-want)) > 1e-6 {
		t.Errorf("standardised x[0][0] = %v, want %v", got, want)
	}
	for i := range 4 {
		if y.Row(i)[1] != 0 {
			t.Errorf("constant column: x[%d][1] = %v, want 0", i, y.Row(i)[1])
		}
	}
	if x.Row(0)[0] != 0 {
		t.Error("Apply modified its input")
	}
	tests := []struct {
		name string
		n    Normalizer
		dim  int
		ok   bool
	}{
		{"zero", Normalizer{}, 5, true},
		{"fitted", n, 3, true},
		{"wrong dim", n, 4, false},
		{"zero scale", Normalizer{Scale: []float32{1, 0}}, 2, false},
		{"nan mean", Normalizer{Mean: []float32{float32(math.NaN())}}, 1, false},
	}
	for _, tt := range tests {
		if err := tt.n.Validate(tt.dim); (err == nil) != tt.ok {
			t.Errorf("%s: Validate(%d) = %v, want ok=%v", tt.name, tt.dim, err, tt.ok)
		}
	}
}

// TestPatches3x3 checks that the im2col convolution equals GoMLX's own convolution (same padding).
func TestPatches3x3(t *testing.T) {
	const n, h, w, c, out = 2, 5, 4, 3, 2
	x := make([]float32, n*h*w*c)
	for i := range x {
		x[i] = float32(math.Sin(float64(i)))
	}
	k := make([]float32, 9*c*out)
	for i := range k {
		k[i] = float32(math.Cos(float64(3 * i)))
	}
	outs, err := context.ExecOnceN(backend.MustShared(), context.New(), func(ctx *context.Context, x, k *Node) []*Node {
		im2col := MatMul(patches3x3(x), Reshape(k, 9*c, out))
		ref := Convolve(x, Reshape(k, 3, 3, c, out)).StridePerAxis(1, 1).PadSame().Done()
		return []*Node{im2col, ref}
	}, tensors.FromFlatDataAndDimensions(x, n, h, w, c), tensors.FromFlatDataAndDimensions(k, 9*c*out))
	if err != nil {
		t.Fatal(err)
	}
	a, b := tensors.MustCopyFlatData[float32](outs[0]), tensors.MustCopyFlatData[float32](outs[1])
	if !outs[0].Shape().Equal(outs[1].Shape()) {
		t.Fatalf("shapes %s vs %s", outs[0].Shape(), outs[1].Shape())
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-4 {
			t.Fatalf("im2col convolution differs at %d: %v vs %v", i, a[i], b[i])
		}
	}
}

// TestSpecValidateText checks Validate on text encoder specs, whose tokeniser settings are in
// Items (package text writes them; its tests check the whole round trip), and their String.
func TestSpecValidateText(t *testing.T) {
	items := `{"tokeniser":{"version":1,"buckets":65536},"embed_dim":64,"hidden":[256],"pool":"mean"}`
	tests := []struct {
		name, items string
		inputDim    int
		wantErr     string
	}{
		{"ok", items, 0, ""},
		{"no items", "", 0, "needs the tokeniser"},
		{"no tokeniser", `{"embed_dim":64}`, 0, "needs the tokeniser"},
		{"not JSON", `{"tokeniser":`, 0, "needs the tokeniser"},
		{"no buckets", `{"tokeniser":{"buckets":0},"embed_dim":64}`, 0, "positive number of buckets"},
		{"no embed width", `{"tokeniser":{"buckets":8}}`, 0, "positive number of buckets"},
		{"input features", items, 3, "takes texts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Spec{Kind: KindText, InputDim: tt.inputDim, EmbeddingDim: 16, Hidden: []int{256}}
			if tt.items != "" {
				s.Items = []byte(tt.items)
			}
			err := s.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				if got, want := s.String(), "text 65536×64→256→16"; got != want {
					t.Errorf("String() = %q, want %q", got, want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
	if !slices.Contains(Kinds(), KindText) {
		t.Errorf("Kinds() = %v, want %q among them", Kinds(), KindText)
	}
}
