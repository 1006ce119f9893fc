package mockgw

import (
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/mockgw/faultset"
)

// Option configures a Server (functional options, applied in order by New).
type Option func(*Server)

// DefaultAddr is where New listens unless WithAddr says otherwise: loopback,
// a free port.
const DefaultAddr = "127.0.0.1:0"

// Defaults of the options that the gateway package does not define.
const (
	// DefaultNodes is the number of cluster nodes behind the address.
	DefaultNodes = 1
	// DefaultAuthMode is the gateway's default AUTHMODE.
	DefaultAuthMode = gateway.AuthDynamic
)

// WithAddr sets the listen address ("HOST:PORT"; port 0 picks a free port).
func WithAddr(addr string) Option { return func(s *Server) { s.addr = addr } }

// WithAuthMode sets the authentication mode (default gateway.AuthDynamic).
func WithAuthMode(m gateway.AuthMode) Option { return func(s *Server) { s.authMode = m } }

// WithGuidInterval sets GUIDINTERVAL, how old the current Guid may get before
// an event poll rotates it (dynamic mode; default gateway.DefaultGuidInterval).
func WithGuidInterval(d time.Duration) Option { return func(s *Server) { s.guidInterval = d } }

// WithGuidTimeout sets GUIDTIMEOUT: a rotated-out Guid stays valid until its
// own issue time plus this (default gateway.DefaultGuidTimeout), or its
// rotation plus this under WithGuidTimeoutFrom(gateway.GuidTimeoutFromRotation).
func WithGuidTimeout(d time.Duration) Option { return func(s *Server) { s.guidTimeout = d } }

// WithGuidTimeoutFrom sets when GUIDTIMEOUT counts for a rotated-out Guid:
// from its issue (gateway.GuidTimeoutFromIssue, the default) or from its
// rotation (gateway.GuidTimeoutFromRotation, when the next Guid replaced
// it). The vendor text allows both readings.
func WithGuidTimeoutFrom(f gateway.GuidTimeoutFrom) Option {
	return func(s *Server) { s.guidTimeoutFrom = f }
}

// WithIdleTimeout sets how long an agent may go without an event poll before
// it is signed out (both modes; default gateway.DefaultIdleTimeout).
func WithIdleTimeout(d time.Duration) Option { return func(s *Server) { s.idleTimeout = d } }

// WithPollWait sets how long an idle event long-poll is held open (default
// gateway.DefaultPollWait).
func WithPollWait(d time.Duration) Option { return func(s *Server) { s.pollWait = d } }

// WithIDRange sets the valid agent-ID range (default gateway.DefaultIDRange).
func WithIDRange(r gateway.IDRange) Option { return func(s *Server) { s.idRange = r } }

// WithPassword sets the one password sign-in accepts. With "" (the default)
// any non-empty password of at most gateway.MaxPasswordLen characters is
// accepted (an empty one is 100-001), unless WithNoPassword.
func WithPassword(p string) Option { return func(s *Server) { s.password = p } }

// WithNoPassword makes a mock whose agents have no password, as many
// agents of real sites: sign-in accepts only an empty password (another is
// 100-004, wrong password). It cannot be combined with a WithPassword
// other than "".
func WithNoPassword() Option { return func(s *Server) { s.noPassword = true } }

// WithNodes sets the number of cluster nodes behind the one address (default
// 1). Each node has its own session table; the front routes by the NSLBROUTE
// cookie, else round-robin.
func WithNodes(n int) Option { return func(s *Server) { s.nodeCount = n } }

// WithFaults sets the initial fault injection (see faultset.Faults;
// SetFaults changes it later).
func WithFaults(f faultset.Faults) Option { return func(s *Server) { s.initFaults = f } }

// WithDefects sets the initial contract defects (see Defect; SetDefects
// changes them later).
func WithDefects(d ...Defect) Option {
	return func(s *Server) { s.initDefects = append([]Defect(nil), d...) }
}

// WithClock replaces time.Now for session timing (Guid age and expiry, idle
// sign-out), so tests of timeouts need not sleep. The function must be safe
// for concurrent use. Long-poll holds and fault delays still use real timers.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.clock = now } }
