// Package spec reads and writes gometric's specifications of losses, miners, distances, reducers and
// regularizers: PyTorch Metric Learning's constructor calls, written as PML users write them, with
// PML's argument names (snake_case).
//
// Syntax:
//
//	spec   := term { "+" term }             (a weighted sum: losses.MultipleLosses)
//	term   := [ number "*" ] call
//	call   := name [ "(" [ arg { "," arg } ] ")" ]
//	arg    := key "=" value
//	value  := number | true | false | none | string | name | call | "[" values "]" | "{" key ":" value, ... "}"
//
// Names are matched ignoring case, "_" and "-", and PML's class names are accepted
// ("NTXentLoss" = "ntxent", "CosineSimilarity()" = "cosine", "MeanReducer()" = "mean"); option keys
// are matched exactly (PML's spelling: "pos_margin", "Tn"). True/False/None are accepted for
// true/false/none, and strings may be quoted with ' or " or left bare when they are a plain word
// (type_of_triplets=semihard). Examples:
//
//	ntxent(temperature=0.1)
//	contrastive(pos_margin=0, neg_margin=1, distance=cosine) + 0.5*multisimilarity(alpha=2)
//	TripletMarginMiner(margin=0.05, type_of_triplets="semihard", distance=CosineSimilarity())
//	contrastive(reducer=multiple_reducers(reducers={pos_loss: mean, neg_loss: sum}))
//
// A Registry turns a call into a Go value through reflection on its option fields: each exported field
// is the option named by its `pml:"name"` struct tag, or else by its Go name in snake_case
// (PosMargin: pos_margin); `pml:"-"` hides a field. Embedded structs contribute their fields.
package spec

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Kind is the kind of a Value.
type Kind int

// The kinds of values.
const (
	Number Kind = iota // Num (Text keeps the literal)
	Bool               // Bool
	None               // none / None
	String             // a quoted string, Text
	Name               // a bare word, Text; read as a string or as a call without arguments
	Call               // Call
	List               // List
	Dict               // Dict
)

// Value is one option value of a specification.
type Value struct {
	Kind Kind
	Num  float64
	Bool bool
	Text string
	Call *CallExpr
	List []Value
	Dict []Arg // keys in Key, in the written order
}

// CallExpr is a constructor call: a name and its keyword arguments, in the written order.
type CallExpr struct {
	Name string
	Args []Arg
}

// Arg is one keyword argument (or dictionary entry).
type Arg struct {
	Key   string
	Value Value
}

// Term is one term of a weighted sum.
type Term struct {
	// Weight is the term's factor; HasWeight says whether one was written.
	Weight    float64
	HasWeight bool
	Call      CallExpr
}

// ParseSum parses a specification that may be a weighted sum of calls.
func ParseSum(s string) ([]Term, error) {
	p := &parser{src: s}
	p.next()
	var terms []Term
	for {
		t, err := p.term()
		if err != nil {
			return nil, p.wrap(err)
		}
		terms = append(terms, t)
		if p.tok.kind != '+' {
			break
		}
		p.next()
	}
	if p.tok.kind != eof {
		return nil, p.wrap(fmt.Errorf("unexpected %s", p.tok))
	}
	return terms, nil
}

// ParseCall parses a specification that is one call (no weights, no sum).
func ParseCall(s string) (CallExpr, error) {
	terms, err := ParseSum(s)
	if err != nil {
		return CallExpr{}, err
	}
	if len(terms) != 1 || terms[0].HasWeight {
		return CallExpr{}, fmt.Errorf("spec %q: want one call, not a weighted sum", s)
	}
	return terms[0].Call, nil
}

const (
	eof = iota + 256
	tNumber
	tString
	tName
)

type token struct {
	kind int
	text string
	num  float64
	pos  int
}

func (t token) String() string {
	switch t.kind {
	case eof:
		return "end of spec"
	case tString:
		return strconv.Quote(t.text)
	default:
		return fmt.Sprintf("%q", t.text)
	}
}

type parser struct {
	src string
	pos int
	tok token
	err error
}

func (p *parser) wrap(err error) error {
	return fmt.Errorf("spec %q: %v (at offset %d)", p.src, err, p.tok.pos)
}

// next reads the next token into p.tok (a lexical error becomes an illegal token).
func (p *parser) next() {
	for p.pos < len(p.src) && unicode.IsSpace(rune(p.src[p.pos])) {
		p.pos++
	}
	start := p.pos
	if p.pos >= len(p.src) {
		p.tok = token{kind: eof, pos: start}
		return
	}
	c := p.src[p.pos]
	switch {
	case c == '"' || c == '\'':
		end := strings.IndexByte(p.src[p.pos+1:], c)
		if end < 0 {
			p.tok = token{kind: '?', text: p.src[start:], pos: start}
			p.err = fmt.Errorf("unterminated string")
			p.pos = len(p.src)
			return
		}
		p.tok = token{kind: tString, text: p.src[p.pos+1 : p.pos+1+end], pos: start}
		p.pos += end + 2
	case c >= '0' && c <= '9' || c == '.' || (c == '-' && p.pos+1 < len(p.src) && (p.src[p.pos+1] >= '0' && p.src[p.pos+1] <= '9' || p.src[p.pos+1] == '.')):
		p.pos++
		for p.pos < len(p.src) {
			d := p.src[p.pos]
			if d >= '0' && d <= '9' || d == '.' || d == 'e' || d == 'E' || (d == '-' || d == '+') && (p.src[p.pos-1] == 'e' || p.src[p.pos-1] == 'E') {
				p.pos++
				continue
			}
			break
		}
		text := p.src[start:p.pos]
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			p.tok = token{kind: '?', text: text, pos: start}
			p.err = fmt.Errorf("bad number %q", text)
			return
		}
		p.tok = token{kind: tNumber, text: text, num: f, pos: start}
	case c == '_' || unicode.IsLetter(rune(c)):
		for p.pos < len(p.src) && (p.src[p.pos] == '_' || p.src[p.pos] == '-' && p.pos+1 < len(p.src) && unicode.IsLetter(rune(p.src[p.pos+1])) || unicode.IsLetter(rune(p.src[p.pos])) || unicode.IsDigit(rune(p.src[p.pos]))) {
			p.pos++
		}
		p.tok = token{kind: tName, text: p.src[start:p.pos], pos: start}
	case strings.IndexByte("()[]{},=:+*", c) >= 0:
		p.pos++
		p.tok = token{kind: int(c), text: string(c), pos: start}
	default:
		p.pos++
		p.tok = token{kind: '?', text: string(c), pos: start}
	}
}

