package agents

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
	"ccgw-harness/gateway/gatewaytest"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// fastSeeds are bodies for the fast judge: the mock's and real gateways'
// success forms, and near misses that must fall back to the full judge.
var fastSeeds = []struct {
	body string
	want string
	fast bool // whether the fast path must prove success
}{
	{`{"message":"success","retcode":"0","result":{"phonetoken":"abc123","phonenum":"71001"}}`, "71001", true},
	{` { "retcode" : "0" , "result" : { "phonenum" : "71001" , "phonetoken" : "t" } , "message" : "" }` + "\n", "71001", true},
	{"{\"result\":{\"phonetoken\":\"t\",\"phonenum\":\"71001\"},\r\n\t\"message\":\"ok\",\"retcode\":\"0\"}", "71001", true},
	{`{"result":{"phonetoken":"t","phonenum":"71001"},"retcode":"0"}`, "71001", false},                             // no message
	{`{"message":null,"retcode":"0","result":{"phonetoken":"t","phonenum":"71001"}}`, "71001", false},              // null message
	{`{"message":"success","retcode":"0","result":{"phonetoken":"t","phonenum":"71002"}}`, "71001", false},         // wrong phone
	{`{"message":"success","retcode":"0","result":{"phonetoken":"","phonenum":"71001"}}`, "71001", false},          // empty token
	{`{"message":"success","retcode":"0","result":{"phonetoken":"t","phonenum":""}}`, "", false},                   // empty phone
	{`{"message":"x","retcode":"100-006","result":{"phonetoken":"t","phonenum":"71001"}}`, "71001", false},         // token on error
	{`{"message":"x","retcode":"0","retcode":"0","result":{"phonetoken":"t","phonenum":"71001"}}`, "71001", false}, // duplicate
	{`{"message":"x","message":"y","retcode":"0","result":{"phonetoken":"t","phonenum":"71001"}}`, "71001", false}, // duplicate message
	{`{"message":"x","retcode":"0","result":{"phonetoken":"t","phonenum":"71001","phonenum":"71001"}}`, "71001", false},
	{`{"message":"x","retcode":"0","result":{"phonetoken":"t","phonenum":"71001"}} x`, "71001", false}, // trailing data
	{`{"message":"x","retcode":"0","result":{"phonetoken":"t","phonenum":"71001"}`, "71001", false},    // truncated
	{`{"message":"x","retcode":0,"result":{"phonetoken":"t","phonenum":"71001"}}`, "71001", false},     // retcode number
	{`{"message":"x","retcode":"0","result":{"phonetoken":1,"phonenum":"71001"}}`, "71001", false},     // token number
	{`{"message":"x","retcode":"0","result":{"phonetoken":"t","phonenum":"71001","x":1}}`, "71001", false},
	{`{"message":"x","retcode":"0","result":{"phonetoken":"t","phonenum":"7100\u0031"}}`, "71001", false}, // escape
	{`{"message":"x","retcode":"0"}`, "71001", false},
	{`{"message":"x","retcode":"0","result":null}`, "71001", false},
	{`{"message":"x","retcode":"0","result":{"phonetoken":"t","phonenum":"71001"},}`, "71001", false},
	{`{"message":"x" "retcode":"0","result":{"phonetoken":"t","phonenum":"71001"}}`, "71001", false},
	{`{"message":"x","retcode":"0","result":{"phonetoken":"t","phonenum":"71001"},"extra":true}`, "71001", false},
	{"{\"message\":\"x\",\"retcode\":\"0\",\"result\":{\"phonetoken\":\"t\xff\",\"phonenum\":\"71001\"}}", "71001", false},
	{``, "71001", false},
	{`{}`, "71001", false},
}

// TestFastSuccessAgreesWithJudge: the fast path proves success exactly for
// the plain forms, and whenever it does, the oracle agrees.
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

// answer is one logininfo answer as the three judges see it.
type answer struct {
	status int
	ct     string
	body   []byte
	want   string
}

// judges holds the load engine's judge over a pool of one agent, whose
// phonenum each answer sets.
type judges struct {
	j Judge
	a *Agent
}

func newJudges(t testing.TB, baseURL string) *judges {
	t.Helper()
	c, err := gateway.NewClient(baseURL)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPool(c, []config.Agent{{ID: 1001, PhoneNum: gatewaytest.Phone, Password: "pw"}})
	if err != nil {
		t.Fatal(err)
	}
	return &judges{j: Judge{Pool: p, Header: make(http.Header, 2)}, a: p.byID[1001]}
}

