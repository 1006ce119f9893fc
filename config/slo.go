package config

import (
	"slices"
	"strings"
	"time"

	"ccgw-harness/slo"

	"go.yaml.in/yaml/v3"
)

var (
	sloHelp     = slo.LatencyKeysHelp + ", the same with " + slo.ReadyPrefix + " (ready_p99...), " + strings.Join(slo.Keys, ", ")
	callSLOHelp = slo.LatencyKeysHelp + ", " + slo.KeyErrorRate
)

// slo reads an objectives mapping (key slo, globally and per plan) into
// slo.Objectives; every mistake is an error naming the file, line and
// field.
func (p *parser) slo(n *yaml.Node, path string) *slo.Objectives {
	m, ok := p.mappingFunc(n, path, "a mapping of objectives ("+sloHelp+")",
		func(k string) bool { return slo.IsLatencyKey(k) || slo.IsReadyKey(k) || slices.Contains(slo.Keys, k) },
		"unknown SLO key %s (allowed: "+sloHelp+")")
	if !ok {
		return nil
	}
	s := &slo.Objectives{}
	seen := map[string]string{} // statistic -> the key naming it
	seenReady := map[string]string{}
	for _, k := range m.keys {
		e, fp := m.byKey[k], join(path, k)
		if slo.IsReadyKey(k) {
			p.latencyGate(m, e, path, k, strings.TrimPrefix(k, slo.ReadyPrefix), seenReady, &s.Ready)
			continue
		}
		switch k {
		case slo.KeyCalls:
			s.Calls = p.callSLOs(e.val, fp)
		case slo.KeyErrorRate:
			if v, ok := p.fraction(e.val, fp); ok {
				s.ErrorRate = &v
			}
		case slo.KeyMinRateRatio:
			if v, ok := p.fraction(e.val, fp); ok {
				s.MinRateRatio = &v
			}
		case slo.KeyMaxLateRatio:
			if v, ok := p.fraction(e.val, fp); ok {
				s.MaxLateRatio = &v
			}
		case slo.KeyMaxContractViolations:
			if v, ok := p.integer(e.val, fp, 0, 1<<31-1); ok {
				s.MaxContractViolations = &v
			}
		case slo.KeySaturation:
			if v, ok := p.boolean(e.val, fp); ok {
				s.Saturation = &v
			}
		default: // a latency key
			p.latencyGate(m, e, path, k, k, seen, &s.Latency)
		}
	}
	return s
}

// latencyGate reads one latency bound of key k (statistic stat) into *dst,
// refusing a second key for the same statistic (seen maps a statistic to
// the key that named it).
func (p *parser) latencyGate(m fields, e entry, path, k, stat string, seen map[string]string, dst *map[string]time.Duration) {
	for prevStat, prev := range seen {
		if slo.SameStatistic(prevStat, stat) {
			p.errf(e.key, path, "%s is the same statistic as %s (line %d): keep one", quote(k), quote(prev), m.byKey[prev].key.Line)
			break
		}
	}
	seen[stat] = k
	if v, ok := p.duration(e.val, join(path, k), false); ok {
		if *dst == nil {
			*dst = map[string]time.Duration{}
		}
		(*dst)[stat] = v
	}
}

// callSLOs reads slo.calls: {CALL: {pNN: D, error_rate: R}, ...}.
func (p *parser) callSLOs(n *yaml.Node, path string) map[string]slo.CallObjectives {
	m, ok := p.mapping(n, path, slo.GatedCalls())
	if !ok {
		return nil
	}
	out := map[string]slo.CallObjectives{}
	for _, call := range m.keys {
		e, cp := m.byKey[call], join(path, call)
		cm, ok := p.mappingFunc(e.val, cp, "a mapping of objectives ("+callSLOHelp+")",
			func(k string) bool { return slo.IsLatencyKey(k) || k == slo.KeyErrorRate },
			"unknown key %s of a call's objectives (allowed: "+callSLOHelp+")")
		if !ok {
			continue
		}
		var c slo.CallObjectives
		seen := map[string]string{}
		for _, k := range cm.keys {
			ce := cm.byKey[k]
			if k == slo.KeyErrorRate {
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
