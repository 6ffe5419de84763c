package spec

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/gometric/gometric/internal/registry"
)

// Entry is one constructor of a Registry.
type Entry struct {
	// Name is the canonical name, written by Format ("contrastive", "avg_non_zero").
	Name string
	// New returns a new value with PML's defaults: a pointer to a struct, or a struct value without
	// options.
	New func() any
	// Rename maps a Go field name to its option name, for types whose fields cannot carry a `pml` tag
	// here (another package's types) or whose PML name differs per constructor (P2SGradLoss's
	// descriptors_dim). "-" hides the field.
	Rename map[string]string
	// Check, when set, validates a built value (an error names the problem); a value with a
	// `Validate() error` method is also validated by it.
	Check func(v any) error
	// NoFormat keeps Format from choosing this entry for its type (an entry that is another's value
	// with different defaults, such as snrcontrastive: contrastive(distance=snr)).
	NoFormat bool
}

// Registry builds and formats the values of one kind ("loss", "miner", "distance", ...) by name.
type Registry struct {
	kind, suffix string
	entries      map[string]*Entry // by Key
	aliases      map[string]string // Key -> Key
	byType       map[reflect.Type]*Entry
}

// NewRegistry returns an empty registry for values of the given kind; suffix is the PML class-name
// suffix that names may carry ("loss" for NTXentLoss, "" for none).
func NewRegistry(kind, suffix string) *Registry {
	return &Registry{kind: kind, suffix: suffix, entries: map[string]*Entry{}, aliases: map[string]string{}, byType: map[reflect.Type]*Entry{}}
}

// Kind is the registry's kind of value ("loss", "distance", ...).
func (r *Registry) Kind() string { return r.kind }

func (r *Registry) key(name string) string { return registry.Key(name, r.suffix) }

// Add registers e. The first entry of a Go type is the one Format writes, unless NoFormat is set.
func (r *Registry) Add(e Entry) {
	k := r.key(e.Name)
	if _, dup := r.entries[k]; dup {
		panic(fmt.Sprintf("spec: %s %q registered twice", r.kind, e.Name))
	}
	r.entries[k] = &e
	if t := reflect.TypeOf(e.New()); !e.NoFormat && r.byType[t] == nil {
		r.byType[t] = r.entries[k]
	}
}

// Alias makes alias (a PML class name, say) another name of the entry called name.
func (r *Registry) Alias(alias, name string) { r.aliases[r.key(alias)] = r.key(name) }

// Names lists the canonical names, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.entries))
	for _, e := range r.entries {
		names = append(names, e.Name)
	}
	sort.Strings(names)
	return names
}

// Lookup returns the entry called name (canonical name, alias or PML class name).
func (r *Registry) Lookup(name string) (*Entry, error) {
	k := r.key(name)
	if a, ok := r.aliases[k]; ok {
		k = a
	}
	if e, ok := r.entries[k]; ok {
		return e, nil
	}
	return nil, fmt.Errorf("unknown %s %q (known: %s)", r.kind, name, strings.Join(r.Names(), ", "))
}

// Parse parses s, one call, and builds it.
func (r *Registry) Parse(s string) (any, error) {
	c, err := ParseCall(s)
	if err != nil {
		return nil, err
	}
	return r.Build(c)
}

// Build returns the value of the call c: the entry's defaults with c's options set, validated.
func (r *Registry) Build(c CallExpr) (any, error) {
	e, err := r.Lookup(c.Name)
	if err != nil {
		return nil, err
	}
	v := e.New()
	opts := optionsOf(v, e.Rename)
	byName := map[string]option{}
	for _, o := range opts {
		byName[o.name] = o
	}
	for _, a := range c.Args {
		o, ok := byName[a.Key]
		if !ok {
			return nil, fmt.Errorf("%s %s: unknown option %q (options: %s)", r.kind, e.Name, a.Key, strings.Join(optionNames(opts), ", "))
		}
		if err := setValue(o.value, a.Value); err != nil {
			return nil, fmt.Errorf("%s %s: option %s: %v", r.kind, e.Name, a.Key, err)
		}
	}
	if e.Check != nil {
		if err := e.Check(v); err != nil {
			return nil, fmt.Errorf("%s %s: %v", r.kind, e.Name, err)
		}
	}
	if val, ok := v.(interface{ Validate() error }); ok {
		if err := val.Validate(); err != nil {
			return nil, fmt.Errorf("%s %s: %v", r.kind, e.Name, err)
		}
	}
	return v, nil
}

