package gateway

import (
	"errors"
	"net/http"
	"strconv"
)

// Contract-violation kinds of a sign-in answer (Detail of a ClassContract
// verdict): the gateway said success but handed out no usable Guid.
const (
	ViolationNoSetGuid  = "no_set_guid"  // retcode "0" without a Set-GUID header
	ViolationBadSetGuid = "bad_set_guid" // a Set-GUID header that is no valid Guid
)

// JudgeEnvelope judges the answer to a call whose success is its envelope
// alone (sign-out, event poll, Guid refresh; sign-in adds the Set-GUID rule,
// see JudgeSignIn): HTTP 200, a body that is an envelope, retcode "0". It is
// the rule the Client's typed calls apply to those answers.
func JudgeEnvelope(status int, body []byte) Verdict {
	env, err := DecodeEnvelope(body)
	var e *Envelope
	if err == nil {
		e = &env
	}
	return judgeEnvelope(status, e, err)
}

// judgeEnvelope is JudgeEnvelope of an answer already decoded (env nil and
// envErr set when the body is no envelope).
func judgeEnvelope(status int, env *Envelope, envErr error) Verdict {
	switch {
	case status != http.StatusOK:
		return Verdict{Class: ClassHTTP, Detail: strconv.Itoa(status)}
	case envErr != nil || env == nil:
		if errors.Is(envErr, ErrTruncated) {
			return Verdict{Class: ClassEnvelope, Detail: "truncated"}
		}
		return Verdict{Class: ClassEnvelope, Detail: "malformed"}
	case env.Retcode != RetOK:
		return Verdict{Class: ClassRetcode, Detail: sanitizeRetcode(env.Retcode)}
	}
	return Verdict{Class: ClassOK}
}

// JudgeSignIn judges a sign-in or forced sign-in answer: JudgeEnvelope, and
// a success must carry a valid Guid in its Set-GUID header (setGuid, ""
// when there is none), else it is a contract violation.
func JudgeSignIn(status int, setGuid string, body []byte) Verdict {
	v := JudgeEnvelope(status, body)
	if !v.OK() {
		return v
	}
	return judgeSetGuid(setGuid)
}

// judgeSetGuid is the Set-GUID rule of a successful sign-in.
func judgeSetGuid(setGuid string) Verdict {
	if setGuid == "" {
		return Verdict{Class: ClassContract, Detail: ViolationNoSetGuid}
	}
	if _, err := ParseSetGuid(setGuid); err != nil {
		return Verdict{Class: ClassContract, Detail: ViolationBadSetGuid}
	}
	return Verdict{Class: ClassOK}
}

// JudgePoll judges an event-poll answer: JudgeEnvelope, and a Set-GUID
// header (setGuid, "" when there is none) on a success must hold a valid
// Guid (see Session.FollowSetGuid), else it is a contract violation.
func JudgePoll(status int, setGuid string, body []byte) Verdict {
	v := JudgeEnvelope(status, body)
	if !v.OK() || setGuid == "" {
		return v
	}
	return judgeSetGuid(setGuid)
}

// JudgeCall judges the answer to one call by the rule of that call:
// JudgeLoginInfo for logininfo (wantPhone is the agent's phonenum),
// JudgeSignIn for sign-in and forced sign-in, JudgePoll for event polls,
// JudgeEnvelope for the others.
// h is the response header (its Content-Type and Set-GUID are read).
func JudgeCall(call Call, status int, h http.Header, body []byte, wantPhone string) Verdict {
	switch call {
	case CallLoginInfo:
		return JudgeLoginInfo(status, h.Get(HeaderContentType), body, wantPhone)
	case CallSignIn, CallForceLogin:
		return JudgeSignIn(status, h.Get(HeaderSetGuid), body)
	case CallPoll:
		return JudgePoll(status, h.Get(HeaderSetGuid), body)
	}
	return JudgeEnvelope(status, body)
}
