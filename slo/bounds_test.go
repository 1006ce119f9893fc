package slo

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"ccgw-harness/gateway"
)

func TestSplitBoundKey(t *testing.T) {
	for _, c := range []struct {
		key, call, stat string
		ready           bool
	}{
		{"p99", "", "p99", false},
		{"p99.99", "", "p99.99", false},
		{"ready_p50", "", "p50", true},
		{"calls.signin.p99", gateway.CallSignIn, "p99", false},
		{"calls.poll.mean", gateway.CallPoll, "mean", false},
	} {
		call, ready, stat, err := SplitBoundKey(c.key)
		if err != nil || call != c.call || ready != c.ready || stat != c.stat {
			t.Errorf("%s: %q %v %q %v; want %q %v %q", c.key, call, ready, stat, err, c.call, c.ready, c.stat)
		}
	}
	for key, want := range map[string]string{
		"p77x":             `invalid latency key "p77x"`,
		"ready_soon":       `invalid latency key "soon"`,
		"calls.nosuch.p99": `"calls.nosuch.p99": want calls.CALL.KEY with CALL one of signin, forcelogin, logininfo, poll, logout, updateguid`,
		"calls.signin":     `"calls.signin": want calls.CALL.KEY`,
		"calls.signin.p0":  `invalid latency key "p0"`,
	} {
		if _, _, _, err := SplitBoundKey(key); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error saying %s", key, err, want)
		}
	}
}

func TestSetBound(t *testing.T) {
	var o Objectives
	for k, d := range map[string]time.Duration{"p99": time.Second, "ready_p99": 5 * time.Second, "calls.signin.p99": 2 * time.Second, "calls.signin.mean": time.Second} {
		if err := o.SetBound(k, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.SetCallErrorRate(gateway.CallPoll, 0.01); err != nil {
		t.Fatal(err)
	}
	if err := o.SetCallErrorRate(gateway.CallSignIn, 0.02); err != nil {
		t.Fatal(err)
	}
	want := Objectives{
		Latency: map[string]time.Duration{"p99": time.Second},
		Ready:   map[string]time.Duration{"p99": 5 * time.Second},
		Calls: map[string]CallObjectives{
			gateway.CallSignIn: {Latency: map[string]time.Duration{"p99": 2 * time.Second, "mean": time.Second}, ErrorRate: ptr(0.02)},
			gateway.CallPoll:   {ErrorRate: ptr(0.01)},
		},
	}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("got %+v\nwant %+v", o, want)
	}
	if err := o.SetBound("p1000", time.Second); err == nil {
		t.Error("SetBound p1000: no error")
	}
	if err := o.SetCallErrorRate("nosuch", 0.1); err == nil {
		t.Error("SetCallErrorRate nosuch: no error")
	}
}

// TestReapply: the bounds given take precedence over the recorded ones key
// by key; bad bounds are named as given (an OverrideError), a bad result
// as it is.
func TestReapply(t *testing.T) {
	recorded := full()
	var over Objectives
	if err := over.SetBound("p50", time.Second); err != nil {
		t.Fatal(err)
	}
	over.Saturation = ptr(false)
	got, err := Reapply(&recorded, over)
	if err != nil || got.Latency["p50"] != time.Second || *got.Saturation || got.Latency["max"] != 5*time.Second || *got.ErrorRate != 0.01 {
		t.Errorf("Reapply = %+v, %v; want p50 and saturation from the flags, the rest recorded", got, err)
	}
	if !reflect.DeepEqual(recorded, full()) {
		t.Error("Reapply changed the recorded objectives")
	}
	if got, err := Reapply(nil, over); err != nil || !reflect.DeepEqual(got, over) {
		t.Errorf("nothing recorded: %+v, %v; want the flags' objectives", got, err)
	}
	if got, err := Reapply(&recorded, Objectives{}); err != nil || !reflect.DeepEqual(got, recorded) {
		t.Errorf("no flags: %+v, %v; want the recorded objectives", got, err)
	}
	bad := Objectives{ErrorRate: ptr(2.0)}
	var oe *OverrideError
	if _, err := Reapply(&recorded, bad); !errors.As(err, &oe) || !strings.Contains(err.Error(), "error_rate") {
		t.Errorf("a bad bound given: %v, want an OverrideError naming error_rate", err)
	}
	badRecord := Objectives{MaxLateRatio: ptr(-1.0)}
	if _, err := Reapply(&badRecord, over); err == nil || errors.As(err, &oe) {
		t.Errorf("a bad recorded bound: %v, want an error that is not the flags'", err)
	}
}