// Format writes v as a call of its registered name with the options that differ from the entry's
// defaults, in field order: Build(Format(v)) gives a value equal to v.
func (r *Registry) Format(v any) (string, error) {
	e, ok := r.byType[reflect.TypeOf(v)]
	if !ok {
		return "", fmt.Errorf("cannot write %T as a %s spec: not in the %s registry", v, r.kind, r.kind)
	}
	opts := optionsOf(v, e.Rename)
	defs := optionsOf(e.New(), e.Rename)
	var args []string
	for i, o := range opts {
		if reflect.DeepEqual(o.value.Interface(), defs[i].value.Interface()) {
			continue
		}
		s, err := formatValue(o.value)
		if err != nil {
			return "", fmt.Errorf("%s %s: option %s: %v", r.kind, e.Name, o.name, err)
		}
		args = append(args, o.name+"="+s)
	}
	if len(args) == 0 {
		return e.Name, nil
	}
	return e.Name + "(" + strings.Join(args, ", ") + ")", nil
}

// Option describes one option of an entry, for help texts.
type Option struct {
	Name    string
	Type    string
	Default string
}

// Options lists the options of the entry called name with their types and defaults.
func (r *Registry) Options(name string) ([]Option, error) {
	e, err := r.Lookup(name)
	if err != nil {
		return nil, err
	}
	var out []Option
	for _, o := range optionsOf(e.New(), e.Rename) {
		d, err := formatValue(o.value)
		if err != nil {
			d = "?"
		}
		out = append(out, Option{Name: o.name, Type: typeName(o.value.Type()), Default: d})
	}
	return out, nil
}

// option is one settable field of a value.
type option struct {
	name  string
	value reflect.Value // addressable when the value is a pointer
}

func optionNames(opts []option) []string {
	names := make([]string, len(opts))
	for i, o := range opts {
		names[i] = o.name
	}
	return names
}

// optionsOf lists the options of v (a pointer to a struct, or a value without settable fields).
func optionsOf(v any, rename map[string]string) []option {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return nil
	}
	var out []option
	var walk func(s reflect.Value)
	walk = func(s reflect.Value) {
		t := s.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				walk(s.Field(i))
				continue
			}
			name := f.Tag.Get("pml")
			if n, ok := rename[f.Name]; ok {
				name = n
			}
			if name == "" {
				name = Snake(f.Name)
			}
			if name == "-" {
				continue
			}
			out = append(out, option{name: name, value: s.Field(i)})
		}
	}
	walk(rv.Elem())
	return out
}

