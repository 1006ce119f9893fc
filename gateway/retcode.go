package gateway

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
