package agents

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync/atomic"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Order is how a Targeter spreads requests over the agents (a plan's
// order).
type Order string

// The orders.
const (
	// RoundRobin takes the agents in configuration order, one request each,
	// over and over.
	RoundRobin Order = "round-robin"
	// Shuffle takes the agents in an order shuffled once per run, one
	// request each, over and over: as even as round-robin, without a fixed
	// agent sequence.
	Shuffle Order = "shuffle"
)

// ParseOrder reads "round-robin" (or "") and "shuffle".
func ParseOrder(s string) (Order, error) {
	switch Order(s) {
	case "", RoundRobin:
		return RoundRobin, nil
	case Shuffle:
		return Shuffle, nil
	}
	return "", fmt.Errorf("order %q: want round-robin or shuffle", s)
}

// Targeter builds the logininfo requests of an attack: POST
// .../onlineagent/{id}/logininfo with the documented headers (Content-Type,
// the agent's current Guid, its cookies) and no body, one agent after the
// other. It counts the targets it handed out, which is the number of hits
// the attacker made.
type Targeter struct {
	agents []*Agent
	next   atomic.Uint64
	hits   atomic.Uint64
}

// Targeter returns a Targeter over the agents SignIn signed in, in the
// given order. It fails when no agent is signed in.
func (p *Pool) Targeter(order Order) (*Targeter, error) {
	if len(p.live) == 0 {
		return nil, fmt.Errorf("load: no agent is signed in")
	}
	agents := append([]*Agent(nil), p.live...)
	if order == Shuffle {
		rand.Shuffle(len(agents), func(i, j int) { agents[i], agents[j] = agents[j], agents[i] })
	}
	return &Targeter{agents: agents}, nil
}

// Fresh returns a Targeter over the same agents in the same order, from
// the first, that counts its own hits: for requests that are not the
// measured attack's (warm-up, probes).
func (t *Targeter) Fresh() *Targeter { return &Targeter{agents: t.agents} }

// Hits is the number of targets handed out so far.
func (t *Targeter) Hits() uint64 { return t.hits.Load() }

// Targeter returns the vegeta.Targeter. It allocates nothing: the header
// map is the agent's current one, which is never modified once published
// (vegeta copies it into each request).
func (t *Targeter) Targeter() vegeta.Targeter {
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
