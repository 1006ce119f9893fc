package load

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
	"ccgw-harness/results"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Result headers of the agents' own calls and of journeys
// (docs/architecture.md); like every result header they are ours, never the
// gateway's, and hold no secret.
const (
	// HeaderJourney carries a journey's sequence number on its results.
	HeaderJourney = results.HeaderJourney
	// HeaderJourneyEnd marks the result that decided a journey's outcome.
	HeaderJourneyEnd = results.HeaderJourneyEnd
	// HeaderReadyUs carries a journey's time to softphone-ready on its first
	// valid logininfo.
	HeaderReadyUs = results.HeaderReadyUs
)

// Indexes of gateway.Calls the hot paths use.
var (
	loginInfoIndex = callIndex(gateway.CallLoginInfo)
	pollIndex      = callIndex(gateway.CallPoll)
)

// callIndex is the index of c in gateway.Calls (CallOther's when absent).
func callIndex(c gateway.Call) int {
	for i, k := range gateway.Calls {
		if k == c {
			return i
		}
	}
	return len(gateway.Calls) - 1
}

// callRecorder records the agents' own calls (sign-in, forced sign-in,
// event polls, sign-out; a journey's logininfo) as results, judged by the
// gateway's rule for each call (gateway.JudgeCall), in the results-file
// form: no body, no response header, our own headers only.
type callRecorder struct {
	rec    *recorder
	attack string // "target/plan"
	pool   *Pool  // for an agent's phonenum and node; nil: none
}

// canceledByUs reports whether a call failed only because the harness
// cancelled it (the end of the run, SIGINT): no answer from the gateway to
// judge, so not a result.
func canceledByUs(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled)
}

// observe is the gateway.Client observer of the agents' client: every call
// that got an answer, or failed on its own, is recorded.
func (c *callRecorder) observe(ctx context.Context, x *gateway.Exchange) {
	if canceledByUs(ctx, x.Err) {
		return
	}
	var r vegeta.Result
	ci := c.result(x, &r, make(http.Header, 2))
	c.rec.record(&r, ci)
}

// result fills r with exchange x judged, and its headers (reusing h, which
// it clears), and returns x's call index.
func (c *callRecorder) result(x *gateway.Exchange, r *vegeta.Result, h http.Header) int {
	call := x.Call()
	*r = vegeta.Result{Attack: c.attack, Code: uint16(x.Status), Timestamp: x.Start, Latency: x.Latency,
		BytesOut: uint64(x.BytesOut), BytesIn: uint64(len(x.Body)), Method: x.Method, URL: x.URL}
	var v gateway.Verdict
	var a *agent
	if c.pool != nil {
		a = c.pool.agentByID(agentIDOf(x.URL))
	}
	if x.Err != nil {
		v = gateway.ClassifyError(x.Err)
		r.Code = 0
	} else {
		want := ""
		if a != nil {
			want = a.phone
		}
		v = gateway.JudgeCall(call, x.Status, x.Header, x.Body, want)
	}
	r.Error = v.String()
	clear(h)
	node := 0
	switch {
	case x.Err == nil && (call == gateway.CallSignIn || call == gateway.CallForceLogin):
		if sg, err := gateway.ParseSetGuid(x.Header.Get(gateway.HeaderSetGuid)); err == nil {
			node = sg.Node
		}
	case a != nil:
		node = a.node()
	}
	setNode(h, node)
	if len(h) > 0 {
		r.Headers = h
	}
	return callIndex(call)
}

// setNode sets HeaderNode for node n (nothing for 0).
func setNode(h http.Header, n int) {
	switch {
	case n <= 0:
	case n < len(nodeValues):
		h[HeaderNode] = nodeValues[n]
	default:
		h[HeaderNode] = []string{strconv.Itoa(n)}
	}
}

// agentIDOf returns the agent ID of an agent-interface URL (the segment
// after /onlineagent/ or /agentevent/), 0 when there is none.
func agentIDOf(u string) int {
	i := strings.Index(u, gateway.PathPrefix+"/")
	if i < 0 {
		return 0
	}
	rest := u[i+len(gateway.PathPrefix)+1:]
	_, rest, _ = strings.Cut(rest, "/")
	id := 0
	for j := 0; j < len(rest) && rest[j] != '/' && rest[j] != '?'; j++ {
		ch := rest[j]
		if ch < '0' || ch > '9' || id > 1e9 {
			return 0
		}
		id = id*10 + int(ch-'0')
	}
	return id
}

// agentByID returns the pool's agent id, or nil.
func (p *Pool) agentByID(id int) *agent { return p.byID[id] }

// withSignInFields sends the plan's optional sign-in fields (config.Plan
// SignIn: status, autoanswer, autoenteridle, releasephone, agenttype, ip)
// in every sign-in and forced sign-in of the pool.
func withSignInFields(s config.SignIn) PoolOption { return func(p *Pool) { p.signInFields = s } }
