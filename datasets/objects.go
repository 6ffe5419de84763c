package datasets

import "io"

// Objects are items that are not feature vectors (graphs; text in a later kind), held by an Items
// beside its ids and labels: Items.Objects holds object i for item i, and Items.Features then has
// no columns. Everything that works on item indices (splits, pair sampling, pairs files by id)
// works on them unchanged; what turns them into an encoder's input is the encoder's business
// (encoders.ItemEncoder).
type Objects interface {
	// Kind names the kind of object, for example "graph".
	Kind() string
	// Len returns the number of objects.
	Len() int
	// Subset returns the objects at the given indices, in that order.
	Subset(idx []int) Objects
	// WriteContent writes a canonical encoding of the objects to w: the data's content
	// fingerprint (a run's data.json) hashes it, so equal objects must write equal bytes.
	WriteContent(w io.Writer) error
}

// Kind returns the kind of the items: "vector" for feature vectors, else Objects.Kind().
func (it *Items) Kind() string {
	if it.Objects != nil {
		return it.Objects.Kind()
	}
	return KindVector
}

// KindVector is the Kind of items that are feature vectors (images included: a CNN reshapes them).
const KindVector = "vector"
