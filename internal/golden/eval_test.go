package golden

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/gometric/gometric/eval"
	"github.com/gometric/gometric/knn"
	"github.com/gometric/gometric/mat"
)

// evalTolerance is the absolute tolerance on every evaluation metric (golden/README.md).
const evalTolerance = 1e-9

func init() {
	sectionCheckers["clustering"] = checkClustering
	sectionCheckers["verification"] = checkVerification
	sectionCheckers["accuracy"] = checkAccuracy
}

// closeTo appends a problem when got differs from want by more than evalTolerance.
func closeTo(problems []string, name string, got, want float64) []string {
	if math.IsNaN(got) || math.Abs(got-want) > evalTolerance {
		problems = append(problems, fmt.Sprintf("%s: got %.17g, want %.17g", name, got, want))
	}
	return problems
}

// checkClustering checks NMI and AMI against scikit-learn.
func checkClustering(raw json.RawMessage) outcome {
	var c struct {
		LabelsTrue []int    `json:"labels_true"`
		LabelsPred []int    `json:"labels_pred"`
		NMI        *float64 `json:"nmi"`
		AMI        *float64 `json:"ami"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return fail("decoding case: %v", err)
	}
	var problems []string
	checks := 0
	for _, m := range []struct {
		name string
		want *float64
		fn   func(a, b []int) (float64, error)
	}{{"nmi", c.NMI, eval.NMI}, {"ami", c.AMI, eval.AMI}} {
		if m.want == nil {
			continue
		}
		checks++
		got, err := m.fn(c.LabelsTrue, c.LabelsPred)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", m.name, err))
			continue
		}
		problems = closeTo(problems, m.name, got, *m.want)
	}
	if checks == 0 {
		return skip("no nmi or ami in case")
	}
	return failOrMatch(problems)
}

// checkAccuracy checks the retrieval metrics against PML's AccuracyCalculator. The case's options
// (pml-2.8.1-parity.json) are AccuracyCalculator's arguments: k (None is eval.KAll), avg_of_avgs and
// return_per_class, whose metrics are lists with one value per query label in increasing order.
// A case that cannot be run (unknown distance, k or option) fails.
func checkAccuracy(raw json.RawMessage) outcome {
	var c struct {
		Distance         string                     `json:"distance"`
		RefIncludesQuery bool                       `json:"ref_includes_query"`
		K                json.RawMessage            `json:"k"`
		Options          map[string]json.RawMessage `json:"options"`
		Query            [][]float32                `json:"query"`
		QueryLabels      []int                      `json:"query_labels"`
		Reference        [][]float32                `json:"reference"`
		ReferenceLabels  []int                      `json:"reference_labels"`
		Metrics          map[string]json.RawMessage `json:"metrics"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return fail("decoding case: %v", err)
	}
	opt, err := accuracyOptions(c.Distance, c.K, c.Options)
	if err != nil {
		return fail("%v", err)
	}
	opt.RefIncludesQuery = c.RefIncludesQuery
	query, err := mat.FromRows(c.Query)
	if err != nil {
		return fail("query: %v", err)
	}
	reference, err := mat.FromRows(c.Reference)
	if err != nil {
		return fail("reference: %v", err)
	}
	res, err := eval.Retrieval(query, c.QueryLabels, reference, c.ReferenceLabels, opt)
	if err != nil {
		return fail("%v", err)
	}
	if len(c.Metrics) == 0 {
		return fail("no metric in case")
	}
	got := res.Map()
	names := make([]string, 0, len(c.Metrics))
	for name := range c.Metrics {
		names = append(names, name)
	}
	sort.Strings(names)
	var problems []string
	for _, name := range names {
		if opt.PerClass {
			var want []float64
			if err := json.Unmarshal(c.Metrics[name], &want); err != nil {
				problems = append(problems, fmt.Sprintf("%s: per-class metric is not a list: %v", name, err))
				continue
			}
			if len(res.PerClass) != len(want) {
				problems = append(problems, fmt.Sprintf("%s: %d classes, want %d", name, len(res.PerClass), len(want)))
				continue
			}
			for i, cl := range res.PerClass {
				g, ok := scoreByName(cl.RetrievalScores, name)
				if !ok {
					problems = append(problems, fmt.Sprintf("%s: no gometric counterpart", name))
					break
				}
				problems = closeTo(problems, fmt.Sprintf("%s[class %d]", name, cl.Label), g, want[i])
			}
			continue
		}
		var want float64
		if err := json.Unmarshal(c.Metrics[name], &want); err != nil {
			problems = append(problems, fmt.Sprintf("%s: not a number: %v", name, err))
			continue
		}
		g, ok := got[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: no gometric counterpart", name))
			continue
		}
		problems = closeTo(problems, name, g, want)
	}
	return failOrMatch(problems)
}

