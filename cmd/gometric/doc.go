// Command gometric trains deep metric learning models and uses them, from a terminal: give it
// labeled pairs or class-labelled items, get a trained embedding model, an honest report of how
// good it is (the untrained encoder and the raw features beside it) and a run folder to use it
// from.
//
//	gometric train                     # MLP + NT-Xent on the built-in digits data
//	gometric train --dataset mnist --encoder cnn
//	gometric train --pairs pairs.csv --items items.csv --loss contrastive --pair-mode explicit
//	gometric eval RUN [--dataset NAME | --items FILE | --pairs FILE]
//	gometric embed RUN items.csv --out embeddings.jsonl
//	gometric match RUN --pairs pairs.csv --items items.csv
//
// The command is a thin layer over the library: packages train (the training loop and the data and
// model of a run), runfolder (reading and writing run folders), encoders, datasets, eval
// (embedding, pair scoring, metrics) and report do the work. Errors are printed as one message (a
// malformed input line as file:line: cause) with a non-zero exit status; no panic stack reaches the
// user.
package main
