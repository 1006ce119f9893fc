package mockgw

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/mockgw/faultset"
)

// Server is a running mock gateway. Create it with New and stop it with
// Close. All methods are safe for concurrent use.
type Server struct {
	// Configuration, fixed after New.
	addr                                             string
	authMode                                         gateway.AuthMode
	guidInterval, guidTimeout, idleTimeout, pollWait time.Duration
	idRange                                          gateway.IDRange
	password                                         string
	noPassword                                       bool
	guidTimeoutFrom                                  gateway.GuidTimeoutFrom
	nodeCount                                        int
	initFaults                                       faultset.Faults
	initDefects                                      []Defect
	clock                                            func() time.Time
	secretHook                                       func(kind, value string) // WithSecretHook; nil: none
	capacity                                         float64                  // WithCapacity; 0: no limit

	// State.
	nodes      []*node
	rr         atomic.Uint64 // round-robin routing
	faults     atomic.Pointer[faultState]
	defects    atomic.Uint32
	lastServed atomic.Pointer[session] // for PhonenumCrosstalk and WrongPhoneRate
	constToken []byte                  // DefectConstantToken's token
	capQueue   *capacityQueue          // WithCapacity's queue; nil: no limit
	ops        sync.Map                // agent ID -> struct{}: sign-in/out in progress
	stats      counters

	// Serving.
	ln      net.Listener
	srv     *http.Server
	cert    tls.Certificate
	certPEM []byte
	url     string
	done    chan struct{}

	mu        sync.Mutex
	closed    bool
	held      int            // operations registered by track
	wg        sync.WaitGroup // serve loop, sweeper, long polls
	clients   []*http.Client
	conns     atomic.Int64 // open connections (ConnState)
	isClosing atomic.Bool
	drained   chan struct{}
	drainOnce sync.Once
	closeOnce sync.Once
}

// New starts a mock gateway: it listens on the address (DefaultAddr unless
// WithAddr) and serves HTTPS (HTTP/1.1 and HTTP/2 via ALPN) at once with a
// fresh self-signed certificate.
func New(opts ...Option) (*Server, error) {
	s := &Server{
		addr:         DefaultAddr,
		authMode:     DefaultAuthMode,
		guidInterval: gateway.DefaultGuidInterval,
		guidTimeout:  gateway.DefaultGuidTimeout,
		idleTimeout:  gateway.DefaultIdleTimeout,
		pollWait:     gateway.DefaultPollWait,
		idRange:      gateway.DefaultIDRange,
		nodeCount:    DefaultNodes,

		guidTimeoutFrom: gateway.GuidTimeoutFromIssue,
		done:            make(chan struct{}),
		drained:         make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	s.faults.Store(compileFaults(s.initFaults))
	s.defects.Store(uint32(makeDefectSet(s.initDefects)))
	s.constToken = []byte(newToken())
	s.capQueue = newCapacityQueue(s.capacity)
	for i := 1; i <= s.nodeCount; i++ {
		s.nodes = append(s.nodes, newNode(i))
	}

	host, _, err := net.SplitHostPort(s.addr)
	if err != nil {
		return nil, fmt.Errorf("mockgw: address %q: %w", s.addr, err)
	}
	s.cert, s.certPEM, err = newCert(host)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return nil, fmt.Errorf("mockgw: listen: %w", err)
	}
	s.ln = ln
	s.url = "https://" + urlHost(ln.Addr())
	s.srv = &http.Server{
		Handler: s,
		TLSConfig: &tls.Config{
			Certificates:       []tls.Certificate{s.cert},
			NextProtos:         []string{"h2", "http/1.1"},
			MinVersion:         tls.VersionTLS12,
			GetConfigForClient: s.tlsFault,
		},
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0), // handshake errors would be noise; never secrets
		ConnState:         s.connState,
	}
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		_ = s.srv.ServeTLS(ln, "", "")
	}()
	go func() {
		defer s.wg.Done()
		s.sweeper()
	}()
	return s, nil
}

// validate checks the options.
func (s *Server) validate() error {
	switch {
	case s.authMode != gateway.AuthStatic && s.authMode != gateway.AuthDynamic:
		return fmt.Errorf("mockgw: auth mode %q: want static or dynamic", s.authMode)
	case s.guidInterval <= 0:
		return errors.New("mockgw: guid interval must be > 0")
	case s.guidTimeout <= 0:
		return errors.New("mockgw: guid timeout must be > 0")
	case s.idleTimeout <= 0:
		return errors.New("mockgw: idle timeout must be > 0")
	case s.pollWait <= 0:
		return errors.New("mockgw: poll wait must be > 0")
	case !s.idRange.Valid():
		return fmt.Errorf("mockgw: agent-ID range %s is not valid", s.idRange)
	case len(s.password) > gateway.MaxPasswordLen:
		return fmt.Errorf("mockgw: password longer than %d characters", gateway.MaxPasswordLen)
	case s.noPassword && s.password != "":
		return errors.New("mockgw: a mock whose agents have no password (WithNoPassword) cannot also require one (WithPassword)")
	case s.guidTimeoutFrom != gateway.GuidTimeoutFromIssue && s.guidTimeoutFrom != gateway.GuidTimeoutFromRotation:
		return fmt.Errorf("mockgw: guid timeout from %q: want issue or rotation", s.guidTimeoutFrom)
	case s.nodeCount < 1 || s.nodeCount > 64:
		return fmt.Errorf("mockgw: nodes %d: want 1..64", s.nodeCount)
	}
	if err := s.initFaults.Validate(); err != nil {
		return fmt.Errorf("mockgw: %w", err)
	}
	if err := validateCapacity(s.capacity); err != nil {
		return err
	}
	for _, d := range s.initDefects {
		if _, err := ParseDefect(string(d)); err != nil {
			return err
		}
	}
	return nil
}

