package losses_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/miners"
	"github.com/gometric/gometric/spec"
)

// TestParseFormatRoundTrip parses each spec, checks its canonical form, and parses that back into an
// equal loss.
func TestParseFormatRoundTrip(t *testing.T) {
	for _, tc := range []struct{ in, canonical string }{
		{"ntxent(temperature=0.1)", "ntxent(temperature=0.1)"},
		{"NTXentLoss()", "ntxent"},
		{"NTXentLoss(temperature=0.07)", "ntxent"},
		{"ContrastiveLoss(pos_margin=0.1, neg_margin=0.8, distance=CosineSimilarity())", "contrastive(distance=cosine, pos_margin=0.1, neg_margin=0.8)"},
		{"contrastive(pos_margin=0, neg_margin=1) + 0.5*multisimilarity(alpha=2)", "contrastive + 0.5*multisimilarity"},
		{"1*contrastive + 1*supcon", "contrastive + supcon"},
		{"0.5*ntxent", "0.5*ntxent"},
		{"snrcontrastive", "contrastive(distance=snr)"},
		{"contrastive(distance=lp(p=1, power=2, normalize_embeddings=false))", "contrastive(distance=lp(p=1, power=2, normalize_embeddings=false))"},
		{"contrastive(reducer=threshold(low=0.1))", "contrastive(reducer=threshold(low=0.1))"},
		{"contrastive(reducer=MultipleReducers(reducers={'neg_loss': SumReducer(), pos_loss: mean}))", "contrastive(reducer=multiple_reducers(reducers={neg_loss: sum, pos_loss: mean}))"},
		{"supcon(reducer=per_anchor(reducer=sum), embedding_regularizer=LpRegularizer(power=2), embedding_reg_weight=0.1)", "supcon(reducer=per_anchor(reducer=sum), embedding_regularizer=lp(power=2), embedding_reg_weight=0.1)"},
		{"contrastive(reducer=class_weighted(weights=[1, 2.5]))", "contrastive(reducer=class_weighted(weights=[1, 2.5]))"},
		{"RankedListLoss(margin=0.5, Tn=3)", "rankedlist(margin=0.5, Tn=3)"},
		{"pnp(variant=Ds)", "pnp(variant=Ds)"},
		{"PNPLoss(variant='Dq')", "pnp(variant=Dq)"},
		{"angular(raw_negatives=False)", "angular(raw_negatives=false)"},
		{"arcface(num_classes=10, embedding_size=64, weight_regularizer=regular_face)", "arcface(num_classes=10, embedding_size=64, weight_regularizer=regular_face)"},
		{"P2SGradLoss(descriptors_dim=8, num_classes=3)", "p2sgrad(num_classes=3, descriptors_dim=8)"},
		{"ThresholdConsistentMarginLoss(lambda_plus=0.5) + contrastive", "thresholdconsistentmargin(lambda_plus=0.5) + contrastive"},
		{"histogram(n_bins=50)", "histogram(n_bins=50)"},
		{"contrastive(embedding_regularizer=ZeroMeanRegularizer())", "contrastive(embedding_regularizer=zero_mean)"},
		{"arcface(num_classes=4, embedding_size=8, weight_regularizer=CenterInvariantRegularizer(reducer=sum))", "arcface(num_classes=4, embedding_size=8, weight_regularizer=center_invariant(reducer=sum))"},
		{"softtriple(num_classes=4, embedding_size=8, centers_per_class=3, weight_regularizer=sparse_centers(num_classes=4, centers_per_class=3))", "softtriple(num_classes=4, embedding_size=8, weight_regularizer=sparse_centers(num_classes=4, centers_per_class=3), centers_per_class=3)"},
	} {
		l, err := losses.Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		got, err := losses.Format(l)
		if err != nil {
			t.Errorf("Format(Parse(%q)): %v", tc.in, err)
			continue
		}
		if got != tc.canonical {
			t.Errorf("Format(Parse(%q)) = %q, want %q", tc.in, got, tc.canonical)
		}
		back, err := losses.Parse(got)
		if err != nil {
			t.Errorf("Parse(%q): %v", got, err)
		} else if !reflect.DeepEqual(back, l) {
			t.Errorf("Parse(%q) = %#v, want %#v", got, back, l)
		}
	}
}

// TestParseErrors checks that each bad spec is one line naming its problem.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"nosuchloss", `unknown loss "nosuchloss" (known: angular, arcface,`},
		{"ntxent(temprature=0.1)", `loss ntxent: unknown option "temprature" (options: distance, reducer, embedding_regularizer, embedding_reg_weight, block_rows, temperature)`},
		{"ntxent(temperature=cold)", `loss ntxent: option temperature: want a number, got cold`},
		{"fastap(num_bins=2.5)", `loss fastap: option num_bins: want an integer, got 2.5`},
		{"tripletmargin(swap=1)", `loss tripletmargin: option swap: want true or false, got 1`},
		{"contrastive(distance=euclid)", `option distance: unknown distance "euclid" (known: cosine, dot, lp, snr)`},
		{"contrastive(reducer=threshold)", `option reducer: reducer threshold: ThresholdReducer: at least one of low and high must be set`},
		{"thresholdconsistentmargin(distance=lp)", `loss thresholdconsistentmargin: ThresholdConsistentMarginLoss: the distance must be CosineSimilarity`},
		{"ntxent(temperature=0.1", `want "," or ')'`},
		{"ntxent(temperature=0.1, temperature=0.2)", `option "temperature" given twice`},
		{"0.5 ntxent", `want "*" after a weight`},
		{"ntxent + ", `want a name, got end of spec`},
		{"contrastive(reducer=class_weighted)", `weights (one per class) are required`},
		{"pnp(variant=Dx)", `loss pnp: PNPLoss: unknown variant "Dx"`},
		{"pnp(distance=lp)", `loss pnp: PNPLoss: the distance must be a similarity`},
	} {
		_, err := losses.Parse(tc.in)
		if err == nil {
			t.Errorf("Parse(%q): no error, want %q", tc.in, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Parse(%q) error:\n  %v\nwant one line containing\n  %s", tc.in, err, tc.want)
		}
	}
}

