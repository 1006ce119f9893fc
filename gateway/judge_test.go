package gateway

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestJudgeEnvelope(t *testing.T) {
	cases := []struct {
		status int
		body   string
		want   string // Verdict.String()
	}{
		{200, `{"message":"success","retcode":"0","result":{}}`, ""},
		{200, `{"message":"","retcode":"0","event":null}`, ""},
		{200, `{"retcode":"0"}`, ""},
		{200, `{"message":"x","retcode":"100-006"}`, "retcode 100-006"},
		{200, `{"message":"x","retcode":"000-003","result":null}`, "retcode 000-003"},
		{503, `{"message":"x","retcode":"0"}`, "http 503"},
		{404, ``, "http 404"},
		{200, `{"message":"x","retcode":"0"`, "envelope truncated"},
		{200, `not json`, "envelope malformed"},
		{200, `{"retcode":0}`, "envelope malformed"},
		{200, ``, "envelope truncated"},
	}
	for _, c := range cases {
		if got := JudgeEnvelope(c.status, []byte(c.body)).String(); got != c.want {
			t.Errorf("JudgeEnvelope(%d, %s) = %q, want %q", c.status, c.body, got, c.want)
		}
	}
}

func TestJudgeSignIn(t *testing.T) {
	ok := `{"message":"success","retcode":"0","result":{}}`
	cases := []struct {
		status  int
		setGuid string
		body    string
		want    string
	}{
		{200, FormatSetGuid(testGuid), ok, ""},
		{200, "", ok, "contract " + ViolationNoSetGuid},
		{200, "JSESSIONID=", ok, "contract " + ViolationBadSetGuid},
		{200, "JSESSIONID=a b", ok, "contract " + ViolationBadSetGuid},
		{200, "", `{"message":"x","retcode":"100-002"}`, "retcode 100-002"},
		{200, "", `{"message":"x","retcode":"100-004"}`, "retcode 100-004"},
		{500, FormatSetGuid(testGuid), ok, "http 500"},
	}
	for _, c := range cases {
		v := JudgeSignIn(c.status, c.setGuid, []byte(c.body))
		if v.String() != c.want {
			t.Errorf("JudgeSignIn(%d, %q, %s) = %q, want %q", c.status, Mask(c.setGuid), c.body, v, c.want)
		}
		assertNoSecrets(t, "verdict", v.String())
	}
	if v := JudgeSignIn(200, "", []byte(`{"message":"x","retcode":"100-002"}`)); !v.NeedsForceLogin() || v.SessionGone() {
		t.Errorf("100-002: NeedsForceLogin %v SessionGone %v", v.NeedsForceLogin(), v.SessionGone())
	}
	for _, rc := range []string{RetNotSignedIn, RetNoPermission} {
		v := Verdict{Class: ClassRetcode, Detail: rc}
		if !v.SessionGone() || v.NeedsForceLogin() {
			t.Errorf("%s: SessionGone %v NeedsForceLogin %v", rc, v.SessionGone(), v.NeedsForceLogin())
		}
	}
	for _, v := range []Verdict{{Class: ClassOK}, {Class: ClassHTTP, Detail: "503"}, {Class: ClassRetcode, Detail: RetInternal}, {Class: ClassTimeout}} {
		if v.SessionGone() || v.NeedsForceLogin() {
			t.Errorf("%s: SessionGone %v NeedsForceLogin %v, want neither", v, v.SessionGone(), v.NeedsForceLogin())
		}
	}
}

// answer is what the test gateway of TestJudgeCallAgreesWithClient sends.
type answer struct {
	status  int
	setGuid string
	body    string
}

