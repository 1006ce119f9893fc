// Package faultset is the mock gateway's fault vocabulary, written once: the
// Faults a mock injects and a table of their fields (Fields). Every place
// that names a fault derives from that table: the keys of targets.yaml's
// mock.faults (config), the fault flags of `ccgw mock` (cmd/ccgw), the JSON
// of /ccgw-admin/faults and its validation (mockgw), and the counters of
// injected faults in the mock's stats.
//
// Like config and mockgw it imports only gateway, so that config can share
// the vocabulary without importing the mock.
package faultset

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"ccgw-harness/gateway"
)

// Faults is the fault injection of a mock gateway. Unless a field says
// otherwise a fault applies to logininfo, and a Rate is the probability
// (0..1) that one request gets the fault; the faults are drawn independently
// in the order TLS, reset, stall, HTTP error, malformed, retcode, then (on
// the real answer) truncated, slow body and wrong phone, and the first hit
// wins. Latency applies to every logininfo request. The zero value injects
// nothing.
//
// Fields describes each field: its snake_case key (in targets.yaml, in JSON
// and, with '-' for '_', as a flag), its kind and its bounds. In JSON the
// durations are Go duration strings ("20ms"; a number is read as
// nanoseconds).
type Faults struct {
	// LatencyFixed delays every logininfo answer by this much.
	LatencyFixed time.Duration
	// LatencyJitter adds a uniform 0..LatencyJitter delay (LatencyDist ""
	// or "uniform").
	LatencyJitter time.Duration
	// LatencyDist is "" or "uniform" (LatencyJitter), or "exponential": an
	// exponentially distributed extra delay with mean LatencyMean.
	LatencyDist string
	// LatencyMean is the mean extra delay of the exponential distribution.
	LatencyMean time.Duration
	// RetcodeRate answers an envelope with Retcode (default DefaultRetcode).
	RetcodeRate float64
	// Retcode is the retcode of RetcodeRate.
	Retcode string
	// HTTPErrorRate answers HTTPStatus (default DefaultHTTPStatus) with a
	// non-JSON body.
	HTTPErrorRate float64
	// HTTPStatus is the status of HTTPErrorRate (MinStatus..MaxStatus).
	HTTPStatus int
	// ResetRate resets the TCP connection (RST) instead of answering
	// (HTTP/1.1; an HTTP/2 stream is reset instead).
	ResetRate float64
	// MalformedRate answers 200 with a body that is not valid JSON.
	MalformedRate float64
	// TruncatedRate answers 200 with the envelope cut mid-way (a complete
	// HTTP response whose JSON ends early).
	TruncatedRate float64
	// StallRate sends no answer for StallFor, then closes the connection.
	StallRate float64
	// StallFor is how long a stall lasts (default DefaultStallFor).
	StallFor time.Duration
	// SlowBodyRate sends the headers at once and trickles the body over
	// SlowBodyFor.
	SlowBodyRate float64
	// SlowBodyFor is how long a slow body takes (default DefaultSlowBodyFor).
	SlowBodyFor time.Duration
	// WrongPhoneRate answers success with another agent's phonenum (or,
	// when none is known, a number that differs from the agent's own).
	WrongPhoneRate float64
	// SignInFailRate makes sign-in and forced sign-in answer 100-007 for
	// this share of agents, chosen by a hash of the agent ID, so retries of
	// the same agent fail too.
	SignInFailRate float64
	// SignInLatency makes sign-in, forced sign-in and sign-out take this
	// long; another sign-in or sign-out of the same agent meanwhile is a
	// repeated invocation (000-007).
	SignInLatency time.Duration
	// RotateEveryPoll (dynamic mode) rotates the Guid on every event poll.
	RotateEveryPoll bool
	// TLSFailRate refuses this share of TLS handshakes (all calls).
	TLSFailRate float64
}

