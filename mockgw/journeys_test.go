package mockgw

import (
	"net/http"
	"testing"
	"time"

	"ccgw-harness/gateway"
)

// publicClientBody is the sign-in body a public agent client sends for an
// agent without a password.
const publicClientBody = `{"password":"","phonenum":"40038","autoanswer":false,"autoenteridle":true,"status":4,"releasephone":true,"ip":"127.0.0.1"}`

// TestNoPassword: a mock whose agents have no password takes the public
// client's body (optional fields and ip included) and refuses a password;
// the default mock refuses an empty one, as it always did.
func TestNoPassword(t *testing.T) {
	none := newServer(t, WithNoPassword())
	c := none.Client()
	wantRetcode(t, mustDo(t, c, none.URL(), req{method: http.MethodPut, path: gateway.SignInPath(1001), body: publicClientBody}), gateway.RetOK)
	wantRetcode(t, mustDo(t, c, none.URL(), req{method: http.MethodPut, path: gateway.ForceLoginPath(1001), body: publicClientBody}), gateway.RetOK)
	rep := mustDo(t, c, none.URL(), req{method: http.MethodPut, path: gateway.SignInPath(1002), body: `{"password":"x","phonenum":"1"}`})
	wantRetcode(t, rep, gateway.RetWrongPassword)
	if rep.header.Get(gateway.HeaderSetGuid) != "" {
		t.Error("a refused sign-in set a Guid")
	}
	// The optional fields are still validated.
	wantRetcode(t, mustDo(t, c, none.URL(), req{method: http.MethodPut, path: gateway.SignInPath(1003), body: `{"password":"","phonenum":"1","status":7}`}), gateway.RetSignInParamInvalid)

	def := newServer(t)
	wantRetcode(t, mustDo(t, def.Client(), def.URL(), req{method: http.MethodPut, path: gateway.SignInPath(1001), body: publicClientBody}), gateway.RetSignInParamInvalid)
	withIP := `{"password":"x","phonenum":"40038","autoanswer":false,"autoenteridle":true,"status":4,"releasephone":true,"agenttype":11,"ip":"127.0.0.1"}`
	wantRetcode(t, mustDo(t, def.Client(), def.URL(), req{method: http.MethodPut, path: gateway.SignInPath(1002), body: withIP}), gateway.RetOK)

	if _, err := New(WithNoPassword(), WithPassword("x")); err == nil {
		t.Error("New(WithNoPassword(), WithPassword(x)) succeeded")
	}
}

// TestGuidTimeoutFrom: a rotated-out Guid dies guid_timeout after its issue
// by default, and guid_timeout after its rotation under the other reading.
func TestGuidTimeoutFrom(t *testing.T) {
	for _, tc := range []struct {
		from       gateway.GuidTimeoutFrom
		deadAfterS int // seconds after sign-in when the first Guid stops working
	}{
		{gateway.GuidTimeoutFromIssue, 120},
		{gateway.GuidTimeoutFromRotation, 61 + 120},
	} {
		t.Run(string(tc.from), func(t *testing.T) {
			clk := newFakeClock()
			srv := newServer(t, WithClock(clk.Now), WithPollWait(20*time.Millisecond), WithIdleTimeout(time.Hour), WithGuidTimeoutFrom(tc.from))
			c := srv.Client()
			a := signIn(t, srv, c, 1001)
			first := &agent{id: a.id, phone: a.phone, guid: a.guid}
			clk.Advance(61 * time.Second)
			wantRetcode(t, a.poll(t, srv, c), gateway.RetOK) // rotates at t0+61s
			if a.guid == first.guid {
				t.Fatal("no rotation after guid_interval")
			}
			clk.Advance(time.Duration(tc.deadAfterS-61)*time.Second - time.Millisecond)
			wantRetcode(t, first.loginInfo(t, srv, c), gateway.RetOK)
			clk.Advance(time.Millisecond)
			wantRetcode(t, first.loginInfo(t, srv, c), gateway.RetNotSignedIn)
			// The current Guid is never timed out while the session lives.
			wantRetcode(t, a.loginInfo(t, srv, c), gateway.RetOK)
		})
	}
	if _, err := New(WithGuidTimeoutFrom("later")); err == nil {
		t.Error("New accepted guid timeout from \"later\"")
	}
}
