package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWrite: the file holds the new data whole, with mode 0644, and no
// temporary file is left beside it; a failed write leaves no temporary
// file and names the path.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "meta.json")
	if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("new whole content")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	st, serr := os.Stat(p)
	if err != nil || serr != nil || string(b) != "new whole content" || st.Mode().Perm() != 0o644 {
		t.Errorf("after Write: %q (%v), mode %v (%v); want the new content, 0644", b, err, st.Mode().Perm(), serr)
	}
	// A directory in the way of the rename: the write fails, the
	// temporary file goes.
	blocked := filepath.Join(dir, "blocked")
	if err := os.MkdirAll(filepath.Join(blocked, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(blocked, []byte("data")); err == nil || !strings.Contains(err.Error(), blocked) {
		t.Errorf("Write over a non-empty directory: %v, want an error naming %s", err, blocked)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}
