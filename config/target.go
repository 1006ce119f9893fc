package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"ccgw-harness/gateway"

	"go.yaml.in/yaml/v3"
)

// Target is one gateway the harness may talk to: a real one (URL) or the
// embedded mock (Mock).
type Target struct {
	Name string // the key under targets
	Line int    // line of that key in the file

	URL  string // "" for a mock target; else https://host[:port], no path
	Mock *Mock  // non-nil when the target has a mock: block (the embedded mock)
	TLS  TLS    // key tls; real targets only

	AuthMode     gateway.AuthMode // key auth_mode, default dynamic; for a mock target, mock.auth_mode
	GuidInterval time.Duration    // key guid_interval, default gateway.DefaultGuidInterval (mock: from mock:)
	GuidTimeout  time.Duration    // key guid_timeout, default gateway.DefaultGuidTimeout (mock: from mock:)
	IdleTimeout  time.Duration    // key idle_timeout, default gateway.DefaultIdleTimeout (mock: from mock:)
	PollWait     time.Duration    // key poll_wait, default gateway.DefaultPollWait (mock: from mock:)

	AgentIDRange gateway.IDRange // key agent_id_range: [min, max] or "min-max", default gateway.DefaultIDRange
	Agents       Agents          // key agents (a mock target without it gets DefaultMockAgentIDs)

	AllowLoad  bool    // key allow_load: load runs refuse targets without it; default false, true for a mock target
	MaxRate    float64 // key max_rate: requests/s cap for any plan against this target; 0 = no cap
	Production bool    // key production, default false
	ForceLogin bool    // key force_login, default true: forced sign-in after 100-002 is allowed

	Expect Expectations // key expect: the contract suite's expectation profile, DefaultExpectations overridden per key

	caLine int // line of tls.ca_file, for File.Target's check
}

// TLS is how the harness verifies a real gateway's certificate.
type TLS struct {
	CAFile             string // key ca_file: PEM bundle, resolved relative to the targets.yaml directory; "" = system roots
	InsecureSkipVerify bool   // key insecure_skip_verify, default false
	ServerName         string // key server_name: name to verify instead of the URL's host
}

// sessionKeys are the target keys that a mock target sets in its mock
// block instead.
var sessionKeys = []string{"auth_mode", "guid_interval", "guid_timeout", "idle_timeout", "poll_wait"}

// maxIDBound is the largest agent-ID bound accepted (9 digits, as
// gateway.ParseIDRange).
const maxIDBound = 999999999

