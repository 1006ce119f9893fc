package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Envelope is the body of every gateway answer:
// `{"message": string, "retcode": string, "result": object}`.
type Envelope struct {
	Message string          `json:"message"`
	Retcode string          `json:"retcode"`
	Result  json.RawMessage `json:"result,omitempty"`
}

// OK reports whether the envelope's retcode is RetOK.
func (e *Envelope) OK() bool { return e.Retcode == RetOK }

// LoginInfo is the result of a successful logininfo call: a temporary token
// for softphone registration and the number the agent signed in with.
type LoginInfo struct {
	PhoneToken string `json:"phonetoken"`
	PhoneNum   string `json:"phonenum"`
}

// SignInRequest is the body of sign-in and forced sign-in. Password and
// PhoneNum are mandatory (Password may be empty: agents without one); the
// rest is optional and omitted when zero. IP is not in the reference but
// public agent clients send it (the client's address).
type SignInRequest struct {
	Password      string `json:"password"`
	PhoneNum      string `json:"phonenum"`
	Status        int    `json:"status,omitempty"`
	AutoAnswer    *bool  `json:"autoanswer,omitempty"`
	AutoEnterIdle *bool  `json:"autoenteridle,omitempty"`
	ReleasePhone  *bool  `json:"releasephone,omitempty"`
	AgentType     int    `json:"agenttype,omitempty"`
	IP            string `json:"ip,omitempty"`
}

// UpdateGuidResult is the result of a Guid refresh.
type UpdateGuidResult struct {
	Guid string `json:"guid"`
}

// Envelope decoding errors. DecodeEnvelope wraps one of them.
var (
	// ErrTruncated: the body ends before the JSON value does.
	ErrTruncated = errors.New("truncated JSON")
	// ErrMalformed: the body is not a JSON object of the envelope's shape.
	ErrMalformed = errors.New("malformed envelope")
)

// jsonSpace is JSON's white space (bytes.TrimSpace would also drop Unicode
// spaces such as U+00A0, which are not JSON).
const jsonSpace = " \t\r\n"

// DecodeEnvelope strictly decodes one envelope: a single JSON object whose
// `retcode` is a string, whose `message`, when present, is a string or null,
// and whose `result`, when present, is an object or null. Member names match
// exactly (encoding/json would also take "Retcode" or "RETCODE"), each
// envelope member may appear once, and other members are ignored. Anything
// after the object but white space is an error. Errors wrap ErrTruncated or
// ErrMalformed and come with a zero Envelope.
//
// DecodeEnvelope takes every answer the gateway's calls give. What a
// logininfo success answer must be on top of that (a message string, a
// result with a token and the agent's phonenum, a JSON Content-Type) is
// CheckLoginInfo's to say.
func DecodeEnvelope(body []byte) (Envelope, error) {
	r := readEnvelope(body)
	if len(r.problems) > 0 {
		return Envelope{}, r.problems[0].err()
	}
	return r.env, nil
}

// problem is one reason a body is no envelope, or a result no logininfo
// result. Its text names no value from the body (a JSON syntax error may
// quote one character).
type problem struct {
	part      Part
	truncated bool // the body ends before its JSON value does
	text      string
}

// err is the problem as DecodeEnvelope's and DecodeLoginInfo's error.
func (p problem) err() error {
	if p.truncated {
		return fmt.Errorf("%w: %s", ErrTruncated, p.text)
	}
	return fmt.Errorf("%w: %s", ErrMalformed, p.text)
}

// envelopeRead is a body read as an envelope: every problem that makes it
// none (empty when it is one), and what could be read of its members.
type envelopeRead struct {
	env      Envelope
	object   bool   // the body is one valid JSON object: its members could be read
	message  member // the raw members, for CheckLoginInfo
	retcode  member
	result   member
	problems []problem
}

// usable reports whether a member was read once with one of the given
// first bytes (a JSON value's type: '"' string, '{' object, 'n' null).
func (m member) usable(kinds string) bool {
	return m.n == 1 && strings.IndexByte(kinds, m.raw[0]) >= 0
}

