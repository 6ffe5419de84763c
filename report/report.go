package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// Report is an honest account of an embedding model on held-out data: the trained model beside the
// baselines (raw features, the untrained encoder), on the same test items and pairs, with the
// match threshold chosen on validation pairs and frozen.
type Report struct {
	// Title heads the report, for example "gometric: digits".
	Title string `json:"title"`
	// Data describes the data and its split.
	Data string `json:"data"`
	// Training summarises the training run; nil for a report on a saved model.
	Training *Training `json:"training,omitempty"`
	// RetrievalOn describes the retrieval test set ("" when there are no class-labelled items).
	RetrievalOn string `json:"retrieval_on,omitempty"`
	// VerificationOn describes the verification test pairs and where the threshold comes from.
	VerificationOn string `json:"verification_on,omitempty"`
	// Rows hold one model each, baselines first, the trained model last.
	Rows []Row `json:"rows"`
	// Benchmark, when the data is a published benchmark with triplets (graph-edit), gives the
	// rows' pair AUC and triplet accuracy beside the published figures.
	Benchmark *Benchmark `json:"benchmark,omitempty"`
	// ByGroup, when the test items are grouped (place-names: by script), gives each row's figures
	// on each group.
	ByGroup *GroupSection `json:"by_group,omitempty"`
	// Notes are caveats worth reading with the numbers.
	Notes []string `json:"notes,omitempty"`
	// Files lists the files the report refers to in the model folder, by name: the plots (PNG, shown
	// in the Markdown report) and the scored test pairs.
	Files []string `json:"files,omitempty"`
}

// Training summarises a training run.
type Training struct {
	// Config is a one-line summary of the configuration.
	Config string `json:"config"`
	// StartStep, Steps and BestStep: where the run started (resumed), ended, and the step of the
	// kept weights.
	StartStep int `json:"start_step"`
	Steps     int `json:"steps"`
	BestStep  int `json:"best_step"`
	// Epochs is the number of (possibly partial) epochs run.
	Epochs float64 `json:"epochs"`
	// StoppedEarly says that early stopping ended the run.
	StoppedEarly bool `json:"stopped_early"`
	// Seconds is the wall time of training (steps and validation); StepsPerSecond the speed.
	Seconds        float64 `json:"seconds"`
	StepsPerSecond float64 `json:"steps_per_second"`
	// ValMetric and BestVal: the validation metric and its value at BestStep.
	ValMetric string  `json:"val_metric"`
	BestVal   float64 `json:"best_val"`
	// TotalSeconds is the wall time of the whole command, when known.
	TotalSeconds float64 `json:"total_seconds,omitempty"`
}

// Row holds one model's metrics.
type Row struct {
	// Name names the model: "raw features", "untrained encoder", "trained encoder".
	Name string `json:"name"`
	// Retrieval holds the retrieval metrics on the test items; nil without class-labelled items.
	Retrieval *Retrieval `json:"retrieval,omitempty"`
	// Verification holds the verification metrics on the test pairs; nil without pairs.
	Verification *Verification `json:"verification,omitempty"`
	// Triplets holds the triplet accuracy on the test triplets; nil without triplets.
	Triplets *TripletMetrics `json:"triplets,omitempty"`
	// groups are the row's figures by group (Set.Groups), gathered into Report.ByGroup.
	groups []GroupRow
}

// TripletMetrics holds the triplet accuracy (graphs.TripletAccuracy): the fraction of test
// triplets whose anchor is more similar (cosine) to the positive than to the negative.
type TripletMetrics struct {
	Triplets int     `json:"triplets"`
	Accuracy float64 `json:"accuracy"`
}

// Benchmark names a published benchmark and its published rows, to read the report's rows
// against: pair AUC is the rows' verification ROC-AUC on the test pairs, triplet accuracy their
// TripletMetrics.
type Benchmark struct {
	// Name names the benchmark and its setting.
	Name string `json:"name"`
	// Published are the published rows (fractions).
	Published []Published `json:"published"`
}

// Published is one published row of a Benchmark.
type Published struct {
	Name            string  `json:"name"`
	PairAUC         float64 `json:"pair_auc"`
	TripletAccuracy float64 `json:"triplet_accuracy"`
}

// Retrieval holds PML AccuracyCalculator's retrieval metrics: each test item queries the other
// test items (leave-one-out), ranked by cosine similarity.
type Retrieval struct {
	PrecisionAt1 float64 `json:"precision_at_1"`
	RPrecision   float64 `json:"r_precision"`
	MAPAtR       float64 `json:"mean_average_precision_at_r"`
	// Queries is the number of test items.
	Queries int `json:"queries"`
}

