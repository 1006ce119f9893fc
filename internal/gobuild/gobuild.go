// Package gobuild runs the go command in the module root, so tests can
// build the project's binaries (ccgw, the contract suite) and run them as a
// user or a pipeline would.
package gobuild

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"ccgw-harness/internal/testscale"
)

// Timeout bounds one go command (times testscale.Factor): a cold build of
// the module on a 2-core machine takes well under it.
const Timeout = 4 * time.Minute

// RepoRoot returns the module root: the nearest directory at or above the
// working directory that holds go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("gobuild: no go.mod at or above the working directory")
		}
		dir = parent
	}
}

// Go runs `go args...` in the module root, bounded by
// testscale.D(Timeout), and returns its combined output in the error when it
// fails.
func Go(args ...string) error {
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	// go test puts $GOROOT/bin first on the PATH of the test binaries.
	goBin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("gobuild: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testscale.D(Timeout))
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %v: %w\n%s", args, err, out)
	}
	return nil
}
