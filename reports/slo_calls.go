package reports

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"ccgw-harness/slo"
)

// extraGates evaluates the ready and per-call gates of o; the caller holds
// a.mu.
func (a *Aggregator) extraGates(o slo.Objectives) []Gate {
	var gs []Gate
	for _, l := range sortedLatencyKeys(o.Ready) {
		g := Gate{Name: slo.ReadyGate(l.key.Name), Threshold: durMS(l.max), Op: "<=", Unit: "ms"}
		switch {
		case a.j.started == 0:
			g.Pass, g.Skipped, g.Detail = true, true, "no journeys in this run"
		case a.j.ready.n == 0:
			g.Detail = fmt.Sprintf("none of %d journeys got a valid token", a.j.started)
		default:
			g.Actual = a.j.ready.at(l.key)
			g.Pass = g.Actual <= g.Threshold
		}
		gs = append(gs, g)
	}
	for _, name := range slices.Sorted(maps.Keys(o.Calls)) {
		c := o.Calls[name]
		var st *callStats
		if slo.IsGatedCall(name) {
			st = a.callStatsOf(callIndex(name))
		}
		skip := func(g Gate) Gate {
			if st == nil || st.lat.n == 0 {
				g.Pass, g.Skipped, g.Detail = true, true, "no "+name+" calls in this run"
			}
			return g
		}
		for _, l := range sortedLatencyKeys(c.Latency) {
			g := Gate{Name: slo.CallGate(name, l.key.Name), Threshold: durMS(l.max), Op: "<=", Unit: "ms"}
			if st != nil && st.lat.n > 0 {
				g.Actual = st.lat.at(l.key)
				g.Pass = g.Actual <= g.Threshold
			}
			gs = append(gs, skip(g))
		}
		if c.ErrorRate != nil {
			g := Gate{Name: slo.CallGate(name, slo.KeyErrorRate), Threshold: *c.ErrorRate, Op: "<=", Unit: "ratio"}
			if st != nil && st.lat.n > 0 {
				g.Actual = round(float64(st.errors)/float64(st.lat.n), 6)
				g.Pass = g.Actual <= g.Threshold
			}
			gs = append(gs, skip(g))
		}
	}
	return gs
}

// keyedLatency is a parsed latency gate.
type keyedLatency struct {
	key slo.LatencyKey
	max time.Duration
}

// sortedLatencyKeys parses latency gates (unparsable keys are left out:
// Validate refuses them) and sorts them mean first, then by percentile.
func sortedLatencyKeys(m map[string]time.Duration) []keyedLatency {
	var out []keyedLatency
	for k, d := range m {
		if key, err := slo.ParseLatencyKey(k); err == nil {
			out = append(out, keyedLatency{key, d})
		}
	}
	slices.SortFunc(out, func(a, b keyedLatency) int {
		pa, pb := a.key.Percentile, b.key.Percentile
		if a.key.Mean {
			pa = -1
		}
		if b.key.Mean {
			pb = -1
		}
		if c := cmpFloat(pa, pb); c != 0 {
			return c
		}
		return strings.Compare(a.key.Name, b.key.Name)
	})
	return out
}

// insertGates puts extra before the first gate named before (at the end
// when there is none).
func insertGates(gs []Gate, before string, extra []Gate) []Gate {
	if len(extra) == 0 {
		return gs
	}
	i := slices.IndexFunc(gs, func(g Gate) bool { return g.Name == before })
	if i < 0 {
		return append(gs, extra...)
	}
	return slices.Concat(gs[:i:i], extra, gs[i:])
}
