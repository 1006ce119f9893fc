package mockgw

import (
	"math"
	"time"

	"ccgw-harness/mockgw/faultset"
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
	faultset.Faults
	orig        faultset.Faults // as set, without defaults
	retcodeBody []byte          // the envelope of RetcodeRate
	logininfo   bool            // any fault that touches logininfo
	latency     bool
}

// compileFaults fills defaults; f must be valid.
func compileFaults(f faultset.Faults) *faultState {
	fs := &faultState{Faults: f, orig: f}
	if fs.Retcode == "" {
		fs.Retcode = faultset.DefaultRetcode
	}
	if fs.HTTPStatus == 0 {
		fs.HTTPStatus = faultset.DefaultHTTPStatus
	}
	if fs.StallFor == 0 {
		fs.StallFor = faultset.DefaultStallFor
	}
	if fs.SlowBodyFor == 0 {
		fs.SlowBodyFor = faultset.DefaultSlowBodyFor
	}
	fs.retcodeBody = errorBody(fs.Retcode)
	fs.latency = f.LatencyFixed > 0 || f.LatencyJitter > 0 || (f.LatencyDist == faultset.LatencyExponential && f.LatencyMean > 0)
	fs.logininfo = fs.latency || f.AnyRate(faultset.ScopeLoginInfo)
	return fs
}

// hit draws one request's fault with probability rate.
func hit(rate float64) bool { return rate > 0 && (rate >= 1 || randFloat() < rate) }

// delay returns one request's injected latency.
func (fs *faultState) delay() time.Duration {
	d := fs.LatencyFixed
	switch fs.LatencyDist {
	case faultset.LatencyExponential:
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
