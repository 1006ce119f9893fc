package slo

import (
	"fmt"
	"maps"
	"slices"
)

// Mode is the kind of run objectives judge. Some keys mean nothing in some
// modes (see CheckMode).
type Mode int

const (
	// ModeRate is ccgw load with a plan without journey: logininfo at a
	// rate (or a concurrency) from agents signed in once.
	ModeRate Mode = iota
	// ModeJourney is ccgw load with a journey plan: every arrival an
	// agent's sign-in, logininfo, polls and sign-out.
	ModeJourney
	// ModeCapacity is a step of ccgw capacity: logininfo at one constant
	// rate, judged on that step's logininfo results alone.
	ModeCapacity
)

// String names the mode as messages do.
func (m Mode) String() string {
	switch m {
	case ModeRate:
		return "a plan without journey"
	case ModeJourney:
		return "a journey plan"
	case ModeCapacity:
		return "a capacity search"
	}
	return fmt.Sprintf("mode %d", int(m))
}

// CheckMode refuses an objective that would mean nothing in a run of mode
// m, rather than let it pass unjudged: a ready key (ready_p99) outside a
// journey plan, whose runs have no journeys; and any calls: key in a
// capacity search, whose steps are judged on their logininfo results alone.
// The error names the first such key as targets.yaml writes it.
func (o Objectives) CheckMode(m Mode) error {
	if ks := sortedKeys(o.Ready); len(ks) > 0 && m != ModeJourney {
		return fmt.Errorf("objective %s has no meaning in %s: it bounds the time from a journey's sign-in to its softphone token, and only a journey plan (key journey) runs journeys; gate it in a journey plan's slo", ReadyGate(ks[0]), m)
	}
	if calls := sortedKeys(o.Calls); len(calls) > 0 && m == ModeCapacity {
		c, key := o.Calls[calls[0]], KeyCalls+"."+calls[0]
		if ks := sortedKeys(c.Latency); len(ks) > 0 {
			key = CallGate(calls[0], ks[0])
		} else if c.ErrorRate != nil {
			key = CallGate(calls[0], KeyErrorRate)
		}
		return fmt.Errorf("objective %s has no meaning in %s: a step is judged on its logininfo results alone (bound them with the top-level keys, e.g. p99 or error_rate)", key, m)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
