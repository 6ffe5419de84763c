package knn

import (
	"fmt"
	"math"

	"github.com/gometric/gometric/mat"
)

// Kind is the family of a Distance.
type Kind int

const (
	// CosineSimilarity is the cosine of the angle between two embeddings (PML's CosineSimilarity):
	// larger is closer. Embeddings are always L2-normalised first.
	CosineSimilarity Kind = iota
	// DotProductSimilarity is the plain dot product (PML's DotProductSimilarity): larger is closer.
	// With Normalize set it equals CosineSimilarity.
	DotProductSimilarity
	// LpDistance is the Lp norm of the difference (PML's LpDistance): smaller is closer.
	LpDistance
)

// String returns the PML class name of the kind.
func (k Kind) String() string {
	switch k {
	case CosineSimilarity:
		return "CosineSimilarity"
	case DotProductSimilarity:
		return "DotProductSimilarity"
	case LpDistance:
		return "LpDistance"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Distance says how two embeddings are compared, with PyTorch Metric Learning's semantics: rows are
// first normalised to unit Lp norm when Normalize is set (always for CosineSimilarity), then the
// value is the similarity or the distance, raised to Power.
//
// The zero Distance is CosineSimilarity. Note that PML's LpDistance() and DotProductSimilarity()
// normalise by default while a Go bool defaults to false: use Lp(2, true) for PML's LpDistance()
// and Euclidean() for LpDistance(normalize_embeddings=False).
//
// Every value this package reports, whether from Search, Pairwise or Rowwise, goes through the same
// code: embeddings are converted to float64, normalised, and reduced in a fixed order, so the same
// pair of rows always gets bit-for-bit the same value.
type Distance struct {
	// Kind is the family: CosineSimilarity (the zero value), DotProductSimilarity or LpDistance.
	Kind Kind
	// Normalize divides each row by its Lp norm (clamped below at 1e-12, like
	// torch.nn.functional.normalize) before comparing. CosineSimilarity always normalises.
	Normalize bool
	// P is the p of the Lp norm used by LpDistance and by normalisation; 0 means 2. It must be >= 1
	// and may be +Inf. CosineSimilarity and DotProductSimilarity accept only 0 or 2.
	P float64
	// Power raises each value to this power; 0 means 1. LpDistance accepts any Power > 0 (it does
	// not change the ranking); similarities accept only 1, since a power of a signed similarity is
	// not monotone.
	Power float64
}

// Cosine returns PML's CosineSimilarity().
func Cosine() Distance { return Distance{Kind: CosineSimilarity} }

// DotProduct returns DotProductSimilarity(normalize_embeddings=False): the raw dot product.
func DotProduct() Distance { return Distance{Kind: DotProductSimilarity} }

// Euclidean returns LpDistance(normalize_embeddings=False): the L2 distance of the raw embeddings.
func Euclidean() Distance { return Distance{Kind: LpDistance, P: 2} }

// Lp returns LpDistance(p=p, normalize_embeddings=normalize). PML's default LpDistance() is
// Lp(2, true).
func Lp(p float64, normalize bool) Distance {
	return Distance{Kind: LpDistance, P: p, Normalize: normalize}
}

// WithPower returns d with its values raised to power (PML's power argument).
func (d Distance) WithPower(power float64) Distance {
	d.Power = power
	return d
}

// IsSimilarity is true when larger values are closer (PML's is_inverted).
func (d Distance) IsSimilarity() bool { return d.Kind != LpDistance }

// Closer reports whether value a is strictly closer than value b under d.
func (d Distance) Closer(a, b float64) bool {
	if d.IsSimilarity() {
		return a > b
	}
	return a < b
}

// Validate says what is wrong with d, or returns nil.
func (d Distance) Validate() error {
	switch d.Kind {
	case CosineSimilarity, DotProductSimilarity:
		if d.P != 0 && d.P != 2 {
			return fmt.Errorf("knn: %v normalises with the L2 norm; P must be 0 or 2, got %v", d.Kind, d.P)
		}
		if d.Power != 0 && d.Power != 1 {
			return fmt.Errorf("knn: %v accepts only Power 1 (a power of a signed similarity changes the ranking), got %v", d.Kind, d.Power)
		}
	case LpDistance:
		if math.IsNaN(d.P) || (d.P != 0 && d.P < 1) {
			return fmt.Errorf("knn: LpDistance needs P >= 1 (or 0 for 2), got %v", d.P)
		}
		if math.IsNaN(d.Power) || math.IsInf(d.Power, 0) || d.Power < 0 {
			return fmt.Errorf("knn: LpDistance needs a finite Power > 0 (or 0 for 1), got %v", d.Power)
		}
	default:
		return fmt.Errorf("knn: unknown distance kind %d", int(d.Kind))
	}
	return nil
}

// String describes d, for example "LpDistance(p=2, normalize=false, power=1)".
func (d Distance) String() string {
	switch d.Kind {
	case CosineSimilarity:
		return "CosineSimilarity"
	case DotProductSimilarity:
		return fmt.Sprintf("DotProductSimilarity(normalize=%v)", d.Normalize)
	}
	return fmt.Sprintf("LpDistance(p=%v, normalize=%v, power=%v)", d.p(), d.Normalize, d.power())
}

// p is the effective p.
func (d Distance) p() float64 {
	if d.P == 0 || d.Kind != LpDistance {
		return 2
	}
	return d.P
}

// power is the effective power.
func (d Distance) power() float64 {
	if d.Power == 0 {
		return 1
	}
	return d.Power
}

// normalizes reports whether rows are normalised before comparison.
func (d Distance) normalizes() bool { return d.Normalize || d.Kind == CosineSimilarity }

// reduction is the inner loop a distance needs.
type reduction int

const (
	reduceDot  reduction = iota // Σ a·b
	reduceSqL2                  // Σ (a−b)²
	reduceL1                    // Σ |a−b|
	reduceLInf                  // max |a−b|
	reduceLp                    // Σ |a−b|^p
)

// reduction returns the inner loop of d.
func (d Distance) reduction() reduction {
	if d.IsSimilarity() {
		return reduceDot
	}
	switch p := d.p(); {
	case p == 2:
		return reduceSqL2
	case p == 1:
		return reduceL1
	case math.IsInf(p, 1):
		return reduceLInf
	}
	return reduceLp
}

// finish turns a raw reduction into the reported value: root of the Lp sum, then Power.
func (d Distance) finish(raw float64) float64 {
	if d.IsSimilarity() {
		return raw
	}
	var v float64
	switch d.reduction() {
	case reduceSqL2:
		v = math.Sqrt(raw)
	case reduceLp:
		v = math.Pow(raw, 1/d.p())
	default:
		v = raw
	}
	if pw := d.power(); pw != 1 {
		v = math.Pow(v, pw)
	}
	return v
}

// Pairwise returns the Rows(q) x Rows(r) matrix of values between every row of q and every row of
// r, row-major: PML's distance(q, r).
func (d Distance) Pairwise(q, r *mat.Dense) ([]float64, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if err := checkPair(q, r, "query", "reference"); err != nil {
		return nil, err
	}
	out := make([]float64, q.Rows*r.Rows)
	if len(out) == 0 {
		return out, nil
	}
	const block = 256
	red := d.reduction()
	qb := newPrepared(min(block, q.Rows), q.Cols)
	rb := newPrepared(min(block, r.Rows), r.Cols)
	tile := make([]float64, min(block, q.Rows)*min(block, r.Rows))
	for q0 := 0; q0 < q.Rows; q0 += block {
		q1 := min(q0+block, q.Rows)
		qb.load(d, q, q0, q1)
		for r0 := 0; r0 < r.Rows; r0 += block {
			r1 := min(r0+block, r.Rows)
			rb.load(d, r, r0, r1)
			nq, nr := q1-q0, r1-r0
			computeTile(red, d.p(), qb.data, nq, rb.data, nr, q.Cols, tile)
			for i := 0; i < nq; i++ {
				row := out[(q0+i)*r.Rows+r0 : (q0+i)*r.Rows+r1]
				for j := range row {
					row[j] = d.finish(tile[i*nr+j])
				}
			}
		}
	}
	return out, nil
}

// Rowwise returns the value between row i of x and row i of y for every i (x and y have the same
// shape): PML's pairwise_distance, but with normalisation and power applied as in Pairwise, so
// that Rowwise(x, y)[i] == Pairwise(x, y)[i*Rows+i] exactly.
func (d Distance) Rowwise(x, y *mat.Dense) ([]float64, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if err := checkPair(x, y, "x", "y"); err != nil {
		return nil, err
	}
	if x.Rows != y.Rows {
		return nil, fmt.Errorf("knn: x has %d rows and y has %d; Rowwise needs the same number", x.Rows, y.Rows)
	}
	out := make([]float64, x.Rows)
	red := d.reduction()
	xb := newPrepared(1, x.Cols)
	yb := newPrepared(1, y.Cols)
	var v [1]float64
	for i := range out {
		xb.load(d, x, i, i+1)
		yb.load(d, y, i, i+1)
		computeTile(red, d.p(), xb.data, 1, yb.data, 1, x.Cols, v[:])
		out[i] = d.finish(v[0])
	}
	return out, nil
}

// checkPair validates two matrices that are compared with each other.
func checkPair(a, b *mat.Dense, an, bn string) error {
	if a == nil || b == nil {
		return fmt.Errorf("knn: %s and %s must not be nil", an, bn)
	}
	if err := checkMatrix(a, an); err != nil {
		return err
	}
	if err := checkMatrix(b, bn); err != nil {
		return err
	}
	if a.Cols != b.Cols {
		return fmt.Errorf("knn: %s has %d columns and %s has %d; embeddings must have the same dimension", an, a.Cols, bn, b.Cols)
	}
	return nil
}

// checkMatrix validates the shape of m and that every value is finite.
func checkMatrix(m *mat.Dense, name string) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("knn: %s: %w", name, err)
	}
	if m.Rows > 0 && m.Cols == 0 {
		return fmt.Errorf("knn: %s has %d rows of dimension 0", name, m.Rows)
	}
	for i, v := range m.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("knn: %s row %d column %d is %v; embeddings must be finite", name, i/m.Cols, i%m.Cols, v)
		}
	}
	return nil
}

