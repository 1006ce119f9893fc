package config

import (
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"ccgw-harness/gateway"

	"go.yaml.in/yaml/v3"
)

// SLO is a set of objectives a load run is gated on (key slo, globally and
// per plan). A nil pointer or a missing Latency key means "not gated".
type SLO struct {
	// Latency maps a statistic to its upper bound. Keys as written in the
	// YAML: "p50", "p90", "p95", "p99", "p99.9" (or "p999"), any "pNN" or
	// "pNN.N", "mean" and "max". Quantile maps a key to its quantile.
	Latency map[string]time.Duration

	ErrorRate             *float64 // key error_rate: highest share of failed requests, 0..1 (or "1%")
	MinRateRatio          *float64 // key min_rate_ratio: lowest achieved/requested rate, 0..1
	MaxContractViolations *int     // key max_contract_violations: most answers that broke the contract
	MaxLateRatio          *float64 // key max_late_ratio: highest share of requests sent late (client lag), 0..1
	Saturation            *bool    // key saturation: false fails a run whose load generator saturated; true accepts it

	// Ready maps a latency statistic (as Latency: "p99", "p50", "mean",
	// "max"...) to the longest allowed time to softphone-ready of a journey
	// plan. Keys as written in the YAML: "ready_p99", "ready_p50"...; the map
	// holds them without the "ready_" prefix.
	Ready map[string]time.Duration
	// Calls holds gates on one call's figures (key calls), by call name:
	// signin, forcelogin, logininfo, poll, logout, updateguid.
	Calls map[string]CallSLO
}

// CallSLO is the gates on one call (a key under slo.calls).
type CallSLO struct {
	Latency   map[string]time.Duration // latency statistics, as SLO.Latency
	ErrorRate *float64                 // key error_rate: highest share of the call's requests that failed
}

// ReadyPrefix starts an SLO key that gates time to softphone-ready.
const ReadyPrefix = "ready_"

// GatedCalls are the call names slo.calls accepts.
var GatedCalls = []string{gateway.CallSignIn, gateway.CallForceLogin, gateway.CallLoginInfo, gateway.CallPoll, gateway.CallLogout, gateway.CallUpdateGuid}

var (
	sloKeys      = []string{"error_rate", "min_rate_ratio", "max_contract_violations", "max_late_ratio", "saturation", "calls"}
	latencyStats = []string{"mean", "max", "p999"}
	percentileRe = regexp.MustCompile(`^p[1-9][0-9]?(\.[0-9]{1,3})?$`)
	sloHelp      = "p50, p90, p95, p99, p99.9 (or p999), any pNN or pNN.N, mean, max, the same with ready_ (ready_p99...), " + strings.Join(sloKeys, ", ")
	callSLOHelp  = "p50, p90, p95, p99, p99.9 (or p999), any pNN or pNN.N, mean, max, error_rate"
)

// isReadyKey reports whether k is "ready_" and a latency key.
func isReadyKey(k string) bool {
	rest, ok := strings.CutPrefix(k, ReadyPrefix)
	return ok && isLatencyKey(rest)
}

// Quantile returns the quantile a latency key stands for: "p99" 0.99,
// "p99.9" and "p999" 0.999, "max" 1. It returns false for "mean" and for
// anything that is not a latency key.
func Quantile(key string) (float64, bool) {
	switch {
	case key == "max":
		return 1, true
	case key == "p999":
		return 0.999, true
	case percentileRe.MatchString(key):
		// Shift the decimal point in the text, not in floating point, so
		// that "p99.9" gives exactly the float 0.999 as "p999" does.
		whole, frac, _ := strings.Cut(key[1:], ".")
		if len(whole) == 1 {
			whole = "0" + whole
		}
		v, err := strconv.ParseFloat("0."+whole+frac, 64)
		return v, err == nil
	}
	return 0, false
}

func isLatencyKey(k string) bool {
	return slices.Contains(latencyStats, k) || percentileRe.MatchString(k)
}

// sameStat reports whether two latency keys name the same statistic
// ("p999" and "p99.9", "p50" and "p50.0").
func sameStat(a, b string) bool {
	if a == b {
		return true
	}
	qa, okA := Quantile(a)
	qb, okB := Quantile(b)
	return okA && okB && qa == qb
}

func (p *parser) slo(n *yaml.Node, path string) *SLO {
	m, ok := p.mappingFunc(n, path, "a mapping of objectives ("+sloHelp+")",
		func(k string) bool { return isLatencyKey(k) || isReadyKey(k) || slices.Contains(sloKeys, k) },
		"unknown SLO key %s (allowed: "+sloHelp+")")
	if !ok {
		return nil
	}
	s := &SLO{}
	seen := map[float64]string{} // quantile -> first key naming it
	seenReady := map[float64]string{}
	for _, k := range m.keys {
		e, fp := m.byKey[k], join(path, k)
		if isReadyKey(k) {
			stat := strings.TrimPrefix(k, ReadyPrefix)
			p.latencyGate(m, e, path, k, stat, seenReady, &s.Ready)
			continue
		}
		switch k {
		case "calls":
			s.Calls = p.callSLOs(e.val, fp)
		case "error_rate":
			if v, ok := p.fraction(e.val, fp); ok {
				s.ErrorRate = &v
			}
		case "min_rate_ratio":
			if v, ok := p.fraction(e.val, fp); ok {
				s.MinRateRatio = &v
			}
		case "max_late_ratio":
			if v, ok := p.fraction(e.val, fp); ok {
				s.MaxLateRatio = &v
			}
		case "max_contract_violations":
			if v, ok := p.integer(e.val, fp, 0, 1<<31-1); ok {
				s.MaxContractViolations = &v
			}
		case "saturation":
			if v, ok := p.boolean(e.val, fp); ok {
				s.Saturation = &v
			}
		default: // a latency key
			p.latencyGate(m, e, path, k, k, seen, &s.Latency)
		}
	}
	return s
}

