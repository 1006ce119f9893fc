// Package atomicfile writes a file so that a reader never sees half of it:
// the data goes to a temporary file beside the target, which is then
// renamed over it. A run's meta.json and its reports are written this way,
// so a run killed while writing leaves the previous whole file or the new
// one.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// Write writes data to a temporary file beside path (mode 0644) and
// renames it over path. On error the temporary file is removed and path is
// left as it was; the error names path.
func Write(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, werr)
	}
	return nil
}
