package gateway

import (
	"encoding/json"
	"errors"
	"mime"
	"reflect"
	"slices"
	"strings"
	"testing"

	"ccgw-harness/gateway/gatewaytest"
)

// TestLoginInfoCases pins every decision of the oracle: each case gets its
// verdict from JudgeLoginInfo and from CheckLoginInfo, whose findings are
// empty exactly for success.
func TestLoginInfoCases(t *testing.T) {
	classes := map[Class]bool{}
	kinds := map[string]bool{}
	for _, k := range gatewaytest.LoginInfoCases() {
		got := JudgeLoginInfo(k.Status, k.ContentType, []byte(k.Body), k.WantPhone)
		if got.String() != k.Verdict {
			t.Errorf("%s: JudgeLoginInfo = %q, want %q", k.Name, got, k.Verdict)
		}
		if ParseVerdict(got.String()) != got {
			t.Errorf("%s: verdict %+v does not round-trip", k.Name, got)
		}
		c := CheckLoginInfo(k.Status, k.ContentType, []byte(k.Body), k.WantPhone)
		assertCheckAgrees(t, k.Name, got, c)
		classes[got.Class] = true
		if got.Class == ClassContract {
			kinds[got.Detail] = true
		}
	}
	for _, cl := range []Class{ClassOK, ClassHTTP, ClassEnvelope, ClassRetcode, ClassContract} {
		if !classes[cl] {
			t.Errorf("no case is judged %s", cl)
		}
	}
	for _, kind := range []string{ViolationEmptyToken, ViolationWrongPhone, ViolationNoResult, ViolationContentType,
		ViolationResultTypes, ViolationTokenOnError, ViolationNoMessage} {
		if !kinds[kind] {
			t.Errorf("no case is judged contract %s", kind)
		}
	}
}

// assertCheckAgrees holds a CheckLoginInfo result to JudgeLoginInfo's
// verdict v: the same verdict, findings exactly when it is not success, an
// error exactly then, and the verdict in the error text.
func assertCheckAgrees(t *testing.T, name string, v Verdict, c LoginInfoCheck) {
	t.Helper()
	if c.Verdict != v {
		t.Errorf("%s: CheckLoginInfo verdict %+v, JudgeLoginInfo %+v", name, c.Verdict, v)
	}
	if v.OK() != (len(c.Findings) == 0) {
		t.Errorf("%s: verdict %q with %d findings %q", name, v, len(c.Findings), c.About(false, allParts...))
	}
	err := c.Err("the answer")
	if v.OK() != (err == nil) {
		t.Errorf("%s: verdict %q, Err %v", name, v, err)
	}
	if err != nil && !strings.Contains(err.Error(), "(verdict: "+v.String()+")") {
		t.Errorf("%s: Err %q does not name the verdict %q", name, err, v)
	}
	for _, f := range c.Findings {
		if f.Text == "" || !slices.Contains(allParts, f.Part) {
			t.Errorf("%s: finding %+v", name, f)
		}
	}
}

var allParts = []Part{PartStatus, PartContentType, PartBody, PartMessage, PartRetcode, PartResult, PartPhoneToken, PartPhoneNum}