// TestEveryOptionRoundTrips sets every option of every registered loss to a value other than its
// default through the spec syntax, and checks that Format and Parse give the same loss back: every
// option is reachable and written.
func TestEveryOptionRoundTrips(t *testing.T) {
	for _, name := range losses.Specs.Names() {
		opts, err := losses.Specs.Options(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(opts) < 5 {
			t.Errorf("%s: %d options, want at least Options' 5", name, len(opts))
		}
		for _, o := range opts {
			v := otherValue(o)
			if v == "" {
				t.Errorf("%s: option %s of type %s has no test value", name, o.Name, o.Type)
				continue
			}
			in := name + "(" + o.Name + "=" + v + ")"
			switch {
			case name == "thresholdconsistentmargin" && o.Name == "distance":
				in = name + "(distance=cosine(power=2))" // It requires a cosine similarity.
			case name == "pnp" && o.Name == "variant":
				in = name + "(variant=Iu)"
			case name == "pnp" && o.Name == "distance":
				in = name + "(distance=dot)" // It requires a similarity.
			}
			l, err := losses.Parse(in)
			if err != nil {
				t.Errorf("Parse(%q): %v", in, err)
				continue
			}
			s, err := losses.Format(l)
			if err != nil {
				t.Errorf("Format(Parse(%q)): %v", in, err)
				continue
			}
			if !strings.Contains(s, o.Name+"=") {
				t.Errorf("Format(Parse(%q)) = %q: option not written", in, s)
			}
			back, err := losses.Parse(s)
			if err != nil || !reflect.DeepEqual(back, l) {
				t.Errorf("Parse(Format(Parse(%q))) = %v, %v: differs", in, back, err)
			}
		}
	}
}

// otherValue returns a spec value of o's type different from its default.
func otherValue(o spec.Option) string {
	switch o.Type {
	case "number":
		if o.Default == "0.25" {
			return "0.5"
		}
		return "0.25"
	case "integer":
		if o.Default == "3" {
			return "4"
		}
		return "3"
	case "bool":
		if o.Default == "true" {
			return "false"
		}
		return "true"
	case "string":
		return "other_value"
	case "distance":
		if strings.HasPrefix(o.Default, "dot") {
			return "lp(power=2)"
		}
		return "dot(power=2)"
	case "reducer":
		if o.Default == "sum" {
			return "mean"
		}
		return "sum"
	case "regularizer":
		return "lp(power=2)"
	}
	return ""
}

// TestMinerSpecs parses miner specs, checks their canonical form, reads it back, and checks errors.
func TestMinerSpecs(t *testing.T) {
	for _, tc := range []struct{ in, canonical string }{
		{"multisimilarity(epsilon=0.1)", "multisimilarity"},
		{"MultiSimilarityMiner(epsilon=0.3, distance=CosineSimilarity())", "multisimilarity(epsilon=0.3)"},
		{"TripletMarginMiner(margin=0.05, type_of_triplets='semihard', distance=CosineSimilarity())", "tripletmargin(margin=0.05, type_of_triplets=semihard, distance=cosine)"},
		{"BatchEasyHardMiner(pos_strategy=easy, neg_strategy=all, allowed_pos_range=[0.2, 1])", "batcheasyhard(neg_strategy=all, allowed_pos_range=[0.2, 1])"},
		{"pairmargin(pos_margin=0.5, neg_margin=0.5, distance=LpDistance(power=2))", "pairmargin(pos_margin=0.5, neg_margin=0.5, distance=lp(power=2))"},
		{"hdc(filter_percentage=0.3)", "hdc(filter_percentage=0.3)"},
		{"angular(angle=35)", "angular(angle=35)"},
		{"batchhard", "batchhard"},
		{"DistanceWeightedMiner(cutoff=0.6, nonzero_loss_cutoff=1.4, seed=3)", "distanceweighted(cutoff=0.6, seed=3)"},
		{"UniformHistogramMiner(num_bins=10, pos_per_bin=3, distance=CosineSimilarity())", "uniformhistogram(num_bins=10, pos_per_bin=3, distance=cosine)"},
	} {
		m, err := miners.Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		got, err := miners.Format(m)
		if err != nil || got != tc.canonical {
			t.Errorf("Format(Parse(%q)) = %q, %v, want %q", tc.in, got, err, tc.canonical)
			continue
		}
		if back, err := miners.Parse(got); err != nil || !reflect.DeepEqual(back, m) {
			t.Errorf("Parse(%q) = %v, %v: differs from %v", got, back, err, m)
		}
	}
	for in, want := range map[string]string{
		"nosuchminer":                           `unknown miner "nosuchminer"`,
		"tripletmargin(type=hard)":              `miner tripletmargin: unknown option "type" (options: margin, type_of_triplets, distance)`,
		"tripletmargin(type_of_triplets=worst)": `type_of_triplets "worst": want all, hard, semihard or easy`,
		"batcheasyhard(pos_strategy=semihard, neg_strategy=semihard)": "cannot both be semihard",
		"hdc(filter_percentage=2)":                                    "filter_percentage 2 out of range (0, 1]",
		"batcheasyhard(allowed_pos_range=[1, 2, 3])":                  "want a list of 2 numbers or none",
	} {
		_, err := miners.Parse(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("miners.Parse(%q) error %v, want %q", in, err, want)
		}
	}
}