// Defaults of the parameters whose zero value means "the default".
const (
	// DefaultRetcode is the retcode of RetcodeRate when Retcode is "".
	DefaultRetcode = gateway.RetInternal
	// DefaultHTTPStatus is the status of HTTPErrorRate when HTTPStatus is 0.
	DefaultHTTPStatus = 503
	// DefaultStallFor is the length of a stall when StallFor is 0.
	DefaultStallFor = 30 * time.Second
	// DefaultSlowBodyFor is the length of a slow body when SlowBodyFor is 0.
	DefaultSlowBodyFor = 2 * time.Second
)

// Bounds of the Status and Retcode kinds.
const (
	MinStatus     = 400 // the lowest HTTPStatus (0 means DefaultHTTPStatus)
	MaxStatus     = 599 // the highest HTTPStatus
	MaxRetcodeLen = 16  // the longest Retcode
)

// Latency distributions (Faults.LatencyDist; "" means LatencyUniform).
const (
	LatencyUniform     = "uniform"
	LatencyExponential = "exponential"
)

// LatencyDists lists the latency distributions a user may name.
var LatencyDists = []string{LatencyUniform, LatencyExponential}

// Counters of injected faults, one per kind of fault: the keys of the mock's
// Stats.Faults. Field.Counter says which field's fault each one counts.
const (
	CounterLatency         = "latency"
	CounterRetcode         = "retcode"
	CounterHTTPError       = "http_error"
	CounterReset           = "reset"
	CounterMalformed       = "malformed"
	CounterTruncated       = "truncated"
	CounterStall           = "stall"
	CounterSlowBody        = "slow_body"
	CounterWrongPhone      = "wrong_phone"
	CounterSignInFail      = "sign_in_fail"
	CounterRotateEveryPoll = "rotate_every_poll"
	CounterTLSFail         = "tls_fail"
)

// Kind is what a field holds, and so how it is read, written and bounded.
type Kind int

// The kinds of fields. Field.Ptr returns the Go type named here.
const (
	Rate     Kind = iota + 1 // *float64: a probability in [0, 1]
	Duration                 // *time.Duration: 0 or more
	Dist                     // *string: "" or one of LatencyDists
	Retcode                  // *string: "" or an error retcode (not "0"), printable ASCII, at most MaxRetcodeLen
	Status                   // *int: 0 or MinStatus..MaxStatus
	Bool                     // *bool
)

// Scope is the part of the gateway a fault acts on.
type Scope int

// The scopes of faults.
const (
	ScopeLoginInfo Scope = iota + 1 // logininfo answers
	ScopeSignIn                     // sign-in, forced sign-in and sign-out
	ScopePoll                       // event polls
	ScopeTLS                        // TLS handshakes of every call
)

// Field describes one field of Faults.
type Field struct {
	// Key is the field's snake_case name: its key under mock.faults in
	// targets.yaml and its member in the admin JSON. Flag derives the
	// command-line flag from it.
	Key string
	// Kind is what the field holds (the Go type of Ptr).
	Kind Kind
	// Scope is what the fault acts on.
	Scope Scope
	// Counter is the counter (Counter*) that the field's fault increments,
	// or "" for a parameter of another field's fault.
	Counter string
	// Usage is one line of help, as `ccgw mock -h` shows it after "fault: ".
	Usage string

	ptr func(*Faults) any
}

// Flag returns the name of the field's `ccgw mock` flag: Key with '-' for
// '_' (reset_rate: --reset-rate).
func (fd Field) Flag() string { return strings.ReplaceAll(fd.Key, "_", "-") }

// Ptr returns a pointer to the field in f: *float64, *time.Duration,
// *string, *int or *bool, as Kind says.
func (fd Field) Ptr(f *Faults) any { return fd.ptr(f) }

