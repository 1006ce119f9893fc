package slo

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"ccgw-harness/gateway"
)

func ptr[T any](v T) *T { return &v }

// TestParseLatencyKey: the one grammar of latency keys, in targets.yaml,
// meta.json and ccgw report's flags alike.
func TestParseLatencyKey(t *testing.T) {
	good := map[string]LatencyKey{
		"p50":     {Name: "p50", Percentile: 50},
		"p5":      {Name: "p5", Percentile: 5},
		"p99":     {Name: "p99", Percentile: 99},
		"p99.9":   {Name: "p99.9", Percentile: 99.9},
		"p999":    {Name: "p999", Percentile: 99.9},
		"p99.99":  {Name: "p99.99", Percentile: 99.99},
		"p99.999": {Name: "p99.999", Percentile: 99.999},
		"mean":    {Name: "mean", Mean: true},
		"max":     {Name: "max", Percentile: 100},
	}
	for in, want := range good {
		if got, err := ParseLatencyKey(in); err != nil || got != want {
			t.Errorf("ParseLatencyKey(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "p", "p0", "p05", "p100", "p101", "p950", "p9999", "p99.", "p99.9999", "P99", " p99", "median",
		"p-5", "p1e2", "p99.9.9", "99", "error_rate", "ready_p99"} {
		if k, err := ParseLatencyKey(in); err == nil {
			t.Errorf("ParseLatencyKey(%q) = %+v, want an error", in, k)
		} else if !strings.Contains(err.Error(), LatencyKeysHelp) {
			t.Errorf("ParseLatencyKey(%q): %v does not list the keys", in, err)
		}
	}
	if !IsReadyKey("ready_p99.9") || IsReadyKey("ready_median") || IsReadyKey("p99") {
		t.Error("IsReadyKey")
	}
	for a, b := range map[string]string{"p999": "p99.9", "p50": "p50.0", "max": "max", "mean": "mean"} {
		if !SameStatistic(a, b) {
			t.Errorf("SameStatistic(%s, %s) = false", a, b)
		}
	}
	for a, b := range map[string]string{"p99": "p99.9", "mean": "p50", "max": "p99.999"} {
		if SameStatistic(a, b) {
			t.Errorf("SameStatistic(%s, %s) = true", a, b)
		}
	}
}

// full is objectives with every key set.
func full() Objectives {
	return Objectives{
		Latency:   map[string]time.Duration{"p50": 50 * time.Millisecond, "p99.9": 2 * time.Second, "mean": 40 * time.Millisecond, "max": 5 * time.Second},
		ErrorRate: ptr(0.01), MinRateRatio: ptr(0.9), MaxContractViolations: ptr(3), MaxLateRatio: ptr(0.05), Saturation: ptr(true),
		Ready: map[string]time.Duration{"p99": 5 * time.Second, "p50": time.Second},
		Calls: map[string]CallObjectives{
			gateway.CallSignIn: {Latency: map[string]time.Duration{"p99": 2 * time.Second}, ErrorRate: ptr(0.01)},
			gateway.CallLogout: {ErrorRate: ptr(0.01)},
		},
	}
}

// TestOverride: the plan's keys replace the global ones key by key (a
// statistic however written, calls call by call), and the result shares
// nothing with either.
func TestOverride(t *testing.T) {
	global := full()
	plan := Objectives{
		Latency:   map[string]time.Duration{"p999": time.Second, "p99": 200 * time.Millisecond},
		ErrorRate: ptr(0.005), Saturation: ptr(false),
		Ready: map[string]time.Duration{"p99.0": 3 * time.Second},
		Calls: map[string]CallObjectives{
			gateway.CallSignIn: {Latency: map[string]time.Duration{"p50": time.Second}},
			gateway.CallPoll:   {ErrorRate: ptr(0.1)},
		},
	}
	got := global.Override(plan)
	want := Objectives{
		Latency:   map[string]time.Duration{"p50": 50 * time.Millisecond, "p999": time.Second, "p99": 200 * time.Millisecond, "mean": 40 * time.Millisecond, "max": 5 * time.Second},
		ErrorRate: ptr(0.005), MinRateRatio: ptr(0.9), MaxContractViolations: ptr(3), MaxLateRatio: ptr(0.05), Saturation: ptr(false),
		Ready: map[string]time.Duration{"p99.0": 3 * time.Second, "p50": time.Second},
		Calls: map[string]CallObjectives{
			gateway.CallSignIn: {Latency: map[string]time.Duration{"p99": 2 * time.Second, "p50": time.Second}, ErrorRate: ptr(0.01)},
			gateway.CallLogout: {ErrorRate: ptr(0.01)},
			gateway.CallPoll:   {ErrorRate: ptr(0.1)},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Override\n got %+v\nwant %+v", got, want)
	}
	got.Latency["p50"], got.Ready["p50"] = time.Hour, time.Hour
	got.Calls[gateway.CallSignIn].Latency["p99"] = time.Hour
	*got.Calls[gateway.CallLogout].ErrorRate = 1
	*got.ErrorRate, *got.MinRateRatio = 1, 0
	*got.Calls[gateway.CallPoll].ErrorRate = 1
	if !reflect.DeepEqual(global, full()) || *plan.ErrorRate != 0.005 || *plan.Calls[gateway.CallPoll].ErrorRate != 0.1 {
		t.Error("Override's result shares state with its inputs")
	}
	if c := global.Clone(); !reflect.DeepEqual(c, global) {
		t.Errorf("Clone %+v", c)
	}
	if got := (Objectives{}).Override(Objectives{}); !reflect.DeepEqual(got, Objectives{}) {
		t.Errorf("empty Override = %+v", got)
	}
}

// TestValidateAndJSON: meta.json's form round-trips every key, and
// Validate names a bad key as targets.yaml writes it.
func TestValidateAndJSON(t *testing.T) {
	o := full()
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var back Objectives
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, o) {
		t.Errorf("round trip %s: %+v, %v", b, back, err)
	}
	for want, bad := range map[string]Objectives{
		"slo p99: want a positive duration":                {Latency: map[string]time.Duration{"p99": 0}},
		`slo p42x: invalid latency key "p42x"`:             {Latency: map[string]time.Duration{"p42x": time.Second}},
		"slo p999: the same statistic as p99.9":            {Latency: map[string]time.Duration{"p999": time.Second, "p99.9": time.Second}},
		"slo error_rate: want a fraction in 0..1, got 1.5": {ErrorRate: ptr(1.5)},
		"slo min_rate_ratio:":                              {MinRateRatio: ptr(1.2)},
		"slo max_late_ratio:":                              {MaxLateRatio: ptr(-0.1)},
		"slo max_contract_violations: want 0 or more":      {MaxContractViolations: ptr(-1)},
		`slo ready_p0: invalid latency key "p0"`:           {Ready: map[string]time.Duration{"p0": time.Second}},
		"slo ready_p99: want a positive duration":          {Ready: map[string]time.Duration{"p99": 0}},
		`slo calls: unknown call "other"`:                  {Calls: map[string]CallObjectives{"other": {}}},
		`slo calls: unknown call "signon"`:                 {Calls: map[string]CallObjectives{"signon": {}}},
		"slo calls.poll.error_rate: want a fraction":       {Calls: map[string]CallObjectives{gateway.CallPoll: {ErrorRate: ptr(1.5)}}},
		`slo calls.poll.median: invalid latency key`:       {Calls: map[string]CallObjectives{gateway.CallPoll: {Latency: map[string]time.Duration{"median": time.Second}}}},
	} {
		err := bad.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Validate(%+v) = %v, want %s...", bad, err, want)
		}
		b, _ := json.Marshal(bad)
		if err := json.Unmarshal(b, &back); err == nil {
			t.Errorf("UnmarshalJSON(%s) accepted it", b)
		}
	}
}

// TestCheckMode: ready keys are refused outside a journey plan, calls in a
// capacity search; the error names the key.
func TestCheckMode(t *testing.T) {
	ready := Objectives{Ready: map[string]time.Duration{"p99": time.Second, "p50": time.Second}}
	calls := Objectives{Calls: map[string]CallObjectives{gateway.CallSignIn: {Latency: map[string]time.Duration{"p99": time.Second}}}}
	callRate := Objectives{Calls: map[string]CallObjectives{gateway.CallLogout: {ErrorRate: ptr(0.0)}}}
	top := Objectives{Latency: map[string]time.Duration{"p99": time.Second}, ErrorRate: ptr(0.01), MinRateRatio: ptr(0.9)}
	for _, c := range []struct {
		o    Objectives
		m    Mode
		want string // "" accepted
	}{
		{top, ModeRate, ""}, {top, ModeJourney, ""}, {top, ModeCapacity, ""},
		{ready, ModeJourney, ""},
		{ready, ModeRate, "objective ready_p50 has no meaning in a plan without journey"},
		{ready, ModeCapacity, "objective ready_p50 has no meaning in a capacity search"},
		{calls, ModeRate, ""}, {calls, ModeJourney, ""},
		{calls, ModeCapacity, "objective calls.signin.p99 has no meaning in a capacity search"},
		{callRate, ModeCapacity, "objective calls.logout.error_rate has no meaning in a capacity search"},
	} {
		err := c.o.CheckMode(c.m)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v in %s: %v", c.o, c.m, err)
		case c.want != "" && (err == nil || !strings.HasPrefix(err.Error(), c.want)):
			t.Errorf("%+v in %s: %v, want %s...", c.o, c.m, err, c.want)
		}
	}
}

// TestGateNames: the gates of ready and call objectives are named as
// targets.yaml writes the keys.
func TestGateNames(t *testing.T) {
	if ReadyGate("p99") != "ready_p99" || CallGate("signin", "p99") != "calls.signin.p99" || CallGate("poll", KeyErrorRate) != "calls.poll.error_rate" {
		t.Error("gate names")
	}
	if strings.Join(GatedCalls(), ",") != "signin,forcelogin,logininfo,poll,logout,updateguid" || IsGatedCall(gateway.CallOther) {
		t.Errorf("GatedCalls %v", GatedCalls())
	}
}
