package config

import (
	"slices"
	"strings"
	"time"

	"ccgw-harness/gateway"

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
	Faults       MockFaults       // key faults: fault injection, all off by default
	Defects      []string         // key defects: named deviations from the documented contract, e.g. no-allow-header (names checked by mockgw.ParseDefect)
	// GuidTimeoutFrom is key guid_timeout_from: whether guid_timeout counts
	// from a Guid's issue (default) or from its rotation.
	GuidTimeoutFrom gateway.GuidTimeoutFrom
	// NoPassword is key password: "" (the only value allowed): the mock's
	// agents have no password and sign in with an empty one.
	NoPassword bool
}

// MockFaults is the mock's fault injection (key mock.faults), field for
// field mockgw.Faults. Rates are fractions of requests in [0, 1] (0.01 or
// "1%"); durations are Go durations. Zero values inject nothing.
type MockFaults struct {
	LatencyFixed    time.Duration // latency_fixed: added to every answer
	LatencyJitter   time.Duration // latency_jitter: random extra latency up to this
	LatencyDist     string        // latency_dist: "" or "uniform" (up to LatencyJitter), or "exponential" (mean LatencyMean)
	LatencyMean     time.Duration // latency_mean: mean of the exponential latency
	RetcodeRate     float64       // retcode_rate: answers that carry Retcode instead of success
	Retcode         string        // retcode: the retcode those answers carry (NNN-NNN)
	HTTPErrorRate   float64       // http_error_rate: answers with HTTPStatus instead of 200
	HTTPStatus      int           // http_status: the status those answers carry (400..599; 0 = mockgw's default)
	ResetRate       float64       // reset_rate: connections reset before answering
	MalformedRate   float64       // malformed_rate: bodies that are not an envelope
	TruncatedRate   float64       // truncated_rate: bodies cut short
	StallRate       float64       // stall_rate: answers held back for StallFor
	StallFor        time.Duration // stall_for
	SlowBodyRate    float64       // slow_body_rate: bodies dribbled out over SlowBodyFor
	SlowBodyFor     time.Duration // slow_body_for
	WrongPhoneRate  float64       // wrong_phone_rate: logininfo answers with another phonenum
	SignInFailRate  float64       // sign_in_fail_rate: share of agents whose sign-ins are refused
	SignInLatency   time.Duration // sign_in_latency: sign-in and sign-out take this long
	RotateEveryPoll bool          // rotate_every_poll: a new Guid on every event poll (dynamic mode)
	TLSFailRate     float64       // tls_fail_rate: TLS handshakes aborted
}

var (
	latencyDists = []string{"uniform", "exponential"}
	mockKeys     = []string{"nodes", "auth_mode", "guid_interval", "guid_timeout", "guid_timeout_from", "idle_timeout", "poll_wait", "password", "faults", "defects"}
	faultKeys    = []string{"latency_fixed", "latency_jitter", "latency_dist", "latency_mean", "retcode_rate", "retcode",
		"http_error_rate", "http_status", "reset_rate", "malformed_rate", "truncated_rate", "stall_rate", "stall_for",
		"slow_body_rate", "slow_body_for", "wrong_phone_rate", "sign_in_fail_rate", "sign_in_latency", "rotate_every_poll", "tls_fail_rate"}
)

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
	}
	if e, ok := m.get("defects"); ok {
		mk.Defects = p.names(e.val, join(path, "defects"), "defect names")
	}
	return mk
}

func (p *parser) faults(n *yaml.Node, path string) MockFaults {
	var f MockFaults
	m, ok := p.mapping(n, path, faultKeys)
	if !ok {
		return f
	}
	for _, k := range m.keys {
		v, fp := m.byKey[k].val, join(path, k)
		switch k {
		case "latency_fixed":
			f.LatencyFixed, _ = p.duration(v, fp, true)
		case "latency_jitter":
			f.LatencyJitter, _ = p.duration(v, fp, true)
		case "latency_dist":
			if s, ok := p.str(v, fp, false); ok {
				if !slices.Contains(latencyDists, s) {
					p.errf(v, fp, "bad latency_dist %s: want %s", quote(s), strings.Join(latencyDists, " or "))
				} else {
					f.LatencyDist = s
				}
			}
		case "latency_mean":
			f.LatencyMean, _ = p.duration(v, fp, true)
		case "retcode_rate":
			f.RetcodeRate, _ = p.fraction(v, fp)
		case "retcode":
			f.Retcode, _ = p.retcode(v, fp)
		case "http_error_rate":
			f.HTTPErrorRate, _ = p.fraction(v, fp)
		case "http_status":
			f.HTTPStatus, _ = p.integer(v, fp, 400, 599)
		case "reset_rate":
			f.ResetRate, _ = p.fraction(v, fp)
		case "malformed_rate":
			f.MalformedRate, _ = p.fraction(v, fp)
		case "truncated_rate":
			f.TruncatedRate, _ = p.fraction(v, fp)
		case "stall_rate":
			f.StallRate, _ = p.fraction(v, fp)
		case "stall_for":
			f.StallFor, _ = p.duration(v, fp, true)
		case "slow_body_rate":
			f.SlowBodyRate, _ = p.fraction(v, fp)
		case "slow_body_for":
			f.SlowBodyFor, _ = p.duration(v, fp, true)
		case "wrong_phone_rate":
			f.WrongPhoneRate, _ = p.fraction(v, fp)
		case "sign_in_fail_rate":
			f.SignInFailRate, _ = p.fraction(v, fp)
		case "sign_in_latency":
			f.SignInLatency, _ = p.duration(v, fp, true)
		case "rotate_every_poll":
			f.RotateEveryPoll, _ = p.boolean(v, fp)
		case "tls_fail_rate":
			f.TLSFailRate, _ = p.fraction(v, fp)
		}
	}
	return f
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
