package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Server defaults.
const (
	// DefaultLinger is how long `ccgw load --metrics-addr` keeps serving
	// after the reports are written: twice the usual 15 s scrape interval,
	// so that a scrape sees the final counts even when one is missed.
	DefaultLinger = 30 * time.Second
	// DefaultShutdownTimeout bounds how long Close waits for scrapes under
	// way.
	DefaultShutdownTimeout = 2 * time.Second
	// Path is where the metrics are served.
	Path = "/metrics"
)

// CheckAddr checks a listen address HOST:PORT (host optional: ":9464"
// listens on every interface; port 0 picks a free one) without listening.
func CheckAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q: want HOST:PORT, e.g. 127.0.0.1:9464 or :9464", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q: port %q: want a number from 0 to 65535", addr, port)
	}
	if len(host) > 253 {
		return fmt.Errorf("%q: host name too long", addr)
	}
	return nil
}

// Server serves a Metrics over HTTP at Path until Close.
type Server struct {
	ln   net.Listener
	srv  *http.Server
	done chan struct{}
}

// Serve listens on addr (see CheckAddr) and serves m at Path (and a short
// pointer to it at /). The error names the address.
func Serve(addr string, m *Metrics) (*Server, error) { return ServeHandler(addr, m.Handler()) }

// ServeHandler is Serve for any metrics handler (a Merged's).
func ServeHandler(addr string, h http.Handler) (*Server, error) {
	if err := CheckAddr(addr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", addr, unwrapOp(err))
	}
	mux := http.NewServeMux()
	mux.Handle(Path, h)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "ccgw load metrics: %s\n", Path)
	})
	s := &Server{ln: ln, done: make(chan struct{}), srv: &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      DefaultScrapeTimeout + 5*time.Second,
		IdleTimeout:       2 * time.Minute,
	}}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln) // ErrServerClosed after Close
	}()
	return s, nil
}

// unwrapOp drops the *net.OpError's repetition of the address.
func unwrapOp(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

// Addr is the address the server listens on (the real port when port 0
// was asked).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the address of the metrics: http://HOST:PORT/metrics.
func (s *Server) URL() string { return "http://" + s.Addr() + Path }

// Linger keeps serving for d, or until ctx ends, and then closes the
// server.
func (s *Server) Linger(ctx context.Context, d time.Duration) error {
	if d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	return s.Close()
}

// Close stops the server: scrapes under way get DefaultShutdownTimeout to
// finish. It may be called more than once.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultShutdownTimeout)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = s.srv.Close()
	}
	<-s.done
	return err
}
