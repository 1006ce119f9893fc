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
// PhoneNum are mandatory; the rest is optional and omitted when zero.
type SignInRequest struct {
	Password      string `json:"password"`
	PhoneNum      string `json:"phonenum"`
	Status        int    `json:"status,omitempty"`
	AutoAnswer    *bool  `json:"autoanswer,omitempty"`
	AutoEnterIdle *bool  `json:"autoenteridle,omitempty"`
	ReleasePhone  *bool  `json:"releasephone,omitempty"`
	AgentType     int    `json:"agenttype,omitempty"`
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

// wireEnvelope detects missing and mistyped members, which Envelope alone
// cannot tell from empty strings.
type wireEnvelope struct {
	Message *json.RawMessage `json:"message"`
	Retcode *json.RawMessage `json:"retcode"`
	Result  json.RawMessage  `json:"result"`
}

// DecodeEnvelope strictly decodes one envelope: a single JSON object whose
// `retcode` is a string, whose `message`, when present, is a string, and
// whose `result`, when present, is an object or null. Anything after the
// object but white space is an error. Errors wrap ErrTruncated or
// ErrMalformed.
func DecodeEnvelope(body []byte) (Envelope, error) {
	var w wireEnvelope
	var env Envelope
	trimmed := bytes.TrimSpace(body)
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
	if err := json.Unmarshal(trimmed, &w); err != nil {
		return env, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if w.Retcode == nil {
		return env, fmt.Errorf("%w: no retcode", ErrMalformed)
	}
	if err := json.Unmarshal(*w.Retcode, &env.Retcode); err != nil || (*w.Retcode)[0] != '"' {
		return env, fmt.Errorf("%w: retcode is not a string", ErrMalformed)
	}
	if w.Message != nil {
		if (*w.Message)[0] != '"' {
			return env, fmt.Errorf("%w: message is not a string", ErrMalformed)
		}
		if err := json.Unmarshal(*w.Message, &env.Message); err != nil {
			return env, fmt.Errorf("%w: message: %v", ErrMalformed, err)
		}
	}
	if len(w.Result) > 0 {
		switch w.Result[0] {
		case '{':
			env.Result = w.Result
		case 'n': // null
		default:
			return env, fmt.Errorf("%w: result is not an object", ErrMalformed)
		}
	}
	return env, nil
}

// DecodeLoginInfo decodes the result of a logininfo envelope. Both members
// must be strings; a missing member decodes as empty.
func DecodeLoginInfo(result json.RawMessage) (LoginInfo, error) {
	var li LoginInfo
	if len(result) == 0 {
		return li, nil
	}
	if err := json.Unmarshal(result, &li); err != nil {
		return li, fmt.Errorf("%w: logininfo result: %v", ErrMalformed, err)
	}
	return li, nil
}
