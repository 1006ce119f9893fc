package config

import (
	"errors"
	"slices"
	"strings"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/mockgw/faultset"

	"go.yaml.in/yaml/v3"
)

// Mock settings.
const (
	DefaultMockNodes = 1  // mock.nodes default: a single gateway
	MaxMockNodes     = 64 // mock.nodes upper bound
)

// Mock is a target's mock: block: how the embedded mock gateway is started.
type Mock struct {
	Nodes        int              // key nodes: cluster size behind one address, default 1
	AuthMode     gateway.AuthMode // key auth_mode, default dynamic
	GuidInterval time.Duration    // key guid_interval, default gateway.DefaultGuidInterval
	GuidTimeout  time.Duration    // key guid_timeout, default gateway.DefaultGuidTimeout
	IdleTimeout  time.Duration    // key idle_timeout, default gateway.DefaultIdleTimeout
	PollWait     time.Duration    // key poll_wait, default gateway.DefaultPollWait
	Faults       faultset.Faults  // key faults: fault injection, all off by default; keys from faultset's table (e.g. reset_rate), rates in [0, 1] (0.01 or "1%"), Go durations
	Defects      []string         // key defects: named deviations from the documented contract, e.g. no-allow-header (names checked by mockgw.ParseDefect)
	Capacity     float64          // key capacity: at most this many logininfo answers per second, in arrival order (mockgw.WithCapacity); 0 = no limit
	// GuidTimeoutFrom is key guid_timeout_from: whether guid_timeout counts
	// from a Guid's issue (default) or from its rotation.
	GuidTimeoutFrom gateway.GuidTimeoutFrom
	// NoPassword is key password: "" (the only value allowed): the mock's
	// agents have no password and sign in with an empty one.
	NoPassword bool
}

// mock reads a mock: block; null (a bare `mock:`) means all defaults.
func (p *parser) mock(n *yaml.Node, path string) *Mock {
	mk := &Mock{
		Nodes: DefaultMockNodes, AuthMode: gateway.AuthDynamic,
		GuidInterval: gateway.DefaultGuidInterval, GuidTimeout: gateway.DefaultGuidTimeout,
		IdleTimeout: gateway.DefaultIdleTimeout, PollWait: gateway.DefaultPollWait,
		GuidTimeoutFrom: gateway.GuidTimeoutFromIssue,
	}
	if d := deref(n); d != nil && d.Kind == yaml.ScalarNode && d.ShortTag() == "!!null" {
		return mk
	}
	m, ok := p.mapping(n, path, mockKeys)
	if !ok {
		return mk
	}
	if e, ok := m.get("nodes"); ok {
		if v, ok := p.integer(e.val, join(path, "nodes"), 1, MaxMockNodes); ok {
			mk.Nodes = v
		}
	}
	if e, ok := m.get("auth_mode"); ok {
		if v, ok := p.authMode(e.val, join(path, "auth_mode")); ok {
			mk.AuthMode = v
		}
	}
	p.timings(m, path, &mk.GuidInterval, &mk.GuidTimeout, &mk.IdleTimeout, &mk.PollWait)
	p.staticRefuses(m, path, mk.AuthMode, "guid_interval", "guid_timeout", "guid_timeout_from")
	if e, ok := m.get("guid_timeout_from"); ok {
		fp := join(path, "guid_timeout_from")
		if s, ok := p.str(e.val, fp, false); ok {
			if v, err := gateway.ParseGuidTimeoutFrom(s); err != nil {
				p.errf(e.val, fp, "bad guid_timeout_from %s: want issue (a rotated-out Guid dies guid_timeout after it was issued) or rotation (guid_timeout after it was replaced)", quote(s))
			} else {
				mk.GuidTimeoutFrom = v
			}
		}
	}
	if e, ok := m.get("password"); ok {
		fp := join(path, "password")
		if d, ok := p.scalar(e.val, fp, `"" (agents without a password)`, true, "!!str"); ok {
			if d.Value != "" {
				// Never echo it: it may be a real password pasted by mistake.
				p.errf(e.val, fp, `only "" is allowed here (a mock whose agents have no password; the value is not shown): passwords never go in YAML, the mock's agents get a generated one, or use agents.password_env`)
			} else {
				mk.NoPassword = true
			}
		}
	}
	if e, ok := m.get("faults"); ok {
		mk.Faults = p.faults(e.val, join(path, "faults"))
		if mk.Faults.RotateEveryPoll && mk.AuthMode == gateway.AuthStatic {
			p.errf(e.val, join(path, "faults.rotate_every_poll"), "rotate_every_poll does not apply with auth_mode static: a static Guid never rotates")
		}
	}
	if e, ok := m.get("defects"); ok {
		mk.Defects = p.names(e.val, join(path, "defects"), "defect names")
	}
	if e, ok := m.get("capacity"); ok {
		mk.Capacity, _ = p.rate(e.val, join(path, "capacity"))
	}
	return mk
}

