// Package gateway is the CC-Gateway agent interface as the harness
// understands it: the one statement of the contract that the mock serves,
// the load engine drives, the contract suite checks and the reports count.
// An agent signs in and gets a Guid (rotated under dynamic authentication),
// asks logininfo for its softphone's token, long-polls its events and signs
// out; answers are Envelopes carrying a retcode, and every answer is
// judged in one place into a Verdict (JudgeLoginInfo and CheckLoginInfo for
// logininfo, JudgeCall for any call), whose string form is what results
// files carry. No other package decides what a correct answer is.
//
// A Client makes an agent's calls over HTTPS, one Session per signed-in
// agent (its Guid, node and cookies); Do is the raw call for contract
// probes. An answer other than success is an *Error carrying the HTTP
// status and retcode.
//
//	c, err := gateway.NewClient("https://gw.example:8043", gateway.WithTLS(tlsConf))
//	s, err := c.SignIn(ctx, 1001, gateway.SignInRequest{Password: pw, PhoneNum: "88001001"})
//	li, err := c.LoginInfo(ctx, s)
//
// Sources: the vendor's public API reference for the CEC/AICC CC-Gateway
// (api-cec cec_07_0360 logininfo, cec_07_1202 sign-in, cec_07_1203 forced
// sign-in, cec_07_1219 sign-out, cec_07_1274 event polling, cec_07_0358
// updateGuid, cec_07_0005 authentication, cec_07_0580 error codes). The
// package uses the standard library only.
//
// Passwords, Guids and phonetokens never appear in an Error, a Verdict or a
// ParseError; Mask identifies one when it must be named.
package gateway
