package slo

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Objectives are what a run is gated on. A nil pointer, a nil map or a
// missing key means "not gated", except contract violations (always gated,
// 0 allowed unless MaxContractViolations says otherwise) and generator
// saturation (gated unless Saturation is false).
type Objectives struct {
	// Latency maps a latency key (see ParseLatencyKey) to the highest
	// allowed value of that statistic of the logininfo requests.
	Latency map[string]time.Duration
	// ErrorRate is the highest allowed share of failed requests (key
	// error_rate).
	ErrorRate *float64
	// MinRateRatio is the lowest allowed achieved/requested rate (key
	// min_rate_ratio; a journey plan's is its arrivals').
	MinRateRatio *float64
	// MaxContractViolations is the most answers allowed to break the
	// contract (key max_contract_violations; nil: 0).
	MaxContractViolations *int
	// MaxLateRatio is the highest share of requests the generator may send
	// late before it counts as saturated (key max_late_ratio; nil: the
	// reports package's default).
	MaxLateRatio *float64
	// Saturation gates on generator saturation (key saturation); nil means
	// true.
	Saturation *bool
	// Ready maps a latency key to the longest allowed time to
	// softphone-ready of a journey plan's journeys. The keys are written
	// ReadyPrefix + key ("ready_p99"); the map holds them without the
	// prefix.
	Ready map[string]time.Duration
	// Calls holds the objectives of one call (key calls), by call name
	// (one of GatedCalls).
	Calls map[string]CallObjectives
}

// CallObjectives are the objectives of one call (a key under calls:).
type CallObjectives struct {
	// Latency maps a latency key to the highest allowed value of the
	// call's latency.
	Latency map[string]time.Duration
	// ErrorRate is the highest allowed share of the call's requests that
	// failed (key error_rate).
	ErrorRate *float64
}

// SaturationGated reports whether generator saturation fails the run.
func (o Objectives) SaturationGated() bool { return o.Saturation == nil || *o.Saturation }

// Clone returns a copy of o that shares no map or pointer with it.
func (o Objectives) Clone() Objectives {
	c := Objectives{
		Latency: maps.Clone(o.Latency), Ready: maps.Clone(o.Ready),
		ErrorRate: clonePtr(o.ErrorRate), MinRateRatio: clonePtr(o.MinRateRatio),
		MaxContractViolations: clonePtr(o.MaxContractViolations), MaxLateRatio: clonePtr(o.MaxLateRatio),
		Saturation: clonePtr(o.Saturation),
	}
	if o.Calls != nil {
		c.Calls = make(map[string]CallObjectives, len(o.Calls))
		for k, v := range o.Calls {
			c.Calls[k] = v.clone()
		}
	}
	return c
}