// TestJudgeCallAgreesWithClient: for every answer, the verdict JudgeCall
// gives the exchange the observer saw is success exactly when the typed
// call succeeded, and names the retcode or status of its *Error: the client
// and the load engine apply one rule.
func TestJudgeCallAgreesWithClient(t *testing.T) {
	answers := []answer{
		{200, FormatSetGuid(testGuid2), `{"message":"success","retcode":"0","result":{}}`},
		{200, "", `{"message":"success","retcode":"0","result":{}}`},
		{200, "JSESSIONID=", `{"message":"success","retcode":"0"}`},
		{200, "", `{"message":"already","retcode":"100-002"}`},
		{200, "", `{"message":"gone","retcode":"100-006"}`},
		{200, "", `{"message":"","retcode":"0","event":null}`},
		{503, "", `{"message":"busy","retcode":"100-007"}`},
		{502, "", `bad gateway`},
		{200, "", `{"message":"x","retcode":"0"`},
		{200, "", `<html>`},
		{200, FormatSetGuid(testGuid), `{"message":"","retcode":"000-003"}`},
	}
	var mu sync.Mutex
	var cur answer
	_, c := newTLSServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		a := cur
		mu.Unlock()
		if a.setGuid != "" {
			w.Header()[HeaderSetGuid] = []string{a.setGuid}
		}
		w.Header()[HeaderContentType] = []string{ContentTypeJSON}
		w.WriteHeader(a.status)
		_, _ = w.Write([]byte(a.body))
	})
	var seen []Exchange
	obs, err := NewClient(c.BaseURL(), WithHTTPClient(c.HTTPClient()), WithObserver(func(_ context.Context, x *Exchange) {
		seen = append(seen, Exchange{Method: x.Method, URL: x.URL, Status: x.Status, Header: x.Header.Clone(), Body: append([]byte(nil), x.Body...), Err: x.Err})
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	calls := map[Call]func() error{
		CallSignIn: func() error {
			_, err := obs.SignIn(ctx, 1001, SignInRequest{Password: testPassword, PhoneNum: testPhone})
			return err
		},
		CallForceLogin: func() error {
			_, err := obs.ForceSignIn(ctx, 1001, SignInRequest{Password: testPassword, PhoneNum: testPhone})
			return err
		},
		CallLogout: func() error { return obs.SignOut(ctx, NewSession(1001, testPhone, testGuid)) },
		CallPoll: func() error {
			_, err := obs.PollEvents(ctx, NewSession(1001, testPhone, testGuid))
			return err
		},
	}
	for _, a := range answers {
		for call, do := range calls {
			mu.Lock()
			cur = a
			mu.Unlock()
			seen = seen[:0]
			err := do()
			if len(seen) != 1 {
				t.Fatalf("%s: observer saw %d exchanges, want 1", call, len(seen))
			}
			x := seen[0]
			if x.Call() != call {
				t.Errorf("observed %s %s is call %q, want %q", x.Method, x.URL, x.Call(), call)
			}
			v := JudgeCall(x.Call(), x.Status, x.Header, x.Body, testPhone)
			what := call + " answered " + a.body
			if v.OK() != (err == nil) {
				t.Errorf("%s: JudgeCall says %q but the call returned %v", what, v, err)
				continue
			}
			var e *Error
			if err == nil || !errors.As(err, &e) {
				continue
			}
			switch v.Class {
			case ClassRetcode:
				if e.Retcode != v.Detail {
					t.Errorf("%s: verdict %q, error retcode %q", what, v, e.Retcode)
				}
			case ClassHTTP:
				if e.Status == http.StatusOK || !strings.HasSuffix(v.String(), " "+itoa(e.Status)) {
					t.Errorf("%s: verdict %q, error status %d", what, v, e.Status)
				}
			case ClassContract:
				if !strings.Contains(e.Message, v.Detail) {
					t.Errorf("%s: verdict %q, error %q", what, v, e.Message)
				}
			}
		}
	}
}

// TestObserverSeesEveryCall: the observer gets each call once with its
// method, URL, status, timing and body size, also a call that got no
// answer.
func TestObserverSeesEveryCall(t *testing.T) {
	srv, c := newTLSServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPut:
			w.Header()[HeaderSetGuid] = []string{FormatSetGuid(testGuid)}
			writeEnvelope(w, RetOK, "success", map[string]any{})
		case strings.HasSuffix(r.URL.Path, "/logininfo"):
			writeEnvelope(w, RetOK, "success", LoginInfo{PhoneToken: testToken, PhoneNum: testPhone})
		default:
			writeEnvelope(w, RetOK, "", nil)
		}
	})
	type obs struct {
		method, url string
		status      int
		out         int
		ok          bool
	}
	var seen []obs
	oc, err := NewClient(c.BaseURL(), WithHTTPClient(srv.Client()), WithObserver(func(ctx context.Context, x *Exchange) {
		if ctx == nil {
			t.Error("observer got no context")
		}
		seen = append(seen, obs{x.Method, x.URL, x.Status, x.BytesOut, x.Latency > 0 && !x.Start.IsZero() && x.Err == nil})
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := oc.SignIn(ctx, 1001, SignInRequest{Password: testPassword, PhoneNum: testPhone})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oc.LoginInfo(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, err := oc.PollEvents(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := oc.SignOut(ctx, s); err != nil {
		t.Fatal(err)
	}
	base := c.BaseURL()
	want := []obs{
		{http.MethodPut, base + SignInPath(1001), 200, len(`{"password":"` + testPassword + `","phonenum":"` + testPhone + `"}`), true},
		{http.MethodPost, base + LoginInfoPath(1001), 200, 0, true},
		{http.MethodGet, base + EventPath(1001), 200, 0, true},
		{http.MethodDelete, base + LogoutPath(1001), 200, 0, true},
	}
	if len(seen) != len(want) {
		t.Fatalf("observer saw %d exchanges, want %d: %+v", len(seen), len(want), seen)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Errorf("exchange %d: %+v, want %+v", i, seen[i], want[i])
		}
	}

	// No answer: status 0 and the error.
	srv.Close()
	var gotErr error
	var status = -1
	dead, _ := NewClient(base, WithHTTPClient(srv.Client()), WithObserver(func(_ context.Context, x *Exchange) { gotErr, status = x.Err, x.Status }))
	if err := dead.SignOut(ctx, s); err == nil {
		t.Fatal("sign-out against a closed server succeeded")
	}
	if gotErr == nil || status != 0 {
		t.Errorf("observer of a failed call: status %d err %v, want 0 and the error", status, gotErr)
	}
}

func TestFollowSetGuid(t *testing.T) {
	s := NewSession(1001, testPhone, testGuid)
	h := http.Header{}
	h.Set(HeaderSetGuid, FormatSetGuid(testGuid2))
	if rot, err := s.FollowSetGuid(testGuid, 503, h); rot || err != nil || s.Guid() != testGuid {
		t.Errorf("a 503 answer switched the Guid (rotated %v, err %v)", rot, err)
	}
	if rot, err := s.FollowSetGuid(testGuid, 200, http.Header{}); rot || err != nil || s.Guid() != testGuid {
		t.Errorf("no Set-GUID: rotated %v err %v", rot, err)
	}
	if rot, err := s.FollowSetGuid(testGuid, 200, h); !rot || err != nil || s.Guid() != testGuid2 {
		t.Errorf("Set-GUID: rotated %v err %v guid %s", rot, err, Mask(s.Guid()))
	}
	if rot, err := s.FollowSetGuid(testGuid2, 200, h); rot || err != nil {
		t.Errorf("Set-GUID of the Guid sent: rotated %v err %v", rot, err)
	}
	bad := http.Header{}
	bad.Set(HeaderSetGuid, "JSESSIONID="+testGuid+",x")
	rot, err := s.FollowSetGuid(testGuid2, 200, bad)
	if rot || err == nil || s.Guid() != testGuid2 {
		t.Errorf("malformed Set-GUID: rotated %v err %v guid %s", rot, err, Mask(s.Guid()))
	}
	assertNoSecrets(t, "error", err.Error())

	s.StoreCookies(http.Header{"Set-Cookie": {"NSLBROUTE=2; Path=/"}})
	if s.CookieHeader() != "NSLBROUTE=2" {
		t.Errorf("cookies %q", s.CookieHeader())
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestParseGuidTimeoutFrom(t *testing.T) {
	for _, s := range []string{"issue", "rotation"} {
		if g, err := ParseGuidTimeoutFrom(s); err != nil || string(g) != s {
			t.Errorf("ParseGuidTimeoutFrom(%q) = %q, %v", s, g, err)
		}
	}
	for _, s := range []string{"", "Issue", "rotate", "both"} {
		if _, err := ParseGuidTimeoutFrom(s); err == nil || !strings.Contains(err.Error(), "issue or rotation") {
			t.Errorf("ParseGuidTimeoutFrom(%q) = %v, want an error naming issue or rotation", s, err)
		}
	}
}
