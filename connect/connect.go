// Package connect turns a configured target into a running one: for a target
// with a `mock:` block it starts the embedded mock gateway in-process; for a
// real gateway it builds a client with the target's TLS settings. Both the
// contract suite and the CLI use it, so a target means the same everywhere.
//
// Open returns a Target holding the gateway.Client to use (and the mock,
// when it started one); Close stops whatever Open started.
package connect

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
	"ccgw-harness/mockgw"
)

// DefaultProbeTimeout bounds the reachability check of Open.
const DefaultProbeTimeout = 10 * time.Second

// Target is a target ready to use.
type Target struct {
	// Config is the target's configuration. For an embedded mock whose agents
	// have no password_env (and are not without a password, see NoPassword),
	// Config.Agents.Password holds a password generated for this run (it
	// never leaves the process).
	Config *config.Target
	// Client talks to the gateway (or to the embedded mock).
	Client *gateway.Client
	// Mock is the embedded mock gateway, nil for a real gateway.
	Mock *mockgw.Server
	// TLSVerified is false when the target turns certificate checks off.
	TLSVerified bool
}

// Option configures Open.
type Option func(*options)

type options struct {
	mockOpts []mockgw.Option
	http2    bool
	timeout  time.Duration
	probe    bool
}

// WithMockOptions adds options for an embedded mock, after those from the
// configuration (so they win).
func WithMockOptions(o ...mockgw.Option) Option {
	return func(op *options) { op.mockOpts = append(op.mockOpts, o...) }
}

// WithHTTP2 makes the client negotiate HTTP/2.
func WithHTTP2(on bool) Option { return func(op *options) { op.http2 = on } }

// WithTimeout sets the client's per-call timeout.
func WithTimeout(d time.Duration) Option { return func(op *options) { op.timeout = d } }

// WithoutProbe skips the reachability check.
func WithoutProbe() Option { return func(op *options) { op.probe = false } }

// Open starts or reaches the target. Unless WithoutProbe is given it checks
// that the gateway answers, and fails with one message naming the target
// and its URL when it does not.
func Open(ctx context.Context, t *config.Target, opts ...Option) (*Target, error) {
	op := options{timeout: gateway.DefaultTimeout, probe: true}
	for _, o := range opts {
		o(&op)
	}
	cfg := *t // never mutate the caller's configuration
	rt := &Target{Config: &cfg, TLSVerified: true}
	if cfg.Mock != nil {
		if cfg.Agents.Password == "" && !NoPassword(&cfg) {
			cfg.Agents.Password = randomPassword()
		}
		if NoPassword(&cfg) {
			cfg.Agents.NoPassword = true
		}
		mopts, err := MockOptions(&cfg)
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", cfg.Name, err)
		}
		m, err := mockgw.New(append(mopts, op.mockOpts...)...)
		if err != nil {
			return nil, fmt.Errorf("target %s: starting the embedded mock: %w", cfg.Name, err)
		}
		rt.Mock = m
		rt.Client, err = gateway.NewClient(m.URL(),
			gateway.WithTLS(gateway.TLSConfig{CAPEM: m.CertPEM()}),
			gateway.WithHTTP2(op.http2), gateway.WithTimeout(op.timeout))
		if err != nil {
			m.Close()
			return nil, fmt.Errorf("target %s: %w", cfg.Name, err)
		}
	} else {
		tc := gateway.TLSConfig{CAFile: cfg.TLS.CAFile, InsecureSkipVerify: cfg.TLS.InsecureSkipVerify, ServerName: cfg.TLS.ServerName}
		rt.TLSVerified = !tc.InsecureSkipVerify
		c, err := gateway.NewClient(cfg.URL, gateway.WithTLS(tc), gateway.WithHTTP2(op.http2), gateway.WithTimeout(op.timeout))
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", cfg.Name, err)
		}
		rt.Client = c
	}
	if op.probe {
		if err := rt.Probe(ctx); err != nil {
			rt.Close()
			return nil, err
		}
	}
	return rt, nil
}

// URL is the gateway's base URL.
func (t *Target) URL() string { return t.Client.BaseURL() }

// Close stops the embedded mock, if any, and closes idle connections.
func (t *Target) Close() {
	if t.Client != nil {
		t.Client.HTTPClient().CloseIdleConnections()
	}
	if t.Mock != nil {
		t.Mock.Close()
	}
}

// Probe checks that the gateway answers on its agent interface: a logininfo
// call without a Guid must come back with an HTTP answer (any status). It
// returns one error naming the target, its URL and what went wrong.
func (t *Target) Probe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, DefaultProbeTimeout)
	defer cancel()
	_, err := t.Client.Do(ctx, "POST", gateway.LoginInfoPath(t.Config.AgentIDRange.Min), nil, nil, nil)
	if err == nil {
		return nil
	}
	why := err.Error()
	var ne net.Error
	var ue *url.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
		why = fmt.Sprintf("no answer within %s", DefaultProbeTimeout)
	case errors.As(err, &ue):
		why = ue.Err.Error() // the cause, without the request line around it
	}
	return &unreachableError{err: err, msg: fmt.Sprintf("target %s (%s) is unreachable: %s; check the url and tls settings of target %q in the targets file, and that the gateway is up",
		t.Config.Name, t.Client.BaseURL(), why, t.Config.Name)}
}

// unreachableError is Probe's error: one message for a person, and the
// transport error as its cause.
type unreachableError struct {
	msg string
	err error
}

// Error returns the message.
func (e *unreachableError) Error() string { return e.msg }

// Unwrap returns the transport error.
func (e *unreachableError) Unwrap() error { return e.err }

func randomPassword() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return hex.EncodeToString(b)
}