// urlHost returns the host:port of a listener address for a URL, with an
// unspecified IP replaced by loopback.
func urlHost(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	ip := ta.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(ta.Port))
}

// URL returns the base URL, "https://127.0.0.1:PORT" (no path prefix).
func (s *Server) URL() string { return s.url }

// Addr returns the address the server listens on ("127.0.0.1:PORT").
func (s *Server) Addr() string { return strings.TrimPrefix(s.url, "https://") }

// CertPEM returns the server's self-signed certificate, PEM-encoded. It is
// valid for 127.0.0.1, ::1, localhost and the host of the listen address.
func (s *Server) CertPEM() []byte { return append([]byte(nil), s.certPEM...) }

// Client returns a new HTTP client that trusts the server's certificate and
// speaks HTTP/1.1 with keep-alive. It has no cookie jar: in a cluster each
// agent must replay its own NSLBROUTE cookie. Close closes its idle
// connections.
func (s *Server) Client() *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(s.cert.Leaf)
	tr := &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		TLSNextProto:        map[string]func(string, *tls.Conn) http.RoundTripper{},
		ForceAttemptHTTP2:   false,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	c := &http.Client{Transport: tr}
	s.mu.Lock()
	s.clients = append(s.clients, c)
	s.mu.Unlock()
	return c
}

// Handler returns the gateway as an http.Handler (no TLS, no TLS faults),
// for benchmarks and embedding in another server.
func (s *Server) Handler() http.Handler { return s }

// Close stops the server: it closes the listener and every connection, ends
// held long polls and injected delays, waits for every goroutine it started
// and closes the idle connections of the clients Client returned. It is
// idempotent.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		clients := s.clients
		s.mu.Unlock()
		s.isClosing.Store(true)
		close(s.done)
		_ = s.srv.Close()
		if s.conns.Load() == 0 {
			s.drainOnce.Do(func() { close(s.drained) })
		}
		t := time.NewTimer(10 * time.Second)
		select {
		case <-s.drained:
		case <-t.C:
		}
		t.Stop()
		s.wg.Wait()
		for _, c := range clients {
			c.CloseIdleConnections()
		}
	})
}

// connState counts open connections so Close can wait for their goroutines.
func (s *Server) connState(_ net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		s.conns.Add(1)
	case http.StateHijacked, http.StateClosed:
		if s.conns.Add(-1) == 0 && s.isClosing.Load() {
			s.drainOnce.Do(func() { close(s.drained) })
		}
	}
}

// track registers a goroutine-blocking operation (a long poll, an injected
// delay) so Close waits for it; it reports false once the server is closing.
func (s *Server) track() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.held++
	s.wg.Add(1)
	return true
}

// untrack ends an operation registered by track.
func (s *Server) untrack() {
	s.mu.Lock()
	s.held--
	s.mu.Unlock()
	s.wg.Done()
}

// heldOps returns the number of tracked operations in progress; the caller
// holds s.mu.
func (s *Server) heldOps() int { return s.held }

// sweepInterval is how often the sweeper runs: a quarter of the shortest
// session timing, within [2ms, 1s].
func (s *Server) sweepInterval() time.Duration {
	d := min(s.guidInterval, s.guidTimeout, s.idleTimeout) / 4
	return max(2*time.Millisecond, min(d, time.Second))
}

// sweeper runs sweep until Close.
func (s *Server) sweeper() {
	t := time.NewTicker(s.sweepInterval())
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			s.sweep()
		}
	}
}

// now returns the server clock in ns.
func (s *Server) now() int64 {
	if s.clock != nil {
		return s.clock().UnixNano()
	}
	return time.Now().UnixNano()
}

// Stats returns a snapshot of the counters (after signing out agents whose
// idle timeout has passed).
func (s *Server) Stats() Stats {
	s.sweep()
	return s.stats.snapshot()
}

// SetFaults replaces the fault injection. An invalid f changes nothing: the
// error is faultset.Faults.Validate's *faultset.FieldError, naming the
// field.
func (s *Server) SetFaults(f faultset.Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	s.faults.Store(compileFaults(f))
	return nil
}

// Faults returns the current fault injection.
func (s *Server) Faults() faultset.Faults { return s.faults.Load().orig }

// SetDefects replaces the set of active defects (unknown names are skipped;
// ParseDefect validates).
func (s *Server) SetDefects(d ...Defect) { s.defects.Store(uint32(makeDefectSet(d))) }

// Defects returns the active defects in AllDefects order.
func (s *Server) Defects() []Defect { return defectSet(s.defects.Load()).list() }

// Restart simulates a gateway restart: every session on every node is lost
// (held event polls answer 100-006; every Guid answers 100-006).
func (s *Server) Restart() { s.restart() }

// tlsFault refuses a share of TLS handshakes (Faults.TLSFailRate).
func (s *Server) tlsFault(*tls.ClientHelloInfo) (*tls.Config, error) {
	if hit(s.faults.Load().TLSFailRate) {
		s.stats.fault(fkTLSFail)
		return nil, errTLSFault
	}
	return nil, nil
}

// errTLSFault is the handshake error of an injected TLS failure.
var errTLSFault = errors.New("mockgw: injected TLS handshake failure")