// prepared holds a block of rows converted to float64 and normalised as a Distance requires.
type prepared struct {
	data []float64
	cols int
}

// newPrepared allocates room for rows x cols values.
func newPrepared(rows, cols int) *prepared {
	return &prepared{data: make([]float64, rows*cols), cols: cols}
}

// load converts rows [lo, hi) of m into p.data.
func (p *prepared) load(d Distance, m *mat.Dense, lo, hi int) {
	c := m.Cols
	for i := lo; i < hi; i++ {
		prepareRow(d, m.Data[i*c:(i+1)*c], p.data[(i-lo)*c:(i-lo+1)*c])
	}
}

// prepareRow converts one row to float64 into dst and normalises it as d requires.
func prepareRow(d Distance, src []float32, dst []float64) {
	convDiv(dst, src, rowDivisor(d, src))
}

// rowDivisor is what prepareRow divides the values of a row by: its Lp norm clamped below at
// 1e-12 (torch.nn.functional.normalize) when d normalises, else 1.
func rowDivisor(d Distance, src []float32) float64 {
	if !d.normalizes() {
		return 1
	}
	return math.Max(lpNorm(src, d.p()), 1e-12)
}

// convDivGo sets dst[k] = float64(src[k]) / div: the portable twin of convDivAVX2.
func convDivGo(dst []float64, src []float32, div float64) {
	dst = dst[:len(src)]
	for k, v := range src {
		dst[k] = float64(v) / div
	}
}

// lpNorm returns the Lp norm of the row v (converted to float64), summed in order.
func lpNorm(v []float32, p float64) float64 {
	switch {
	case p == 2:
		s := 0.0
		for _, x := range v {
			y := float64(x)
			s += float64(y * y)
		}
		return math.Sqrt(s)
	case p == 1:
		s := 0.0
		for _, x := range v {
			s += math.Abs(float64(x))
		}
		return s
	case math.IsInf(p, 1):
		s := 0.0
		for _, x := range v {
			s = math.Max(s, math.Abs(float64(x)))
		}
		return s
	}
	s := 0.0
	for _, x := range v {
		s += math.Pow(math.Abs(float64(x)), p)
	}
	return math.Pow(s, 1/p)
}
