package eval_test

import (
	"fmt"

	"github.com/gometric/gometric/eval"
	"github.com/gometric/gometric/knn"
	"github.com/gometric/gometric/mat"
)

func Example() {
	// Retrieval: four embeddings of two classes, each query searched among the others.
	x, _ := mat.FromRows([][]float32{{1, 0}, {0.9, 0.2}, {0, 1}, {0.8, 0.6}})
	labels := []int{7, 7, 8, 8}
	r, err := eval.Retrieval(x, labels, nil, nil, eval.RetrievalOptions{
		Distance: knn.Cosine(), RefIncludesQuery: true, RecallAt: []int{1, 2},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("P@1 %.2f  MAP@R %.2f  Recall@2 %.2f\n", r.PrecisionAt1, r.MAPAtR, r.RecallAt[2])

	// Verification: choose the threshold on validation pairs, then apply it frozen to test pairs.
	val := eval.Similarities([]float64{0.9, 0.8, 0.4, 0.3}, []int{1, 1, 0, 0})
	th, err := eval.ChooseThreshold(val, eval.MaxAccuracy)
	if err != nil {
		fmt.Println(err)
		return
	}
	test := eval.Similarities([]float64{0.95, 0.5, 0.7, 0.1}, []int{1, 1, 0, 0})
	m, _ := eval.VerifyAt(test, th)
	auc, _ := eval.ROCAUC(test)
	fmt.Printf("%v: test accuracy %.2f, F1 %.2f, ROC-AUC %.2f\n", th, m.Accuracy, m.F1, auc)

	// Clustering agreement.
	nmi, _ := eval.NMI([]int{0, 0, 1, 1}, []int{5, 5, 6, 6})
	fmt.Printf("NMI %.1f\n", nmi)
	// Output:
	// P@1 0.75  MAP@R 0.75  Recall@2 0.75
	// similarity >= 0.6000000000000001: test accuracy 0.50, F1 0.50, ROC-AUC 0.75
	// NMI 1.0
}
