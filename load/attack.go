package load

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
	"ccgw-harness/pace"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// The attack's defaults.
const (
	// DefaultWorkersPerConnection caps an open-model attack's workers at this
	// many per connection (HTTP/1.1): enough to keep every connection busy
	// while results are handed over, few enough that a slow gateway cannot
	// make vegeta spawn thousands of workers, each dialing its own TLS
	// connection (docs/load-plans.md). Requests beyond the connections wait for one
	// in the transport, and that wait counts in their latency.
	DefaultWorkersPerConnection = 2
	// http2Workers is the worker cap of an HTTP/2 attack, whose
	// connections multiplex many streams.
	http2Workers = 256
	// flushInterval is how often results are flushed to disk at least,
	// so that a killed run leaves a readable prefix.
	flushInterval = time.Second
)

// attacker is the attack's HTTP side: its own transport (never the
// keep-alive's or the sign-in's), HTTP/1.1 keep-alive with a fixed number of
// connections unless HTTP/2 is asked for, a count of the connections
// actually dialed, and the vegeta attacks run through it (warm-up, then the
// measured part).
type attacker struct {
	hc    *http.Client
	tr    *http.Transport
	conns int
	http2 bool
	dials atomic.Int64
	// sent and done count the attacks' hits and their results handed over
	// (InFlight).
	sent, done atomic.Int64
}

// attackOption configures an attacker.
type attackOption func(*attacker)

// withConnections sets the number of connections (HTTP/1.1: at most this
// many open, all kept alive; default config.DefaultConnections).
func withConnections(n int) attackOption {
	return func(a *attacker) {
		if n > 0 {
			a.conns = n
		}
	}
}

// withAttackHTTP2 makes the attack negotiate HTTP/2.
func withAttackHTTP2(on bool) attackOption { return func(a *attacker) { a.http2 = on } }

// withRequestTimeout bounds each request, its body included.
func withRequestTimeout(d time.Duration) attackOption {
	return func(a *attacker) {
		if d > 0 {
			a.hc.Timeout = d
		}
	}
}

// newAttacker builds the attack's transport from the gateway client's TLS
// settings.
func newAttacker(c *gateway.Client, opts ...attackOption) (*attacker, error) {
	a := &attacker{conns: 32, hc: &http.Client{Timeout: vegeta.DefaultTimeout}}
	for _, o := range opts {
		o(a)
	}
	base, ok := c.HTTPClient().Transport.(*http.Transport)
	if !ok {
		return nil, fmt.Errorf("load: the gateway client's transport is %T, want *http.Transport", c.HTTPClient().Transport)
	}
	tr := base.Clone()
	dial := tr.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: gateway.DefaultDialTimeout, KeepAlive: 30 * time.Second}).DialContext
	}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err == nil {
			a.dials.Add(1)
		}
		return conn, err
	}
	tr.MaxIdleConns = 0
	tr.MaxIdleConnsPerHost = a.conns
	tr.MaxConnsPerHost = a.conns
	if tr.TLSClientConfig == nil {
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if a.http2 {
		tr.ForceAttemptHTTP2 = true
		tr.TLSNextProto = nil
		tr.TLSClientConfig.NextProtos = nil
	} else {
		tr.ForceAttemptHTTP2 = false
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		tr.TLSClientConfig.NextProtos = []string{"http/1.1"}
	}
	a.tr = tr
	a.hc.Transport = tr
	a.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return a, nil
}

// Connections is the connection cap.
func (a *attacker) Connections() int { return a.conns }

// Dialed is the number of connections dialed so far.
func (a *attacker) Dialed() int { return int(a.dials.Load()) }

// InFlight is the number of the attacks' requests sent whose results have
// not been handed over yet.
func (a *attacker) InFlight() int64 {
	done := a.done.Load() // first: every result counted was sent before
	return a.sent.Load() - done
}

// HTTP2 reports whether the attack negotiates HTTP/2.
func (a *attacker) HTTP2() bool { return a.http2 }

