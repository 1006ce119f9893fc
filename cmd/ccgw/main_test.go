package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"ccgw-harness/internal/testscale"
)

// ccgwBin is the ccgw binary built once for the tests that run it as a user
// would (signals, exit codes, the "listening on" line).
var ccgwBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ccgw-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ccgwBin = filepath.Join(dir, "ccgw")
	build := exec.Command("go", "build", "-race", "-o", ccgwBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building ccgw:", err)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startCCGW starts `ccgw args...` and returns the command, its stdout lines
// and its captured stderr. The process is killed at test cleanup if still
// running.
func startCCGW(t *testing.T, env []string, args ...string) (*exec.Cmd, <-chan string, *syncWriter) {
	t.Helper()
	cmd := exec.Command(ccgwBin, args...)
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncWriter{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd, lines, stderr
}

// waitLine returns the first line with the prefix, or fails after
// testscale.D(d).
func waitLine(t *testing.T, lines <-chan string, prefix string, d time.Duration) string {
	t.Helper()
	d = testscale.D(d)
	timeout := time.After(d)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("output ended before a line starting %q", prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-timeout:
			t.Fatalf("no line starting %q within %s", prefix, d)
		}
	}
}

// runCCGW runs `ccgw args...` to completion (bounded by a minute, times
// testscale.Factor) and returns its exit code, stdout and stderr.
func runCCGW(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testscale.D(time.Minute))
	defer cancel()
	cmd := exec.CommandContext(ctx, ccgwBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("ccgw %v: %v", args, err)
	}
	return code, out.String(), errb.String()
}

// syncWriter is a strings.Builder safe for the process's writes and the
// test's reads.
type syncWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
