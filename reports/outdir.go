package reports

import (
	"errors"
	"fmt"
	"os"
)

// probeSize is how much PrepareDir writes (and removes), so that a full
// disk is found before a run starts.
const probeSize = 64 << 10

// PrepareDir creates a run's output directory and proves it writable (and
// not full) by writing and removing a probe file, before anything runs.
// The error names the directory.
func PrepareDir(dir string) error {
	if dir == "" {
		return errors.New("no output directory given")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output directory %s cannot be created: %w", dir, unwrapPath(err))
	}
	f, err := os.CreateTemp(dir, ".ccgw-probe-*")
	if err != nil {
		return fmt.Errorf("output directory %s is not writable: %w", dir, unwrapPath(err))
	}
	name := f.Name()
	_, werr := f.Write(make([]byte, probeSize))
	if werr == nil {
		werr = f.Sync()
	}
	cerr := f.Close()
	rerr := os.Remove(name)
	for _, err := range []error{werr, cerr, rerr} {
		if err != nil {
			return fmt.Errorf("output directory %s is not writable (disk full?): %w", dir, unwrapPath(err))
		}
	}
	return nil
}

// unwrapPath is a path error's cause: the directory is named already.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
