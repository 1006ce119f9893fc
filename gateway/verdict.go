package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
)

// Class is the kind of outcome of one logininfo request. A request succeeds
// only when the transport worked, the status is 200, the envelope parses,
// retcode is "0" and the result passes the contract.
type Class string

// The outcome classes, in the order a response is judged.
const (
	ClassOK        Class = "ok"
	ClassTransport Class = "transport" // no HTTP answer: reset, refused, TLS, EOF...
	ClassTimeout   Class = "timeout"   // no answer within the request timeout
	ClassHTTP      Class = "http"      // an HTTP status other than 200
	ClassEnvelope  Class = "envelope"  // 200, but the body is no envelope (malformed, truncated)
	ClassRetcode   Class = "retcode"   // an envelope with a retcode other than "0"
	ClassContract  Class = "contract"  // retcode "0" but the result breaks the contract
)

// Contract-violation kinds (Detail of a ClassContract verdict). They are
// stored in results files: kinds are only ever added, never renamed.
const (
	ViolationEmptyToken   = "empty_token"    // no or empty phonetoken
	ViolationWrongPhone   = "wrong_phonenum" // phonenum is not the one this agent signed in with
	ViolationNoResult     = "no_result"      // retcode "0" without a result object
	ViolationContentType  = "content_type"   // the answer is not application/json
	ViolationResultTypes  = "result_types"   // phonetoken or phonenum is not one string (another type, or given twice)
	ViolationTokenOnError = "token_on_error" // an error envelope carries a phonetoken
	ViolationNoMessage    = "no_message"     // retcode "0" without a message string (missing or null)
)

// Verdict is the judgement of one response. Its String form is what the load
// engine stores in a vegeta result's Error field ("" for success), and
// ParseVerdict reads it back, so reports can count classes from results
// files. No part of a verdict ever holds a Guid or a token.
type Verdict struct {
	Class  Class
	Detail string // transport kind, HTTP status, retcode or violation kind
}

// OK reports whether the verdict is success.
func (v Verdict) OK() bool { return v.Class == ClassOK || v.Class == "" }

// Retcode returns the envelope retcode the verdict implies: "0" for success
// and contract violations (the gateway said success), the code for a
// ClassRetcode verdict, and "" when no envelope was read.
func (v Verdict) Retcode() string {
	switch v.Class {
	case ClassOK, "", ClassContract:
		return RetOK
	case ClassRetcode:
		return v.Detail
	}
	return ""
}

// String returns the results-file form: "" for success, else
// "CLASS DETAIL" (e.g. "retcode 100-006", "http 503",
// "contract wrong_phonenum", "transport reset", "timeout").
func (v Verdict) String() string {
	if v.OK() {
		return ""
	}
	if v.Detail == "" {
		return string(v.Class)
	}
	return string(v.Class) + " " + v.Detail
}

// Key is String, but "ok" for success: a map key for counting.
func (v Verdict) Key() string {
	if v.OK() {
		return string(ClassOK)
	}
	return v.String()
}

// ParseVerdict reads a results-file Error field. An error that is not of the
// verdict vocabulary (as written by a plain vegeta attack) is classified as
// transport or timeout by its text.
func ParseVerdict(s string) Verdict {
	if s == "" {
		return Verdict{Class: ClassOK}
	}
	cls, detail, _ := strings.Cut(s, " ")
	switch Class(cls) {
	case ClassTransport, ClassTimeout, ClassHTTP, ClassEnvelope, ClassRetcode, ClassContract:
		return Verdict{Class: Class(cls), Detail: detail}
	case ClassOK:
		return Verdict{Class: ClassOK}
	}
	return classifyText(s)
}

// sanitizeRetcode keeps a retcode usable as one word of the verdict string
// and bounded in size, whatever a misbehaving gateway sends.
func sanitizeRetcode(s string) string {
	if s == "" {
		return `""`
	}
	if len(s) > 16 {
		s = s[:16]
	}
	b := []byte(s)
	for i, c := range b {
		if c <= ' ' || c >= 0x7f {
			b[i] = '_'
		}
	}
	return string(b)
}

// ClassifyError judges a request that got no HTTP answer.
func ClassifyError(err error) Verdict {
	if err == nil {
		return Verdict{Class: ClassOK}
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return Verdict{Class: ClassTimeout}
	case errors.As(err, &ne) && ne.Timeout():
		return Verdict{Class: ClassTimeout}
	case errors.Is(err, syscall.ECONNRESET):
		return Verdict{Class: ClassTransport, Detail: "reset"}
	case errors.Is(err, syscall.ECONNREFUSED):
		return Verdict{Class: ClassTransport, Detail: "refused"}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return Verdict{Class: ClassTransport, Detail: "eof"}
	}
	var recErr tls.RecordHeaderError
	var certErr *tls.CertificateVerificationError
	var alert tls.AlertError
	if errors.As(err, &recErr) || errors.As(err, &certErr) || errors.As(err, &alert) {
		return Verdict{Class: ClassTransport, Detail: "tls"}
	}
	return classifyText(err.Error())
}

// classifyText classifies an error known only by its text (vegeta results
// keep errors as strings).
func classifyText(s string) Verdict {
	l := strings.ToLower(s)
	switch {
	case strings.Contains(l, "timeout"), strings.Contains(l, "deadline exceeded"):
		return Verdict{Class: ClassTimeout}
	case strings.Contains(l, "connection reset"):
		return Verdict{Class: ClassTransport, Detail: "reset"}
	case strings.Contains(l, "connection refused"):
		return Verdict{Class: ClassTransport, Detail: "refused"}
	case strings.Contains(l, "tls"), strings.Contains(l, "x509"), strings.Contains(l, "certificate"):
		return Verdict{Class: ClassTransport, Detail: "tls"}
	case strings.Contains(l, "eof"):
		return Verdict{Class: ClassTransport, Detail: "eof"}
	case strings.Contains(l, "no such host"), strings.Contains(l, "lookup"):
		return Verdict{Class: ClassTransport, Detail: "dns"}
	}
	return Verdict{Class: ClassTransport, Detail: "other"}
}
