package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestSessionRules pins the two agent-session rules on every kind of
// failure a call can return.
func TestSessionRules(t *testing.T) {
	cases := []struct {
		name        string
		err         error
		force, gone bool
	}{
		{"no error", nil, false, false},
		{"already signed in", &Error{Op: OpSignIn, Status: 200, Retcode: RetAlreadySignedIn}, true, false},
		{"already signed in, wrapped", fmt.Errorf("agent 1001: %w", &Error{Op: OpSignIn, Status: 200, Retcode: RetAlreadySignedIn}), true, false},
		{"not signed in", &Error{Op: OpPollEvents, Status: 200, Retcode: RetNotSignedIn}, false, true},
		{"already signed out", &Error{Op: OpSignOut, Status: 200, Retcode: RetAlreadySignedOut}, false, true},
		{"no permission", &Error{Op: OpPollEvents, Status: 200, Retcode: RetNoPermission}, false, true},
		{"no permission with HTTP 401", &Error{Op: OpSignOut, Status: 401, Retcode: RetNoPermission}, false, true},
		{"not signed in, wrapped", fmt.Errorf("x: %w", &Error{Retcode: RetNotSignedIn}), false, true},
		{"internal error", &Error{Status: 200, Retcode: RetInternal}, false, false},
		{"repeated invocation", &Error{Status: 200, Retcode: RetRepeated}, false, false},
		{"wrong password", &Error{Status: 200, Retcode: RetWrongPassword}, false, false},
		{"HTTP 503 without an envelope", &Error{Status: 503}, false, false},
		{"a contract violation", &Error{Status: 200, Message: "wrong_phonenum: x"}, false, false},
		{"timeout", context.DeadlineExceeded, false, false},
		{"only the text of a retcode", errors.New("retcode 100-006 (agent not signed in)"), false, false},
	}
	for _, tc := range cases {
		if got := NeedsForceLogin(tc.err); got != tc.force {
			t.Errorf("%s: NeedsForceLogin = %v, want %v", tc.name, got, tc.force)
		}
		if got := SessionGone(tc.err); got != tc.gone {
			t.Errorf("%s: SessionGone = %v, want %v", tc.name, got, tc.gone)
		}
	}
}

// TestVerdictSessionGone: a logininfo verdict says the session is gone for
// exactly SessionGone's retcodes.
func TestVerdictSessionGone(t *testing.T) {
	for _, v := range allVerdicts {
		want := v.Class == ClassRetcode && SessionGone(&Error{Status: 200, Retcode: v.Detail})
		if got := v.SessionGone(); got != want {
			t.Errorf("%+v.SessionGone() = %v, want %v", v, got, want)
		}
	}
	for _, rc := range []string{RetNotSignedIn, RetAlreadySignedOut, RetNoPermission} {
		if v := (Verdict{Class: ClassRetcode, Detail: rc}); !v.SessionGone() {
			t.Errorf("%s: not gone", v)
		}
		if v := (Verdict{Class: ClassContract, Detail: rc}); v.SessionGone() {
			t.Errorf("%s: gone", v)
		}
	}
}

// TestSessionRulesOverHTTPS: the rules read the errors the client returns
// for real answers: a second sign-in, a poll, a logininfo and a sign-out of
// a session the gateway no longer has.
func TestSessionRulesOverHTTPS(t *testing.T) {
	_, c := newTLSServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPut && !strings.HasSuffix(r.URL.Path, "/forcelogin"):
			writeEnvelope(w, RetAlreadySignedIn, "agent has signed in", nil)
		case r.Method == http.MethodPut:
			w.Header().Set(HeaderSetGuid, FormatSetGuid(testGuid))
			writeEnvelope(w, RetOK, "", nil)
		case r.Method == http.MethodGet:
			writeEnvelope(w, RetNoPermission, "authentication expired", nil)
		case r.Method == http.MethodDelete:
			writeEnvelope(w, RetAlreadySignedOut, "already signed out", nil)
		default:
			writeEnvelope(w, RetNotSignedIn, "agent not signed in", nil)
		}
	})
	ctx := context.Background()
	req := SignInRequest{Password: "pw", PhoneNum: testPhone}
	_, err := c.SignIn(ctx, 1001, req)
	if !NeedsForceLogin(err) || SessionGone(err) {
		t.Fatalf("sign-in answered 100-002: %v", err)
	}
	s, err := c.ForceSignIn(ctx, 1001, req)
	if err != nil || NeedsForceLogin(err) {
		t.Fatalf("forced sign-in: %v", err)
	}
	if _, err := c.PollEvents(ctx, s); !SessionGone(err) {
		t.Errorf("poll answered 000-003: SessionGone false for %v", err)
	}
	if _, err := c.LoginInfo(ctx, s); !SessionGone(err) {
		t.Errorf("logininfo answered 100-006: SessionGone false for %v", err)
	}
	if err := c.SignOut(ctx, s); !SessionGone(err) || NeedsForceLogin(err) {
		t.Errorf("sign-out answered 100-008: %v", err)
	}
}
