package match_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gometric/gometric/knn"
	"github.com/gometric/gometric/mat"
	"github.com/gometric/gometric/match"
)

func Example() {
	// Identity stands in for a trained model: the inputs already are embeddings.
	model, err := match.NewInferenceModel(match.Identity{}, match.MatchFinder{Distance: knn.Cosine(), Threshold: 0.9})
	if err != nil {
		fmt.Println(err)
		return
	}
	items, _ := mat.FromRows([][]float32{{1, 0}, {0.95, 0.3}, {0, 1}})
	if err := model.Add(items, []string{"cat", "kitten", "car"}, nil); err != nil {
		fmt.Println(err)
		return
	}
	query, _ := mat.FromRows([][]float32{{1, 0.1}})
	nn, _ := model.NearestNeighbors(query, 2)
	for _, n := range nn[0] {
		fmt.Printf("%s %.3f match=%v\n", n.ID, n.Value, n.Match)
	}

	// Save the index atomically and load it into another model.
	dir, _ := os.MkdirTemp("", "index")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "items.idx")
	if err := model.SaveIndex(path); err != nil {
		fmt.Println(err)
		return
	}
	other, _ := match.NewInferenceModel(match.Identity{}, model.Finder)
	if err := other.LoadIndex(path); err != nil {
		fmt.Println(err)
		return
	}
	matches, _ := other.Matches(query)
	fmt.Println(len(matches[0]), "matches, best:", matches[0][0].ID)
	// Output:
	// cat 0.995 match=true
	// kitten 0.979 match=true
	// 2 matches, best: cat
}