// faults reads a mock.faults block: each key as its faultset kind says,
// then the checks across fields (faultset's Validate), so that what Parse
// accepts the mock accepts too.
func (p *parser) faults(n *yaml.Node, path string) faultset.Faults {
	var f faultset.Faults
	m, ok := p.mapping(n, path, faultset.Keys())
	if !ok {
		return f
	}
	for _, k := range m.keys {
		fd, _ := faultset.Lookup(k) // mapping let only known keys through
		v, fp := m.byKey[k].val, join(path, k)
		switch ptr := fd.Ptr(&f); fd.Kind {
		case faultset.Rate:
			*ptr.(*float64), _ = p.fraction(v, fp)
		case faultset.Duration:
			*ptr.(*time.Duration), _ = p.duration(v, fp, true)
		case faultset.Dist:
			if s, ok := p.str(v, fp, false); ok {
				if !slices.Contains(faultset.LatencyDists, s) {
					p.errf(v, fp, "bad %s %s: want %s", k, quote(s), strings.Join(faultset.LatencyDists, " or "))
				} else {
					*ptr.(*string) = s
				}
			}
		case faultset.Retcode:
			*ptr.(*string), _ = p.retcode(v, fp)
		case faultset.Status:
			*ptr.(*int), _ = p.integer(v, fp, faultset.MinStatus, faultset.MaxStatus)
		case faultset.Bool:
			*ptr.(*bool), _ = p.boolean(v, fp)
		}
	}
	var fe *faultset.FieldError
	if err := f.Validate(); errors.As(err, &fe) {
		at := n
		if e, ok := m.get(fe.Field); ok {
			at = e.val
		}
		p.errf(at, join(path, fe.Field), "%s", fe.Reason)
		return faultset.Faults{}
	}
	if u, ok := UnusedFault(f); ok {
		p.errf(m.byKey[u.Key].key, join(path, u.Key), "%s changes nothing unless %s is %s: %s", u.Key, u.Needs, u.NeedsValue, u.Why)
		return faultset.Faults{}
	}
	return f
}

// FaultNeed is a fault setting that changes nothing without another one.
type FaultNeed struct {
	Key        string // the setting (a faultset key), e.g. "retcode"
	Needs      string // the key it needs, e.g. "retcode_rate"
	NeedsValue string // what that key must be, e.g. "above 0"
	Why        string // why
}

// UnusedFault returns the first setting of f (in faultset's order) that
// changes nothing given the others: a fault's parameter without the fault
// (retcode without retcode_rate), a latency parameter of the other
// distribution. Parse refuses such faults, and so does `ccgw mock`.
func UnusedFault(f faultset.Faults) (FaultNeed, bool) {
	for _, n := range []struct {
		set bool
		FaultNeed
	}{
		{f.LatencyJitter > 0 && f.LatencyDist == faultset.LatencyExponential,
			FaultNeed{"latency_jitter", "latency_dist", "uniform (or unset)", "an exponential delay is drawn from latency_mean"}},
		{f.LatencyMean > 0 && f.LatencyDist != faultset.LatencyExponential,
			FaultNeed{"latency_mean", "latency_dist", faultset.LatencyExponential, "it is the mean of the exponential delay"}},
		{f.Retcode != "" && f.RetcodeRate == 0, FaultNeed{"retcode", "retcode_rate", "above 0", "it is the retcode of that fault"}},
		{f.HTTPStatus != 0 && f.HTTPErrorRate == 0, FaultNeed{"http_status", "http_error_rate", "above 0", "it is the status of that fault"}},
		{f.StallFor > 0 && f.StallRate == 0, FaultNeed{"stall_for", "stall_rate", "above 0", "it is the length of that fault"}},
		{f.SlowBodyFor > 0 && f.SlowBodyRate == 0, FaultNeed{"slow_body_for", "slow_body_rate", "above 0", "it is the length of that fault"}},
	} {
		if n.set {
			return n.FaultNeed, true
		}
	}
	return FaultNeed{}, false
}

// ident reads a lowercase name (a defect name).
func (p *parser) ident(n *yaml.Node, path string) string {
	s, ok := p.str(n, path, false)
	if !ok {
		return ""
	}
	if !identRe.MatchString(s) {
		p.errf(n, path, "bad name %s: want lowercase letters, digits, '_' or '-'", quote(s))
		return ""
	}
	return s
}

// names reads a list of distinct idents.
func (p *parser) names(n *yaml.Node, path, what string) []string {
	items, ok := p.list(n, path, what)
	if !ok {
		return nil
	}
	var out []string
	for i, it := range items {
		s := p.ident(it, index(path, i))
		if s == "" {
			continue
		}
		if slices.Contains(out, s) {
			p.errf(it, index(path, i), "%s is listed twice", quote(s))
			continue
		}
		out = append(out, s)
	}
	return out
}
