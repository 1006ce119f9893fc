package config

import (
	"net/netip"
	"time"

	"ccgw-harness/gateway"

	"go.yaml.in/yaml/v3"
)

// Journey is a plan's journey block (key journey): the plan's shape then
// means agents starting a journey per second (open model), and each
// journey is an agent client's own sequence: sign-in (forced sign-in on
// 100-002 when the target allows it), logininfo, event long-polls keeping
// the session alive, logininfo again every Repeat, and sign-out once Hold
// has passed.
type Journey struct {
	// Hold is key hold: how long an agent stays signed in, from the answer
	// to its sign-in.
	Hold time.Duration
	// Repeat is key repeat: logininfo again every Repeat while holding (the
	// softphone registering again); 0 (key absent) means no repeat.
	Repeat time.Duration
}

// SignIn holds a plan's optional sign-in fields (key signin), sent in every
// sign-in and forced sign-in body of the plan; zero values are not sent.
type SignIn struct {
	Status        int    // key status: the agent's state after sign-in, 3 busy, 4 idle or 5 wrap-up
	AutoAnswer    *bool  // key autoanswer
	AutoEnterIdle *bool  // key autoenteridle
	ReleasePhone  *bool  // key releasephone
	AgentType     int    // key agenttype: 4 PC + phone, 11 video
	IP            string // key ip: the client address public agent clients send (an IPv4 or IPv6 address)
}

// Request returns the sign-in body for an agent with these fields.
func (s SignIn) Request(a Agent) gateway.SignInRequest {
	return gateway.SignInRequest{Password: a.Password, PhoneNum: a.PhoneNum, Status: s.Status,
		AutoAnswer: s.AutoAnswer, AutoEnterIdle: s.AutoEnterIdle, ReleasePhone: s.ReleasePhone,
		AgentType: s.AgentType, IP: s.IP}
}

func (p *parser) journey(n *yaml.Node, path string) *Journey {
	m, ok := p.mapping(n, path, journeyKeys)
	if !ok {
		return nil
	}
	j := &Journey{}
	if e, ok := m.get("hold"); ok {
		j.Hold, _ = p.planDuration(e.val, join(path, "hold"), false)
	} else {
		p.errf(m.node, path, "missing key \"hold\": how long each agent stays signed in (e.g. hold: 2m)")
	}
	if e, ok := m.get("repeat"); ok {
		if v, ok := p.planDuration(e.val, join(path, "repeat"), false); ok {
			if j.Hold > 0 && v > j.Hold {
				p.errf(e.val, join(path, "repeat"), "repeat %v is longer than hold %v: the token would never be asked for again (leave repeat out for no repeat)", v, j.Hold)
			} else {
				j.Repeat = v
			}
		}
	}
	return j
}

func (p *parser) signIn(n *yaml.Node, path string) SignIn {
	var s SignIn
	m, ok := p.mapping(n, path, signInKeys)
	if !ok {
		return s
	}
	oneOf := func(k string, allowed []int, help string) int {
		e, ok := m.get(k)
		if !ok {
			return 0
		}
		v, ok := p.integer(e.val, join(path, k), 0, 1<<20)
		if !ok {
			return 0
		}
		for _, a := range allowed {
			if v == a {
				return v
			}
		}
		p.errf(e.val, join(path, k), "bad %s %d: want %s", k, v, help)
		return 0
	}
	s.Status = oneOf("status", []int{gateway.StatusBusy, gateway.StatusIdle, gateway.StatusWrapUp}, "3 (busy), 4 (idle) or 5 (wrap-up)")
	s.AgentType = oneOf("agenttype", []int{gateway.AgentTypePCPhone, gateway.AgentTypeVideo}, "4 (PC + phone) or 11 (video)")
	for k, dst := range map[string]**bool{"autoanswer": &s.AutoAnswer, "autoenteridle": &s.AutoEnterIdle, "releasephone": &s.ReleasePhone} {
		if e, ok := m.get(k); ok {
			if v, ok := p.boolean(e.val, join(path, k)); ok {
				*dst = &v
			}
		}
	}
	if e, ok := m.get("ip"); ok {
		if v, ok := p.str(e.val, join(path, "ip"), false); ok {
			if a, err := netip.ParseAddr(v); err != nil || a.Zone() != "" {
				p.errf(e.val, join(path, "ip"), "bad ip %s: want an IPv4 or IPv6 address such as 127.0.0.1", quote(v))
			} else {
				s.IP = v
			}
		}
	}
	return s
}
