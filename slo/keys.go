package slo

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"ccgw-harness/gateway"
)

// The keys of an objectives mapping (targets.yaml slo:) other than latency
// keys.
const (
	// KeyErrorRate bounds the share of failed requests, 0..1.
	KeyErrorRate = "error_rate"
	// KeyMinRateRatio bounds the achieved/requested rate from below, 0..1.
	KeyMinRateRatio = "min_rate_ratio"
	// KeyMaxContractViolations bounds the answers that broke the contract.
	KeyMaxContractViolations = "max_contract_violations"
	// KeyMaxLateRatio bounds the share of requests sent late, 0..1.
	KeyMaxLateRatio = "max_late_ratio"
	// KeySaturation false: a saturated generator does not fail the run.
	KeySaturation = "saturation"
	// KeyCalls holds the objectives per call, by call name.
	KeyCalls = "calls"
)

// Keys are the keys of an objectives mapping other than the latency keys,
// in the order messages list them.
var Keys = []string{KeyErrorRate, KeyMinRateRatio, KeyMaxContractViolations, KeyMaxLateRatio, KeySaturation, KeyCalls}

// LatencyKeysHelp lists the latency keys for messages.
const LatencyKeysHelp = "p50, p90, p95, p99, p99.9 (or p999), any pNN or pNN.N, mean, max"

// ReadyPrefix starts a key, and the name of its gate, bounding a journey
// plan's time to softphone-ready: "ready_p99". The rest is a latency key.
const ReadyPrefix = "ready_"

// CallsPrefix starts the name of a call's gate: "calls.signin.p99",
// "calls.poll.error_rate" (CallGate).
const CallsPrefix = KeyCalls + "."

// Gate names that are not keys of a latency statistic. A latency gate is
// named as its key ("p99"), a ready gate ReadyPrefix + key ("ready_p99"),
// a call's gate CallGate(call, key).
const (
	// GateRequests is the gate a run with no results fails.
	GateRequests = "requests"
	// GateErrorRate is the gate of KeyErrorRate.
	GateErrorRate = KeyErrorRate
	// GateMinRateRatio is the gate of KeyMinRateRatio.
	GateMinRateRatio = KeyMinRateRatio
	// GateContractViolations is the contract gate, bounded by
	// KeyMaxContractViolations (default 0); junit.xml calls it
	// "contract violations".
	GateContractViolations = "contract_violations"
	// GateSaturation is the generator-saturation gate (see KeySaturation).
	GateSaturation = KeySaturation
)

// ReadyGate is the name of the gate of a ready objective whose latency key
// is stat: "ready_p99".
func ReadyGate(stat string) string { return ReadyPrefix + stat }

// CallGate is the name of the gate of call's objective key: "calls.signin.p99".
func CallGate(call, key string) string { return CallsPrefix + call + "." + key }

// GatedCalls are the calls objectives may bound (keys of calls:), in the
// order messages list them.
func GatedCalls() []string {
	return []string{gateway.CallSignIn, gateway.CallForceLogin, gateway.CallLoginInfo, gateway.CallPoll, gateway.CallLogout, gateway.CallUpdateGuid}
}

// IsGatedCall reports whether name is one of GatedCalls.
func IsGatedCall(name string) bool { return slices.Contains(GatedCalls(), name) }

// LatencyKey is a parsed latency key: the statistic of a latency
// distribution it names.
type LatencyKey struct {
	Name       string  // the key as written
	Mean       bool    // the mean
	Percentile float64 // 1-100 when not Mean; 100 is the maximum
}

// percentileRe is a pNN or pNN.N key: 1 to 99, up to three decimals.
var percentileRe = regexp.MustCompile(`^p([1-9][0-9]?)(\.[0-9]{1,3})?$`)

// ParseLatencyKey reads a latency key: "mean", "max", "pNN" (p50, p99),
// "pNN.N" with up to three decimals (p99.9, p99.99) or p999, which is
// p99.9.
func ParseLatencyKey(s string) (LatencyKey, error) {
	switch s {
	case "mean":
		return LatencyKey{Name: s, Mean: true}, nil
	case "max":
		return LatencyKey{Name: s, Percentile: 100}, nil
	case "p999":
		return LatencyKey{Name: s, Percentile: 99.9}, nil
	}
	m := percentileRe.FindStringSubmatch(s)
	if m == nil {
		return LatencyKey{}, fmt.Errorf("invalid latency key %q: want %s", s, LatencyKeysHelp)
	}
	p, err := strconv.ParseFloat(m[1]+m[2], 64)
	if err != nil {
		return LatencyKey{}, fmt.Errorf("invalid latency key %q: %w", s, err)
	}
	return LatencyKey{Name: s, Percentile: p}, nil
}

// IsLatencyKey reports whether ParseLatencyKey accepts s.
func IsLatencyKey(s string) bool {
	_, err := ParseLatencyKey(s)
	return err == nil
}

// IsReadyKey reports whether s is ReadyPrefix and a latency key.
func IsReadyKey(s string) bool {
	rest, ok := strings.CutPrefix(s, ReadyPrefix)
	return ok && IsLatencyKey(rest)
}

// SameStatistic reports whether two latency keys name the same statistic
// ("p999" and "p99.9", "p50" and "p50.0").
func SameStatistic(a, b string) bool {
	ka, errA := ParseLatencyKey(a)
	kb, errB := ParseLatencyKey(b)
	if errA != nil || errB != nil {
		return a == b
	}
	return ka.Mean == kb.Mean && ka.Percentile == kb.Percentile
}
