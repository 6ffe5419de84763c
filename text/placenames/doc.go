// Package placenames is gometric's multilingual place-name benchmark: the countries (ISO 3166-1)
// and subdivisions (ISO 3166-2) of Debian's iso-codes, each an entity (a class) whose items are its
// names in English and in every locale of iso-codes' translations (gettext .mo catalogs, read by
// ReadMO), deduplicated after normalisation (text.Normalize). Two names of an entity in different
// scripts (Москва, Moscow, 莫斯科) are the hard case: transliteration.
//
// The data ship with gometric (Load, an embedded snapshot of iso-codes 4.15.0, 0.8 MB, LGPL-2.1+
// with its attribution in data/NOTICE.md), so that the benchmark runs on a fresh clone, on any
// system, with the same figures: Debian's iso-codes changes its translations from release to
// release, and other systems do not have it. Convert reads an installed iso-codes instead (it says
// to install the package when it is missing); the snapshot is its output.
//
//	d, _ := placenames.Load()                                  // 67,228 names of 5,077 entities
//	items, _ := d.Items()                                      // text items, entity classes
//	train, val, test, _ := d.Split(placenames.DefaultFractions, 1) // by entity
//	pairs, _ := placenames.TestPairs(items, test, 10000, 1)
//	figs, _ := placenames.TFIDFBaseline(d, train, test, pairs) // all, latin, other
//
// The split is by entity: the names of a test entity are never seen in training.
package placenames
