package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gometric/gometric/mat"
	"github.com/gometric/gometric/runfolder"
)

// Plot sizes.
const (
	plotWidth  = 6 * vg.Inch
	plotHeight = 4 * vg.Inch
)

// palette holds distinguishable colours for classes (Tableau 10), reused cyclically.
var palette = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255},
	{140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255}, {188, 189, 34, 255}, {23, 190, 207, 255},
}

// LossPlot draws the training loss over the steps of h as a PNG image.
func LossPlot(h runfolder.History) ([]byte, error) {
	return linePlot("Training loss (moving average)", "loss", h.Loss, false)
}

// ValidationPlot draws the validation metric over the steps of h as a PNG image.
func ValidationPlot(h runfolder.History) ([]byte, error) {
	name := h.ValMetric
	if name == "" {
		name = "metric"
	}
	return linePlot("Validation "+name, name, h.Val, true)
}

// linePlot draws points as a line (with markers when marks) and encodes it as PNG.
func linePlot(title, yLabel string, pts []runfolder.Point, marks bool) ([]byte, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "step"
	p.Y.Label.Text = yLabel
	p.Add(plotter.NewGrid())
	xy := make(plotter.XYs, len(pts))
	for i, pt := range pts {
		xy[i].X, xy[i].Y = float64(pt.Step), pt.Value
	}
	if len(xy) > 0 {
		line, scatter, err := plotter.NewLinePoints(xy)
		if err != nil {
			return nil, err
		}
		line.Color = palette[0]
		line.Width = vg.Points(1.5)
		p.Add(line)
		if marks {
			scatter.Color = palette[0]
			scatter.Shape = draw.CircleGlyph{}
			p.Add(scatter)
		}
	}
	return encodePNG(p)
}

// PCAPlot draws the 2-D PCA projection (PCA2) of embeddings, one colour per class, as a PNG image.
// className names class labels in the legend.
func PCAPlot(title string, emb *mat.Dense, labels []int, className func(int) string) ([]byte, error) {
	if emb.Rows != len(labels) {
		return nil, fmt.Errorf("PCA plot: %d embeddings, %d labels", emb.Rows, len(labels))
	}
	proj := PCA2(emb)
	byClass := map[int]plotter.XYs{}
	for i, l := range labels {
		byClass[l] = append(byClass[l], plotter.XY{X: float64(proj.Row(i)[0]), Y: float64(proj.Row(i)[1])})
	}
	classes := make([]int, 0, len(byClass))
	for c := range byClass {
		classes = append(classes, c)
	}
	sort.Ints(classes)
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "PC 1"
	p.Y.Label.Text = "PC 2"
	p.Legend.Top = true
	p.Legend.Left = false
	// Leave room on the right for the legend, so it does not cover points.
	xmin, xmax := math.Inf(1), math.Inf(-1)
	for i := range proj.Rows {
		x := float64(proj.Row(i)[0])
		xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
	}
	if xmax > xmin {
		p.X.Min, p.X.Max = xmin-0.02*(xmax-xmin), xmax+0.22*(xmax-xmin)
	}
	for k, c := range classes {
		s, err := plotter.NewScatter(byClass[c])
		if err != nil {
			return nil, err
		}
		s.Color = palette[k%len(palette)]
		s.Shape = draw.CircleGlyph{}
		s.Radius = vg.Points(1.6)
		p.Add(s)
		if k < 20 {
			p.Legend.Add(className(c), s)
		}
	}
	return encodePNG(p)
}

// encodePNG renders p as a PNG image.
func encodePNG(p *plot.Plot) ([]byte, error) {
	w, err := p.WriterTo(plotWidth, plotHeight, "png")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