// Snake writes a Go field name in snake_case: PosMargin is pos_margin, NBins n_bins.
func Snake(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i, c := range rs {
		if unicode.IsUpper(c) && i > 0 && (unicode.IsLower(rs[i-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1])) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

// kinds maps an interface type to the registry of its implementations (distances, reducers, ...).
var kinds = map[reflect.Type]*Registry{}

// RegisterKind makes the registry r build the option fields of interface type T.
func RegisterKind[T any](r *Registry) {
	kinds[reflect.TypeFor[T]()] = r
}

// KindOf returns the registry of interface type T, or nil.
func KindOf[T any]() *Registry { return kinds[reflect.TypeFor[T]()] }

func typeName(t reflect.Type) string {
	if r, ok := kinds[t]; ok {
		return r.kind
	}
	switch t.Kind() {
	case reflect.Float64, reflect.Float32:
		return "number"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "integer"
	case reflect.Bool:
		return "bool"
	case reflect.String:
		return "string"
	case reflect.Slice:
		return "list of " + typeName(t.Elem())
	case reflect.Map:
		return "dict of " + typeName(t.Elem())
	case reflect.Pointer:
		if t.Elem().Kind() == reflect.Struct {
			return fmt.Sprintf("[%d numbers] or none", t.Elem().NumField())
		}
		return typeName(t.Elem()) + " or none"
	}
	return t.String()
}

// setValue sets the field f from the spec value v.
func setValue(f reflect.Value, v Value) error {
	t := f.Type()
	if r, ok := kinds[t]; ok {
		switch v.Kind {
		case None:
			f.Set(reflect.Zero(t))
			return nil
		case Name, Call:
			c := CallExpr{Name: v.Text}
			if v.Kind == Call {
				c = *v.Call
			}
			x, err := r.Build(c)
			if err != nil {
				return err
			}
			f.Set(reflect.ValueOf(x))
			return nil
		}
		return fmt.Errorf("want a %s (one of %s), got %s", r.kind, strings.Join(r.Names(), ", "), v)
	}
	switch t.Kind() {
	case reflect.Float64, reflect.Float32:
		if v.Kind != Number {
			return fmt.Errorf("want a number, got %s", v)
		}
		f.SetFloat(v.Num)
		return nil
	case reflect.Int, reflect.Int64, reflect.Int32:
		if v.Kind != Number || v.Num != math.Trunc(v.Num) || math.Abs(v.Num) > 1<<53 {
			return fmt.Errorf("want an integer, got %s", v)
		}
		f.SetInt(int64(v.Num))
		return nil
	case reflect.Bool:
		if v.Kind != Bool {
			return fmt.Errorf("want true or false, got %s", v)
		}
		f.SetBool(v.Bool)
		return nil
	case reflect.String:
		if v.Kind != String && v.Kind != Name {
			return fmt.Errorf("want a string, got %s", v)
		}
		f.SetString(v.Text)
		return nil
	case reflect.Slice:
		if v.Kind != List {
			return fmt.Errorf("want a list, got %s", v)
		}
		s := reflect.MakeSlice(t, len(v.List), len(v.List))
		for i, x := range v.List {
			if err := setValue(s.Index(i), x); err != nil {
				return fmt.Errorf("item %d: %v", i, err)
			}
		}
		f.Set(s)
		return nil
	case reflect.Map:
		if v.Kind != Dict || t.Key().Kind() != reflect.String {
			return fmt.Errorf("want a dictionary {key: value, ...}, got %s", v)
		}
		m := reflect.MakeMapWithSize(t, len(v.Dict))
		for _, a := range v.Dict {
			x := reflect.New(t.Elem()).Elem()
			if err := setValue(x, a.Value); err != nil {
				return fmt.Errorf("key %q: %v", a.Key, err)
			}
			m.SetMapIndex(reflect.ValueOf(a.Key).Convert(t.Key()), x)
		}
		f.Set(m)
		return nil
	case reflect.Pointer:
		if v.Kind == None {
			f.Set(reflect.Zero(t))
			return nil
		}
		p := reflect.New(t.Elem())
		if t.Elem().Kind() == reflect.Struct {
			// A struct of numbers (a range): written as a list.
			n := t.Elem().NumField()
			if v.Kind != List || len(v.List) != n {
				return fmt.Errorf("want a list of %d numbers or none, got %s", n, v)
			}
			for i, x := range v.List {
				if err := setValue(p.Elem().Field(i), x); err != nil {
					return fmt.Errorf("item %d: %v", i, err)
				}
			}
		} else if err := setValue(p.Elem(), v); err != nil {
			return err
		}
		f.Set(p)
		return nil
	}
	return fmt.Errorf("options of Go type %s cannot be set from a spec", t)
}

// formatValue writes the field f in spec syntax.
func formatValue(f reflect.Value) (string, error) {
	t := f.Type()
	if r, ok := kinds[t]; ok {
		if f.IsNil() {
			return "none", nil
		}
		return r.Format(f.Interface())
	}
	switch t.Kind() {
	case reflect.Float64, reflect.Float32:
		return strconv.FormatFloat(f.Float(), 'g', -1, 64), nil
	case reflect.Int, reflect.Int64, reflect.Int32:
		return strconv.FormatInt(f.Int(), 10), nil
	case reflect.Bool:
		return strconv.FormatBool(f.Bool()), nil
	case reflect.String:
		return formatString(f.String()), nil
	case reflect.Slice:
		items := make([]string, f.Len())
		for i := range items {
			s, err := formatValue(f.Index(i))
			if err != nil {
				return "", err
			}
			items[i] = s
		}
		return "[" + strings.Join(items, ", ") + "]", nil
	case reflect.Map:
		keys := make([]string, 0, f.Len())
		for _, k := range f.MapKeys() {
			keys = append(keys, k.String())
		}
		sort.Strings(keys)
		items := make([]string, len(keys))
		for i, k := range keys {
			s, err := formatValue(f.MapIndex(reflect.ValueOf(k).Convert(t.Key())))
			if err != nil {
				return "", err
			}
			items[i] = formatString(k) + ": " + s
		}
		return "{" + strings.Join(items, ", ") + "}", nil
	case reflect.Pointer:
		if f.IsNil() {
			return "none", nil
		}
		if t.Elem().Kind() == reflect.Struct {
			e := f.Elem()
			items := make([]string, e.NumField())
			for i := range items {
				s, err := formatValue(e.Field(i))
				if err != nil {
					return "", err
				}
				items[i] = s
			}
			return "[" + strings.Join(items, ", ") + "]", nil
		}
		return formatValue(f.Elem())
	}
	return "", fmt.Errorf("options of Go type %s cannot be written", t)
}

// formatString writes s bare when it reads back as the same string, else quoted.
func formatString(s string) string {
	bare := s != ""
	for i, c := range s {
		if !(c == '_' || unicode.IsLetter(c) || i > 0 && unicode.IsDigit(c)) {
			bare = false
		}
	}
	switch s {
	case "true", "True", "false", "False", "none", "None", "null":
		bare = false
	}
	if bare {
		return s
	}
	if strings.ContainsRune(s, '"') {
		return "'" + s + "'"
	}
	return `"` + s + `"`
}
