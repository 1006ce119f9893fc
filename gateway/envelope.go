package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
func DecodeEnvelope(body []byte) (Envelope, error) {
	var env Envelope
	trimmed := bytes.Trim(body, jsonSpace)
	if len(trimmed) == 0 {
		return env, fmt.Errorf("%w: empty body", ErrTruncated)
	}
	if trimmed[0] != '{' {
		return env, fmt.Errorf("%w: body is not a JSON object", ErrMalformed)
	}
	if !json.Valid(trimmed) {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		var v any
		if err := dec.Decode(&v); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return env, fmt.Errorf("%w: %v", ErrTruncated, err)
			}
			return env, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		return env, fmt.Errorf("%w: data after the JSON object", ErrMalformed)
	}
	members, err := objectMembers(trimmed, "message", "retcode", "result")
	if err != nil {
		return env, err
	}
	retcode, ok := members["retcode"]
	if !ok {
		return env, fmt.Errorf("%w: no retcode", ErrMalformed)
	}
	if retcode[0] != '"' || json.Unmarshal(retcode, &env.Retcode) != nil {
		return Envelope{}, fmt.Errorf("%w: retcode is not a string", ErrMalformed)
	}
	if msg, ok := members["message"]; ok && msg[0] != 'n' {
		if msg[0] != '"' || json.Unmarshal(msg, &env.Message) != nil {
			return Envelope{}, fmt.Errorf("%w: message is not a string", ErrMalformed)
		}
	}
	if res, ok := members["result"]; ok {
		switch res[0] {
		case '{':
			env.Result = res
		case 'n': // null
		default:
			return Envelope{}, fmt.Errorf("%w: result is not an object", ErrMalformed)
		}
	}
	return env, nil
}

// objectMembers returns the named members of a valid JSON object, matching
// names exactly; a named member that appears twice is an error.
func objectMembers(obj []byte, names ...string) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	out := make(map[string]json.RawMessage, len(names))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		name, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		for _, n := range names {
			if name != n {
				continue
			}
			if _, dup := out[n]; dup {
				return nil, fmt.Errorf("%w: member %q appears twice", ErrMalformed, n)
			}
			out[n] = raw
		}
	}
	return out, nil
}

// DecodeLoginInfo decodes the result of a logininfo envelope: a JSON object
// whose `phonetoken` and `phonenum` (names matched exactly, each at most
// once) are strings; a missing or null member decodes as empty.
func DecodeLoginInfo(result json.RawMessage) (LoginInfo, error) {
	var li LoginInfo
	if len(result) == 0 {
		return li, nil
	}
	trimmed := bytes.Trim(result, jsonSpace)
	if len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(trimmed) {
		return li, fmt.Errorf("%w: logininfo result is not a JSON object", ErrMalformed)
	}
	members, err := objectMembers(trimmed, "phonetoken", "phonenum")
	if err != nil {
		return li, fmt.Errorf("logininfo result: %w", err)
	}
	for name, dst := range map[string]*string{"phonetoken": &li.PhoneToken, "phonenum": &li.PhoneNum} {
		raw, ok := members[name]
		if !ok || raw[0] == 'n' {
			continue
		}
		if raw[0] != '"' || json.Unmarshal(raw, dst) != nil {
			return LoginInfo{}, fmt.Errorf("%w: logininfo result: %s is not a string", ErrMalformed, name)
		}
	}
	return li, nil
}
