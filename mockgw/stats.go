package mockgw

import (
	"strconv"
	"sync"
	"sync/atomic"

	"ccgw-harness/gateway"
)

// Call names, the keys of Stats.Calls: the gateway's call vocabulary.
const (
	CallSignIn     = gateway.CallSignIn
	CallForceLogin = gateway.CallForceLogin
	CallLoginInfo  = gateway.CallLoginInfo
	CallLogout     = gateway.CallLogout
	CallPoll       = gateway.CallPoll
	CallUpdateGuid = gateway.CallUpdateGuid
	// CallOther counts requests to paths the gateway does not have (404).
	CallOther = gateway.CallOther
)

// Stats is a snapshot of a Server's counters; its JSON form (snake_case) is
// what GET /ccgw-admin/stats answers.
type Stats struct {
	// Calls holds per-call counters, keyed by the Call* names.
	Calls map[string]CallStats `json:"calls"`
	// ActiveSessions is the number of live sessions on all nodes.
	ActiveSessions int64 `json:"active_sessions"`
	// SignIns counts successful sign-ins and forced sign-ins.
	SignIns uint64 `json:"sign_ins"`
	// SignOuts counts sessions ended by sign-out.
	SignOuts uint64 `json:"sign_outs"`
	// IdleSignOuts counts sessions ended because the agent stopped polling.
	IdleSignOuts uint64 `json:"idle_sign_outs"`
	// ReplacedSessions counts sessions ended by a forced sign-in.
	ReplacedSessions uint64 `json:"replaced_sessions"`
	// Rotations counts Guids issued after sign-in (event-poll rotation and
	// updateGuid).
	Rotations uint64 `json:"rotations"`
	// Restarts counts gateway restarts (Restart, POST /ccgw-admin/restart).
	Restarts uint64 `json:"restarts"`
	// Faults counts injected faults per kind (faultset's Counter* names);
	// kinds never injected are absent.
	Faults map[string]uint64 `json:"faults"`
}

// CallStats counts the answers of one call.
type CallStats struct {
	// Requests counts every request of the call, answered or not.
	Requests uint64 `json:"requests"`
	// Retcodes counts envelopes by retcode.
	Retcodes map[string]uint64 `json:"retcodes"`
	// HTTPStatus counts answers whose HTTP status is not 200, by status.
	HTTPStatus map[string]uint64 `json:"http_status"`
}

// Indexes of the calls' counters.
const (
	ciSignIn = iota
	ciForceLogin
	ciLoginInfo
	ciLogout
	ciPoll
	ciUpdateGuid
	ciOther
	numCalls
)

// callNames is indexed by ci*.
var callNames = [numCalls]string{CallSignIn, CallForceLogin, CallLoginInfo, CallLogout, CallPoll, CallUpdateGuid, CallOther}

// knownRetcodes get lock-free counters; others go to a locked map.
var knownRetcodes = []string{
	gateway.RetOK, gateway.RetBadParam, gateway.RetNoPermission, gateway.RetRepeated,
	gateway.RetSignInParamInvalid, gateway.RetAlreadySignedIn, gateway.RetWrongPassword,
	gateway.RetNotSignedIn, gateway.RetInternal, gateway.RetAlreadySignedOut,
}

// retcodeIndex returns rc's index in knownRetcodes, or -1.
func retcodeIndex(rc string) int {
	for i, k := range knownRetcodes {
		if k == rc {
			return i
		}
	}
	return -1
}

// Indexes into knownRetcodes used on the hot path.
const (
	riOK = iota
	riBadParam
	riNoPermission
	riRepeated
	riSignInParamInvalid
	riAlreadySignedIn
	riWrongPassword
	riNotSignedIn
	riInternal
	riAlreadySignedOut
	numKnownRetcodes
)

// paddedCounter keeps hot counters on separate cache lines.
type paddedCounter struct {
	atomic.Uint64
	_ [56]byte
}

// callCounters are one call's counters.
type callCounters struct {
	requests paddedCounter
	retcodes [numKnownRetcodes]paddedCounter
}

// counters are a Server's statistics.
type counters struct {
	calls [numCalls]callCounters

	signIns, signOuts, idleSignOuts, replaced, rotations, restarts atomic.Uint64
	active                                                         atomic.Int64
	faults                                                         [numFaultKinds]atomic.Uint64

	mu         sync.Mutex
	otherCodes [numCalls]map[string]uint64 // retcodes outside knownRetcodes
	httpStatus [numCalls]map[int]uint64
}

// retcode counts one envelope answer of call ci by known-retcode index.
func (c *counters) retcode(ci, ri int) { c.calls[ci].retcodes[ri].Add(1) }

// retcodeStr counts one envelope answer of call ci.
func (c *counters) retcodeStr(ci int, rc string) {
	if ri := retcodeIndex(rc); ri >= 0 {
		c.retcode(ci, ri)
		return
	}
	c.mu.Lock()
	if c.otherCodes[ci] == nil {
		c.otherCodes[ci] = map[string]uint64{}
	}
	c.otherCodes[ci][rc]++
	c.mu.Unlock()
}

// status counts one non-200 answer of call ci.
func (c *counters) status(ci, code int) {
	c.mu.Lock()
	if c.httpStatus[ci] == nil {
		c.httpStatus[ci] = map[int]uint64{}
	}
	c.httpStatus[ci][code]++
	c.mu.Unlock()
}

// fault counts one injected fault.
func (c *counters) fault(kind int) { c.faults[kind].Add(1) }

// snapshot copies the counters.
func (c *counters) snapshot() Stats {
	st := Stats{
		Calls:            make(map[string]CallStats, numCalls),
		ActiveSessions:   c.active.Load(),
		SignIns:          c.signIns.Load(),
		SignOuts:         c.signOuts.Load(),
		IdleSignOuts:     c.idleSignOuts.Load(),
		ReplacedSessions: c.replaced.Load(),
		Rotations:        c.rotations.Load(),
		Restarts:         c.restarts.Load(),
		Faults:           map[string]uint64{},
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for ci := range numCalls {
		cs := CallStats{
			Requests:   c.calls[ci].requests.Load(),
			Retcodes:   map[string]uint64{},
			HTTPStatus: map[string]uint64{},
		}
		for ri := range numKnownRetcodes {
			if n := c.calls[ci].retcodes[ri].Load(); n > 0 {
				cs.Retcodes[knownRetcodes[ri]] = n
			}
		}
		for rc, n := range c.otherCodes[ci] {
			cs.Retcodes[rc] = n
		}
		for code, n := range c.httpStatus[ci] {
			cs.HTTPStatus[strconv.Itoa(code)] = n
		}
		st.Calls[callNames[ci]] = cs
	}
	for k := range numFaultKinds {
		if n := c.faults[k].Load(); n > 0 {
			st.Faults[faultKinds[k]] = n
		}
	}
	return st
}