// load is the load engine's whole judgement (fast path, then the fallback)
// of a vegeta result for the agent.
func (js *judges) load(r *vegeta.Result, want string) gateway.Verdict {
	js.a.phone = want
	a, v := js.j.Judge(r)
	if a != js.a {
		panic("the judge did not find the agent of " + r.URL)
	}
	return v
}

// result is a vegeta result of an answer, as the attack records it.
func (js *judges) result(x answer) *vegeta.Result {
	r := &vegeta.Result{URL: js.a.url, Method: http.MethodPost, Code: uint16(x.status), Body: x.body}
	if x.ct != "" {
		r.Headers = http.Header{gateway.HeaderContentType: {x.ct}}
	}
	return r
}

// assertAgree feeds one answer to the three judges: the oracle
// (gateway.JudgeLoginInfo), the contract suite's check (its
// checkLoginInfo is gateway.CheckLoginInfo(...).Err), and the load
// engine's judge. All must say success or failure alike, and the load
// engine's verdict must be the oracle's. It returns the oracle's verdict.
func (js *judges) assertAgree(t *testing.T, name string, x answer, r *vegeta.Result) gateway.Verdict {
	t.Helper()
	oracle := gateway.JudgeLoginInfo(x.status, x.ct, x.body, x.want)
	suiteErr := gateway.CheckLoginInfo(x.status, x.ct, x.body, x.want).Err("logininfo")
	if oracle.OK() != (suiteErr == nil) {
		t.Fatalf("%s: the oracle says %q, the suite's check %v", name, oracle, suiteErr)
	}
	fast := x.status == http.StatusOK && gateway.IsJSONContentType(x.ct) && fastSuccess(x.body, x.want)
	if fast && !oracle.OK() {
		t.Fatalf("%s: the fast path proves success, the oracle says %q", name, oracle)
	}
	if got := js.load(r, x.want); got != oracle {
		t.Fatalf("%s: the load judge says %+v, the oracle %+v", name, got, oracle)
	}
	return oracle
}

// TestJudgesAgree is the table test of the one oracle: every case of the
// oracle's table, and every fast-path seed under several Content-Types, is
// judged alike by the oracle, the suite's check and the load judge, and the
// table's cases get their pinned verdicts.
func TestJudgesAgree(t *testing.T) {
	js := newJudges(t, "https://127.0.0.1:8043")
	for _, k := range gatewaytest.LoginInfoCases() {
		x := answer{k.Status, k.ContentType, []byte(k.Body), k.WantPhone}
		if v := js.assertAgree(t, k.Name, x, js.result(x)); v.String() != k.Verdict {
			t.Errorf("%s: verdict %q, the oracle's table says %q", k.Name, v, k.Verdict)
		}
	}
	for _, s := range fastSeeds {
		for _, ct := range []string{gatewaytest.ContentTypeMock, gateway.ContentTypeJSON, "application/json; charset", "text/plain", ""} {
			for _, status := range []int{200, 503} {
				x := answer{status, ct, []byte(s.body), s.want}
				js.assertAgree(t, strconv.Quote(s.body)+" "+ct, x, js.result(x))
			}
		}
	}
}

