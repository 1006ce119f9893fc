package agents

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

// pollIndex is the index of the event poll in gateway.Calls.
var pollIndex = CallIndex(gateway.CallPoll)

// Record records one judged result of an agent's call: call is the index
// of its call in gateway.Calls (CallIndex). The agents' goroutines call it
// concurrently; it must not keep r, which its caller reuses.
type Record func(r *vegeta.Result, call int)

// CallIndex is the index of c in gateway.Calls (CallOther's when absent),
// the call a Record takes.
func CallIndex(c gateway.Call) int {
	for i, k := range gateway.Calls {
		if k == c {
			return i
		}
	}
	return len(gateway.Calls) - 1
}

// Calls records the agents' own calls (sign-in, forced sign-in, event
// polls, sign-out) as results, judged by the gateway's rule for each call
// (gateway.JudgeCall), in the results-file form: no body, no response
// header, our own headers only. Give it to the pool (WithCalls), whose
// agents it then knows, and make Observe the observer of the agents'
// client (NewClient).
type Calls struct {
	record Record
	attack string // "target/plan"
	pool   *Pool  // for an agent's phonenum and node; nil: none
}

// NewCalls returns the record of the agents' calls of attack
// ("target/plan"), each result handed to record.
func NewCalls(record Record, attack string) *Calls {
	return &Calls{record: record, attack: attack}
}

// canceledByUs reports whether a call failed only because the harness
// cancelled it (the end of the run, SIGINT): no answer from the gateway to
// judge, so not a result.
func canceledByUs(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled)
}

// Observe is the gateway.Client observer of the agents' client: every call
// that got an answer, or failed on its own, is recorded.
func (c *Calls) Observe(ctx context.Context, x *gateway.Exchange) {
	var r vegeta.Result
	if ci, ok := c.Result(ctx, x, &r, make(http.Header, 2)); ok {
		c.record(&r, ci)
	}
}

// Result fills r with exchange x judged, and its headers (reusing h, which
// it clears), and returns x's call index, for a caller that records the
// result itself (a journey, which tags it first). It returns false, and
// leaves r alone, when the harness cancelled the call itself (ctx ended:
// the end of the run, SIGINT): no answer from the gateway to judge.
func (c *Calls) Result(ctx context.Context, x *gateway.Exchange, r *vegeta.Result, h http.Header) (int, bool) {
	if canceledByUs(ctx, x.Err) {
		return 0, false
	}
	return c.result(x, r, h), true
}

// result is Result of a call the harness did not cancel.
func (c *Calls) result(x *gateway.Exchange, r *vegeta.Result, h http.Header) int {
	call := x.Call()
	*r = vegeta.Result{Attack: c.attack, Code: uint16(x.Status), Timestamp: x.Start, Latency: x.Latency,
		BytesOut: uint64(x.BytesOut), BytesIn: uint64(len(x.Body)), Method: x.Method, URL: x.URL}
	var v gateway.Verdict
	var a *Agent
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
	return CallIndex(call)
}

// setNode sets results.HeaderNode for node n (nothing for 0).
func setNode(h http.Header, n int) {
	switch {
	case n <= 0:
	case n < len(nodeValues):
		h[results.HeaderNode] = nodeValues[n]
	default:
		h[results.HeaderNode] = []string{strconv.Itoa(n)}
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
func (p *Pool) agentByID(id int) *Agent { return p.byID[id] }

// WithSignInFields sends the plan's optional sign-in fields (config.Plan
// SignIn: status, autoanswer, autoenteridle, releasephone, agenttype, ip)
// in every sign-in and forced sign-in of the pool.
func WithSignInFields(s config.SignIn) PoolOption { return func(p *Pool) { p.signInFields = s } }
