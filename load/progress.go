package load

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Progress defaults.
const (
	// ttyInterval is how often the progress line is rewritten on a
	// terminal.
	ttyInterval = 500 * time.Millisecond
	// DefaultPlainInterval is how often a progress line is printed when the
	// output is not a terminal (CI logs).
	DefaultPlainInterval = 5 * time.Second
)

// Progress prints a run's live progress and its log lines to one writer
// (stderr): on a terminal a single line rewritten in place with \r, else a
// plain line every DefaultPlainInterval. Log lines clear the progress line
// first, so the two never mix. A nil *Progress prints nothing; a Progress
// without status (quiet) prints only log lines.
type Progress struct {
	w        io.Writer
	tty      bool
	quiet    bool
	interval time.Duration

	mu      sync.Mutex
	lineLen int // length of the progress line on screen (tty)
	status  func() string
	pinned  func() string // Pin: printed instead of status
	stop    chan struct{}
	wg      sync.WaitGroup
}

// NewProgress returns a Progress writing to w. tty selects the rewritten
// line; quiet turns progress lines off (log lines are still printed).
func NewProgress(w io.Writer, tty, quiet bool) *Progress {
	p := &Progress{w: w, tty: tty, quiet: quiet, interval: DefaultPlainInterval}
	if tty {
		p.interval = ttyInterval
	}
	return p
}

// SetInterval sets how often the status is printed (before Show).
func (p *Progress) SetInterval(d time.Duration) {
	if p != nil && d > 0 {
		p.interval = d
	}
}

// Logf prints one log line (a newline is added).
func (p *Progress) Logf(format string, args ...any) {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLocked()
	fmt.Fprintf(p.w, format+"\n", args...)
}

// clearLocked erases the progress line on a terminal.
func (p *Progress) clearLocked() {
	if p.tty && p.lineLen > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.lineLen))
		p.lineLen = 0
	}
}

// Pin makes status the line printed whenever a line is shown, instead of
// the one Show names (nil: Show's again): a distributed run's coordinator
// shows the whole run's progress where its own shard would show its part.
func (p *Progress) Pin(status func() string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.pinned = status
	p.mu.Unlock()
}

// Show starts printing status() periodically until Hide; a second Show
// replaces the status function.
func (p *Progress) Show(status func() string) {
	if p == nil || p.w == nil || p.quiet {
		return
	}
	p.mu.Lock()
	p.status = status
	running := p.stop != nil
	if !running {
		p.stop = make(chan struct{})
	}
	stop := p.stop
	p.mu.Unlock()
	if running {
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(p.interval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				p.print()
			}
		}
	}()
}

// print writes the status once.
func (p *Progress) print() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.status == nil {
		return
	}
	var line string
	if p.pinned != nil {
		line = p.pinned()
	} else {
		line = p.status()
	}
	if p.tty {
		pad := ""
		if n := p.lineLen - len(line); n > 0 {
			pad = strings.Repeat(" ", n)
		}
		fmt.Fprintf(p.w, "\r%s%s", line, pad)
		p.lineLen = len(line)
		return
	}
	fmt.Fprintln(p.w, line)
}

// Hide stops the periodic status and erases the line (on a terminal); it
// waits for the printing goroutine.
func (p *Progress) Hide() {
	if p == nil {
		return
	}
	p.mu.Lock()
	stop := p.stop
	p.stop = nil
	p.mu.Unlock()
	if stop == nil {
		return
	}
	close(stop)
	p.wg.Wait()
	p.mu.Lock()
	p.clearLocked()
	p.status = nil
	p.mu.Unlock()
}
