// Package runfolder reads and writes run folders: the folder a training writes (`gometric train
// --out RUN`) and that `gometric eval`, `embed` and `match` read. It knows the layout and how each
// file is written so that a run folder never contradicts itself; what the files mean (the
// configuration, the data, the model) is package train's, which reads and writes them through this
// package (train.StartRun, train.RunData, train.RunConfig, train.LoadRunModel).
//
// # Layout
//
// A Folder holds:
//
//   - config.json (ConfigFile): the training configuration (train.Config);
//   - data.json (DataFile): what the run trained on, recorded when it started (DataRecord): the
//     SHA-256 of every input file (FileRecord, NewFileRecord, FileSHA256) and of the data as read;
//     Locate finds a recorded file again, by content;
//   - split.json (SplitFile): which items or pair lines went to training, validation and test
//     (DataSplit, written compactly as Ranges);
//   - lock (LockFile): the lock a training holds on the folder (Folder.Lock), naming its process;
//   - checkpoints/ and best/ (CheckpointsDir, BestDir): numbered checkpoints of the training's GoMLX
//     context (Checkpoints, LoadCheckpoint), the last two and the best on validation;
//   - history.json (HistoryFile): the training loss and the validation metric by step (History);
//   - model/ (ModelDir): the published model: its weights, model.json (ModelFile, ModelInfo: the
//     encoder, the input normalisation, the frozen threshold) and the report written beside them
//     (package report: metrics.json, report.md, plots, and test-pairs.jsonl, TestPairsFile, written
//     by Folder.WriteTestPairs).
//
// Folder.CheckNew accepts a folder for a new run (missing, empty, or left by an interrupted start).
//
// # Writing safely
//
// Every file is written to a temporary name, flushed and renamed into place (WriteFileAtomic,
// WriteAtomic, Folder.WriteJSON), and every checkpoint into a temporary folder renamed whole
// (Checkpoints.Save), so a process killed while writing leaves the previous version. The model
// folder is assembled aside and exchanged with the previous one in one atomic step
// (Folder.Publish; where the system cannot exchange two folders, the previous model is moved aside
// first and readers use it until the new one is in place: Folder.PublishedDir), so the weights, the
// threshold and the report that eval, embed and match read always belong together.
package runfolder