func (p *parser) target(name string, key, n *yaml.Node, path string) *Target {
	m, ok := p.mapping(n, path, targetKeys)
	if !ok {
		return nil
	}
	t := &Target{
		Name: name, Line: key.Line,
		AuthMode:     gateway.AuthDynamic,
		GuidInterval: gateway.DefaultGuidInterval, GuidTimeout: gateway.DefaultGuidTimeout,
		IdleTimeout: gateway.DefaultIdleTimeout, PollWait: gateway.DefaultPollWait,
		AgentIDRange: gateway.DefaultIDRange,
		ForceLogin:   true,
		Expect:       DefaultExpectations(),
	}
	urlE, hasURL := m.get("url")
	mockE, hasMock := m.get("mock")
	switch {
	case hasURL && hasMock:
		second := urlE
		if mockE.key.Line > urlE.key.Line {
			second = mockE
		}
		p.errf(second.key, path, "url and mock are exclusive: a target is a real gateway (url) or the embedded mock (mock)")
	case !hasURL && !hasMock:
		p.errf(key, path, "missing url or mock: a target is a real gateway (url: https://host:8043) or the embedded mock (mock: {})")
	case hasURL:
		t.URL = p.url(urlE.val, join(path, "url"))
	case hasMock:
		t.Mock = p.mock(mockE.val, join(path, "mock"))
		t.AuthMode = t.Mock.AuthMode
		t.GuidInterval, t.GuidTimeout, t.IdleTimeout, t.PollWait = t.Mock.GuidInterval, t.Mock.GuidTimeout, t.Mock.IdleTimeout, t.Mock.PollWait
		t.AllowLoad = true
	}
	if hasMock {
		for _, k := range sessionKeys {
			if e, ok := m.get(k); ok {
				p.errf(e.key, path, "%s of a mock target goes inside its mock block (mock: {%s: ...})", k, k)
			}
		}
		if e, ok := m.get("tls"); ok {
			p.errf(e.key, path, "tls does not apply to a mock target: the embedded mock serves its own certificate and the harness trusts it")
		}
	} else {
		if e, ok := m.get("tls"); ok {
			t.TLS, t.caLine = p.tls(e.val, join(path, "tls"))
		}
		if e, ok := m.get("auth_mode"); ok {
			if v, ok := p.authMode(e.val, join(path, "auth_mode")); ok {
				t.AuthMode = v
			}
		}
		p.timings(m, path, &t.GuidInterval, &t.GuidTimeout, &t.IdleTimeout, &t.PollWait)
		p.staticRefuses(m, path, t.AuthMode, "guid_interval", "guid_timeout")
	}
	if e, ok := m.get("agent_id_range"); ok {
		if r, ok := p.idRange(e.val, join(path, "agent_id_range")); ok {
			t.AgentIDRange = r
		}
	}
	if e, ok := m.get("agents"); ok {
		t.Agents = p.agents(e.val, join(path, "agents"), t.AgentIDRange, !hasMock)
	} else if hasMock {
		t.Agents = p.defaultMockAgents(key, path, t.AgentIDRange)
	} else if hasURL {
		p.errf(key, path, "missing key \"agents\": a real gateway needs its test agents (agents: {ids: \"1001-1200\", password_env: VAR})")
	}
	if e, ok := m.get("allow_load"); ok {
		if v, ok := p.boolean(e.val, join(path, "allow_load")); ok {
			t.AllowLoad = v
		}
	}
	if e, ok := m.get("max_rate"); ok {
		t.MaxRate, _ = p.rate(e.val, join(path, "max_rate"))
	}
	if e, ok := m.get("production"); ok {
		t.Production, _ = p.boolean(e.val, join(path, "production"))
	}
	if e, ok := m.get("force_login"); ok {
		if v, ok := p.boolean(e.val, join(path, "force_login")); ok {
			t.ForceLogin = v
		}
	}
	if e, ok := m.get("expect"); ok {
		p.expectations(e.val, join(path, "expect"), &t.Expect)
	}
	return t
}

// timings reads guid_interval, guid_timeout, idle_timeout and poll_wait
// from m into the given fields (which hold the defaults) and checks that
// the Guid does not time out before it is rotated.
func (p *parser) timings(m fields, path string, interval, timeout, idle, poll *time.Duration) {
	for _, f := range []struct {
		key string
		dst *time.Duration
	}{{"guid_interval", interval}, {"guid_timeout", timeout}, {"idle_timeout", idle}, {"poll_wait", poll}} {
		if e, ok := m.get(f.key); ok {
			if v, ok := p.duration(e.val, join(path, f.key), false); ok {
				*f.dst = v
			}
		}
	}
	if *timeout < *interval {
		at, field := "guid_timeout", "guid_timeout"
		if _, ok := m.get("guid_timeout"); !ok {
			at, field = "guid_interval", "guid_interval"
		}
		e := m.byKey[at]
		p.errf(e.val, join(path, field), "guid_timeout %v is shorter than guid_interval %v: the Guid would die before it is rotated", *timeout, *interval)
	}
}

// staticRefuses reports each of keys that m sets although mode is static:
// the Guid never rotates, so the Guid's interval and timeout change
// nothing.
func (p *parser) staticRefuses(m fields, path string, mode gateway.AuthMode, keys ...string) {
	if mode != gateway.AuthStatic {
		return
	}
	for _, k := range keys {
		if e, ok := m.get(k); ok {
			p.errf(e.key, join(path, k), "%s does not apply with auth_mode static: the Guid never rotates (leave it out, or use auth_mode dynamic)", k)
		}
	}
}

// url reads a real gateway's base URL: https, a host, an optional port and
// nothing else. A URL holding user info is never echoed.
func (p *parser) url(n *yaml.Node, path string) string {
	s, ok := p.str(n, path, false)
	if !ok {
		return ""
	}
	shown := quote(s)
	if strings.Contains(s, "@") {
		shown = "(not shown: it holds user info)"
	}
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		p.errf(n, path, "bad url %s: %v", shown, err)
		return ""
	}
	bad := func(why string) string {
		p.errf(n, path, "bad url %s: %s (want https://host:port, e.g. https://gw.example:%d)", shown, why, gateway.DefaultPort)
		return ""
	}
	switch {
	case !strings.EqualFold(u.Scheme, "https"):
		return bad("scheme must be https")
	case u.User != nil:
		return bad("user info is not allowed (secrets come from the environment)")
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return bad("no host")
	case u.Path != "" && u.Path != "/":
		return bad("no path allowed: the harness appends " + gateway.PathPrefix + "/...")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return bad("no query or fragment allowed")
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return bad("port must be 1 to 65535")
		}
	}
	return "https://" + u.Host
}

