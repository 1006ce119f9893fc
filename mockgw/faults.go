package mockgw

import (
	"math"
	"time"

	"ccgw-harness/mockgw/faultset"
)

// Faults is the fault injection of a Server (see faultset.Faults, whose
// table of fields also gives the keys of targets.yaml's mock.faults, the
// flags of ccgw mock and the admin JSON).
type Faults = faultset.Faults

// FieldError is a Faults validation or decoding error that names the field
// (by its JSON name).
type FieldError = faultset.FieldError

// Fault defaults (faultset's).
const (
	// DefaultFaultRetcode is the retcode of RetcodeRate when Retcode is "".
	DefaultFaultRetcode = faultset.DefaultRetcode
	// DefaultFaultHTTPStatus is the status of HTTPErrorRate when HTTPStatus is 0.
	DefaultFaultHTTPStatus = faultset.DefaultHTTPStatus
	// DefaultStallFor is the length of a stall when StallFor is 0.
	DefaultStallFor = faultset.DefaultStallFor
	// DefaultSlowBodyFor is the length of a slow body when SlowBodyFor is 0.
	DefaultSlowBodyFor = faultset.DefaultSlowBodyFor
)

// Latency distributions (Faults.LatencyDist).
const (
	LatencyUniform     = faultset.LatencyUniform
	LatencyExponential = faultset.LatencyExponential
)

// Fault kinds, the keys of Stats.Faults (faultset's counters).
const (
	FaultLatency         = faultset.CounterLatency
	FaultRetcode         = faultset.CounterRetcode
	FaultHTTPError       = faultset.CounterHTTPError
	FaultReset           = faultset.CounterReset
	FaultMalformed       = faultset.CounterMalformed
	FaultTruncated       = faultset.CounterTruncated
	FaultStall           = faultset.CounterStall
	FaultSlowBody        = faultset.CounterSlowBody
	FaultWrongPhone      = faultset.CounterWrongPhone
	FaultSignInFail      = faultset.CounterSignInFail
	FaultRotateEveryPoll = faultset.CounterRotateEveryPoll
	FaultTLSFail         = faultset.CounterTLSFail
)

// faultKinds lists the kinds; the index is the stats counter (fk*, checked
// by TestFaultKindIndexes).
var faultKinds = faultset.Counters()

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
	fs.logininfo = fs.latency || f.AnyRate(faultset.ScopeLoginInfo)
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
