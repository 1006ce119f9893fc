package metrics_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/metrics"
	"ccgw-harness/metrics/metricstest"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func TestServe(t *testing.T) {
	m := newMetrics(t, metrics.WithPlan("smoke"))
	s, err := metrics.Serve("127.0.0.1:0", m)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if strings.HasSuffix(s.Addr(), ":0") || !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || !strings.HasSuffix(s.URL(), metrics.Path) {
		t.Fatalf("Addr %s URL %s: want the real port", s.Addr(), s.URL())
	}
	o := m.Observer()
	o.Observe(&vegeta.Result{Method: "POST", URL: "https://gw" + gateway.LoginInfoPath(1001), Code: 200, Latency: time.Millisecond})
	hc := &http.Client{Timeout: 30 * time.Second}
	e, err := metricstest.Scrape(context.Background(), hc, s.URL())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := e.Sum(metrics.NameRequests, map[string]string{metrics.LabelPlan: "smoke"}); got != 1 {
		t.Errorf("scraped %s = %v, want 1", metrics.NameRequests, got)
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if _, ok := e.Families[name]; !ok {
			t.Errorf("no %s in the exposition", name)
		}
	}
	resp, err := hc.Get("http://" + s.Addr() + "/nothing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nothing: %s, want 404", resp.Status)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := metricstest.Scrape(context.Background(), hc, s.URL()); err == nil {
		t.Error("a closed server still answers")
	}
}

func TestServeRefusesBadAddresses(t *testing.T) {
	m := newMetrics(t)
	for _, addr := range []string{"", "localhost", "127.0.0.1:http-alt", "127.0.0.1:70000", "127.0.0.1:-1"} {
		if err := metrics.CheckAddr(addr); err == nil {
			t.Errorf("CheckAddr(%q) = nil, want an error", addr)
		}
		if s, err := metrics.Serve(addr, m); err == nil {
			s.Close()
			t.Errorf("Serve(%q) = nil error", addr)
		} else if !strings.Contains(err.Error(), "HOST:PORT") && !strings.Contains(err.Error(), "port") {
			t.Errorf("Serve(%q): %v: want what is accepted", addr, err)
		}
	}
	for _, addr := range []string{":9464", "127.0.0.1:0", "[::1]:0", "localhost:9464"} {
		if err := metrics.CheckAddr(addr); err != nil {
			t.Errorf("CheckAddr(%q): %v", addr, err)
		}
	}
	// A port in use: the error names the address.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if s, err := metrics.Serve(ln.Addr().String(), m); err == nil {
		s.Close()
		t.Error("Serve on a port in use succeeded")
	} else if !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Errorf("Serve on a port in use: %v: want the address named", err)
	}
}

// TestLinger: the server answers during the linger and stops when ctx
// ends, long before the linger would.
func TestLinger(t *testing.T) {
	m := newMetrics(t)
	s, err := metrics.Serve("127.0.0.1:0", m)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Linger(ctx, time.Hour) }()
	hc := &http.Client{Timeout: 30 * time.Second}
	if _, err := metricstest.Scrape(context.Background(), hc, s.URL()); err != nil {
		t.Fatalf("scrape during the linger: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Linger: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Linger did not end when its context did")
	}
	if _, err := metricstest.Scrape(context.Background(), hc, s.URL()); err == nil {
		t.Error("the server still answers after the linger")
	}
	// A zero linger closes at once.
	s2, err := metrics.Serve("127.0.0.1:0", m)
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Linger(context.Background(), 0); err != nil {
		t.Errorf("Linger(0): %v", err)
	}
}
