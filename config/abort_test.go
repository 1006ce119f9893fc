package config

import (
	"strings"
	"testing"
	"time"
)

// TestAbortWhen: a plan's abort_when lands in Plan.AbortWhen (window
// defaulting to DefaultAbortWindow), a plan copy owns its own, and every
// mistake is named by file, line and field.
func TestAbortWhen(t *testing.T) {
	f := mustParse(t, "t.yaml", withBase("plans:",
		`  a: {agents: 2, rate: 10, duration: 40s, abort_when: {error_rate: "20%", window: 2s}}`,
		`  b: {agents: 2, rate: 10, duration: 40s, abort_when: {p99: 800ms}}`,
		`  c: {agents: 2, rate: 10, duration: 40s, abort_when: {error_rate: 0.05, p99: 1s, window: 30s}}`))
	a, _ := f.Plan("a")
	if a.AbortWhen == nil || a.AbortWhen.ErrorRate == nil || *a.AbortWhen.ErrorRate != 0.2 || a.AbortWhen.P99 != 0 || a.AbortWhen.Window != 2*time.Second {
		t.Errorf("a: %+v", a.AbortWhen)
	}
	b, _ := f.Plan("b")
	if b.AbortWhen == nil || b.AbortWhen.ErrorRate != nil || b.AbortWhen.P99 != 800*time.Millisecond || b.AbortWhen.Window != DefaultAbortWindow {
		t.Errorf("b: %+v", b.AbortWhen)
	}
	c, _ := f.Plan("c")
	if c.AbortWhen == nil || *c.AbortWhen.ErrorRate != 0.05 || c.AbortWhen.P99 != time.Second || c.AbortWhen.Window != 30*time.Second {
		t.Errorf("c: %+v", c.AbortWhen)
	}
	*a.AbortWhen.ErrorRate = 0.9
	if again, _ := f.Plan("a"); *again.AbortWhen.ErrorRate != 0.2 {
		t.Error("a plan copy shares its abort_when with the file")
	}

	for _, c := range []struct{ line, want string }{
		{`abort_when: {}`, `t.yaml:4: plans.p.abort_when: want error_rate, p99 or both`},
		{`abort_when: {window: 5s}`, `t.yaml:4: plans.p.abort_when: want error_rate, p99 or both`},
		{`abort_when: {error_rate: "100%"}`, `t.yaml:4: plans.p.abort_when.error_rate: error_rate "100%" would never be broken`},
		{`abort_when: {error_rate: 2}`, `t.yaml:4: plans.p.abort_when.error_rate: "2" is outside 0..1`},
		{`abort_when: {p99: 0s}`, `t.yaml:4: plans.p.abort_when.p99: duration must be above 0`},
		{`abort_when: {p99: 1s, window: 500ms}`, `t.yaml:4: plans.p.abort_when.window: window 500ms: want whole seconds`},
		{`abort_when: {p99: 1s, window: 1500ms}`, `t.yaml:4: plans.p.abort_when.window: window 1.5s: want whole seconds`},
		{`abort_when: {p99: 1s, windows: 2s}`, `t.yaml:4: plans.p.abort_when: unknown key "windows" (allowed: error_rate, p99, window)`},
		{`abort_when: 20%`, `t.yaml:4: plans.p.abort_when: want a mapping with keys error_rate, p99, window, got string`},
	} {
		_, err := Parse("t.yaml", withBase("plans:", "  p: {agents: 2, rate: 10, duration: 40s, "+c.line+"}"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.line, err, c.want)
		}
	}
	_, err := Parse("t.yaml", withBase("plans:", "  p: {agents: 2, capacity: {start: 10, max: 100, step: 10s}, abort_when: {p99: 1s}}"))
	if err == nil || !strings.Contains(err.Error(), "plans.p.abort_when: a capacity plan judges each step by its SLO") {
		t.Errorf("abort_when on a capacity plan: %v", err)
	}
}
