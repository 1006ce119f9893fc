package config

import (
	"time"

	"go.yaml.in/yaml/v3"
)

// Bounds of a plan's abort_when.
const (
	// DefaultAbortWindow is abort_when's window when the key is absent.
	DefaultAbortWindow = 10 * time.Second
	// MinAbortWindow is the shortest window: the rule is judged every
	// second, over whole seconds.
	MinAbortWindow = time.Second
)

// AbortWhen is a plan's abort_when block: the run stops early (every
// generator stops its attack, signs its agents out and writes its reports;
// the verdict fails its abort_when gate) as soon as the figures of the
// last Window, all generators together, break it. At least one of
// ErrorRate and P99 is set.
type AbortWhen struct {
	// ErrorRate is key error_rate: stop when more than this share of the
	// window's requests failed (0.2 or "20%"); nil: not judged.
	ErrorRate *float64
	// P99 is key p99: stop when the window's 99th percentile latency is
	// above it; 0: not judged.
	P99 time.Duration
	// Window is key window: how far back the figures are judged, default
	// DefaultAbortWindow. The rule is first judged once the measured
	// attack has run a whole window.
	Window time.Duration
}

var abortKeys = []string{"error_rate", "p99", "window"}

func (p *parser) abortWhen(n *yaml.Node, path string) *AbortWhen {
	m, ok := p.mapping(n, path, abortKeys)
	if !ok {
		return nil
	}
	a := &AbortWhen{Window: DefaultAbortWindow}
	_, hasRate := m.get("error_rate")
	_, hasP99 := m.get("p99")
	if !hasRate && !hasP99 {
		p.errf(m.node, path, "want error_rate, p99 or both: when the run stops (e.g. abort_when: {error_rate: \"20%%\", window: 10s})")
	}
	if e, ok := m.get("error_rate"); ok {
		if v, ok := p.fraction(e.val, join(path, "error_rate")); ok {
			if v >= 1 {
				p.errf(e.val, join(path, "error_rate"), "error_rate %s would never be broken: want a share below 100%% (\"20%%\", 0.2)", quote(deref(e.val).Value))
			} else {
				a.ErrorRate = &v
			}
		}
	}
	if e, ok := m.get("p99"); ok {
		a.P99, _ = p.planDuration(e.val, join(path, "p99"), false)
	}
	if e, ok := m.get("window"); ok {
		if v, ok := p.planDuration(e.val, join(path, "window"), false); ok {
			if v < MinAbortWindow || v%time.Second != 0 {
				p.errf(e.val, join(path, "window"), "window %v: want whole seconds, at least %v (the rule is judged every second)", v, MinAbortWindow)
			} else {
				a.Window = v
			}
		}
	}
	return a
}
