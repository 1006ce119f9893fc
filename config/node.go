package config

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"ccgw-harness/gateway"

	"go.yaml.in/yaml/v3"
)

// parser walks a yaml.Node tree and collects FieldErrors. Every helper
// reports its own error and returns ok=false, so callers only decide what
// to skip.
type parser struct {
	file    string
	dir     string
	errs    []*FieldError
	nAgents int // agent IDs expanded so far, bounded by maxFileAgents
}

func (p *parser) errf(n *yaml.Node, path, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p.errs = append(p.errs, &FieldError{File: p.file, Line: line, Field: path, Msg: oneLine(fmt.Sprintf(format, args...))})
}

// join builds a child path: join("targets", "mock") = "targets.mock".
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// index builds a list item path: index("plans.x.stages", 1) = "plans.x.stages[1]".
func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// deref follows an alias to its anchored node.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 4; i++ {
		n = n.Alias
	}
	return n
}

// tagNames names YAML's scalar types for messages.
var tagNames = map[string]string{"!!str": "string", "!!int": "integer", "!!float": "number", "!!bool": "boolean",
	"!!timestamp": "timestamp", "!!binary": "binary"}

// describe names what a node is, for "want X, got Y" messages. Scalar
// values are quoted and shortened; secret=true leaves the value out.
func describe(n *yaml.Node, secret bool) string {
	n = deref(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		tag := n.ShortTag()
		kind := tagNames[tag]
		if tag == "!!null" {
			return "null (no value)"
		}
		if kind == "" {
			kind = "value tagged " + quote(n.Tag)
		}
		if secret {
			return kind + " (value not shown)"
		}
		return kind + " " + quote(n.Value)
	}
	return "an unsupported YAML node"
}

// entry is one key/value pair of a mapping.
type entry struct{ key, val *yaml.Node }

// fields is a checked mapping: its keys in document order and by name.
type fields struct {
	node  *yaml.Node
	keys  []string
	byKey map[string]entry
}

func (f fields) get(key string) (entry, bool) {
	e, ok := f.byKey[key]
	return e, ok
}

// nameRe is what target and plan names may look like: they appear in paths,
// CLI flags and the "<target>/<plan>" attack name.
var nameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// mapping checks that n is a mapping whose keys are unique scalars drawn
// from allowed; allowed == nil accepts any name matching nameRe (the
// targets and plans maps). Bad keys are reported and left out. allowed
// must be the schema's keys for path (checkSchema): every key the parser
// accepts is one KeyPaths lists.
func (p *parser) mapping(n *yaml.Node, path string, allowed []string) (fields, bool) {
	if allowed == nil {
		return p.mappingFunc(n, path, "a mapping", nameRe.MatchString,
			"bad name %s: want letters, digits, '_' or '-' (at most 64, starting with a letter or digit)")
	}
	checkSchema(path, allowed)
	return p.mappingFunc(n, path, "a mapping with keys "+strings.Join(allowed, ", "),
		func(k string) bool { return slices.Contains(allowed, k) },
		"unknown key %s (allowed: "+strings.Join(allowed, ", ")+")")
}

// mappingFunc is mapping with the key check given as accept, and badKey
// the message (a format taking the quoted key) for a key it refuses.
func (p *parser) mappingFunc(n *yaml.Node, path, want string, accept func(string) bool, badKey string) (fields, bool) {
	n = deref(n)
	f := fields{node: n, byKey: map[string]entry{}}
	if n == nil || n.Kind != yaml.MappingNode {
		p.errf(n, path, "want %s, got %s", want, describe(n, false))
		return f, false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			p.errf(k, path, "keys must be plain names, got %s", describe(k, false))
			continue
		}
		name := k.Value
		if k.ShortTag() == "!!merge" {
			p.errf(k, path, "merge keys (<<) are not supported; write the keys out (a whole value may still be an *alias)")
			continue
		}
		if prev, dup := f.byKey[name]; dup {
			p.errf(k, path, "duplicate key %s (first at line %d)", quote(name), prev.key.Line)
			continue
		}
		if !accept(name) {
			p.errf(k, path, badKey, quote(name))
			continue
		}
		f.byKey[name] = entry{k, v}
		f.keys = append(f.keys, name)
	}
	return f, true
}

// list checks that n is a YAML list and returns its items.
func (p *parser) list(n *yaml.Node, path, what string) ([]*yaml.Node, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		p.errf(n, path, "want a list of %s, got %s", what, describe(n, false))
		return nil, false
	}
	return n.Content, true
}

// scalar returns n (dereferenced) when it is a scalar whose tag is one of
// tags, else reports "want WANT, got ...".
func (p *parser) scalar(n *yaml.Node, path, want string, secret bool, tags ...string) (*yaml.Node, bool) {
	d := deref(n)
	if d != nil && d.Kind == yaml.ScalarNode && slices.Contains(tags, d.ShortTag()) {
		return d, true
	}
	p.errf(n, path, "want %s, got %s", want, describe(n, secret))
	return nil, false
}

// str reads a string. A plain integer is also taken, verbatim, when
// digitsOK (phone prefixes, retcodes: "07" stays "07").
func (p *parser) str(n *yaml.Node, path string, digitsOK bool) (string, bool) {
	tags := []string{"!!str"}
	if digitsOK {
		tags = append(tags, "!!int")
	}
	d, ok := p.scalar(n, path, "a string", false, tags...)
	if !ok {
		return "", false
	}
	if d.ShortTag() == "!!int" && !isDigits(d.Value) {
		p.errf(n, path, "want a string of digits, got %s (quote it)", describe(d, false))
		return "", false
	}
	return d.Value, true
}