// tls reads a tls: block; it also returns the line of ca_file.
func (p *parser) tls(n *yaml.Node, path string) (t TLS, caLine int) {
	m, ok := p.mapping(n, path, tlsKeys)
	if !ok {
		return t, 0
	}
	if e, ok := m.get("ca_file"); ok {
		if s, ok := p.str(e.val, join(path, "ca_file"), false); ok {
			if s == "" {
				p.errf(e.val, join(path, "ca_file"), "empty path: leave ca_file out to use the system roots")
			} else {
				t.CAFile, caLine = p.resolvePath(s), e.val.Line
			}
		}
	}
	if e, ok := m.get("insecure_skip_verify"); ok {
		t.InsecureSkipVerify, _ = p.boolean(e.val, join(path, "insecure_skip_verify"))
	}
	if e, ok := m.get("server_name"); ok {
		if s, ok := p.str(e.val, join(path, "server_name"), false); ok {
			if s == "" || strings.ContainsAny(s, " \t/:@") {
				p.errf(e.val, join(path, "server_name"), "bad server_name %s: want a host name", quote(s))
			} else {
				t.ServerName = s
			}
		}
	}
	return t, caLine
}

// resolvePath makes a path from the YAML relative to the YAML's directory.
func (p *parser) resolvePath(s string) string {
	if filepath.IsAbs(s) {
		return s
	}
	return filepath.Join(p.dir, s)
}

// idRange reads [min, max] (or "min-max").
func (p *parser) idRange(n *yaml.Node, path string) (gateway.IDRange, bool) {
	d := deref(n)
	var r gateway.IDRange
	switch {
	case d != nil && d.Kind == yaml.SequenceNode:
		if len(d.Content) != 2 {
			p.errf(n, path, "want [min, max], got a list of %d", len(d.Content))
			return r, false
		}
		lo, ok1 := p.integer(d.Content[0], index(path, 0), 1, maxIDBound)
		hi, ok2 := p.integer(d.Content[1], index(path, 1), 1, maxIDBound)
		if !ok1 || !ok2 {
			return r, false
		}
		r = gateway.IDRange{Min: lo, Max: hi}
	case d != nil && d.Kind == yaml.ScalarNode && d.ShortTag() == "!!str":
		var err error
		if r, err = gateway.ParseIDRange(d.Value); err != nil {
			p.errf(n, path, "bad agent_id_range %s: want [min, max], e.g. [101, 999999]", quote(d.Value))
			return r, false
		}
	default:
		p.errf(n, path, "want [min, max], e.g. [101, 999999], got %s", describe(n, false))
		return r, false
	}
	if !r.Valid() {
		p.errf(n, path, "agent_id_range [%d, %d]: min is above max", r.Min, r.Max)
		return r, false
	}
	return r, true
}

func formatRange(r gateway.IDRange) string { return fmt.Sprintf("[%d, %d]", r.Min, r.Max) }

// clone copies t deeply enough that resolving or editing the copy leaves t
// untouched.
func (t *Target) clone() *Target {
	c := *t
	if t.Mock != nil {
		m := *t.Mock
		m.Defects = append([]string(nil), t.Mock.Defects...)
		c.Mock = &m
	}
	c.Agents.IDs = append([]int(nil), t.Agents.IDs...)
	c.Expect.ContentTypes = append([]string(nil), t.Expect.ContentTypes...)
	return &c
}

// resolve reads what File.Target resolves: the password, the agents CSV and
// the CA file's presence.
func (t *Target) resolve(file string) error {
	var errs []*FieldError
	path := join("targets", t.Name)
	if t.TLS.CAFile != "" {
		if st, err := os.Stat(t.TLS.CAFile); err != nil || !st.Mode().IsRegular() {
			msg := "not a regular file"
			if err != nil {
				msg = pathErrText(err)
			}
			errs = append(errs, &FieldError{File: file, Line: t.caLine, Field: join(path, "tls.ca_file"), Msg: fmt.Sprintf("CA file %s: %s", t.TLS.CAFile, msg), Err: err})
		}
	}
	errs = append(errs, t.Agents.resolve(file, join(path, "agents"), t.AgentIDRange, t.Mock == nil)...)
	return joinErrors(file, errs)
}
