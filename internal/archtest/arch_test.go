// Package archtest holds the repository's architecture rules as tests:
// the size of a package, the names a package exports, and the types its
// exported functions return. It reads the module's sources and imports
// none of them.
package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Limits of the layout (docs/architecture.md): no package above
// maxPackageLines non-test lines, the CLI below maxCmdLines, load's
// exported names at most maxLoadExports.
const (
	maxPackageLines = 4000
	maxCmdLines     = 2000
	maxLoadExports  = 60
)

// pkg is one package directory's non-test Go files, parsed.
type pkg struct {
	dir   string
	files []*ast.File
	lines int
}

// modulePackages parses every package of the module (non-test files).
func modulePackages(t *testing.T) map[string]*pkg {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root %s: %v", root, err)
	}
	fset := token.NewFileSet()
	pkgs := map[string]*pkg{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "out" || n == "bin" || n == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		p := pkgs[rel]
		if p == nil {
			p = &pkg{dir: rel}
			pkgs[rel] = p
		}
		p.files = append(p.files, f)
		p.lines += strings.Count(string(src), "\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

// TestPackageSizes: one concept a package keeps packages small enough to
// read; a package past the limit is carrying a second concept.
func TestPackageSizes(t *testing.T) {
	for _, p := range modulePackages(t) {
		limit := maxPackageLines
		if p.dir == filepath.Join("cmd", "ccgw") {
			limit = maxCmdLines
		}
		if p.lines > limit {
			t.Errorf("package %s has %d non-test lines, above %d: split it along its concepts (docs/architecture.md)", p.dir, p.lines, limit)
		}
	}
}

// exported lists the exported top-level names of p (types, funcs, vars,
// consts; methods are their type's).
func exported(p *pkg) []string {
	var out []string
	for _, f := range p.files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.IsExported() {
					out = append(out, d.Name.Name)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							out = append(out, s.Name.Name)
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								out = append(out, n.Name)
							}
						}
					}
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// TestLoadExports: the engine's surface stays small (what cmd, capacity
// and dist drive), its helpers live beside the code that uses them.
func TestLoadExports(t *testing.T) {
	p := modulePackages(t)["load"]
	if p == nil {
		t.Fatal("no package load")
	}
	if names := exported(p); len(names) > maxLoadExports {
		t.Errorf("load exports %d names, above %d: %s", len(names), maxLoadExports, strings.Join(names, ", "))
	}
}

// TestNoExportedFuncReturnsUnexported: a caller can name what an exported
// function gives it.
func TestNoExportedFuncReturnsUnexported(t *testing.T) {
	for _, p := range modulePackages(t) {
		unexportedTypes := map[string]bool{}
		exportedTypes := map[string]bool{}
		for _, f := range p.files {
			for _, d := range f.Decls {
				if g, ok := d.(*ast.GenDecl); ok {
					for _, s := range g.Specs {
						if ts, ok := s.(*ast.TypeSpec); ok {
							if ts.Name.IsExported() {
								exportedTypes[ts.Name.Name] = true
							} else {
								unexportedTypes[ts.Name.Name] = true
							}
						}
					}
				}
			}
		}
		for _, f := range p.files {
			if f.Name.Name == "main" {
				continue
			}
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || !fd.Name.IsExported() || fd.Type.Results == nil {
					continue
				}
				if fd.Recv != nil && !exportedTypes[recvType(fd.Recv)] {
					continue // a method of an unexported type
				}
				for _, r := range fd.Type.Results.List {
					if n := unexportedName(r.Type); n != "" && unexportedTypes[n] {
						t.Errorf("%s: exported %s returns the unexported type %s", p.dir, fd.Name.Name, n)
					}
				}
			}
		}
	}
}

// recvType is the name of a method's receiver type.
func recvType(fl *ast.FieldList) string {
	e := fl.List[0].Type
	if s, ok := e.(*ast.StarExpr); ok {
		e = s.X
	}
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.IndexExpr:
		if id, ok := e.X.(*ast.Ident); ok {
			return id.Name
		}
	}
	return ""
}

// unexportedName is the package-local type name e refers to (through a
// pointer, slice, map value or channel), when it is unexported.
func unexportedName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		if !e.IsExported() {
			return e.Name
		}
	case *ast.StarExpr:
		return unexportedName(e.X)
	case *ast.ArrayType:
		return unexportedName(e.Elt)
	case *ast.MapType:
		return unexportedName(e.Value)
	case *ast.ChanType:
		return unexportedName(e.Value)
	}
	return ""
}