// fields is the table behind Fields, in the struct's order.
var fields = []Field{
	{Key: "latency_fixed", Kind: Duration, Scope: ScopeLoginInfo, Counter: CounterLatency,
		Usage: "delay every logininfo answer by this much",
		ptr:   func(f *Faults) any { return &f.LatencyFixed }},
	{Key: "latency_jitter", Kind: Duration, Scope: ScopeLoginInfo, Counter: CounterLatency,
		Usage: "add a uniform 0..D delay",
		ptr:   func(f *Faults) any { return &f.LatencyJitter }},
	{Key: "latency_dist", Kind: Dist, Scope: ScopeLoginInfo,
		Usage: "extra delay distribution: uniform (with --latency-jitter) or exponential (with --latency-mean)",
		ptr:   func(f *Faults) any { return &f.LatencyDist }},
	{Key: "latency_mean", Kind: Duration, Scope: ScopeLoginInfo, Counter: CounterLatency,
		Usage: "mean of the exponential extra delay",
		ptr:   func(f *Faults) any { return &f.LatencyMean }},
	{Key: "retcode_rate", Kind: Rate, Scope: ScopeLoginInfo, Counter: CounterRetcode,
		Usage: "share of logininfo calls answered with --retcode",
		ptr:   func(f *Faults) any { return &f.RetcodeRate }},
	{Key: "retcode", Kind: Retcode, Scope: ScopeLoginInfo,
		Usage: "the retcode of --retcode-rate (default " + DefaultRetcode + ")",
		ptr:   func(f *Faults) any { return &f.Retcode }},
	{Key: "http_error_rate", Kind: Rate, Scope: ScopeLoginInfo, Counter: CounterHTTPError,
		Usage: "share answered with HTTP --http-status",
		ptr:   func(f *Faults) any { return &f.HTTPErrorRate }},
	{Key: "http_status", Kind: Status, Scope: ScopeLoginInfo,
		Usage: "the status of --http-error-rate (default " + strconv.Itoa(DefaultHTTPStatus) + ")",
		ptr:   func(f *Faults) any { return &f.HTTPStatus }},
	{Key: "reset_rate", Kind: Rate, Scope: ScopeLoginInfo, Counter: CounterReset,
		Usage: "share whose connection is reset (TCP RST)",
		ptr:   func(f *Faults) any { return &f.ResetRate }},
	{Key: "malformed_rate", Kind: Rate, Scope: ScopeLoginInfo, Counter: CounterMalformed,
		Usage: "share answered with a body that is not JSON",
		ptr:   func(f *Faults) any { return &f.MalformedRate }},
	{Key: "truncated_rate", Kind: Rate, Scope: ScopeLoginInfo, Counter: CounterTruncated,
		Usage: "share answered with a truncated envelope",
		ptr:   func(f *Faults) any { return &f.TruncatedRate }},
	{Key: "stall_rate", Kind: Rate, Scope: ScopeLoginInfo, Counter: CounterStall,
		Usage: "share that get no answer for --stall-for, then a closed connection",
		ptr:   func(f *Faults) any { return &f.StallRate }},
	{Key: "stall_for", Kind: Duration, Scope: ScopeLoginInfo,
		Usage: "length of a stall (default " + DefaultStallFor.String() + ")",
		ptr:   func(f *Faults) any { return &f.StallFor }},
	{Key: "slow_body_rate", Kind: Rate, Scope: ScopeLoginInfo, Counter: CounterSlowBody,
		Usage: "share whose body is trickled over --slow-body-for",
		ptr:   func(f *Faults) any { return &f.SlowBodyRate }},
	{Key: "slow_body_for", Kind: Duration, Scope: ScopeLoginInfo,
		Usage: "length of a slow body (default " + DefaultSlowBodyFor.String() + ")",
		ptr:   func(f *Faults) any { return &f.SlowBodyFor }},
	{Key: "wrong_phone_rate", Kind: Rate, Scope: ScopeLoginInfo, Counter: CounterWrongPhone,
		Usage: "share answered with another agent's phonenum",
		ptr:   func(f *Faults) any { return &f.WrongPhoneRate }},
	{Key: "sign_in_fail_rate", Kind: Rate, Scope: ScopeSignIn, Counter: CounterSignInFail,
		Usage: "share of agents whose sign-in always fails (" + gateway.RetInternal + ")",
		ptr:   func(f *Faults) any { return &f.SignInFailRate }},
	{Key: "sign_in_latency", Kind: Duration, Scope: ScopeSignIn,
		Usage: "sign-in and sign-out take this long",
		ptr:   func(f *Faults) any { return &f.SignInLatency }},
	{Key: "rotate_every_poll", Kind: Bool, Scope: ScopePoll, Counter: CounterRotateEveryPoll,
		Usage: "dynamic mode rotates the Guid on every event poll",
		ptr:   func(f *Faults) any { return &f.RotateEveryPoll }},
	{Key: "tls_fail_rate", Kind: Rate, Scope: ScopeTLS, Counter: CounterTLSFail,
		Usage: "share of TLS handshakes refused",
		ptr:   func(f *Faults) any { return &f.TLSFailRate }},
}

