package config

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"ccgw-harness/gateway"
)

// TestJourneyPlan: the journey block, the optional sign-in fields and the
// ready and per-call gates land in their fields.
func TestJourneyPlan(t *testing.T) {
	f := mustParse(t, "targets.yaml", withBase(
		"plans:",
		"  shiftstart:",
		"    agents: 1000",
		"    rate: 3.34",
		"    duration: 5m",
		"    journey: {hold: 2m, repeat: 30s}",
		"    signin: {status: 4, autoanswer: false, autoenteridle: true, releasephone: true, agenttype: 11, ip: 127.0.0.1}",
		"    slo:",
		"      ready_p99: 5s",
		"      ready_mean: 1s",
		"      calls:",
		"        signin: {p99: 2s, error_rate: 1%}",
		"        poll: {error_rate: 0.001}",
		"  once: {agents: 10, stages: [{rate: 1, duration: 10s}], journey: {hold: 30s}}",
	))
	p, err := f.Plan("shiftstart")
	if err != nil {
		t.Fatal(err)
	}
	if p.Journey == nil || *p.Journey != (Journey{Hold: 2 * time.Minute, Repeat: 30 * time.Second}) {
		t.Errorf("journey %+v", p.Journey)
	}
	no, yes := false, true
	want := SignIn{Status: 4, AutoAnswer: &no, AutoEnterIdle: &yes, ReleasePhone: &yes, AgentType: 11, IP: "127.0.0.1"}
	if !reflect.DeepEqual(p.SignIn, want) {
		t.Errorf("signin %+v, want %+v", p.SignIn, want)
	}
	req := p.SignIn.Request(Agent{ID: 1001, PhoneNum: "40038"})
	if req.Password != "" || req.PhoneNum != "40038" || req.Status != 4 || *req.AutoAnswer || !*req.AutoEnterIdle || !*req.ReleasePhone || req.AgentType != 11 || req.IP != "127.0.0.1" {
		t.Errorf("sign-in request %+v", req)
	}
	s := f.SLOFor(p)
	if !reflect.DeepEqual(s.Ready, map[string]time.Duration{"p99": 5 * time.Second, "mean": time.Second}) {
		t.Errorf("ready gates %v", s.Ready)
	}
	if c := s.Calls[gateway.CallSignIn]; c.Latency["p99"] != 2*time.Second || c.ErrorRate == nil || *c.ErrorRate != 0.01 {
		t.Errorf("calls.signin %+v", c)
	}
	if c := s.Calls[gateway.CallPoll]; c.Latency != nil || c.ErrorRate == nil || *c.ErrorRate != 0.001 {
		t.Errorf("calls.poll %+v", c)
	}
	once, _ := f.Plan("once")
	if once.Journey == nil || once.Journey.Hold != 30*time.Second || once.Journey.Repeat != 0 || once.SignIn != (SignIn{}) {
		t.Errorf("once %+v %+v", once.Journey, once.SignIn)
	}
	// The copy a caller gets is its own.
	p.Journey.Hold = time.Hour
	if again, _ := f.Plan("shiftstart"); again.Journey.Hold != 2*time.Minute {
		t.Error("Plan's journey shares state with the File")
	}
}

// TestCallSLOMerge: a plan's slo overrides the global one call by call and
// key by key.
func TestCallSLOMerge(t *testing.T) {
	f := mustParse(t, "targets.yaml", withBase(
		"plans:",
		"  p: {agents: 1, rate: 1, duration: 1s, journey: {hold: 1s}, slo: {ready_p99.9: 9s, calls: {signin: {p99: 1s}, logout: {error_rate: 0}}}}",
		"slo:",
		"  ready_p999: 3s",
		"  ready_p50: 1s",
		"  calls: {signin: {p99: 4s, error_rate: 2%}}",
	))
	p, _ := f.Plan("p")
	s := f.SLOFor(p)
	if !reflect.DeepEqual(s.Ready, map[string]time.Duration{"p99.9": 9 * time.Second, "p50": time.Second}) {
		t.Errorf("ready %v: ready_p99.9 must replace ready_p999", s.Ready)
	}
	si := s.Calls[gateway.CallSignIn]
	if si.Latency["p99"] != time.Second || *si.ErrorRate != 0.02 {
		t.Errorf("calls.signin %+v", si)
	}
	if lo := s.Calls[gateway.CallLogout]; *lo.ErrorRate != 0 {
		t.Errorf("calls.logout %+v", lo)
	}
	if f.SLO.Calls[gateway.CallSignIn].Latency["p99"] != 4*time.Second {
		t.Error("merging changed the global slo")
	}
}