// TestCheckLoginInfoFindsEverything: an answer that breaks many rules gets
// the first as its verdict and a finding for each, with its part and shape.
func TestCheckLoginInfoFindsEverything(t *testing.T) {
	body := `{"message":null,"retcode":"0","result":{"phonetoken":"","phonenum":"79999"}}`
	c := CheckLoginInfo(500, "text/plain", []byte(body), testPhone)
	if c.Verdict != (Verdict{Class: ClassHTTP, Detail: "500"}) {
		t.Errorf("verdict %+v, want http 500", c.Verdict)
	}
	type pf struct {
		Part  Part
		Shape bool
	}
	var got []pf
	for _, f := range c.Findings {
		got = append(got, pf{f.Part, f.Shape})
	}
	want := []pf{{PartStatus, false}, {PartContentType, false}, {PartMessage, true}, {PartPhoneToken, false}, {PartPhoneNum, false}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("findings %+v, want %+v: %v", got, want, c.Err("x"))
	}
	if c.LoginInfo != (LoginInfo{PhoneNum: "79999"}) {
		t.Errorf("LoginInfo %+v", c.LoginInfo)
	}
	if s := c.About(true, allParts...); len(s) != 1 || !strings.Contains(s[0], "message is null") {
		t.Errorf("shape findings %q, want the null message", s)
	}
	if s := c.About(false, PartPhoneNum); len(s) != 1 || s[0] != `result.phonenum is "79999", want "71001" (the number this agent signed in with)` {
		t.Errorf("phonenum findings %q", s)
	}

	// A body that is no JSON object: the Content-Type is still judged,
	// nothing inside the body is.
	c = CheckLoginInfo(200, "", []byte(`{"retcode":"0",`), testPhone)
	if c.Verdict.String() != "envelope truncated" || len(c.Findings) != 2 ||
		c.Findings[0].Part != PartBody || !c.Findings[0].Shape || c.Findings[1].Part != PartContentType {
		t.Errorf("truncated body: %+v", c)
	}

	// An error answer: the rules every answer follows are listed, those of
	// a success answer's result are not.
	c = CheckLoginInfo(200, "text/plain", []byte(`{"retcode":"100-006","result":{}}`), testPhone)
	var parts []Part
	for _, f := range c.Findings {
		parts = append(parts, f.Part)
	}
	if c.Verdict.String() != "retcode 100-006" || !slices.Equal(parts, []Part{PartRetcode, PartContentType, PartMessage}) {
		t.Errorf("error answer: parts %v: %v", parts, c.Err("x"))
	}

	// Members given twice are found as such; what can still be read is.
	c = CheckLoginInfo(200, ContentTypeJSON, []byte(`{"message":"x","retcode":"0","retcode":"0","result":{"phonetoken":"","phonenum":"71001"}}`), testPhone)
	if c.Verdict.String() != "envelope malformed" || len(c.Findings) != 2 ||
		c.Findings[0].Part != PartRetcode || c.Findings[1].Part != PartPhoneToken {
		t.Errorf("retcode twice: %v", c.Err("x"))
	}
}

// TestCheckLoginInfoKeepsSecrets: no finding and no error text holds the
// phonetoken, whatever else is wrong with the answer.
func TestCheckLoginInfoKeepsSecrets(t *testing.T) {
	bodies := []string{
		`{"message":"x","retcode":"100-006","result":{"phonetoken":"` + testToken + `","phonenum":"71001"}}`,
		`{"message":null,"retcode":"0","result":{"phonetoken":"` + testToken + `","phonenum":"79999"}}`,
		`{"message":"x","retcode":"0","result":{"phonetoken":"` + testToken + `","phonetoken":"` + testToken + `"}}`,
		`{"message":"x","retcode":"0","result":{"phonetoken":"` + testToken + `"},"result":{}}`,
		`{"message":"x","retcode":"0","result":{"phonetoken":["` + testToken + `"]}}`,
		`{"message":"x","retcode":"0","result":{"phonetoken":"` + testToken,
	}
	for _, b := range bodies {
		for _, status := range []int{200, 503} {
			c := CheckLoginInfo(status, "text/plain", []byte(b), testPhone)
			if c.Verdict.OK() {
				t.Fatalf("%s: success", b)
			}
			assertNoSecrets(t, "finding", c.Err("x").Error())
		}
	}
}

// TestDecodeEnvelopeIsTheOraclesEnvelope: the client's decoder and the
// oracle read bodies the same way: a status-200 answer is of the envelope
// class exactly when DecodeEnvelope fails, truncated exactly when its error
// wraps ErrTruncated.
func TestDecodeEnvelopeIsTheOraclesEnvelope(t *testing.T) {
	for _, k := range gatewaytest.LoginInfoCases() {
		assertEnvelopeAgrees(t, []byte(k.Body))
	}
}

func assertEnvelopeAgrees(t *testing.T, body []byte) {
	t.Helper()
	v := JudgeLoginInfo(200, ContentTypeJSON, body, testPhone)
	_, err := DecodeEnvelope(body)
	if (v.Class == ClassEnvelope) != (err != nil) {
		t.Fatalf("%q: verdict %q but DecodeEnvelope error %v", body, v, err)
	}
	if err != nil && (v.Detail == "truncated") != errors.Is(err, ErrTruncated) {
		t.Fatalf("%q: verdict %q but DecodeEnvelope error %v", body, v, err)
	}
}