// byKey indexes fields by Key.
var byKey = func() map[string]int {
	m := make(map[string]int, len(fields))
	for i, fd := range fields {
		m[fd.Key] = i
	}
	return m
}()

// Fields returns the table of Faults' fields, in the struct's order.
func Fields() []Field { return slices.Clone(fields) }

// Lookup returns the field whose Key is key.
func Lookup(key string) (Field, bool) {
	i, ok := byKey[key]
	if !ok {
		return Field{}, false
	}
	return fields[i], true
}

// Keys returns every field's Key, in the struct's order.
func Keys() []string {
	keys := make([]string, len(fields))
	for i, fd := range fields {
		keys[i] = fd.Key
	}
	return keys
}

// Counters returns the counters of injected faults (Counter*), each once,
// in the order of the fields that name them.
func Counters() []string {
	var out []string
	for _, fd := range fields {
		if fd.Counter != "" && !slices.Contains(out, fd.Counter) {
			out = append(out, fd.Counter)
		}
	}
	return out
}

// AnyRate reports whether a Rate field of scope s is above 0, that is
// whether f injects a drawn fault there.
func (f Faults) AnyRate(s Scope) bool {
	for _, fd := range fields {
		if fd.Kind == Rate && fd.Scope == s && *fd.ptr(&f).(*float64) > 0 {
			return true
		}
	}
	return false
}

// FieldError is a Faults validation or decoding error that names the field
// by its Key.
type FieldError struct {
	Field  string // the field's Key, e.g. "reset_rate"
	Reason string // what is wrong, without the field's name
}

// Error implements error.
func (e *FieldError) Error() string { return "faults: " + e.Field + ": " + e.Reason }

// Validate reports the first field, in the struct's order, whose value is
// out of its kind's bounds, then whether an exponential latency has its
// mean; the error is a *FieldError.
func (f Faults) Validate() error {
	for _, fd := range fields {
		if reason := fd.check(&f); reason != "" {
			return &FieldError{Field: fd.Key, Reason: reason}
		}
	}
	if f.LatencyDist == LatencyExponential && f.LatencyMean <= 0 {
		return &FieldError{Field: "latency_mean", Reason: "must be > 0 with latency_dist exponential"}
	}
	return nil
}

// check returns why the field's value in f is out of bounds, or "".
func (fd Field) check(f *Faults) string {
	switch fd.Kind {
	case Rate:
		if v := *fd.ptr(f).(*float64); math.IsNaN(v) || v < 0 || v > 1 {
			return fmt.Sprintf("%v is not a probability in [0, 1]", v)
		}
	case Duration:
		if v := *fd.ptr(f).(*time.Duration); v < 0 {
			return fmt.Sprintf("%v is negative", v)
		}
	case Dist:
		if v := *fd.ptr(f).(*string); v != "" && !slices.Contains(LatencyDists, v) {
			return fmt.Sprintf("%q: want %s", v, strings.Join(LatencyDists, " or "))
		}
	case Retcode:
		v := *fd.ptr(f).(*string)
		if v == "" {
			return ""
		}
		if v == gateway.RetOK || len(v) > MaxRetcodeLen {
			return fmt.Sprintf("%q: want an error retcode such as %s", v, gateway.RetInternal)
		}
		for i := 0; i < len(v); i++ {
			if c := v[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
				return fmt.Sprintf("%q: want printable ASCII without quotes", v)
			}
		}
	case Status:
		if v := *fd.ptr(f).(*int); v != 0 && (v < MinStatus || v > MaxStatus) {
			return fmt.Sprintf("%d: want %d..%d", v, MinStatus, MaxStatus)
		}
	}
	return ""
}