// TestJourneyPlanErrors: each mistake names the file, line and field.
func TestJourneyPlanErrors(t *testing.T) {
	cases := []struct{ name, plan, want string }{
		{"no hold", "{agents: 5, rate: 1, duration: 10s, journey: {repeat: 1s}}",
			`targets.yaml:4: plans.p.journey: missing key "hold": how long each agent stays signed in (e.g. hold: 2m)`},
		{"repeat beyond hold", "{agents: 5, rate: 1, duration: 10s, journey: {hold: 2s, repeat: 3s}}",
			`targets.yaml:4: plans.p.journey.repeat: repeat 3s is longer than hold 2s: the token would never be asked for again (leave repeat out for no repeat)`},
		{"zero hold", "{agents: 5, rate: 1, duration: 10s, journey: {hold: 0s}}",
			`targets.yaml:4: plans.p.journey.hold:`},
		{"unknown journey key", "{agents: 5, rate: 1, duration: 10s, journey: {hold: 2s, pause: 1s}}",
			`targets.yaml:4: plans.p.journey: unknown key "pause" (allowed: hold, repeat)`},
		{"closed model", "{agents: 5, concurrency: 2, duration: 10s, journey: {hold: 2s}}",
			`targets.yaml:4: plans.p.journey: a journey plan is an open model (journeys start on schedule, whatever earlier ones do): give it rate+duration, stages or sine, not concurrency`},
		{"warmup", "{agents: 5, rate: 1, duration: 10s, warmup: 5s, journey: {hold: 2s}}",
			`targets.yaml:4: plans.p.warmup: warmup does not apply to a journey plan: its journeys start cold, as agents do at a shift start`},
		{"connections", "{agents: 5, rate: 1, duration: 10s, connections: 4, journey: {hold: 2s}}",
			`targets.yaml:4: plans.p.connections: connections does not apply to a journey plan: each journey's agent opens connections of its own`},
		{"order", "{agents: 5, rate: 1, duration: 10s, order: shuffle, journey: {hold: 2s}}",
			`targets.yaml:4: plans.p.order: order does not apply to a journey plan:`},
		{"signin_concurrency", "{agents: 5, rate: 1, duration: 10s, signin_concurrency: 2, journey: {hold: 2s}}",
			`targets.yaml:4: plans.p.signin_concurrency: signin_concurrency does not apply to a journey plan:`},
		{"max_signin_failures", "{agents: 5, rate: 1, duration: 10s, max_signin_failures: 1, journey: {hold: 2s}}",
			`targets.yaml:4: plans.p.max_signin_failures: max_signin_failures does not apply to a journey plan: a journey whose sign-in fails is a failed journey`},
		{"capacity", "{agents: 5, capacity: {start: 1, max: 2, step: 1s}, journey: {hold: 2s}}",
			`targets.yaml:4: plans.p.journey: journey does not apply to a capacity plan:`},
		{"status", "{agents: 5, rate: 1, duration: 10s, signin: {status: 2}}",
			`targets.yaml:4: plans.p.signin.status: bad status 2: want 3 (busy), 4 (idle) or 5 (wrap-up)`},
		{"agenttype", "{agents: 5, rate: 1, duration: 10s, signin: {agenttype: 5}}",
			`targets.yaml:4: plans.p.signin.agenttype: bad agenttype 5: want 4 (PC + phone) or 11 (video)`},
		{"autoanswer", "{agents: 5, rate: 1, duration: 10s, signin: {autoanswer: yes please}}",
			`targets.yaml:4: plans.p.signin.autoanswer: want true or false, got string "yes please"`},
		{"ip", "{agents: 5, rate: 1, duration: 10s, signin: {ip: localhost}}",
			`targets.yaml:4: plans.p.signin.ip: bad ip "localhost": want an IPv4 or IPv6 address such as 127.0.0.1`},
		{"unknown signin key", "{agents: 5, rate: 1, duration: 10s, signin: {password: x}}",
			`targets.yaml:4: plans.p.signin: unknown key "password" (allowed: status, autoanswer, autoenteridle, releasephone, agenttype, ip)`},
		{"unknown call", "{agents: 5, rate: 1, duration: 10s, slo: {calls: {signon: {p99: 1s}}}}",
			`targets.yaml:4: plans.p.slo.calls: unknown key "signon" (allowed: signin, forcelogin, logininfo, poll, logout, updateguid)`},
		{"bad call key", "{agents: 5, rate: 1, duration: 10s, slo: {calls: {poll: {p99: 1s, min_rate_ratio: 1}}}}",
			`targets.yaml:4: plans.p.slo.calls.poll: unknown key "min_rate_ratio" of a call's objectives (allowed: p50, p90, p95, p99, p99.9 (or p999), any pNN or pNN.N, mean, max, error_rate)`},
		{"bad call error rate", "{agents: 5, rate: 1, duration: 10s, slo: {calls: {poll: {error_rate: 2}}}}",
			`targets.yaml:4: plans.p.slo.calls.poll.error_rate:`},
		{"ready twice", "{agents: 5, rate: 1, duration: 10s, slo: {ready_p999: 1s, ready_p99.9: 2s}}",
			`targets.yaml:4: plans.p.slo: "ready_p99.9" is the same statistic as "ready_p999" (line 4): keep one`},
		{"bad ready key", "{agents: 5, rate: 1, duration: 10s, slo: {ready_median: 1s}}",
			`targets.yaml:4: plans.p.slo: unknown SLO key "ready_median"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("targets.yaml", withBase("plans:", "  p: "+c.plan))
			if err == nil {
				t.Fatal("Parse accepted it")
			}
			if got := err.Error(); !strings.HasPrefix(got, c.want) {
				t.Errorf("error:\n got %s\nwant %s...", got, c.want)
			}
		})
	}
}
