package slo

import (
	"fmt"
	"strings"
	"time"
)

// Objectives given one bound at a time (the SLO flags of ccgw report) and
// how they take precedence over the objectives a run recorded.

// SplitBoundKey splits the key of a latency bound as its gate is named: a
// latency key ("p99"), ReadyPrefix and one ("ready_p99"), or CallsPrefix, a
// call of GatedCalls and one ("calls.signin.p99"). It returns the call
// bounded ("" for none), whether it bounds time to ready, and the latency
// key; the error names the key and what is allowed.
func SplitBoundKey(key string) (call string, ready bool, stat string, err error) {
	stat = key
	if rest, ok := strings.CutPrefix(key, ReadyPrefix); ok {
		stat, ready = rest, true
	} else if rest, ok := strings.CutPrefix(key, CallsPrefix); ok {
		c, st, ok := strings.Cut(rest, ".")
		if !ok || !IsGatedCall(c) {
			return "", false, "", fmt.Errorf("%q: want calls.CALL.KEY with CALL one of %s", key, strings.Join(GatedCalls(), ", "))
		}
		call, stat = c, st
	}
	if _, err := ParseLatencyKey(stat); err != nil {
		return "", false, "", err
	}
	return call, ready, stat, nil
}

// SetBound sets the latency bound key (as SplitBoundKey reads it) to d in
// o, replacing the same key only (Validate then refuses two keys of one
// statistic).
func (o *Objectives) SetBound(key string, d time.Duration) error {
	call, ready, stat, err := SplitBoundKey(key)
	if err != nil {
		return err
	}
	switch {
	case ready:
		setLatency(&o.Ready, stat, d)
	case call != "":
		c := o.Calls[call]
		setLatency(&c.Latency, stat, d)
		o.setCall(call, c)
	default:
		setLatency(&o.Latency, stat, d)
	}
	return nil
}

// SetCallErrorRate sets the highest allowed error rate of call, one of
// GatedCalls, to r in o.
func (o *Objectives) SetCallErrorRate(call string, r float64) error {
	if !IsGatedCall(call) {
		return fmt.Errorf("%q: want one of %s", call, strings.Join(GatedCalls(), ", "))
	}
	c := o.Calls[call]
	c.ErrorRate = &r
	o.setCall(call, c)
	return nil
}

func setLatency(m *map[string]time.Duration, k string, d time.Duration) {
	if *m == nil {
		*m = map[string]time.Duration{}
	}
	(*m)[k] = d
}

func (o *Objectives) setCall(call string, c CallObjectives) {
	if o.Calls == nil {
		o.Calls = map[string]CallObjectives{}
	}
	o.Calls[call] = c
}

// OverrideError is Reapply's error for overriding objectives that are
// invalid on their own: Err names the bound given, not the recorded ones.
type OverrideError struct{ Err error }

// Error returns Err's text.
func (e *OverrideError) Error() string { return e.Err.Error() }

// Unwrap returns Err.
func (e *OverrideError) Unwrap() error { return e.Err }

// Reapply returns the objectives a recorded run is judged by again: the
// ones it recorded (nil: none), every key over sets taking precedence
// (Override). over is validated first, on its own (an *OverrideError),
// then the result.
func Reapply(recorded *Objectives, over Objectives) (Objectives, error) {
	if err := over.Validate(); err != nil {
		return Objectives{}, &OverrideError{err}
	}
	var base Objectives
	if recorded != nil {
		base = *recorded
	}
	out := base.Override(over)
	if err := out.Validate(); err != nil {
		return Objectives{}, err
	}
	return out, nil
}
