package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"ccgw-harness/slo"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize is the largest targets.yaml Load reads.
const MaxFileSize = 4 << 20

// File is a loaded, validated targets.yaml.
type File struct {
	Path    string             // as given to Load or Parse; every error message starts with it
	Targets map[string]*Target // by name, as parsed: passwords and agents.file are not resolved yet (see File.Target)
	Plans   map[string]*Plan   // by name
	SLO     slo.Objectives     // the global objectives (key slo); see SLOFor
}

// Load reads and parses a targets.yaml file.
func Load(path string) (*File, error) {
	data, err := readLimited(path, MaxFileSize)
	if err != nil {
		return nil, &FieldError{File: path, Msg: err.Error(), Err: err}
	}
	return Parse(path, data)
}

// readLimited reads a regular file of at most max bytes. Its errors do not
// repeat the path (callers put it first) but keep the cause (errors.Is
// finds fs.ErrNotExist).
func readLimited(path string, max int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, pathError{err}
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, pathError{err}
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	data, err := io.ReadAll(io.LimitReader(fh, max+1))
	if err != nil {
		return nil, pathError{err}
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("larger than %d bytes", max)
	}
	return data, nil
}

// pathError is an error whose text leaves out the path that an
// *fs.PathError repeats; Unwrap keeps the error.
type pathError struct{ err error }

// Error returns pathErrText of the error.
func (e pathError) Error() string { return pathErrText(e.err) }

// Unwrap returns the error.
func (e pathError) Unwrap() error { return e.err }

// pathErrText is the error without the path an *fs.PathError repeats.
func pathErrText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

// Parse validates the YAML in data. path is used in messages and to resolve
// relative tls.ca_file and agents.file paths (relative to its directory);
// Parse reads no file itself. All problems found are returned together,
// sorted by line.
func Parse(path string, data []byte) (*File, error) {
	p := &parser{file: path, dir: filepath.Dir(path)}
	root, err := decodeYAML(path, data)
	if err != nil {
		return nil, err
	}
	f := &File{Path: path, Targets: map[string]*Target{}, Plans: map[string]*Plan{}}
	p.document(f, root)
	if err := joinErrors(path, p.errs); err != nil {
		return nil, err
	}
	return f, nil
}

// decodeYAML parses exactly one YAML document into a node tree, turning
// the YAML library's errors (and, defensively, its panics) into
// FieldErrors.
func decodeYAML(path string, data []byte) (root *yaml.Node, err error) {
	syntax := func(e error) error { return yamlError(path, data, e) }
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, &FieldError{File: path, Msg: "bad YAML: the YAML parser failed on this input"}
		}
	}()
	empty := &FieldError{File: path, Line: 1, Field: "document", Msg: "file is empty: want a mapping with keys " + strings.Join(topKeys, ", ")}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, empty
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, empty
		}
		return nil, syntax(err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		return nil, &FieldError{File: path, Line: extra.Line, Field: "document",
			Msg: "a second YAML document starts here: put everything in one mapping"}
	case err != io.EOF:
		return nil, syntax(err)
	}
	root = &doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	if r := deref(root); r == nil || r.Kind != yaml.MappingNode || len(r.Content) == 0 {
		line := 1
		if root.Line > 0 {
			line = root.Line
		}
		what := "an empty mapping"
		if r == nil || r.Kind != yaml.MappingNode {
			what = describe(root, false)
		}
		return nil, &FieldError{File: path, Line: line, Field: "document",
			Msg: fmt.Sprintf("want a mapping with keys %s, got %s", strings.Join(topKeys, ", "), what)}
	}
	return root, nil
}

// document fills f from the document's root mapping.
func (p *parser) document(f *File, root *yaml.Node) {
	top, ok := p.mapping(root, "", topKeys)
	if !ok {
		return
	}
	if e, ok := top.get("targets"); ok {
		if m, ok := p.mapping(e.val, "targets", nil); ok {
			if len(m.keys) == 0 && len(m.node.Content) == 0 {
				p.errf(e.key, "targets", "no targets: define at least one (e.g. mock: {mock: {}})")
			}
			for _, name := range m.keys {
				te := m.byKey[name]
				if t := p.target(name, te.key, te.val, join("targets", name)); t != nil {
					f.Targets[name] = t
				}
			}
		}
	} else {
		p.errf(root, "document", "missing key \"targets\": define at least one target")
	}
	if e, ok := top.get("plans"); ok {
		if m, ok := p.mapping(e.val, "plans", nil); ok {
			for _, name := range m.keys {
				pe := m.byKey[name]
				if pl := p.plan(name, pe.key, pe.val, join("plans", name)); pl != nil {
					f.Plans[name] = pl
				}
			}
		}
	}
	if e, ok := top.get("slo"); ok {
		if s := p.slo(e.val, "slo"); s != nil {
			f.SLO = *s
		}
	}
}

// Target returns a copy of the named target, resolved: its password read
// from the environment variable agents.password_env (unset or empty is an
// error naming the file, line, field and variable), its agents.file CSV
// read (errors name the CSV file and row) and its tls.ca_file checked.
func (f *File) Target(name string) (*Target, error) {
	t, ok := f.Targets[name]
	if !ok {
		return nil, &FieldError{File: f.Path, Msg: fmt.Sprintf("unknown target %s (known: %s)", quote(name), listOrNone(f.TargetNames()))}
	}
	c := t.clone()
	if err := c.resolve(f.Path); err != nil {
		return nil, err
	}
	return c, nil
}

// Plan returns a copy of the named plan (callers may override its rate or
// duration without affecting the File).
func (f *File) Plan(name string) (*Plan, error) {
	pl, ok := f.Plans[name]
	if !ok {
		return nil, &FieldError{File: f.Path, Msg: fmt.Sprintf("unknown plan %s (known: %s)", quote(name), listOrNone(f.PlanNames()))}
	}
	return pl.clone(), nil
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none defined"
	}
	return strings.Join(names, ", ")
}

// TargetNames returns the target names, sorted.
func (f *File) TargetNames() []string { return sortedKeys(f.Targets) }

// PlanNames returns the plan names, sorted.
func (f *File) PlanNames() []string { return sortedKeys(f.Plans) }

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// SLOFor returns the objectives that apply to a run of plan p: the global
// slo overridden key by key by the plan's own slo (a latency percentile
// written either way, p999 or p99.9, overrides the other). p may be nil.
func (f *File) SLOFor(p *Plan) slo.Objectives {
	if p == nil || p.SLO == nil {
		return f.SLO.Clone()
	}
	return f.SLO.Override(*p.SLO)
}
