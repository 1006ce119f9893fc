package mockgw

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"

	"ccgw-harness/gateway"
)

// Faults is the fault injection of a Server. Unless a field says otherwise a
// fault applies to logininfo, and a Rate is the probability (0..1) that one
// request gets the fault; the faults are drawn independently in the order
// TLS, reset, stall, HTTP error, malformed, retcode, then (on the real
// answer) truncated, slow body and wrong phone, and the first hit wins.
// Latency applies to every logininfo request. The zero value injects nothing.
//
// In JSON the field names are snake_case and durations are Go duration
// strings ("20ms"; a number is read as nanoseconds).
type Faults struct {
	// LatencyFixed delays every logininfo answer by this much.
	LatencyFixed time.Duration `json:"latency_fixed"`
	// LatencyJitter adds a uniform 0..LatencyJitter delay (LatencyDist ""
	// or "uniform").
	LatencyJitter time.Duration `json:"latency_jitter"`
	// LatencyDist is "" or "uniform" (LatencyJitter), or "exponential": an
	// exponentially distributed extra delay with mean LatencyMean.
	LatencyDist string `json:"latency_dist"`
	// LatencyMean is the mean extra delay of the exponential distribution.
	LatencyMean time.Duration `json:"latency_mean"`
	// RetcodeRate answers an envelope with Retcode (default "100-007").
	RetcodeRate float64 `json:"retcode_rate"`
	// Retcode is the retcode of RetcodeRate.
	Retcode string `json:"retcode"`
	// HTTPErrorRate answers HTTPStatus (default 503) with a non-JSON body.
	HTTPErrorRate float64 `json:"http_error_rate"`
	// HTTPStatus is the status of HTTPErrorRate (400..599).
	HTTPStatus int `json:"http_status"`
	// ResetRate resets the TCP connection (RST) instead of answering
	// (HTTP/1.1; an HTTP/2 stream is reset instead).
	ResetRate float64 `json:"reset_rate"`
	// MalformedRate answers 200 with a body that is not valid JSON.
	MalformedRate float64 `json:"malformed_rate"`
	// TruncatedRate answers 200 with the envelope cut mid-way (a complete
	// HTTP response whose JSON ends early).
	TruncatedRate float64 `json:"truncated_rate"`
	// StallRate sends no answer for StallFor, then closes the connection.
	StallRate float64 `json:"stall_rate"`
	// StallFor is how long a stall lasts (default DefaultStallFor).
	StallFor time.Duration `json:"stall_for"`
	// SlowBodyRate sends the headers at once and trickles the body over
	// SlowBodyFor.
	SlowBodyRate float64 `json:"slow_body_rate"`
	// SlowBodyFor is how long a slow body takes (default DefaultSlowBodyFor).
	SlowBodyFor time.Duration `json:"slow_body_for"`
	// WrongPhoneRate answers success with another agent's phonenum (or,
	// when none is known, a number that differs from the agent's own).
	WrongPhoneRate float64 `json:"wrong_phone_rate"`
	// SignInFailRate makes sign-in and forced sign-in answer 100-007 for
	// this share of agents, chosen by a hash of the agent ID, so retries of
	// the same agent fail too.
	SignInFailRate float64 `json:"sign_in_fail_rate"`
	// SignInLatency makes sign-in, forced sign-in and sign-out take this
	// long; another sign-in or sign-out of the same agent meanwhile is a
	// repeated invocation (000-007).
	SignInLatency time.Duration `json:"sign_in_latency"`
	// RotateEveryPoll (dynamic mode) rotates the Guid on every event poll.
	RotateEveryPoll bool `json:"rotate_every_poll"`
	// TLSFailRate refuses this share of TLS handshakes (all calls).
	TLSFailRate float64 `json:"tls_fail_rate"`
}

// Fault defaults.
const (
	// DefaultFaultRetcode is the retcode of RetcodeRate when Retcode is "".
	DefaultFaultRetcode = gateway.RetInternal
	// DefaultFaultHTTPStatus is the status of HTTPErrorRate when HTTPStatus is 0.
	DefaultFaultHTTPStatus = 503
	// DefaultStallFor is the length of a stall when StallFor is 0.
	DefaultStallFor = 30 * time.Second
	// DefaultSlowBodyFor is the length of a slow body when SlowBodyFor is 0.
	DefaultSlowBodyFor = 2 * time.Second
)

// Latency distributions (Faults.LatencyDist).
const (
	LatencyUniform     = "uniform"
	LatencyExponential = "exponential"
)

