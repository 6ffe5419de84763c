package spec

import (
	"fmt"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/reducers"
	"github.com/gometric/gometric/regularizers"
)

// Distances, Reducers and Regularizers are the registries of the nested options distance=,
// reducer= (also inside per_anchor and multiple_reducers) and embedding_regularizer= /
// weight_regularizer=, with PML's constructor defaults:
//
//	distance:    cosine(power=1) | lp(p=2, power=1, normalize_embeddings=true)
//	             | dot(power=1, normalize_embeddings=true) | snr(power=1, normalize_embeddings=true)
//	reducer:     mean | sum | avg_non_zero | divisor | do_nothing | threshold(low=.., high=..)
//	             | class_weighted(weights=[..]) | per_anchor(reducer=mean)
//	             | multiple_reducers(reducers={sub_loss: reducer, ...}, default_reducer=mean)
//	regularizer: lp(p=2, power=1, reducer=mean) | regular_face(reducer=mean)
//	             | center_invariant(reducer=mean) | zero_mean(reducer=mean)
//	             | sparse_centers(num_classes=.., centers_per_class=.., reducer=divisor)
//
// PML's class names are accepted too (CosineSimilarity(), LpDistance(power=2), MeanReducer(),
// LpRegularizer()); option keys are PML's exactly.
var (
	Distances    = NewRegistry("distance", "")
	Reducers     = NewRegistry("reducer", "reducer")
	Regularizers = NewRegistry("regularizer", "regularizer")
)

func init() {
	Distances.Add(Entry{Name: "cosine", New: func() any { return distances.NewCosineSimilarity() }})
	Distances.Add(Entry{Name: "lp", New: func() any { return distances.NewLpDistance() }})
	Distances.Add(Entry{Name: "dot", New: func() any { return distances.NewDotProductSimilarity() }})
	Distances.Add(Entry{Name: "snr", New: func() any { return distances.NewSNRDistance() }})
	Distances.Alias("CosineSimilarity", "cosine")
	Distances.Alias("LpDistance", "lp")
	Distances.Alias("DotProductSimilarity", "dot")
	Distances.Alias("SNRDistance", "snr")
	RegisterKind[distances.Distance](Distances)

	Reducers.Add(Entry{Name: "mean", New: func() any { return reducers.MeanReducer{} }})
	Reducers.Add(Entry{Name: "sum", New: func() any { return reducers.SumReducer{} }})
	Reducers.Add(Entry{Name: "avg_non_zero", New: func() any { return reducers.AvgNonZeroReducer{} }})
	Reducers.Add(Entry{Name: "divisor", New: func() any { return reducers.DivisorReducer{} }})
	Reducers.Add(Entry{Name: "do_nothing", New: func() any { return reducers.DoNothingReducer{} }})
	Reducers.Add(Entry{Name: "threshold", New: func() any { return &reducers.ThresholdReducer{} },
		Check: func(v any) error {
			r := v.(*reducers.ThresholdReducer)
			_, err := reducers.NewThresholdReducer(r.Low, r.High)
			return err
		}})
	Reducers.Add(Entry{Name: "class_weighted", New: func() any { return &reducers.ClassWeightedReducer{} },
		Check: func(v any) error {
			if len(v.(*reducers.ClassWeightedReducer).Weights) == 0 {
				return fmt.Errorf("weights (one per class) are required")
			}
			return nil
		}})
	Reducers.Add(Entry{Name: "per_anchor", New: func() any { return &reducers.PerAnchorReducer{} },
		Rename: map[string]string{"Inner": "reducer", "Aggregation": "-"}})
	Reducers.Add(Entry{Name: "multiple_reducers", New: func() any { return &reducers.MultipleReducers{} },
		Rename: map[string]string{"ByName": "reducers", "Default": "default_reducer"}})
	Reducers.Alias("multiple", "multiple_reducers")
	RegisterKind[reducers.Reducer](Reducers)

	Regularizers.Add(Entry{Name: "lp", New: func() any { return regularizers.NewLpRegularizer() }})
	Regularizers.Add(Entry{Name: "regular_face", New: func() any { return regularizers.NewRegularFaceRegularizer() }})
	Regularizers.Add(Entry{Name: "center_invariant", New: func() any { return regularizers.NewCenterInvariantRegularizer() }})
	Regularizers.Add(Entry{Name: "sparse_centers", New: func() any { return regularizers.NewSparseCentersRegularizer(0, 0) }})
	Regularizers.Add(Entry{Name: "zero_mean", New: func() any { return regularizers.NewZeroMeanRegularizer() }})
	RegisterKind[regularizers.Regularizer](Regularizers)
}
