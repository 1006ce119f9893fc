package agents

import (
	"strings"
	"testing"

	"ccgw-harness/gateway"
)

// envelopeSeeds are poll answers for the fast envelope check.
var envelopeSeeds = []struct {
	body string
	fast bool // whether the fast path must prove success
}{
	{`{"message":"","retcode":"0"}`, true},              // the gateway's (and the mock's) idle answer
	{`{"message":"","retcode":"0","event":null}`, true}, // an idle answer with an explicit null event
	{` { "retcode" : "0" , "message" : null , "result" : { } }` + "\n", true},
	{`{"retcode":"0"}`, true},
	{`{"message":"success","retcode":"0","result":null,"event":{}}`, true},
	{`{"message":"","retcode":"0","event":{"eventType":"AgentState_Ready"}}`, false}, // an event: full judge
	{`{"message":"","retcode":"0","event":[]}`, false},
	{`{"message":"x","retcode":"100-006","event":null}`, false},
	{`{"message":"","retcode":"0","retcode":"0"}`, false},
	{`{"message":"","retcode":"0","event":null,"event":null}`, false},
	{`{"message":"","retcode":"0","event":null} x`, false},
	{`{"message":"","retcode":"0","event":null`, false},
	{`{"message":"","retcode":0}`, false},
	{`{"message":"\u0041","retcode":"0"}`, false},
	{`{"message":"","retcode":"0","extra":1}`, false},
	{`{"message":""}`, false},
	{`{}`, false},
	{``, false},
	{`[]`, false},
	{`{"message":"","retcode":"0",}`, false},
}

// TestFastEnvelopeAgreesWithJudge: the fast path proves success exactly for
// the plain forms, and whenever it does, gateway.JudgeEnvelope agrees.
func TestFastEnvelopeAgreesWithJudge(t *testing.T) {
	for _, c := range envelopeSeeds {
		got := fastEnvelopeOK([]byte(c.body))
		if got != c.fast {
			t.Errorf("fastEnvelopeOK(%q) = %v, want %v", c.body, got, c.fast)
		}
		if got {
			if v := gateway.JudgeEnvelope(200, []byte(c.body)); !v.OK() {
				t.Errorf("fast path accepted %q, JudgeEnvelope says %s", c.body, v)
			}
		}
	}
}

// TestFastEnvelopeAllocatesNothing: the point of the fast path.
func TestFastEnvelopeAllocatesNothing(t *testing.T) {
	body := []byte(envelopeSeeds[0].body)
	if n := testing.AllocsPerRun(100, func() {
		if !fastEnvelopeOK(body) {
			t.Fatal("fast path rejected the idle poll answer")
		}
	}); n != 0 {
		t.Errorf("fast path allocates %v times per body", n)
	}
}

// FuzzFastEnvelope: whatever the body, the fast path never accepts what
// the full judge rejects.
func FuzzFastEnvelope(f *testing.F) {
	for _, c := range envelopeSeeds {
		f.Add([]byte(c.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if fastEnvelopeOK(body) {
			if v := gateway.JudgeEnvelope(200, body); !v.OK() {
				t.Fatalf("fast path accepted %q, JudgeEnvelope says %s", body, v)
			}
		}
	})
}

func TestAgentIDOf(t *testing.T) {
	for u, want := range map[string]int{
		"https://h:1" + gateway.SignInPath(1001):      1001,
		"https://h:1" + gateway.LogoutPath(42):        42,
		"https://h:1" + gateway.EventPath(999999):     999999,
		"https://h:1" + gateway.LoginInfoPath(7):      7,
		"https://h:1/other/1001":                      0,
		"https://h:1" + gateway.PathPrefix + "/x/1a/": 0,
	} {
		if got := agentIDOf(u); got != want {
			t.Errorf("agentIDOf(%s) = %d, want %d", u, got, want)
		}
	}
	if strings.Contains(gateway.EventPath(1), "onlineagent") {
		t.Fatal("event path changed")
	}
}
