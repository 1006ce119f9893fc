package config

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

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
}

var (
	sloKeys      = []string{"error_rate", "min_rate_ratio", "max_contract_violations", "max_late_ratio", "saturation"}
	latencyStats = []string{"mean", "max", "p999"}
	percentileRe = regexp.MustCompile(`^p[1-9][0-9]?(\.[0-9]{1,3})?$`)
	sloHelp      = "p50, p90, p95, p99, p99.9 (or p999), any pNN or pNN.N, mean, max, " + strings.Join(sloKeys, ", ")
)

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
		func(k string) bool { return isLatencyKey(k) || slices.Contains(sloKeys, k) },
		"unknown SLO key %s (allowed: "+sloHelp+")")
	if !ok {
		return nil
	}
	s := &SLO{}
	seen := map[float64]string{} // quantile -> first key naming it
	for _, k := range m.keys {
		e, fp := m.byKey[k], join(path, k)
		switch k {
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
			if q, ok := Quantile(k); ok {
				if prev, dup := seen[q]; dup {
					p.errf(e.key, path, "%s is the same statistic as %s (line %d): keep one", quote(k), quote(prev), m.byKey[prev].key.Line)
				}
				seen[q] = k
			}
			if v, ok := p.duration(e.val, fp, false); ok {
				if s.Latency == nil {
					s.Latency = map[string]time.Duration{}
				}
				s.Latency[k] = v
			}
		}
	}
	return s
}

// clone copies s so that neither shares a map or pointer with the other.
func (s SLO) clone() SLO {
	c := SLO{
		ErrorRate: clonePtr(s.ErrorRate), MinRateRatio: clonePtr(s.MinRateRatio),
		MaxContractViolations: clonePtr(s.MaxContractViolations), MaxLateRatio: clonePtr(s.MaxLateRatio),
		Saturation: clonePtr(s.Saturation),
	}
	if s.Latency != nil {
		c.Latency = make(map[string]time.Duration, len(s.Latency))
		for k, v := range s.Latency {
			c.Latency[k] = v
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
// s's keys for the same statistic however written).
func (s *SLO) merge(o *SLO) {
	for k, v := range o.Latency {
		for old := range s.Latency {
			if sameStat(old, k) {
				delete(s.Latency, old)
			}
		}
		if s.Latency == nil {
			s.Latency = map[string]time.Duration{}
		}
		s.Latency[k] = v
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
