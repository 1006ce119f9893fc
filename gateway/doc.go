// Package gateway is the CC-Gateway agent interface as code: paths, header
// names, retcodes, the response envelope, agent-ID bounds, Guid parsing, the
// verdict vocabulary that judges a logininfo answer, and an HTTPS client for
// the calls an agent makes (sign-in, forced sign-in, logininfo, sign-out,
// event polling, Guid refresh).
//
// Sources: the vendor's public API reference for the CEC/AICC CC-Gateway
// (api-cec cec_07_0360 logininfo, cec_07_1202 sign-in, cec_07_1203 forced
// sign-in, cec_07_1219 sign-out, cec_07_1274 event polling, cec_07_0358
// updateGuid, cec_07_0005 authentication, cec_07_0580 error codes). The
// package uses the standard library only.
package gateway
