// Package reportstest generates deterministic vegeta results shaped like a
// logininfo load run (mixed successes, retcodes, HTTP 503, transport
// resets, timeouts, contract violations, several nodes and agents, schedule
// lag), for tests, benchmarks and scripts/genresults.
package reportstest

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/gateway"
)

// Spec describes a generated run.
type Spec struct {
	N            int       // number of results
	Start        time.Time // planned time of the first request
	Rate         float64   // planned requests per second
	Agents       int       // agents, IDs FirstAgent, FirstAgent+1, ...
	FirstAgent   int
	Nodes        int     // gateway nodes 1..Nodes; agent IDs ending in 0 have no node
	LateFraction float64 // share of requests sent 2-20 ms after their planned time
	Timeout      time.Duration
	Seed         uint64
	Attack       string // "target/plan"
	BaseURL      string
	// WorstAgent gets a quarter of its requests answered with retcode
	// 100-007 (0: none).
	WorstAgent int
}

// DefaultSpec is the golden-test run: n results at 100 req/s from 20
// agents on 3 nodes, with 3 % of requests late.
func DefaultSpec(n int) Spec {
	return Spec{
		N: n, Start: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC), Rate: 100,
		Agents: 20, FirstAgent: 1001, Nodes: 3, LateFraction: 0.03, Timeout: 5 * time.Second,
		Seed: 42, Attack: "mock/smoke", BaseURL: "https://127.0.0.1:8043", WorstAgent: 1013,
	}
}

// Each calls fn with every generated result in send order. The result is
// reused between calls.
func (s Spec) Each(fn func(r *vegeta.Result)) {
	rng := rand.New(rand.NewPCG(s.Seed, s.Seed^0x9e3779b97f4a7c15))
	urls := make([]string, s.Agents)
	for i := range urls {
		urls[i] = s.BaseURL + gateway.LoginInfoPath(s.FirstAgent+i)
	}
	var r vegeta.Result
	interval := float64(time.Second) / s.Rate
	for i := 0; i < s.N; i++ {
		agent := s.FirstAgent + i%s.Agents
		planned := s.Start.Add(time.Duration(float64(i) * interval))
		var lagUS int64
		if rng.Float64() < s.LateFraction {
			lagUS = 2000 + rng.Int64N(18000)
		} else {
			lagUS = rng.Int64N(300)
		}
		// Log-normal latency around 2 ms, with a slow tail.
		lat := time.Duration(2e6 * math.Exp(rng.NormFloat64()*0.45))
		if rng.Float64() < 0.01 {
			lat += time.Duration(rng.Int64N(int64(200 * time.Millisecond)))
		}
		code, verdict := 200, ""
		switch p := rng.Float64(); {
		case agent == s.WorstAgent && p < 0.25:
			verdict = "retcode " + gateway.RetInternal
		case p < 0.020:
			verdict = "retcode " + gateway.RetNotSignedIn
		case p < 0.030:
			verdict = "retcode " + gateway.RetNoPermission
		case p < 0.040:
			code, verdict = 503, "http 503"
		case p < 0.045:
			code, verdict = 0, "transport reset"
		case p < 0.048:
			code, verdict, lat = 0, "timeout", s.Timeout
		case p < 0.051:
			verdict = "contract " + gateway.ViolationWrongPhone
		case p < 0.053:
			verdict = "contract " + gateway.ViolationEmptyToken
		}
		h := http.Header{"X-Ccgw-Lag-Us": {strconv.FormatInt(lagUS, 10)}}
		if agent%10 != 0 {
			h["X-Ccgw-Node"] = []string{strconv.Itoa(1 + agent%s.Nodes)}
		}
		r = vegeta.Result{
			Attack: s.Attack, Seq: uint64(i), Code: uint16(code),
			Timestamp: planned.Add(time.Duration(lagUS) * time.Microsecond),
			Latency:   lat, BytesIn: 96, Error: verdict, Method: http.MethodPost,
			URL: urls[i%s.Agents], Headers: h,
		}
		if code == 0 {
			r.BytesIn = 0
		}
		fn(&r)
	}
}

// Results returns all generated results.
func (s Spec) Results() []vegeta.Result {
	out := make([]vegeta.Result, 0, s.N)
	s.Each(func(r *vegeta.Result) { out = append(out, *r) })
	return out
}

// WriteGob writes results in vegeta's gob encoding, as the load engine does.
func WriteGob(w io.Writer, rs []vegeta.Result) error {
	enc := vegeta.NewEncoder(w)
	for i := range rs {
		if err := enc.Encode(&rs[i]); err != nil {
			return err
		}
	}
	return nil
}

// WriteFile writes the spec's results to path in vegeta's gob encoding,
// streaming (memory does not grow with N).
func (s Spec) WriteFile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	enc := vegeta.NewEncoder(bw)
	var werr error
	s.Each(func(r *vegeta.Result) {
		if werr == nil {
			werr = enc.Encode(r)
		}
	})
	if werr == nil {
		werr = bw.Flush()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("write %s: %w", path, werr)
	}
	return nil
}
