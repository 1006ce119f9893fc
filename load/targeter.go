package load

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync/atomic"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// agentOrder is how the targeter spreads requests over the agents.
type agentOrder string

// The orders.
const (
	// roundRobin takes the agents in configuration order, one request each,
	// over and over.
	roundRobin agentOrder = "round-robin"
	// shuffle takes the agents in an order shuffled once per run, one
	// request each, over and over: as even as round-robin, without a fixed
	// agent sequence.
	shuffle agentOrder = "shuffle"
)

// parseOrder reads "round-robin" (or "") and "shuffle".
func parseOrder(s string) (agentOrder, error) {
	switch agentOrder(s) {
	case "", roundRobin:
		return roundRobin, nil
	case shuffle:
		return shuffle, nil
	}
	return "", fmt.Errorf("order %q: want round-robin or shuffle", s)
}

// targeter builds the logininfo requests of an attack: POST
// .../onlineagent/{id}/logininfo with the documented headers (Content-Type,
// the agent's current Guid, its cookies) and no body, one agent after the
// other. It counts the targets it handed out, which is the number of hits
// the attacker made.
type targeter struct {
	agents []*agent
	next   atomic.Uint64
	hits   atomic.Uint64
}

// NewTargeter returns a targeter over the agents SignIn signed in, in the
// given order. It fails when no agent is signed in.
func (p *Pool) NewTargeter(order agentOrder) (*targeter, error) {
	if len(p.live) == 0 {
		return nil, fmt.Errorf("load: no agent is signed in")
	}
	agents := append([]*agent(nil), p.live...)
	if order == shuffle {
		rand.Shuffle(len(agents), func(i, j int) { agents[i], agents[j] = agents[j], agents[i] })
	}
	return &targeter{agents: agents}, nil
}

// Hits is the number of targets handed out so far.
func (t *targeter) Hits() uint64 { return t.hits.Load() }

// Targeter returns the vegeta.Targeter. It allocates nothing: the header
// map is the agent's current one, which is never modified once published
// (vegeta copies it into each request).
func (t *targeter) Targeter() vegeta.Targeter {
	n := uint64(len(t.agents))
	return func(tgt *vegeta.Target) error {
		a := t.agents[(t.next.Add(1)-1)%n]
		tgt.Method = http.MethodPost
		tgt.URL = a.url
		tgt.Body = nil
		if h := a.hdr.Load(); h != nil {
			tgt.Header = h.h
		}
		t.hits.Add(1)
		return nil
	}
}