// TestJudgesAgreeOverHTTPS serves every case of the oracle's table from an
// HTTPS server on loopback and judges what arrives the way each side reads
// it: the suite's check through the gateway client's raw call, the load
// judge through a vegeta attack. Both must match the oracle and the table.
func TestJudgesAgreeOverHTTPS(t *testing.T) {
	cases := gatewaytest.LoginInfoCases()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(r.URL.Query().Get("case"))
		if err != nil || i < 0 || i >= len(cases) {
			http.Error(w, "no such case", http.StatusBadRequest)
			return
		}
		w.Header()[gateway.HeaderContentType] = nil // no sniffing when the case has none
		if ct := cases[i].ContentType; ct != "" {
			w.Header()[gateway.HeaderContentType] = []string{ct}
		}
		w.WriteHeader(cases[i].Status)
		_, _ = w.Write([]byte(cases[i].Body))
	}))
	defer srv.Close()
	client, err := gateway.NewClient(srv.URL, gateway.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	js := newJudges(t, srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i, k := range cases {
		path := gateway.LoginInfoPath(1001) + "?case=" + strconv.Itoa(i)
		resp, err := client.Do(ctx, http.MethodPost, path, nil, nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", k.Name, err)
		}
		x := answer{resp.Status, resp.Header.Get(gateway.HeaderContentType), resp.Body, k.WantPhone}
		if string(x.body) != k.Body || x.status != k.Status {
			t.Fatalf("%s: the answer arrived as HTTP %d, body %q", k.Name, x.status, x.body)
		}
		r := hitOnce(t, srv.Client(), srv.URL+path)
		if got := r.Headers.Get(gateway.HeaderContentType); got != x.ct {
			t.Fatalf("%s: the client read Content-Type %q, vegeta %q", k.Name, x.ct, got)
		}
		r.URL = js.a.url // the judge finds its agent by the URL without the query
		v := js.assertAgree(t, k.Name, x, r)
		switch {
		case x.ct != k.ContentType:
			// HTTP trims the header value's spaces: no pinned verdict.
			t.Logf("%s: Content-Type %q arrived as %q, judged %q", k.Name, k.ContentType, x.ct, v)
		case v.String() != k.Verdict:
			t.Errorf("%s: verdict %q, the oracle's table says %q", k.Name, v, k.Verdict)
		}
	}
}

// hitOnce sends one POST with a fresh vegeta attacker (a targeter's
// ErrNoTargets stops the attacker for good) and returns its result.
func hitOnce(t *testing.T, hc *http.Client, url string) *vegeta.Result {
	t.Helper()
	atk := vegeta.NewAttacker(vegeta.Client(hc), vegeta.MaxBody(gateway.MaxBodySize))
	var sent atomic.Bool // vegeta's workers call the targeter concurrently
	tr := func(tgt *vegeta.Target) error {
		if !sent.CompareAndSwap(false, true) {
			return vegeta.ErrNoTargets
		}
		*tgt = vegeta.Target{Method: http.MethodPost, URL: url, Header: http.Header{gateway.HeaderContentType: {gateway.ContentTypeJSON}}}
		return nil
	}
	var res *vegeta.Result
	for r := range atk.Attack(tr, vegeta.ConstantPacer{Freq: 100, Per: time.Second}, 0, "oracle") {
		if r.URL == url {
			res = r
		}
	}
	if res == nil || res.Code == 0 {
		t.Fatalf("vegeta got no answer from %s: %+v", url, res)
	}
	return res
}

// FuzzJudgesAgree: whatever the status, Content-Type, body and wanted
// phonenum, the oracle, the suite's check and the load judge (fast path and
// fallback) agree, and the fast path never proves what the oracle rejects.
func FuzzJudgesAgree(f *testing.F) {
	for _, k := range gatewaytest.LoginInfoCases() {
		f.Add(k.Status, k.ContentType, []byte(k.Body), k.WantPhone)
	}
	for _, s := range fastSeeds {
		f.Add(200, gatewaytest.ContentTypeMock, []byte(s.body), s.want)
	}
	js := newJudges(f, "https://127.0.0.1:8043")
	f.Fuzz(func(t *testing.T, status int, ct string, body []byte, want string) {
		if status <= 0 || status > 0xffff { // vegeta keeps the status as a uint16; 0 is no answer
			status = 200
		}
		x := answer{status, ct, body, want}
		js.assertAgree(t, "fuzz", x, js.result(x))
	})
}

// TestFastPathAllocatesNothing: the point of the fast path. The whole judge
// of a plain success, as the recorder calls it, allocates nothing.
func TestFastPathAllocatesNothing(t *testing.T) {
	js := newJudges(t, "https://127.0.0.1:8043")
	body := []byte(gatewaytest.OK)
	hdr := http.Header{gateway.HeaderContentType: {gatewaytest.ContentTypeMock}}
	var r vegeta.Result
	if n := testing.AllocsPerRun(100, func() {
		r = vegeta.Result{URL: js.a.url, Code: 200, Body: body, Headers: hdr}
		if _, v := js.j.Judge(&r); !v.OK() {
			t.Fatalf("the judge rejects the plain success body: %s", v)
		}
	}); n != 0 {
		t.Errorf("judging a plain success allocates %v times", n)
	}
	if !fastSuccess(body, gatewaytest.Phone) {
		t.Error("the fast path rejects the plain success body")
	}
}

// BenchmarkJudge measures the judge per result: a plain success (the fast
// path) and an error answer (the oracle's fallback).
func BenchmarkJudge(b *testing.B) {
	for _, bc := range []struct{ name, body string }{
		{"success", gatewaytest.OK},
		{"retcode", `{"message":"agent not signed in","retcode":"100-006","result":{}}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			js := newJudges(b, "https://127.0.0.1:8043")
			body := []byte(bc.body)
			hdr := http.Header{gateway.HeaderContentType: {gatewaytest.ContentTypeMock}}
			b.ReportAllocs()
			for b.Loop() {
				r := vegeta.Result{URL: js.a.url, Code: 200, Body: body, Headers: hdr}
				js.j.Judge(&r)
			}
		})
	}
}