func (c CallObjectives) clone() CallObjectives {
	return CallObjectives{Latency: maps.Clone(c.Latency), ErrorRate: clonePtr(c.ErrorRate)}
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// Override returns o with every key over sets replacing o's: a latency key
// of over replaces o's key for the same statistic however written (p999 and
// p99.9), ready keys likewise, and calls call by call, key by key. Neither
// o nor over is changed, and the result shares nothing with them. A plan's
// objectives override the global ones this way.
func (o Objectives) Override(over Objectives) Objectives {
	out := o.Clone()
	overrideLatency(&out.Latency, over.Latency)
	overrideLatency(&out.Ready, over.Ready)
	for _, call := range slices.Sorted(maps.Keys(over.Calls)) {
		oc := over.Calls[call]
		if out.Calls == nil {
			out.Calls = map[string]CallObjectives{}
		}
		c := out.Calls[call]
		overrideLatency(&c.Latency, oc.Latency)
		if oc.ErrorRate != nil {
			c.ErrorRate = clonePtr(oc.ErrorRate)
		}
		out.Calls[call] = c
	}
	overridePtr(&out.ErrorRate, over.ErrorRate)
	overridePtr(&out.MinRateRatio, over.MinRateRatio)
	overridePtr(&out.MaxContractViolations, over.MaxContractViolations)
	overridePtr(&out.MaxLateRatio, over.MaxLateRatio)
	overridePtr(&out.Saturation, over.Saturation)
	return out
}

// overrideLatency sets over's latency bounds in *dst (which it owns), a key
// of over replacing every key of *dst for the same statistic.
func overrideLatency(dst *map[string]time.Duration, over map[string]time.Duration) {
	for _, k := range slices.Sorted(maps.Keys(over)) {
		for old := range *dst {
			if SameStatistic(old, k) {
				delete(*dst, old)
			}
		}
		if *dst == nil {
			*dst = map[string]time.Duration{}
		}
		(*dst)[k] = over[k]
	}
}

func overridePtr[T any](dst **T, over *T) {
	if over != nil {
		*dst = clonePtr(over)
	}
}

// Validate checks that every key is known and every bound in range: latency
// keys parse and bound with a positive duration, no two keys of one map
// name the same statistic, ratios are within 0..1, the contract violations
// allowed are not negative, and calls are GatedCalls. The error names the
// key as written in targets.yaml ("ready_p99", "calls.signin.error_rate").
func (o Objectives) Validate() error {
	if err := validateLatency("", o.Latency); err != nil {
		return err
	}
	if err := validateLatency(ReadyPrefix, o.Ready); err != nil {
		return err
	}
	for _, r := range []struct {
		key string
		v   *float64
	}{{KeyErrorRate, o.ErrorRate}, {KeyMinRateRatio, o.MinRateRatio}, {KeyMaxLateRatio, o.MaxLateRatio}} {
		if err := validateRatio(r.key, r.v); err != nil {
			return err
		}
	}
	if o.MaxContractViolations != nil && *o.MaxContractViolations < 0 {
		return fmt.Errorf("slo %s: want 0 or more, got %d", KeyMaxContractViolations, *o.MaxContractViolations)
	}
	for _, name := range slices.Sorted(maps.Keys(o.Calls)) {
		if !IsGatedCall(name) {
			return fmt.Errorf("slo %s: unknown call %q (want one of %s)", KeyCalls, name, strings.Join(GatedCalls(), ", "))
		}
		c := o.Calls[name]
		if err := validateLatency(CallsPrefix+name+".", c.Latency); err != nil {
			return err
		}
		if err := validateRatio(CallGate(name, KeyErrorRate), c.ErrorRate); err != nil {
			return err
		}
	}
	return nil
}

// validateLatency checks latency bounds whose keys are written with prefix.
func validateLatency(prefix string, m map[string]time.Duration) error {
	keys := slices.Sorted(maps.Keys(m))
	for i, k := range keys {
		if _, err := ParseLatencyKey(k); err != nil {
			return fmt.Errorf("slo %s%s: %w", prefix, k, err)
		}
		if m[k] <= 0 {
			return fmt.Errorf("slo %s%s: want a positive duration, got %s", prefix, k, m[k])
		}
		for _, prev := range keys[:i] {
			if SameStatistic(prev, k) {
				return fmt.Errorf("slo %s%s: the same statistic as %s%s: keep one", prefix, k, prefix, prev)
			}
		}
	}
	return nil
}

func validateRatio(key string, v *float64) error {
	if v != nil && !(*v >= 0 && *v <= 1) {
		return fmt.Errorf("slo %s: want a fraction in 0..1, got %g", key, *v)
	}
	return nil
}

// objectivesJSON is the meta.json form of Objectives: latency bounds as Go
// duration strings ("500ms").
type objectivesJSON struct {
	Latency               map[string]string      `json:"latency,omitempty"`
	Ready                 map[string]string      `json:"ready,omitempty"`
	Calls                 map[string]callObjJSON `json:"calls,omitempty"`
	ErrorRate             *float64               `json:"error_rate,omitempty"`
	MinRateRatio          *float64               `json:"min_rate_ratio,omitempty"`
	MaxContractViolations *int                   `json:"max_contract_violations,omitempty"`
	MaxLateRatio          *float64               `json:"max_late_ratio,omitempty"`
	Saturation            *bool                  `json:"saturation,omitempty"`
}

// callObjJSON is the meta.json form of CallObjectives.
type callObjJSON struct {
	Latency   map[string]string `json:"latency,omitempty"`
	ErrorRate *float64          `json:"error_rate,omitempty"`
}

// MarshalJSON writes o as meta.json records it, latency bounds as Go
// duration strings ("500ms").
func (o Objectives) MarshalJSON() ([]byte, error) {
	j := objectivesJSON{ErrorRate: o.ErrorRate, MinRateRatio: o.MinRateRatio,
		MaxContractViolations: o.MaxContractViolations, MaxLateRatio: o.MaxLateRatio, Saturation: o.Saturation}
	j.Latency, j.Ready = durationStrings(o.Latency), durationStrings(o.Ready)
	if len(o.Calls) > 0 {
		j.Calls = make(map[string]callObjJSON, len(o.Calls))
		for k, c := range o.Calls {
			j.Calls[k] = callObjJSON{Latency: durationStrings(c.Latency), ErrorRate: c.ErrorRate}
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the form MarshalJSON writes and validates it.
func (o *Objectives) UnmarshalJSON(b []byte) error {
	var j objectivesJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	out := Objectives{ErrorRate: j.ErrorRate, MinRateRatio: j.MinRateRatio,
		MaxContractViolations: j.MaxContractViolations, MaxLateRatio: j.MaxLateRatio, Saturation: j.Saturation}
	var err error
	if out.Latency, err = parseDurations("", j.Latency); err != nil {
		return err
	}
	if out.Ready, err = parseDurations(ReadyPrefix, j.Ready); err != nil {
		return err
	}
	for k, c := range j.Calls {
		lat, err := parseDurations(CallsPrefix+k+".", c.Latency)
		if err != nil {
			return err
		}
		if out.Calls == nil {
			out.Calls = map[string]CallObjectives{}
		}
		out.Calls[k] = CallObjectives{Latency: lat, ErrorRate: c.ErrorRate}
	}
	if err := out.Validate(); err != nil {
		return err
	}
	*o = out
	return nil
}

func durationStrings(m map[string]time.Duration) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, d := range m {
		out[k] = d.String()
	}
	return out
}

func parseDurations(prefix string, m map[string]string) (map[string]time.Duration, error) {
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[string]time.Duration, len(m))
	for k, v := range m {
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, fmt.Errorf("slo %s%s: %w", prefix, k, err)
		}
		out[k] = d
	}
	return out, nil
}