// latencyGate reads one latency gate of key k (statistic stat) into *dst,
// refusing a second key for the same statistic (seen maps a quantile to
// the key that named it first).
func (p *parser) latencyGate(m fields, e entry, path, k, stat string, seen map[float64]string, dst *map[string]time.Duration) {
	if q, ok := Quantile(stat); ok {
		if prev, dup := seen[q]; dup {
			p.errf(e.key, path, "%s is the same statistic as %s (line %d): keep one", quote(k), quote(prev), m.byKey[prev].key.Line)
		}
		seen[q] = k
	}
	if v, ok := p.duration(e.val, join(path, k), false); ok {
		if *dst == nil {
			*dst = map[string]time.Duration{}
		}
		(*dst)[stat] = v
	}
}

// callSLOs reads slo.calls: {CALL: {pNN: D, error_rate: R}, ...}.
func (p *parser) callSLOs(n *yaml.Node, path string) map[string]CallSLO {
	m, ok := p.mapping(n, path, GatedCalls)
	if !ok {
		return nil
	}
	out := map[string]CallSLO{}
	for _, call := range m.keys {
		e, cp := m.byKey[call], join(path, call)
		cm, ok := p.mappingFunc(e.val, cp, "a mapping of objectives ("+callSLOHelp+")",
			func(k string) bool { return isLatencyKey(k) || k == "error_rate" },
			"unknown key %s of a call's objectives (allowed: "+callSLOHelp+")")
		if !ok {
			continue
		}
		var c CallSLO
		seen := map[float64]string{}
		for _, k := range cm.keys {
			ce := cm.byKey[k]
			if k == "error_rate" {
				if v, ok := p.fraction(ce.val, join(cp, k)); ok {
					c.ErrorRate = &v
				}
				continue
			}
			p.latencyGate(cm, ce, cp, k, k, seen, &c.Latency)
		}
		out[call] = c
	}
	return out
}

// mergeLatency overrides *dst's latency gates with o's, a key of o
// replacing every key of *dst for the same statistic.
func mergeLatency(dst *map[string]time.Duration, o map[string]time.Duration) {
	for k, v := range o {
		for old := range *dst {
			if sameStat(old, k) {
				delete(*dst, old)
			}
		}
		if *dst == nil {
			*dst = map[string]time.Duration{}
		}
		(*dst)[k] = v
	}
}

// clone copies s so that neither shares a map or pointer with the other.
func (s SLO) clone() SLO {
	c := SLO{
		ErrorRate: clonePtr(s.ErrorRate), MinRateRatio: clonePtr(s.MinRateRatio),
		MaxContractViolations: clonePtr(s.MaxContractViolations), MaxLateRatio: clonePtr(s.MaxLateRatio),
		Saturation: clonePtr(s.Saturation),
	}
	c.Latency, c.Ready = maps.Clone(s.Latency), maps.Clone(s.Ready)
	if s.Calls != nil {
		c.Calls = make(map[string]CallSLO, len(s.Calls))
		for k, v := range s.Calls {
			c.Calls[k] = CallSLO{Latency: maps.Clone(v.Latency), ErrorRate: clonePtr(v.ErrorRate)}
		}
	}
	return c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// merge overrides s key by key with what o sets (o's latency keys replace
// s's keys for the same statistic however written; per call, key by key).
func (s *SLO) merge(o *SLO) {
	mergeLatency(&s.Latency, o.Latency)
	mergeLatency(&s.Ready, o.Ready)
	for call, oc := range o.Calls {
		if s.Calls == nil {
			s.Calls = map[string]CallSLO{}
		}
		c := s.Calls[call]
		c.Latency = maps.Clone(c.Latency)
		mergeLatency(&c.Latency, oc.Latency)
		if oc.ErrorRate != nil {
			c.ErrorRate = clonePtr(oc.ErrorRate)
		}
		s.Calls[call] = c
	}
	if o.ErrorRate != nil {
		s.ErrorRate = clonePtr(o.ErrorRate)
	}
	if o.MinRateRatio != nil {
		s.MinRateRatio = clonePtr(o.MinRateRatio)
	}
	if o.MaxContractViolations != nil {
		s.MaxContractViolations = clonePtr(o.MaxContractViolations)
	}
	if o.MaxLateRatio != nil {
		s.MaxLateRatio = clonePtr(o.MaxLateRatio)
	}
	if o.Saturation != nil {
		s.Saturation = clonePtr(o.Saturation)
	}
}
