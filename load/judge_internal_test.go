package load

import (
	"testing"

	"ccgw-harness/gateway"
)

// fastSeeds are bodies for the fast judge: the mock's and real gateways'
// success forms, and near misses that must fall back to the full judge.
var fastSeeds = []struct {
	body string
	want string
	fast bool // whether the fast path must prove success
}{
	{`{"message":"success","retcode":"0","result":{"phonetoken":"abc123","phonenum":"71001"}}`, "71001", true},
	{` { "retcode" : "0" , "result" : { "phonenum" : "71001" , "phonetoken" : "t" } , "message" : null }` + "\n", "71001", true},
	{`{"result":{"phonetoken":"t","phonenum":"71001"},"retcode":"0"}`, "71001", true},
	{`{"message":"success","retcode":"0","result":{"phonetoken":"t","phonenum":"71002"}}`, "71001", false},         // wrong phone
	{`{"message":"success","retcode":"0","result":{"phonetoken":"","phonenum":"71001"}}`, "71001", false},          // empty token
	{`{"message":"x","retcode":"100-006","result":{"phonetoken":"t","phonenum":"71001"}}`, "71001", false},         // token on error
	{`{"message":"x","retcode":"0","retcode":"0","result":{"phonetoken":"t","phonenum":"71001"}}`, "71001", false}, // duplicate
	{`{"message":"x","retcode":"0","result":{"phonetoken":"t","phonenum":"71001"}} x`, "71001", false},             // trailing data
	{`{"message":"x","retcode":"0","result":{"phonetoken":"t","phonenum":"71001"}`, "71001", false},                // truncated
	{`{"message":"x","retcode":0,"result":{"phonetoken":"t","phonenum":"71001"}}`, "71001", false},                 // retcode number
	{`{"message":"x","retcode":"0","result":{"phonetoken":1,"phonenum":"71001"}}`, "71001", false},                 // token number
	{`{"message":"x","retcode":"0","result":{"phonetoken":"t","phonenum":"71001","x":1}}`, "71001", false},         // extra member
	{`{"message":"x","retcode":"0","result":{"phonetoken":"t","phonenum":"7100\u0031"}}`, "71001", false},          // escape
	{`{"message":"x","retcode":"0"}`, "71001", false},                                                              // no result
	{`{"message":"x","retcode":"0","result":null}`, "71001", false},                                                // null result
	{`{"message":"x","retcode":"0","result":{"phonetoken":"t","phonenum":"71001"},}`, "71001", false},              // trailing comma
	{`{"message":"x" "retcode":"0","result":{"phonetoken":"t","phonenum":"71001"}}`, "71001", false},               // missing comma
	{`{"message":"x","retcode":"0","result":{"phonetoken":"t","phonenum":"71001"},"extra":true}`, "71001", false},
	{"{\"message\":\"x\",\"retcode\":\"0\",\"result\":{\"phonetoken\":\"t\xff\",\"phonenum\":\"71001\"}}", "71001", false},
	{``, "71001", false},
	{`{}`, "71001", false},
}

// TestFastSuccessAgreesWithJudge: the fast path proves success exactly for
// the plain forms, and whenever it does, gateway.JudgeLoginInfo agrees.
func TestFastSuccessAgreesWithJudge(t *testing.T) {
	for _, c := range fastSeeds {
		got := fastSuccess([]byte(c.body), c.want)
		if got != c.fast {
			t.Errorf("fastSuccess(%q) = %v, want %v", c.body, got, c.fast)
		}
		if got {
			if v := gateway.JudgeLoginInfo(200, gateway.ContentTypeJSON, []byte(c.body), c.want); !v.OK() {
				t.Errorf("fast path accepted %q, JudgeLoginInfo says %s", c.body, v)
			}
		}
	}
}

// TestFastSuccessAllocatesNothing: the point of the fast path.
func TestFastSuccessAllocatesNothing(t *testing.T) {
	body := []byte(fastSeeds[0].body)
	if n := testing.AllocsPerRun(100, func() {
		if !fastSuccess(body, "71001") || !isJSONContentType(gateway.ContentTypeJSON) {
			t.Fatal("fast path rejected the plain success body")
		}
	}); n != 0 {
		t.Errorf("fast path allocates %v times per body", n)
	}
}

// FuzzFastSuccess: whatever the body, the fast path never accepts what the
// full judge rejects.
func FuzzFastSuccess(f *testing.F) {
	for _, c := range fastSeeds {
		f.Add([]byte(c.body), c.want)
	}
	f.Fuzz(func(t *testing.T, body []byte, want string) {
		if fastSuccess(body, want) {
			if v := gateway.JudgeLoginInfo(200, gateway.ContentTypeJSON, body, want); !v.OK() {
				t.Fatalf("fast path accepted %q for %q, JudgeLoginInfo says %s", body, want, v)
			}
		}
	})
}

// TestContentTypeAgrees: the allocation-free Content-Type test agrees with
// the judge's on the spellings that matter.
func TestContentTypeAgrees(t *testing.T) {
	body := []byte(fastSeeds[0].body)
	for _, ct := range []string{gateway.ContentTypeJSON, "application/json", "Application/JSON; charset=utf-8", " application/json ",
		"text/plain", "application/jsonx", "application/json-patch+json", ""} {
		want := gateway.JudgeLoginInfo(200, ct, body, "71001").OK()
		if got := isJSONContentType(ct); got != want {
			t.Errorf("isJSONContentType(%q) = %v, JudgeLoginInfo OK = %v", ct, got, want)
		}
	}
}