// Verification holds the pair verification metrics on the test pairs, scored by cosine
// similarity: threshold-free ROC-AUC and average precision, and accuracy and F1 at the threshold
// chosen on the validation pairs (or frozen with the model).
type Verification struct {
	Pairs            int     `json:"pairs"`
	ROCAUC           float64 `json:"roc_auc"`
	AveragePrecision float64 `json:"average_precision"`
	// Threshold is the cosine similarity at and above which a pair is called a match.
	Threshold float64 `json:"threshold"`
	Accuracy  float64 `json:"accuracy"`
	F1        float64 `json:"f1"`
}

// Row returns the row called name, or nil.
func (r *Report) Row(name string) *Row {
	for i := range r.Rows {
		if r.Rows[i].Name == name {
			return &r.Rows[i]
		}
	}
	return nil
}

// JSON returns the report as indented JSON (metrics.json). NaN values become null.
func (r *Report) JSON() ([]byte, error) {
	data, err := json.MarshalIndent(sanitized(r), "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// sanitized returns a copy of r with non-finite numbers replaced by -1 markers that JSON can hold;
// fields are finite in practice, so this only guards against a failed metric.
func sanitized(r *Report) *Report {
	c := *r
	c.Rows = append([]Row(nil), r.Rows...)
	fix := func(v *float64) {
		if math.IsNaN(*v) || math.IsInf(*v, 0) {
			*v = -1
		}
	}
	for i := range c.Rows {
		if v := c.Rows[i].Retrieval; v != nil {
			cp := *v
			fix(&cp.PrecisionAt1)
			fix(&cp.RPrecision)
			fix(&cp.MAPAtR)
			c.Rows[i].Retrieval = &cp
		}
		if v := c.Rows[i].Verification; v != nil {
			cp := *v
			fix(&cp.ROCAUC)
			fix(&cp.AveragePrecision)
			fix(&cp.Threshold)
			fix(&cp.Accuracy)
			fix(&cp.F1)
			c.Rows[i].Verification = &cp
		}
		if v := c.Rows[i].Triplets; v != nil {
			cp := *v
			fix(&cp.Accuracy)
			c.Rows[i].Triplets = &cp
		}
	}
	if g := r.ByGroup; g != nil {
		cp := *g
		cp.Rows = append([]GroupRow(nil), g.Rows...)
		for i := range cp.Rows {
			fix(&cp.Rows[i].MAPAtR)
			fix(&cp.Rows[i].PrecisionAt1)
			fix(&cp.Rows[i].ROCAUC)
			fix(&cp.Rows[i].Accuracy)
		}
		c.ByGroup = &cp
	}
	if r.Training != nil {
		t := *r.Training
		fix(&t.BestVal)
		c.Training = &t
	}
	return &c
}

// WriteText writes the report for a terminal: aligned plain-text tables.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", r.Title)
	if r.Data != "" {
		fmt.Fprintf(&b, "data: %s\n", r.Data)
	}
	if t := r.Training; t != nil {
		fmt.Fprintf(&b, "%s\n", trainingLine(t))
	}
	if r.RetrievalOn != "" {
		fmt.Fprintf(&b, "\nRetrieval: %s\n", r.RetrievalOn)
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "\tprecision_at_1\tr_precision\tMAP@R\t\n")
		for _, row := range r.Rows {
			if m := row.Retrieval; m != nil {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", row.Name, num(m.PrecisionAt1), num(m.RPrecision), num(m.MAPAtR))
			}
		}
		tw.Flush()
	}
	if r.VerificationOn != "" {
		fmt.Fprintf(&b, "\nVerification: %s\n", r.VerificationOn)
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "\tROC-AUC\tavg precision\tthreshold\taccuracy\tF1\t\n")
		for _, row := range r.Rows {
			if m := row.Verification; m != nil {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", row.Name, num(m.ROCAUC), num(m.AveragePrecision),
					num(m.Threshold), num(m.Accuracy), num(m.F1))
			}
		}
		tw.Flush()
	}
	if bm := r.Benchmark; bm != nil {
		fmt.Fprintf(&b, "\nBenchmark: %s (pair AUC: ROC-AUC of the test pairs; triplet accuracy: test triplets)\n", bm.Name)
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "\tpair AUC\ttriplet accuracy\t\n")
		for _, row := range benchmarkRows(r) {
			fmt.Fprintf(tw, "%s\t%s\t%s\t\n", row.Name, num(row.PairAUC), num(row.TripletAccuracy))
		}
		tw.Flush()
	}
	if g := r.ByGroup; g != nil {
		fmt.Fprintf(&b, "\nBy %s: %s\n", g.By, groupsAbout(g))
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "\t%s\tqueries\tMAP@R\tprecision_at_1\tpairs\tROC-AUC\taccuracy\t\n", g.By)
		for _, row := range g.Rows {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%d\t%s\t%s\t\n", row.Name, row.Group, row.Queries, num(row.MAPAtR), num(row.PrecisionAt1),
				row.Pairs, num(row.ROCAUC), num(row.Accuracy))
		}
		tw.Flush()
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\nnote: %s", n)
	}
	if len(r.Notes) > 0 {
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes the report as Markdown (report.md), with the plots as images.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", r.Title)
	if r.Data != "" {
		fmt.Fprintf(&b, "Data: %s.\n\n", r.Data)
	}
	if t := r.Training; t != nil {
		fmt.Fprintf(&b, "Training: %s. %s.\n\n", t.Config, trainingLine(t))
	}
	if r.RetrievalOn != "" {
		fmt.Fprintf(&b, "## Retrieval\n\n%s.\n\n", capitalize(r.RetrievalOn))
		b.WriteString("| model | precision_at_1 | r_precision | MAP@R |\n|---|---:|---:|---:|\n")
		for _, row := range r.Rows {
			if m := row.Retrieval; m != nil {
				fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", row.Name, num(m.PrecisionAt1), num(m.RPrecision), num(m.MAPAtR))
			}
		}
		b.WriteByte('\n')
	}
	if r.VerificationOn != "" {
		fmt.Fprintf(&b, "## Verification\n\n%s.\n\n", capitalize(r.VerificationOn))
		b.WriteString("| model | ROC-AUC | average precision | threshold | accuracy | F1 |\n|---|---:|---:|---:|---:|---:|\n")
		for _, row := range r.Rows {
			if m := row.Verification; m != nil {
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", row.Name, num(m.ROCAUC), num(m.AveragePrecision),
					num(m.Threshold), num(m.Accuracy), num(m.F1))
			}
		}
		b.WriteByte('\n')
	}
	if bm := r.Benchmark; bm != nil {
		fmt.Fprintf(&b, "## Benchmark\n\n%s. Pair AUC: ROC-AUC of the test pairs; triplet accuracy: the test triplets.\n\n", capitalize(bm.Name))
		b.WriteString("| model | pair AUC | triplet accuracy |\n|---|---:|---:|\n")
		for _, row := range benchmarkRows(r) {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", row.Name, num(row.PairAUC), num(row.TripletAccuracy))
		}
		b.WriteByte('\n')
	}
	if g := r.ByGroup; g != nil {
		fmt.Fprintf(&b, "## By %s\n\n%s.\n\n", g.By, capitalize(groupsAbout(g)))
		fmt.Fprintf(&b, "| model | %s | queries | MAP@R | precision_at_1 | pairs | ROC-AUC | accuracy |\n|---|---|---:|---:|---:|---:|---:|---:|\n", g.By)
		for _, row := range g.Rows {
			fmt.Fprintf(&b, "| %s | %s | %d | %s | %s | %d | %s | %s |\n", row.Name, row.Group, row.Queries, num(row.MAPAtR), num(row.PrecisionAt1),
				row.Pairs, num(row.ROCAUC), num(row.Accuracy))
		}
		b.WriteByte('\n')
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "Note: %s\n\n", n)
	}
	var plots []string
	for _, f := range r.Files {
		if strings.HasSuffix(f, ".png") {
			plots = append(plots, f)
		}
	}
	if len(plots) > 0 {
		b.WriteString("## Plots\n\n")
		for _, f := range plots {
			fmt.Fprintf(&b, "![%s](%s)\n\n", f, f)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// groupsAbout explains the figures by group in a sentence.
func groupsAbout(g *GroupSection) string {
	return fmt.Sprintf("retrieval with the test items of each %s as queries (every test item a reference); the test pairs of each %s (%s: both items; %s: the others); accuracy at each row's threshold",
		g.By, g.By, g.Groups[0], strings.Join(g.Groups[1:], ", "))
}

// benchmarkRows returns the report's rows with triplets as benchmark rows, then the published ones.
func benchmarkRows(r *Report) []Published {
	var out []Published
	for _, row := range r.Rows {
		if row.Triplets == nil {
			continue
		}
		p := Published{Name: row.Name, PairAUC: math.NaN(), TripletAccuracy: row.Triplets.Accuracy}
		if row.Verification != nil {
			p.PairAUC = row.Verification.ROCAUC
		}
		out = append(out, p)
	}
	if r.Benchmark != nil {
		out = append(out, r.Benchmark.Published...)
	}
	return out
}

// trainingLine summarises a training run in one line.
func trainingLine(t *Training) string {
	s := fmt.Sprintf("Trained %d steps (%.1f epochs) in %.1f s (%.1f steps/s)", t.Steps-t.StartStep, t.Epochs, t.Seconds, t.StepsPerSecond)
	if t.StartStep > 0 {
		s = fmt.Sprintf("Resumed at step %d; %s", t.StartStep, strings.ToLower(s[:1])+s[1:])
	}
	if t.StoppedEarly {
		s += ", stopped early"
	}
	if t.ValMetric != "" && !math.IsNaN(t.BestVal) {
		s += fmt.Sprintf("; kept step %d (validation %s %.4f)", t.BestStep, t.ValMetric, t.BestVal)
	}
	return s
}

// num formats a metric with 4 decimals ("-" for NaN).
func num(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.4f", v)
}

// capitalize upper-cases the first letter of s.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