// Fault kinds, the keys of Stats.Faults.
const (
	FaultLatency         = "latency"
	FaultRetcode         = "retcode"
	FaultHTTPError       = "http_error"
	FaultReset           = "reset"
	FaultMalformed       = "malformed"
	FaultTruncated       = "truncated"
	FaultStall           = "stall"
	FaultSlowBody        = "slow_body"
	FaultWrongPhone      = "wrong_phone"
	FaultSignInFail      = "sign_in_fail"
	FaultRotateEveryPoll = "rotate_every_poll"
	FaultTLSFail         = "tls_fail"
)

// faultKinds lists the kinds; the index is the stats counter.
var faultKinds = []string{
	FaultLatency, FaultRetcode, FaultHTTPError, FaultReset, FaultMalformed,
	FaultTruncated, FaultStall, FaultSlowBody, FaultWrongPhone, FaultSignInFail,
	FaultRotateEveryPoll, FaultTLSFail,
}

// Indexes into faultKinds.
const (
	fkLatency = iota
	fkRetcode
	fkHTTPError
	fkReset
	fkMalformed
	fkTruncated
	fkStall
	fkSlowBody
	fkWrongPhone
	fkSignInFail
	fkRotateEveryPoll
	fkTLSFail
	numFaultKinds
)

// FieldError is a Faults validation or decoding error that names the field
// (by its JSON name).
type FieldError struct {
	Field  string // JSON name, e.g. "reset_rate"
	Reason string
}

// Error implements error.
func (e *FieldError) Error() string { return "faults: " + e.Field + ": " + e.Reason }

// Validate reports the first field that is out of range, naming it.
func (f Faults) Validate() error {
	rates := []struct {
		name string
		v    float64
	}{
		{"retcode_rate", f.RetcodeRate}, {"http_error_rate", f.HTTPErrorRate},
		{"reset_rate", f.ResetRate}, {"malformed_rate", f.MalformedRate},
		{"truncated_rate", f.TruncatedRate}, {"stall_rate", f.StallRate},
		{"slow_body_rate", f.SlowBodyRate}, {"wrong_phone_rate", f.WrongPhoneRate},
		{"sign_in_fail_rate", f.SignInFailRate}, {"tls_fail_rate", f.TLSFailRate},
	}
	for _, r := range rates {
		if math.IsNaN(r.v) || r.v < 0 || r.v > 1 {
			return &FieldError{Field: r.name, Reason: fmt.Sprintf("%v is not a probability in [0, 1]", r.v)}
		}
	}
	durs := []struct {
		name string
		v    time.Duration
	}{
		{"latency_fixed", f.LatencyFixed}, {"latency_jitter", f.LatencyJitter},
		{"latency_mean", f.LatencyMean}, {"stall_for", f.StallFor},
		{"slow_body_for", f.SlowBodyFor}, {"sign_in_latency", f.SignInLatency},
	}
	for _, d := range durs {
		if d.v < 0 {
			return &FieldError{Field: d.name, Reason: fmt.Sprintf("%v is negative", d.v)}
		}
	}
	switch f.LatencyDist {
	case "", LatencyUniform:
	case LatencyExponential:
		if f.LatencyMean <= 0 {
			return &FieldError{Field: "latency_mean", Reason: "must be > 0 with latency_dist exponential"}
		}
	default:
		return &FieldError{Field: "latency_dist", Reason: fmt.Sprintf("%q: want uniform or exponential", f.LatencyDist)}
	}
	if f.Retcode != "" {
		if f.Retcode == gateway.RetOK || len(f.Retcode) > 16 {
			return &FieldError{Field: "retcode", Reason: fmt.Sprintf("%q: want an error retcode such as 100-007", f.Retcode)}
		}
		for i := 0; i < len(f.Retcode); i++ {
			if c := f.Retcode[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
				return &FieldError{Field: "retcode", Reason: fmt.Sprintf("%q: want printable ASCII without quotes", f.Retcode)}
			}
		}
	}
	if f.HTTPStatus != 0 && (f.HTTPStatus < 400 || f.HTTPStatus > 599) {
		return &FieldError{Field: "http_status", Reason: fmt.Sprintf("%d: want 400..599", f.HTTPStatus)}
	}
	return nil
}

// durationFields are the JSON names of Faults' durations.
var durationFields = map[string]bool{
	"latency_fixed": true, "latency_jitter": true, "latency_mean": true,
	"stall_for": true, "slow_body_for": true, "sign_in_latency": true,
}

