package gateway

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestMask(t *testing.T) {
	cases := map[string]string{
		"":                 "<0 chars>",
		"abc":              "<3 chars>",
		"fifteen-chars-x":  "<15 chars>",
		"sixteen-chars-xy": "sixt…s-xy",
		testGuid:           "3f2b…way1",
	}
	for in, want := range cases {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
		if len(in) >= 5 && strings.Contains(Mask(in), in) {
			t.Errorf("Mask(%q) reveals the secret", in)
		}
	}
}

func TestErrorText(t *testing.T) {
	cases := []struct {
		e    Error
		want string
	}{
		{Error{Op: OpLoginInfo, AgentID: 1001, Status: 200, Retcode: RetNotSignedIn, Message: "agent not login"},
			`logininfo agent 1001: retcode 100-006 (agent not signed in): "agent not login"`},
		{Error{Op: OpLoginInfo, AgentID: 1001, Status: 405, Retcode: RetBadParam, Message: ""},
			`logininfo agent 1001: HTTP 405, retcode 000-002 (bad parameter or URL): ""`},
		{Error{Op: OpSignIn, AgentID: 7, Status: 503},
			`signin agent 7: HTTP 503`},
		{Error{Op: OpLoginInfo, AgentID: 1001, Status: 200, Message: "contract violation empty_token: x"},
			`logininfo agent 1001: HTTP 200: contract violation empty_token: x`},
		{Error{Op: OpLoginInfo, AgentID: 1, Status: 200, Retcode: "999-999"},
			`logininfo agent 1: retcode 999-999 (undocumented retcode): ""`},
		{Error{Op: OpLoginInfo, AgentID: 1, Status: 200, Retcode: "a b\nc" + strings.Repeat("x", 100)},
			`logininfo agent 1: retcode a_b_cxxxxxxxxxxx (undocumented retcode): ""`},
	}
	for _, tc := range cases {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	var err error = fmt.Errorf("wrapped: %w", &Error{Op: OpSignOut, AgentID: 3, Status: 200, Retcode: RetAlreadySignedOut})
	var ge *Error
	if !errors.As(err, &ge) || ge.Retcode != RetAlreadySignedOut {
		t.Error("*Error is not reachable with errors.As")
	}
}

func TestParseErrorText(t *testing.T) {
	e := &ParseError{What: "agent ID", Input: "abc", Allowed: "digits 101-999999"}
	if got, want := e.Error(), `invalid agent ID "abc": want digits 101-999999`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	long := &ParseError{What: "x", Input: strings.Repeat("z", 100), Allowed: "y"}
	if got := long.Error(); strings.Count(got, "z") != 64 || !strings.Contains(got, `..."`) {
		t.Errorf("a long input is not shortened: %q", got)
	}
}

func TestRetcodeMeaning(t *testing.T) {
	for _, code := range []string{RetOK, RetBadParam, RetNoPermission, RetRepeated, RetSignInParamInvalid,
		RetAlreadySignedIn, RetWrongPassword, RetNotSignedIn, RetInternal, RetAlreadySignedOut} {
		if m := RetcodeMeaning(code); m == "" || m == "undocumented retcode" {
			t.Errorf("retcode %s has no meaning", code)
		}
	}
	if RetcodeMeaning("123-456") != "undocumented retcode" {
		t.Error("an unknown retcode must be undocumented")
	}
}
