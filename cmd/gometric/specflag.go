package main

// specFlag is a flag.Value holding a loss or miner specification (docs/SPECS.md), kept in its
// canonical form: what a run folder records, so that a repeated --loss or --miner on --resume
// compares equal to the recorded one however it is spelled.
type specFlag struct {
	dst       *string
	canonical func(string) (string, error)
}

// String returns the specification.
func (f specFlag) String() string {
	if f.dst == nil {
		return ""
	}
	return *f.dst
}

// Set parses s and stores its canonical form; a specification that does not parse is the error.
func (f specFlag) Set(s string) error {
	c, err := f.canonical(s)
	if err != nil {
		return err
	}
	*f.dst = c
	return nil
}
