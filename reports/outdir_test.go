package reports

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPrepareDir: a missing directory is created and left without the
// probe; no directory, or a file in the way, is refused naming it.
func TestPrepareDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	if err := PrepareDir(dir); err != nil {
		t.Fatal(err)
	}
	if ents, err := os.ReadDir(dir); err != nil || len(ents) != 0 {
		t.Fatalf("the directory holds %v (%v), want it empty", ents, err)
	}
	if err := PrepareDir(""); err == nil {
		t.Error("no directory accepted")
	}
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := PrepareDir(filepath.Join(file, "x")); err == nil || !strings.Contains(err.Error(), "output directory "+filepath.Join(file, "x")+" cannot be created") {
		t.Errorf("a directory under a file: %v", err)
	}
}