// MarshalJSON writes durations as Go duration strings.
func (f Faults) MarshalJSON() ([]byte, error) {
	type plain Faults
	raw, err := json.Marshal(plain(f))
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	v := reflect.ValueOf(f)
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if durationFields[name] {
			s, _ := json.Marshal(time.Duration(v.Field(i).Int()).String())
			m[name] = s
		}
	}
	// Keep the struct's field order for readability.
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := json.Marshal(name)
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(m[name])
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// UnmarshalJSON reads Faults strictly: unknown fields and mistyped values are
// errors (*FieldError) naming the field; durations are Go duration strings or
// nanoseconds. Fields absent from the input keep their values.
func (f *Faults) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("faults: %w", err)
	}
	v := reflect.ValueOf(f).Elem()
	t := v.Type()
	fields := make(map[string]int, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		fields[name] = i
	}
	for name, raw := range m {
		i, ok := fields[name]
		if !ok {
			return &FieldError{Field: name, Reason: "unknown field"}
		}
		fv := v.Field(i)
		if durationFields[name] {
			d, err := parseJSONDuration(raw)
			if err != nil {
				return &FieldError{Field: name, Reason: err.Error()}
			}
			fv.SetInt(int64(d))
			continue
		}
		ptr := reflect.New(fv.Type())
		if err := json.Unmarshal(raw, ptr.Interface()); err != nil {
			return &FieldError{Field: name, Reason: "want " + jsonKind(fv.Kind())}
		}
		fv.Set(ptr.Elem())
	}
	return nil
}

// jsonKind names a Go kind the way a JSON user thinks of it.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.Float64:
		return "a number"
	case reflect.Int:
		return "an integer"
	case reflect.Bool:
		return "a boolean"
	}
	return "a string"
}

// parseJSONDuration reads "20ms" or a number of nanoseconds.
func parseJSONDuration(raw json.RawMessage) (time.Duration, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration such as 250ms", s)
		}
		return d, nil
	}
	var n int64
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, errors.New("want a duration string such as \"250ms\" or nanoseconds")
	}
	return time.Duration(n), nil
}

// faultState is a validated Faults with defaults filled in, shared
// read-only by requests.
type faultState struct {
	Faults
	orig        Faults // as set, without defaults
	retcodeBody []byte // the envelope of RetcodeRate
	logininfo   bool   // any fault that touches logininfo
	latency     bool
}

// compileFaults fills defaults; f must be valid.
func compileFaults(f Faults) *faultState {
	fs := &faultState{Faults: f, orig: f}
	if fs.Retcode == "" {
		fs.Retcode = DefaultFaultRetcode
	}
	if fs.HTTPStatus == 0 {
		fs.HTTPStatus = DefaultFaultHTTPStatus
	}
	if fs.StallFor == 0 {
		fs.StallFor = DefaultStallFor
	}
	if fs.SlowBodyFor == 0 {
		fs.SlowBodyFor = DefaultSlowBodyFor
	}
	fs.retcodeBody = errorBody(fs.Retcode)
	fs.latency = f.LatencyFixed > 0 || f.LatencyJitter > 0 || (f.LatencyDist == LatencyExponential && f.LatencyMean > 0)
	fs.logininfo = fs.latency || f.RetcodeRate > 0 || f.HTTPErrorRate > 0 || f.ResetRate > 0 ||
		f.MalformedRate > 0 || f.TruncatedRate > 0 || f.StallRate > 0 || f.SlowBodyRate > 0 || f.WrongPhoneRate > 0
	return fs
}

// hit draws one request's fault with probability rate.
func hit(rate float64) bool { return rate > 0 && (rate >= 1 || randFloat() < rate) }

// delay returns one request's injected latency.
func (fs *faultState) delay() time.Duration {
	d := fs.LatencyFixed
	switch fs.LatencyDist {
	case LatencyExponential:
		u := randFloat()
		d += time.Duration(-math.Log1p(-u) * float64(fs.LatencyMean))
	default:
		if fs.LatencyJitter > 0 {
			d += time.Duration(randFloat() * float64(fs.LatencyJitter))
		}
	}
	return d
}

// signInFails reports whether agent id is in the SignInFailRate share,
// decided by a hash of the ID so every retry gives the same answer.
func (fs *faultState) signInFails(id int) bool {
	if fs.SignInFailRate <= 0 {
		return false
	}
	x := uint64(id) + 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11)/(1<<53) < fs.SignInFailRate
}