// contentTypes are the Content-Type cases of the table plus spellings near
// the fast path's edges.
func contentTypes() []string {
	cts := []string{ContentTypeJSON, "application/json;charset=utf-8", "application/json; charset=", "application/json;  charset=UTF-8",
		"application/json;charset=UTF-8 ", "application/json;charset=UTF-8;", "application/json;charset=UTF 8", "application/json;charset=\u00e9",
		"application/json;charset=UTF-8,", "application/json;charset", "application/json;xcharset=UTF-8", "application/json\t;charset=UTF-8",
		"application/json;charset=\"\"", "application/json;charset*=utf-8''UTF-8", "application/json;a*0=x;a*1=y"}
	for _, k := range gatewaytest.LoginInfoCases() {
		cts = append(cts, k.ContentType)
	}
	return cts
}

// TestIsJSONContentType: the fast path only ever accepts what the
// definition accepts, and takes the usual spellings without allocating.
func TestIsJSONContentType(t *testing.T) {
	for _, ct := range contentTypes() {
		assertContentTypeAgrees(t, ct)
	}
	usual := []string{ContentTypeJSON, gatewaytest.ContentTypeMock, "application/json", "application/json;charset=utf-8", "Application/JSON; Charset=UTF-8"}
	for _, ct := range usual {
		if !plainJSONContentType(ct) {
			t.Errorf("the fast path does not take %q", ct)
		}
		if n := testing.AllocsPerRun(100, func() { _ = IsJSONContentType(ct) }); n != 0 {
			t.Errorf("IsJSONContentType(%q) allocates %v times", ct, n)
		}
	}
}

func assertContentTypeAgrees(t *testing.T, ct string) {
	t.Helper()
	slow := parsedJSONContentType(ct)
	if plainJSONContentType(ct) && !slow {
		t.Fatalf("the fast path accepts %q, the definition does not", ct)
	}
	if IsJSONContentType(ct) != slow {
		t.Fatalf("IsJSONContentType(%q) = %v, the definition says %v", ct, !slow, slow)
	}
	if slow {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			t.Fatalf("IsJSONContentType accepts %q, mime.ParseMediaType says %q, %v", ct, mt, err)
		}
	}
}

func FuzzIsJSONContentType(f *testing.F) {
	for _, ct := range contentTypes() {
		f.Add(ct)
	}
	f.Fuzz(func(t *testing.T, ct string) {
		assertContentTypeAgrees(t, ct)
	})
}

// FuzzCheckLoginInfo: for any answer, JudgeLoginInfo and CheckLoginInfo
// agree, the envelope class matches DecodeEnvelope, and a success is one by
// a lenient reading too (encoding/json into a map, last member winning):
// retcode "0", a message string, a non-empty token and the wanted phonenum.
func FuzzCheckLoginInfo(f *testing.F) {
	for _, k := range gatewaytest.LoginInfoCases() {
		f.Add(k.Status, k.ContentType, []byte(k.Body), k.WantPhone)
	}
	f.Fuzz(func(t *testing.T, status int, ct string, body []byte, want string) {
		v := JudgeLoginInfo(status, ct, body, want)
		assertCheckAgrees(t, "fuzz", v, CheckLoginInfo(status, ct, body, want))
		assertEnvelopeAgrees(t, body)
		if !v.OK() {
			return
		}
		if status != 200 || !IsJSONContentType(ct) {
			t.Fatalf("success with status %d, Content-Type %q", status, ct)
		}
		var env, res map[string]json.RawMessage
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("success, but encoding/json cannot read %q: %v", body, err)
		}
		if err := json.Unmarshal(env["result"], &res); err != nil {
			t.Fatalf("success, but encoding/json cannot read the result of %q: %v", body, err)
		}
		var msg *string
		var rc, tok, num string
		for dst, raw := range map[any]json.RawMessage{&msg: env["message"], &rc: env["retcode"], &tok: res["phonetoken"], &num: res["phonenum"]} {
			if err := json.Unmarshal(raw, dst); err != nil {
				t.Fatalf("success, but encoding/json reads %q of %q as no string: %v", raw, body, err)
			}
		}
		if rc != RetOK || msg == nil || tok == "" || num != want || want == "" {
			t.Fatalf("success for %q (want %q), but encoding/json reads retcode %q, message %v, token %q, phonenum %q", body, want, rc, msg, tok, num)
		}
	})
}