// Workers returns the initial and maximum vegeta workers of an open-model
// attack over these connections.
func (a *attacker) Workers() (initial, maximum uint64) {
	if a.http2 {
		return uint64(min(a.conns*DefaultWorkersPerConnection, http2Workers)), http2Workers
	}
	return uint64(a.conns), uint64(a.conns * DefaultWorkersPerConnection)
}

// workerPacer is a pace that chooses vegeta's workers itself: the closed
// model (pace.Closed), one worker per request in flight.
type workerPacer interface {
	Workers(initial, maximum uint64) (uint64, uint64)
}

// workersOf is vegeta's initial and maximum workers for pace p, given the
// attack's own choice for an open model.
func workersOf(p pace.Pacer, initial, maximum uint64) (uint64, uint64) {
	if w, ok := p.(workerPacer); ok {
		return w.Workers(initial, maximum)
	}
	return initial, maximum
}

// MaxWorkers is the most requests an attack of plan p holds in flight:
// vegeta's maximum workers of an open model, DefaultWorkersPerConnection
// per connection (HTTP/1.1) or the HTTP/2 cap.
func MaxWorkers(p *config.Plan) int {
	if p.HTTP2 {
		return http2Workers
	}
	return p.Connections * DefaultWorkersPerConnection
}

// Close closes the attack's idle connections.
func (a *attacker) Close() { a.tr.CloseIdleConnections() }

// WarmConnections opens the attack's connections before the measured part:
// as many logininfo requests at once as there are connections (one for
// HTTP/2), each taking its agent from tg. Their answers are not recorded;
// each is passed to seen (for 100-006 feedback) when it is not nil.
func (a *attacker) WarmConnections(ctx context.Context, tg vegeta.Targeter, seen func(*vegeta.Result)) {
	n := a.conns
	if a.http2 {
		n = 1
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var t vegeta.Target
			if tg(&t) != nil {
				return
			}
			req, err := t.Request()
			if err != nil {
				return
			}
			req = req.WithContext(ctx)
			res := vegeta.Result{Method: t.Method, URL: t.URL, Timestamp: time.Now()}
			resp, err := a.hc.Do(req)
			if err != nil {
				res.Error = err.Error()
			} else {
				res.Code = uint16(resp.StatusCode)
				res.Headers = resp.Header
				res.Body, err = io.ReadAll(io.LimitReader(resp.Body, gateway.MaxBodySize))
				resp.Body.Close()
				if err != nil {
					res.Code, res.Error = 0, err.Error()
				}
			}
			if seen != nil {
				mu.Lock()
				seen(&res)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// Attack starts one vegeta attack named name through the attack's client:
// tg for the requests, p for the pace (it ends the attack) and its workers
// (the attack's own, unless the pace chooses: workerPacer). It returns the attack's start time, taken just before
// the first hit can be sent, and its results as vegeta's Attack streams
// them: the channel is closed when the pace ends or ctx is cancelled (then
// the attack stops, requests under way finish and their results are still
// delivered). The caller must drain the channel.
func (a *attacker) Attack(ctx context.Context, name string, tg vegeta.Targeter, p pace.Pacer) (time.Time, <-chan *vegeta.Result) {
	initial, maximum := a.Workers()
	workers, maxWorkers := workersOf(p, initial, maximum)
	atk := vegeta.NewAttacker(
		vegeta.Client(a.hc),
		vegeta.Workers(workers),
		vegeta.MaxWorkers(maxWorkers),
		vegeta.MaxBody(gateway.MaxBodySize),
	)
	out := make(chan *vegeta.Result, 1)
	start := time.Now()
	if ctx.Err() != nil {
		close(out)
		return start, out
	}
	counted := func(t *vegeta.Target) error {
		err := tg(t)
		if err == nil {
			a.sent.Add(1)
		}
		return err
	}
	results := atk.Attack(counted, p, 0, name)
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	go func() {
		defer close(out)
		defer stop()
		for r := range results {
			a.done.Add(1)
			out <- r
		}
	}()
	return start, out
}