// scoreByName returns the kNN metric of s named as in PML.
func scoreByName(s eval.RetrievalScores, name string) (float64, bool) {
	switch name {
	case eval.PrecisionAt1Key:
		return s.PrecisionAt1, true
	case eval.RPrecisionKey:
		return s.RPrecision, true
	case eval.MAPAtRKey:
		return s.MAPAtR, true
	case eval.MAPKey:
		return s.MAP, true
	case eval.MRRKey:
		return s.MRR, true
	}
	return 0, false
}

// accuracyOptions translates a case's AccuracyCalculator arguments into RetrievalOptions, from
// eval.PMLRetrievalOptions() (PML's defaults) with clustering off (the cases include only the kNN
// metrics). options, when present, takes precedence over the case's k.
func accuracyOptions(distance string, k json.RawMessage, options map[string]json.RawMessage) (eval.RetrievalOptions, error) {
	opt := eval.PMLRetrievalOptions()
	opt.Clustering = false
	switch distance {
	case "CosineSimilarity":
		opt.Distance = knn.Cosine()
	case "LpDistance_raw":
		opt.Distance = knn.Euclidean()
	default:
		return opt, fmt.Errorf("distance %q not covered", distance)
	}
	if ok, present := options["k"]; present {
		k = ok
	}
	var kName string
	switch {
	case len(k) == 0 || string(k) == "null":
		opt.K = eval.KAll // PML's k=None.
	case json.Unmarshal(k, &kName) == nil:
		if kName != "max_bin_count" {
			return opt, fmt.Errorf("k=%q not covered", kName)
		}
		opt.K = eval.KMaxBinCount
	default:
		if err := json.Unmarshal(k, &opt.K); err != nil || opt.K < 1 {
			return opt, fmt.Errorf("k=%s is neither None, \"max_bin_count\" nor a positive integer", k)
		}
	}
	for name, v := range options {
		var flag bool
		switch name {
		case "k":
			continue
		case "avg_of_avgs", "return_per_class":
			if err := json.Unmarshal(v, &flag); err != nil {
				return opt, fmt.Errorf("option %s=%s is not a boolean", name, v)
			}
		default:
			return opt, fmt.Errorf("option %s not covered", name)
		}
		if name == "avg_of_avgs" {
			opt.AvgOfAvgs = flag
		} else {
			opt.PerClass = flag
		}
	}
	return opt, nil
}

// checkVerification checks the pair-verification metrics against scikit-learn: every metric
// present in the case must match.
func checkVerification(raw json.RawMessage) outcome {
	var c struct {
		Scores    []float64 `json:"scores"`
		Labels    []int     `json:"labels"`
		Threshold *float64  `json:"threshold"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return fail("decoding case: %v", err)
	}
	var want map[string]any
	if err := json.Unmarshal(raw, &want); err != nil {
		return fail("decoding case: %v", err)
	}
	p := eval.Similarities(c.Scores, c.Labels)
	got := map[string]float64{}
	var problems []string
	note := func(name string, v float64, err error) {
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", name, err))
			return
		}
		got[name] = v
	}
	v, err := eval.ROCAUC(p)
	note("roc_auc", v, err)
	v, err = eval.AveragePrecision(p)
	note("average_precision", v, err)
	v, err = eval.EER(p)
	note("eer", v, err)
	v, err = eval.BestAccuracy(p)
	note("best_accuracy", v, err)
	v, err = eval.BestF1(p)
	note("best_f1", v, err)
	if c.Threshold != nil {
		m, err := eval.VerifyAt(p, eval.SimilarityThreshold(*c.Threshold))
		if err != nil {
			problems = append(problems, fmt.Sprintf("at threshold: %v", err))
		} else {
			got["accuracy_at_threshold"] = m.Accuracy
			got["f1_at_threshold"] = m.F1
			got["precision_at_threshold"] = m.Precision
			got["recall_at_threshold"] = m.Recall
			got["mcc_at_threshold"] = m.MCC
		}
	}
	checks := 0
	for _, name := range sortedKeys(got) {
		w, ok := want[name].(float64)
		if !ok {
			continue
		}
		checks++
		problems = closeTo(problems, name, got[name], w)
	}
	for name := range want {
		switch name {
		case "scores", "labels", "threshold", "name":
		default:
			if _, ok := got[name]; !ok {
				problems = append(problems, fmt.Sprintf("%s: no gometric counterpart", name))
			}
		}
	}
	if checks == 0 && len(problems) == 0 {
		return skip("no metric in case")
	}
	return failOrMatch(problems)
}

// sortedKeys returns the keys of m in order, for stable messages.
func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
