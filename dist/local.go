package dist

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The environment of a shard, as a Kubernetes Indexed Job gives it (the
// index) and the manifests set it (the rest).
const (
	EnvShardIndex  = "JOB_COMPLETION_INDEX"
	EnvShardCount  = "CCGW_SHARD_COUNT"
	EnvRunID       = "CCGW_RUN_ID"
	EnvCoordinator = "CCGW_COORDINATOR"
	EnvRunToken    = "CCGW_RUN_TOKEN"
)

// PodsDir is the directory of a local run's output that holds the shards
// other than 0: pods/I is what shard I's pod would keep on its own volume.
const PodsDir = "pods"

// Local runs a plan as N `ccgw load` processes on this machine, exactly
// as the Kubernetes Indexed Job's pods run it: each with the Job's
// environment (EnvShardIndex, EnvShardCount, EnvRunID, EnvCoordinator on
// the loopback, a fresh EnvRunToken), shard 0 coordinating, the run's
// reports in Out and shard I's own in Out/pods/I.
type Local struct {
	// Exe is the ccgw binary.
	Exe string
	// Shards is N.
	Shards int
	// Args are the `ccgw load` arguments of every shard (no --out).
	Args []string
	// Out is shard 0's --out: the run's reports.
	Out string
	// RunID is the run's ID ("": a fresh one).
	RunID string
	// Env is the shards' environment, without the shard variables.
	Env []string
	// Stdout gets shard 0's standard output (the run's summary); Stderr
	// every shard's standard error, each line prefixed "[shard I] ".
	Stdout, Stderr io.Writer
}

// Run starts the shards and waits for them; the first signal of sigs is
// passed on to every shard (they stop, sign out and write their reports),
// a second one too (they quit at once). It returns the run's exit code:
// shard 0's (the coordinator's verdict, which counts a failed or lost
// shard), or 130 after a signal.
func (l *Local) Run(sigs <-chan os.Signal) (int, error) {
	if l.Shards < 2 {
		return exitHarness, fmt.Errorf("a distributed run has at least 2 shards, not %d", l.Shards)
	}
	port, err := freePort()
	if err != nil {
		return exitHarness, fmt.Errorf("no free port on the loopback for the coordinator: %v", err)
	}
	runID := l.RunID
	if runID == "" {
		runID = NewRunID(time.Now())
	}
	token := NewToken()
	coord := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	fmt.Fprintf(l.Stderr, "ccgw shards: run %s: %d shards, coordinator (shard 0) on %s; the run's reports in %s\n", runID, l.Shards, coord, l.Out)
	var mu sync.Mutex // serialises the shards' stderr lines
	procs := make([]*exec.Cmd, l.Shards)
	for i := range l.Shards {
		out := l.Out
		if i > 0 {
			out = filepath.Join(l.Out, PodsDir, strconv.Itoa(i))
		}
		cmd := exec.Command(l.Exe, append(append([]string{"load"}, l.Args...), "--out", out)...)
		cmd.Env = append(ShardEnv(l.Env), EnvShardIndex+"="+strconv.Itoa(i), EnvShardCount+"="+strconv.Itoa(l.Shards),
			EnvRunID+"="+runID, EnvCoordinator+"="+coord, EnvRunToken+"="+token)
		cmd.Stdout = io.Discard
		if i == 0 {
			cmd.Stdout = l.Stdout
		}
		cmd.Stderr = &prefixWriter{prefix: fmt.Sprintf("[shard %d] ", i), w: l.Stderr, mu: &mu}
		// Own process group: a terminal's Ctrl-C reaches this process only,
		// which passes it on.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			for _, p := range procs[:i] {
				_ = p.Process.Kill()
				_ = p.Wait()
			}
			return exitHarness, fmt.Errorf("starting shard %d: %v", i, err)
		}
		procs[i] = cmd
	}
	codes := make([]int, l.Shards)
	var wg sync.WaitGroup
	coordDone := make(chan struct{})
	for i, p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = p.Wait()
			codes[i] = p.ProcessState.ExitCode()
			if i == 0 {
				close(coordDone)
			}
		}()
	}
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()
	interrupted := false
wait:
	for {
		select {
		case <-allDone:
			break wait
		case <-coordDone:
			// The coordinator is gone (the run is over, or given up before
			// it started): a shard still trying to join it would wait out
			// its barrier timeout. Every shard still running stops now.
			coordDone = nil
			for _, p := range procs[1:] {
				_ = p.Process.Signal(os.Interrupt)
			}
		case s := <-sigs:
			interrupted = true
			fmt.Fprintf(l.Stderr, "ccgw shards: %s: passed on to every shard\n", s)
			for _, p := range procs {
				_ = p.Process.Signal(os.Interrupt)
			}
		}
	}
	// The coordinator's code is the run's verdict: it already counts a
	// shard that failed or was lost (exit 2, unless --allow-missing-shards).
	code := codes[0]
	for i, c := range codes[1:] {
		if c != exitOK && c != exitInterrupted {
			fmt.Fprintf(l.Stderr, "ccgw shards: shard %d exited with code %d (the run's verdict is the coordinator's: %d)\n", i+1, c, code)
		}
	}
	if interrupted {
		code = exitInterrupted
	}
	return code, nil
}

// ShardEnv is env without the shard variables (each shard gets its own).
func ShardEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case EnvShardIndex, EnvShardCount, EnvRunID, EnvCoordinator, EnvRunToken:
			continue
		}
		out = append(out, kv)
	}
	return out
}

// freePort is a port of 127.0.0.1 free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// prefixWriter writes whole lines to w, each with prefix, one writer at a
// time.
type prefixWriter struct {
	prefix string
	w      io.Writer
	mu     *sync.Mutex
	part   []byte
}

// Write implements io.Writer.
func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.part = append(p.part, b...)
	for {
		i := bytes.IndexByte(p.part, '\n')
		if i < 0 {
			break
		}
		line := p.part[:i+1]
		// A terminal's rewritten progress line arrives with \r: keep the
		// last state only.
		if j := bytes.LastIndexByte(line[:i], '\r'); j >= 0 {
			line = line[j+1:]
		}
		if _, err := io.WriteString(p.w, p.prefix+string(line)); err != nil {
			return len(b), err
		}
		p.part = p.part[i+1:]
	}
	return len(b), nil
}