// integer reads an integer within [min, max].
func (p *parser) integer(n *yaml.Node, path string, min, max int) (int, bool) {
	d, ok := p.scalar(n, path, "an integer", false, "!!int")
	if !ok {
		return 0, false
	}
	var v int64
	if err := d.Decode(&v); err != nil || v < int64(min) || v > int64(max) {
		p.errf(d, path, "%s is out of range: want %d to %d", quote(d.Value), min, max)
		return 0, false
	}
	return int(v), true
}

// number reads a finite number (integer or float).
func (p *parser) number(n *yaml.Node, path string) (float64, bool) {
	d, ok := p.scalar(n, path, "a number", false, "!!int", "!!float")
	if !ok {
		return 0, false
	}
	var v float64
	if err := d.Decode(&v); err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		p.errf(d, path, "%s is not a finite number", quote(d.Value))
		return 0, false
	}
	return v, true
}

// rate reads a request rate: a number above 0 and at most MaxRate.
func (p *parser) rate(n *yaml.Node, path string) (float64, bool) {
	v, ok := p.number(n, path)
	if !ok {
		return 0, false
	}
	if v <= 0 || v > MaxRate {
		p.errf(n, path, "rate %s is out of range: want requests/s above 0 and at most %g", quote(deref(n).Value), float64(MaxRate))
		return 0, false
	}
	return v, true
}

// fraction reads a ratio in [0, 1]: a number (0.01) or a percentage string
// ("1%").
func (p *parser) fraction(n *yaml.Node, path string) (float64, bool) {
	d := deref(n)
	var v float64
	if d != nil && d.Kind == yaml.ScalarNode && d.ShortTag() == "!!str" && strings.HasSuffix(d.Value, "%") {
		pct, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(d.Value, "%")), 64)
		if err != nil || math.IsNaN(pct) || math.IsInf(pct, 0) {
			p.errf(n, path, "bad percentage %s: want e.g. \"1%%\" or 0.01", quote(d.Value))
			return 0, false
		}
		v = pct / 100
	} else {
		var ok bool
		if v, ok = p.number(n, path); !ok {
			return 0, false
		}
	}
	if v < 0 || v > 1 {
		p.errf(n, path, "%s is outside 0..1: want a fraction (0.01) or a percentage (\"1%%\")", quote(d.Value))
		return 0, false
	}
	return v, true
}

// boolean reads true or false.
func (p *parser) boolean(n *yaml.Node, path string) (bool, bool) {
	d, ok := p.scalar(n, path, "true or false", false, "!!bool")
	if !ok {
		return false, false
	}
	var v bool
	if err := d.Decode(&v); err != nil {
		p.errf(d, path, "want true or false, got %s", describe(d, false))
		return false, false
	}
	return v, true
}

// duration reads a Go duration ("500ms", "15s", "1m30s"; a bare 0 is
// accepted). It rejects negative values, and zero unless zeroOK.
func (p *parser) duration(n *yaml.Node, path string, zeroOK bool) (time.Duration, bool) {
	d, ok := p.scalar(n, path, "a duration such as 500ms, 15s or 5m", false, "!!str", "!!int", "!!float")
	if !ok {
		return 0, false
	}
	v, err := time.ParseDuration(d.Value)
	if err != nil {
		if d.ShortTag() != "!!str" {
			p.errf(d, path, "duration %s has no unit: want e.g. 500ms, 15s or 5m", quote(d.Value))
		} else {
			p.errf(d, path, "bad duration %s: want e.g. 500ms, 15s or 5m", quote(d.Value))
		}
		return 0, false
	}
	switch {
	case v < 0:
		p.errf(d, path, "duration %s is negative", quote(d.Value))
		return 0, false
	case v == 0 && !zeroOK:
		p.errf(d, path, "duration must be above 0")
		return 0, false
	}
	return v, true
}

// authMode reads static or dynamic (or the gateway's AUTHMODE numbers 1
// and 2).
func (p *parser) authMode(n *yaml.Node, path string) (gateway.AuthMode, bool) {
	s, ok := p.str(n, path, true)
	if !ok {
		return "", false
	}
	m, err := gateway.ParseAuthMode(s)
	if err != nil {
		p.errf(n, path, "bad auth_mode %s: want static or dynamic", quote(s))
		return "", false
	}
	return m, true
}

// isDigits reports whether s is non-empty ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// identRe is what the name of a mock defect looks like.
var identRe = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)

// retcodeRe is the shape of a gateway retcode: "0" or "NNN-NNN".
var retcodeRe = regexp.MustCompile(`^(0|[0-9]{3}-[0-9]{3})$`)

// retcode reads a retcode ("0" or "NNN-NNN").
func (p *parser) retcode(n *yaml.Node, path string) (string, bool) {
	s, ok := p.str(n, path, true)
	if !ok {
		return "", false
	}
	if !retcodeRe.MatchString(s) {
		p.errf(n, path, "bad retcode %s: want \"0\" or NNN-NNN, e.g. \"100-006\"", quote(s))
		return "", false
	}
	return s, true
}
