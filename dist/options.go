package dist

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"ccgw-harness/load"
	"ccgw-harness/metrics"
	"ccgw-harness/pace"
)

// Defaults of a distributed run.
const (
	// DefaultPort is the coordinator's port in the Kubernetes manifests.
	DefaultPort = 9465
	// DefaultBarrierTimeout is how long after the coordinator started
	// every shard must be ready (and how long a shard tries to reach its
	// coordinator); then the run is given up.
	DefaultBarrierTimeout = 5 * time.Minute
	// MaxBarrierTimeout bounds the barrier timeout.
	MaxBarrierTimeout = 24 * time.Hour
	// DefaultHeartbeat is how often each side sends the other a message
	// (shards their snapshot, the coordinator a ping).
	DefaultHeartbeat = time.Second
	// DefaultHeartbeatTimeout is how long a side hears nothing from the
	// other before it takes it for lost.
	DefaultHeartbeatTimeout = 5 * time.Second
	// DefaultStartLead is how long after the last shard was ready the
	// measured attack starts: time for the start message to reach every
	// shard, many times over.
	DefaultStartLead = time.Second
	// DefaultHandshakeTimeout bounds a connection's handshake.
	DefaultHandshakeTimeout = 10 * time.Second
)

// Config is one shard's part in a distributed run.
type Config struct {
	// Shard is this shard's index and the run's count (Count > 1).
	Shard pace.Shard
	// Coordinator is HOST:PORT of shard 0. Shard 0 listens on PORT: on
	// HOST when it is an IP address, else on every interface.
	Coordinator string
	// Token is the run's shared secret (CCGW_RUN_TOKEN).
	Token string
	// RunID names the run; "" takes the coordinator's (which makes one
	// when it has none).
	RunID string
	// Target and Plan are what this shard runs: every shard runs the same.
	Target, Plan string
	// Version is the ccgw version: every shard runs the same.
	Version string
	// Out is the shard's output directory. Shard 0 writes the run's
	// merged reports there, its own under shards/0, and every other
	// shard's figures under shards/I.
	Out string
}

// check validates the configuration; errors name what to fix.
func (c *Config) check() error {
	switch {
	case c.Shard.Count < 2:
		return fmt.Errorf("shard %s: a distributed run has at least 2 shards", c.Shard)
	case c.Shard.Validate() != nil:
		return c.Shard.Validate()
	case c.Coordinator == "":
		return errors.New("no coordinator address: want HOST:PORT of shard 0 (--coordinator or CCGW_COORDINATOR)")
	case c.Out == "":
		return errors.New("no output directory")
	}
	if _, err := splitAddr(c.Coordinator); err != nil {
		return err
	}
	if err := ValidToken(c.Token); err != nil {
		return fmt.Errorf("run token (CCGW_RUN_TOKEN): %v", err)
	}
	if c.RunID != "" {
		if err := ValidRunID(c.RunID); err != nil {
			return err
		}
	}
	return nil
}

// splitAddr checks HOST:PORT and returns the port.
func splitAddr(addr string) (int, error) {
	host, port, err := net.SplitHostPort(addr)
	n, perr := strconv.Atoi(port)
	if err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("coordinator %q: want HOST:PORT of shard 0, e.g. ccgw-load-0.ccgw-load:%d or 127.0.0.1:%d", addr, DefaultPort, DefaultPort)
	}
	return n, nil
}

// ListenAddress is where shard 0 listens for a coordinator address: HOST:PORT
// when HOST is an IP address, else :PORT (every interface: a name such as
// ccgw-load-0.ccgw-load resolves to the pod's own address).
func ListenAddress(coordinator string) (string, error) {
	port, err := splitAddr(coordinator)
	if err != nil {
		return "", err
	}
	host, _, _ := net.SplitHostPort(coordinator)
	if net.ParseIP(host) != nil {
		return coordinator, nil
	}
	return ":" + strconv.Itoa(port), nil
}

// Option configures Join.
type Option func(*settings)

type settings struct {
	barrierTimeout, heartbeat, heartbeatTimeout, lead time.Duration
	logf                                              func(string, ...any)
	progress                                          *load.Progress
	allowMissing, collect                             bool
	rule                                              *Rule
	merged                                            *metrics.Merged
	listener                                          net.Listener
}

func newSettings(opts []Option) *settings {
	s := &settings{barrierTimeout: DefaultBarrierTimeout, heartbeat: DefaultHeartbeat, heartbeatTimeout: DefaultHeartbeatTimeout,
		lead: DefaultStartLead, logf: func(string, ...any) {}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// WithBarrierTimeout sets how long after the coordinator started every
// shard must be ready, and how long a shard tries to reach the coordinator
// (default DefaultBarrierTimeout).
func WithBarrierTimeout(d time.Duration) Option {
	return func(s *settings) {
		if d > 0 {
			s.barrierTimeout = d
		}
	}
}

// WithHeartbeatTimeout sets how long a side hears nothing from the other
// before it takes it for lost (default DefaultHeartbeatTimeout; the
// coordinator's value is the run's). Heartbeats go every fifth of it, at
// most every DefaultHeartbeat.
func WithHeartbeatTimeout(d time.Duration) Option {
	return func(s *settings) {
		if d > 0 {
			s.heartbeatTimeout = d
			s.heartbeat = min(DefaultHeartbeat, d/5)
		}
	}
}

// WithStartLead sets how long after the last shard was ready the attack
// starts (default DefaultStartLead; the coordinator's).
func WithStartLead(d time.Duration) Option {
	return func(s *settings) {
		if d > 0 {
			s.lead = d
		}
	}
}

// WithLog prints the run's log lines through logf (default: silent).
func WithLog(logf func(string, ...any)) Option {
	return func(s *settings) {
		if logf != nil {
			s.logf = logf
		}
	}
}

// WithProgress makes the coordinator's progress line the whole run's
// (load.Progress.Pin).
func WithProgress(p *load.Progress) Option { return func(s *settings) { s.progress = p } }

// WithAllowMissingShards makes a run with shards missing (lost, never
// started) pass when the others' figures do (default: exit 2).
func WithAllowMissingShards(on bool) Option { return func(s *settings) { s.allowMissing = on } }

// WithCollectResults makes every shard send its results file to the
// coordinator, which writes it under shards/I (the coordinator's setting
// is the run's).
func WithCollectResults(on bool) Option { return func(s *settings) { s.collect = on } }

// WithRule makes the coordinator judge the run's abort_when rule.
func WithRule(r *Rule) Option { return func(s *settings) { s.rule = r } }

// WithMerged makes the coordinator keep m as the sum of the shards'
// metrics (the shards then send their expositions).
func WithMerged(m *metrics.Merged) Option { return func(s *settings) { s.merged = m } }

// WithListener makes the coordinator accept shards on ln instead of
// listening on the coordinator address (tests: a port chosen by the
// system).
func WithListener(ln net.Listener) Option { return func(s *settings) { s.listener = ln } }