// readEnvelope reads body as an envelope and collects every reason it is
// none, in a fixed order: the body as a whole, then members given twice,
// then retcode, message and result of the wrong JSON type.
func readEnvelope(body []byte) envelopeRead {
	var r envelopeRead
	add := func(part Part, format string, args ...any) {
		r.problems = append(r.problems, problem{part: part, text: fmt.Sprintf(format, args...)})
	}
	trimmed := bytes.Trim(body, jsonSpace)
	if len(trimmed) == 0 {
		r.problems = append(r.problems, problem{part: PartBody, truncated: true, text: "empty body"})
		return r
	}
	if trimmed[0] != '{' {
		add(PartBody, "body is not a JSON object")
		return r
	}
	if !json.Valid(trimmed) {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		var v any
		if err := dec.Decode(&v); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				r.problems = append(r.problems, problem{part: PartBody, truncated: true, text: "the body ends inside its JSON object"})
				return r
			}
			add(PartBody, "body is not valid JSON (%v)", err)
			return r
		}
		add(PartBody, "data after the JSON object")
		return r
	}
	ms, err := objectMembers(trimmed, "message", "retcode", "result")
	if err != nil {
		add(PartBody, "%v", err)
		return r
	}
	r.object = true
	r.message, r.retcode, r.result = ms[0], ms[1], ms[2]
	for i, part := range []Part{PartMessage, PartRetcode, PartResult} {
		if ms[i].n > 1 {
			add(part, "member %q appears %d times", part, ms[i].n)
		}
	}
	switch rc := r.retcode; {
	case rc.n == 0:
		add(PartRetcode, "no retcode")
	case rc.raw[0] != '"':
		add(PartRetcode, "retcode is not a string (%s)", jsonKind(rc.raw))
	default:
		_ = json.Unmarshal(rc.raw, &r.env.Retcode) // a valid JSON string
	}
	switch msg := r.message; {
	case msg.n == 0 || msg.raw[0] == 'n':
	case msg.raw[0] != '"':
		add(PartMessage, "message is not a string (%s)", jsonKind(msg.raw))
	default:
		_ = json.Unmarshal(msg.raw, &r.env.Message)
	}
	switch res := r.result; {
	case res.n == 0 || res.raw[0] == 'n':
	case res.raw[0] != '{':
		add(PartResult, "result is not an object (%s)", jsonKind(res.raw))
	default:
		r.env.Result = res.raw
	}
	return r
}

// member is what objectMembers read of one named member.
type member struct {
	raw json.RawMessage // its first value; nil when absent
	n   int             // how often the name appears
}

// objectMembers reads the named members of a valid JSON object, matching
// names exactly (after unescaping), in the order of names. Its errors are
// for a problem's text: they wrap no sentinel.
func objectMembers(obj []byte, names ...string) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	out := make([]member, len(names))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		for i, n := range names {
			if name == n {
				if out[i].n == 0 {
					out[i].raw = raw
				}
				out[i].n++
			}
		}
	}
	return out, nil
}

// jsonKind names the JSON type of a raw value by its first byte.
func jsonKind(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "missing"
	}
	switch c := raw[0]; {
	case c == '"':
		return "a string"
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	}
	return "a number"
}

// DecodeLoginInfo decodes the result of a logininfo envelope: a JSON object
// whose `phonetoken` and `phonenum` (names matched exactly, each at most
// once) are strings; a missing or null member decodes as empty.
func DecodeLoginInfo(result json.RawMessage) (LoginInfo, error) {
	if len(result) == 0 {
		return LoginInfo{}, nil
	}
	r := readLoginInfo(result)
	if len(r.problems) > 0 {
		return LoginInfo{}, r.problems[0].err()
	}
	return r.li, nil
}

// loginInfoRead is a logininfo result as read: the strings found, the raw
// members, and every reason it is no logininfo result of the documented
// types.
type loginInfoRead struct {
	li       LoginInfo
	token    member
	num      member
	problems []problem
}

// readLoginInfo reads a result object's phonetoken and phonenum.
func readLoginInfo(result json.RawMessage) loginInfoRead {
	var r loginInfoRead
	trimmed := bytes.Trim(result, jsonSpace)
	if len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(trimmed) {
		r.problems = append(r.problems, problem{part: PartResult, text: "logininfo result is not a JSON object"})
		return r
	}
	ms, err := objectMembers(trimmed, "phonetoken", "phonenum")
	if err != nil {
		r.problems = append(r.problems, problem{part: PartResult, text: "logininfo result: " + err.Error()})
		return r
	}
	r.token, r.num = ms[0], ms[1]
	for _, m := range []struct {
		part Part
		m    member
		dst  *string
	}{{PartPhoneToken, r.token, &r.li.PhoneToken}, {PartPhoneNum, r.num, &r.li.PhoneNum}} {
		switch {
		case m.m.n > 1:
			r.problems = append(r.problems, problem{part: m.part, text: fmt.Sprintf("result.%s appears %d times", m.part, m.m.n)})
		case m.m.n == 0 || m.m.raw[0] == 'n':
		case m.m.raw[0] != '"':
			r.problems = append(r.problems, problem{part: m.part, text: fmt.Sprintf("result.%s is not a string (%s)", m.part, jsonKind(m.m.raw))})
		default:
			_ = json.Unmarshal(m.m.raw, m.dst)
		}
	}
	return r
}
