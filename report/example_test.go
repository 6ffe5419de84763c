package report_test

import (
	"fmt"
	"math"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/report"
)

// Measure the raw-pixel baseline on the digits data: retrieval on every item, verification on
// pairs drawn from them with a threshold chosen on other pairs.
func Example() {
	items, err := datasets.Load("digits")
	if err != nil {
		panic(err)
	}
	test, err := datasets.SamplePairs(items, 1000, 0.5, 1)
	if err != nil {
		panic(err)
	}
	val, err := datasets.SamplePairs(items, 1000, 0.5, 2)
	if err != nil {
		panic(err)
	}
	row, err := report.Evaluate(report.RowRaw, report.Raw{}, report.Set{Items: items, Pairs: test, ValPairs: val}, math.NaN())
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s: MAP@R %.2f, ROC-AUC %.2f\n", row.Name, row.Retrieval.MAPAtR, row.Verification.ROCAUC)
	// Output: raw features: MAP@R 0.54, ROC-AUC 0.87
}
