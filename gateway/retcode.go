package gateway

import "errors"

// Retcodes the gateway documents for the calls this harness makes
// (cec_07_0580). Every answer carries one in the envelope; only RetOK is
// success, whatever the HTTP status.
const (
	RetOK                 = "0"
	RetBadParam           = "000-002" // bad parameter or URL (bad agent ID)
	RetNoPermission       = "000-003" // no permission / authentication expired (Guid missing or not this agent's)
	RetRepeated           = "000-007" // repeated invocation
	RetSignInParamInvalid = "100-001" // sign-in parameter invalid
	RetAlreadySignedIn    = "100-002" // agent already signed in
	RetWrongPassword      = "100-004" // wrong password
	RetNotSignedIn        = "100-006" // agent not signed in (Guid unknown or expired)
	RetInternal           = "100-007" // internal error
	RetAlreadySignedOut   = "100-008" // agent already signed out
)

var retcodeMeanings = map[string]string{
	RetOK:                 "success",
	RetBadParam:           "bad parameter or URL",
	RetNoPermission:       "no permission or authentication expired",
	RetRepeated:           "repeated invocation",
	RetSignInParamInvalid: "sign-in parameter invalid",
	RetAlreadySignedIn:    "agent already signed in",
	RetWrongPassword:      "wrong password",
	RetNotSignedIn:        "agent not signed in",
	RetInternal:           "internal error",
	RetAlreadySignedOut:   "agent already signed out",
}

// RetcodeMeaning returns the documented meaning of a retcode, or
// "undocumented retcode" when the reference does not list it.
func RetcodeMeaning(code string) string {
	if m, ok := retcodeMeanings[code]; ok {
		return m
	}
	return "undocumented retcode"
}

// NeedsForceLogin reports whether a sign-in failed because the agent is
// already signed in (retcode 100-002: a session of this agent exists, made
// by an earlier run or another client). The documented remedy is the forced
// sign-in (Client.ForceSignIn), which replaces that session; whether to use
// it is the target's choice (config force_login). No other failure is
// helped by a forced sign-in.
func NeedsForceLogin(err error) bool {
	var ge *Error
	return errors.As(err, &ge) && ge.Retcode == RetAlreadySignedIn
}

// SessionGone reports whether a call that carried a session's Guid failed
// because that session no longer exists for the agent, so the Guid is dead
// for good: retcode 100-006 (not signed in: the Guid is unknown, expired,
// replaced by a forced sign-in, or lost in a gateway restart), 100-008
// (already signed out) or 000-003 (no permission or authentication expired:
// the gateway no longer lets this Guid act for this agent). The three mean
// the same for every call: a sign-out so answered has nothing left that it
// could end (the agent is signed out, or the gateway's idle sign-out ends
// the session this Guid can no longer reach), and an event poll or
// logininfo so answered needs a new sign-in. Any other failure (no answer,
// HTTP 5xx, 100-007 internal error, 000-007 repeated invocation) says
// nothing about the session.
func SessionGone(err error) bool {
	var ge *Error
	return errors.As(err, &ge) && sessionGoneRetcode(ge.Retcode)
}

// SessionGone reports whether a logininfo verdict says the agent's session
// is gone: a ClassRetcode verdict with one of the retcodes of the function
// SessionGone.
func (v Verdict) SessionGone() bool {
	return v.Class == ClassRetcode && sessionGoneRetcode(v.Detail)
}

// NeedsForceLogin reports whether a sign-in verdict says the agent is
// already signed in: the function NeedsForceLogin's rule, for a verdict.
func (v Verdict) NeedsForceLogin() bool {
	return v.Class == ClassRetcode && v.Detail == RetAlreadySignedIn
}

func sessionGoneRetcode(rc string) bool {
	return rc == RetNotSignedIn || rc == RetAlreadySignedOut || rc == RetNoPermission
}