func (p *parser) expect(kind int, what string) error {
	if p.err != nil {
		return p.err
	}
	if p.tok.kind != kind {
		return fmt.Errorf("want %s, got %s", what, p.tok)
	}
	p.next()
	return nil
}

func (p *parser) term() (Term, error) {
	t := Term{Weight: 1}
	if p.tok.kind == tNumber {
		t.Weight, t.HasWeight = p.tok.num, true
		p.next()
		if err := p.expect('*', `"*" after a weight`); err != nil {
			return t, err
		}
	}
	if p.tok.kind != tName {
		if p.err != nil {
			return t, p.err
		}
		return t, fmt.Errorf("want a name, got %s", p.tok)
	}
	c, err := p.call()
	t.Call = c
	return t, err
}

// call reads name [ "(" args ")" ], p.tok being the name.
func (p *parser) call() (CallExpr, error) {
	c := CallExpr{Name: p.tok.text}
	p.next()
	if p.tok.kind != '(' {
		return c, p.err
	}
	p.next()
	args, err := p.args(')', '=')
	c.Args = args
	return c, err
}

// args reads key sep value pairs separated by commas up to close (consumed).
func (p *parser) args(close, sep int) ([]Arg, error) {
	var args []Arg
	seen := map[string]bool{}
	for p.tok.kind != close {
		if p.err != nil {
			return nil, p.err
		}
		if p.tok.kind != tName && p.tok.kind != tString {
			return nil, fmt.Errorf("want an option name, got %s", p.tok)
		}
		key := p.tok.text
		if seen[key] {
			return nil, fmt.Errorf("option %q given twice", key)
		}
		seen[key] = true
		p.next()
		if err := p.expect(sep, fmt.Sprintf("%q after %q", rune(sep), key)); err != nil {
			return nil, err
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		args = append(args, Arg{Key: key, Value: v})
		if p.tok.kind == ',' {
			p.next()
			continue
		}
		if p.tok.kind != close {
			return nil, fmt.Errorf("want \",\" or %q, got %s", rune(close), p.tok)
		}
	}
	p.next()
	return args, nil
}

func (p *parser) value() (Value, error) {
	if p.err != nil {
		return Value{}, p.err
	}
	t := p.tok
	switch t.kind {
	case tNumber:
		p.next()
		return Value{Kind: Number, Num: t.num, Text: t.text}, nil
	case tString:
		p.next()
		return Value{Kind: String, Text: t.text}, nil
	case tName:
		switch t.text {
		case "true", "True":
			p.next()
			return Value{Kind: Bool, Bool: true}, nil
		case "false", "False":
			p.next()
			return Value{Kind: Bool}, nil
		case "none", "None", "null":
			p.next()
			return Value{Kind: None}, nil
		}
		c, err := p.call()
		if err != nil {
			return Value{}, err
		}
		if c.Args == nil && !strings.HasSuffix(strings.TrimSpace(p.src[t.pos:p.tok.pos]), ")") {
			return Value{Kind: Name, Text: c.Name}, nil
		}
		return Value{Kind: Call, Call: &c}, nil
	case '[':
		p.next()
		var list []Value
		for p.tok.kind != ']' {
			v, err := p.value()
			if err != nil {
				return Value{}, err
			}
			list = append(list, v)
			if p.tok.kind == ',' {
				p.next()
			} else if p.tok.kind != ']' {
				return Value{}, fmt.Errorf("want \",\" or \"]\", got %s", p.tok)
			}
		}
		p.next()
		return Value{Kind: List, List: list}, nil
	case '{':
		p.next()
		d, err := p.args('}', ':')
		if err != nil {
			return Value{}, err
		}
		return Value{Kind: Dict, Dict: d}, nil
	}
	return Value{}, fmt.Errorf("want a value, got %s", t)
}

// String describes v for error messages.
func (v Value) String() string {
	switch v.Kind {
	case Number:
		return v.Text
	case Bool:
		return strconv.FormatBool(v.Bool)
	case None:
		return "none"
	case String:
		return strconv.Quote(v.Text)
	case Name:
		return v.Text
	case Call:
		return v.Call.Name + "(...)"
	case List:
		return "a list"
	case Dict:
		return "a dictionary"
	}
	return "?"
}
