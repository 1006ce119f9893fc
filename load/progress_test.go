package load_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"ccgw-harness/load"
)

// lockedBuffer is a bytes.Buffer safe for the progress goroutine and the
// test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestProgressTTY: on a terminal the status is one line rewritten with \r,
// and a log line first erases it.
func TestProgressTTY(t *testing.T) {
	noLeaks(t)
	var out lockedBuffer
	p := load.NewProgress(&out, true, false)
	p.SetInterval(5 * time.Millisecond)
	p.Show(func() string { return "1s/3s  requests 10" })
	eventually(t, 5*time.Second, "two status lines", func() bool { return strings.Count(out.String(), "\r1s/3s") >= 2 })
	p.Logf("sign-out: %d agents", 3)
	p.Hide()
	s := out.String()
	if strings.Contains(s, "1s/3s  requests 10\n") {
		t.Errorf("status line ended with a newline on a terminal: %q", s)
	}
	i := strings.Index(s, "sign-out: 3 agents\n")
	if i < 0 || !strings.HasSuffix(s[:i], "\r") {
		t.Errorf("log line not on a cleared line: %q", s)
	}
}

// TestProgressPlain: without a terminal, plain lines; quiet prints only log
// lines.
func TestProgressPlain(t *testing.T) {
	noLeaks(t)
	var out lockedBuffer
	p := load.NewProgress(&out, false, false)
	p.SetInterval(5 * time.Millisecond)
	p.Show(func() string { return "status" })
	eventually(t, 5*time.Second, "two status lines", func() bool { return strings.Count(out.String(), "status\n") >= 2 })
	p.Hide()
	if s := out.String(); strings.Contains(s, "\r") {
		t.Errorf("carriage return in plain output: %q", s)
	}

	var quiet lockedBuffer
	q := load.NewProgress(&quiet, false, true)
	q.SetInterval(time.Millisecond)
	q.Show(func() string { return "status" })
	q.Logf("warning: %s", "x")
	q.Hide()
	if s := quiet.String(); s != "warning: x\n" {
		t.Errorf("quiet output %q, want only the log line", s)
	}

	var none *load.Progress
	none.Logf("nothing")
	none.Show(func() string { return "" })
	none.Hide()
}
