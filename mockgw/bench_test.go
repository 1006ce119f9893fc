package mockgw

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ccgw-harness/gateway"
)

// Benchmark shape: ~64 concurrent HTTPS/1.1 keep-alive requests on
// loopback, a pool of signed-in agents for the mock.
const (
	benchAgents      = 1000
	benchConcurrency = 64
	benchChunk       = 1000 // requests per side per round of the ratio benchmark
)

// benchTarget is one server under benchmark with the requests to send it.
type benchTarget struct {
	client *http.Client
	reqs   [][]*http.Request // per worker: its agents' requests, round-robin
}

// benchClient returns the client both targets use: HTTP/1.1 keep-alive,
// trusting the one certificate.
func benchClient(pool *x509.CertPool) *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool},
		TLSNextProto:        map[string]func(string, *tls.Conn) http.RoundTripper{},
		MaxIdleConns:        4 * benchConcurrency,
		MaxIdleConnsPerHost: 4 * benchConcurrency,
		DisableCompression:  true,
	}}
}

// benchRequests builds each worker's requests: worker w gets agents w,
// w+workers, ... with their Guids.
func benchRequests(b *testing.B, base string, agents []*agent, workers int) [][]*http.Request {
	out := make([][]*http.Request, workers)
	for i, a := range agents {
		r, err := http.NewRequest(http.MethodPost, base+gateway.LoginInfoPath(a.id), nil)
		if err != nil {
			b.Fatal(err)
		}
		r.Header[gateway.HeaderContentType] = []string{gateway.ContentTypeJSON}
		r.Header[gateway.HeaderGuid] = []string{a.guid}
		out[i%workers] = append(out[i%workers], r)
	}
	return out
}

// benchPair starts the mock with signed-in agents and a bare net/http server
// with the same certificate that writes the same success bytes.
func benchPair(b *testing.B) (mock, bare *benchTarget) {
	b.Helper()
	srv, err := New(WithAuthMode(gateway.AuthStatic), WithIdleTimeout(time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.cert.Leaf)

	signer := srv.Client()
	agents := make([]*agent, benchAgents)
	var wg sync.WaitGroup
	ids := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ids {
				agents[i] = signIn(b, srv, signer, 100000+i)
			}
		}()
	}
	for i := range agents {
		ids <- i
	}
	close(ids)
	wg.Wait()
	signer.CloseIdleConnections()

	body := appendLoginInfo(nil, []byte(newToken()), agents[0].phone, loginInfoOpts{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	bareSrv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header()["Content-Type"] = ctJSON
			_, _ = w.Write(body)
		}),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{srv.cert}, NextProtos: []string{"h2", "http/1.1"}},
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = bareSrv.ServeTLS(ln, "", "")
	}()
	b.Cleanup(func() {
		_ = bareSrv.Close()
		<-done
	})

	workers := benchConcurrency
	mock = &benchTarget{client: benchClient(pool), reqs: benchRequests(b, srv.URL(), agents, workers)}
	bare = &benchTarget{client: benchClient(pool), reqs: benchRequests(b, "https://"+ln.Addr().String(), agents, workers)}
	b.Cleanup(mock.client.CloseIdleConnections)
	b.Cleanup(bare.client.CloseIdleConnections)
	mock.run(b, 4*benchConcurrency) // open the connections before measuring
	bare.run(b, 4*benchConcurrency)
	return mock, bare
}

// okMarker is what every success body contains.
var okMarker = []byte(`"retcode":"0"`)

// do sends one request and checks the answer is a success envelope.
func (bt *benchTarget) do(r *http.Request) error {
	resp, err := bt.client.Do(r)
	if err != nil {
		return err
	}
	var buf [256]byte
	n, _ := io.ReadFull(resp.Body, buf[:])
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(buf[:n], okMarker) {
		return fmt.Errorf("status %d body %.60q", resp.StatusCode, buf[:n])
	}
	return nil
}

// run sends n requests with benchConcurrency workers and returns the time.
func (bt *benchTarget) run(b *testing.B, n int) time.Duration {
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for w := range benchConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reqs := bt.reqs[w]
			for i := 0; next.Add(1) <= int64(n); i++ {
				if err := bt.do(reqs[i%len(reqs)]); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	if err, ok := failed.Load().(error); ok {
		b.Fatal(err)
	}
	return took
}

// parallel runs b.N requests under b.RunParallel at ~benchConcurrency.
func (bt *benchTarget) parallel(b *testing.B) {
	b.SetParallelism((benchConcurrency + 1) / 2) // x GOMAXPROCS (2 here)
	var worker atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		reqs := bt.reqs[int(worker.Add(1)-1)%len(bt.reqs)]
		for i := 0; pb.Next(); i++ {
			if err := bt.do(reqs[i%len(reqs)]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkLoginInfo measures logininfo throughput of the mock (1000
// signed-in agents, real Guids) and of a bare net/http handler writing the
// same bytes, over the same HTTPS/1.1 keep-alive client setup.
func BenchmarkLoginInfo(b *testing.B) {
	mock, bare := benchPair(b)
	b.Run("mock", mock.parallel)
	b.Run("bare", bare.parallel)
}

// BenchmarkLoginInfoRatio alternates rounds of benchChunk requests against
// the mock and the bare server (b.N requests each) and reports the
// throughput ratio mock/bare (target >= 0.7), with each side's req/s.
// Alternating in short rounds lets both sides share the same background load.
func BenchmarkLoginInfoRatio(b *testing.B) {
	mock, bare := benchPair(b)
	b.ResetTimer()
	var tMock, tBare time.Duration
	var nMock, nBare int
	for round, left := 0, b.N; left > 0; round, left = round+1, left-benchChunk {
		n := min(left, benchChunk)
		if round%2 == 0 { // ABBA order cancels drift in background load
			tMock += mock.run(b, n)
			tBare += bare.run(b, n)
		} else {
			tBare += bare.run(b, n)
			tMock += mock.run(b, n)
		}
		nMock += n
		nBare += n
	}
	mockRate := float64(nMock) / tMock.Seconds()
	bareRate := float64(nBare) / tBare.Seconds()
	b.ReportMetric(mockRate/bareRate, "mock/bare")
	b.ReportMetric(mockRate, "mock-req/s")
	b.ReportMetric(bareRate, "bare-req/s")
}
