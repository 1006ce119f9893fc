// Package loadtest builds what a load-engine test needs against an
// in-process mock gateway: the mock, a client that trusts it, and a target
// and plan that describe them. Only tests import it.
package loadtest

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
	"ccgw-harness/internal/testscale"
	"ccgw-harness/mockgw"
	"ccgw-harness/results"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// FirstAgent is the first agent ID of the test targets.
const FirstAgent = 1001

// Session timings of a dynamic test mock: a Guid is rotated on the first
// poll after GuidInterval, a rotated-out Guid dies GuidTimeout after it was
// issued, and a session dies IdleTimeout after its last poll. The
// keep-alive polls every agent at least every PollWait plus a pause of at
// most 450 ms (a quarter of guid_timeout - guid_interval), so a request that
// read a Guid just before its rotation has about 1.5 s to arrive, and an
// agent's poller may be starved about as long before its session ends.
// Tests that must not depend on that margin run the mock on a virtual clock
// (see TestDynamicRotation); a harness that ignores rotation still fails
// within two seconds, once the sign-in Guids die.
const (
	GuidInterval = 200 * time.Millisecond
	GuidTimeout  = 2 * time.Second
	IdleTimeout  = 2 * time.Second
	PollWait     = 100 * time.Millisecond
)

// DynamicOptions are the mock options of dynamic authentication with the
// test timings.
func DynamicOptions() []mockgw.Option {
	return []mockgw.Option{
		mockgw.WithAuthMode(gateway.AuthDynamic),
		mockgw.WithGuidInterval(GuidInterval),
		mockgw.WithGuidTimeout(GuidTimeout),
		mockgw.WithIdleTimeout(IdleTimeout),
		mockgw.WithPollWait(PollWait),
	}
}

// Spec says what to build.
type Spec struct {
	Agents   int           // agents of the target and the plan
	Rate     float64       // the plan's constant rate
	Duration time.Duration // the plan's length
	Dynamic  bool          // dynamic authentication with the test timings (else static, documented timings)
	Password string        // the agents' password (the mock accepts only it)
}

// Env is a running mock gateway, a client that trusts it, and the target
// and plan describing them. Out is a fresh output directory path.
type Env struct {
	Mock   *mockgw.Server
	Client *gateway.Client
	Target *config.Target
	Plan   *config.Plan
	Out    string
}

// New starts a mock as s says (extra options last) and returns the Env;
// everything is closed at the end of the test.
func New(t testing.TB, s Spec, extra ...mockgw.Option) *Env {
	t.Helper()
	opts := []mockgw.Option{mockgw.WithPassword(s.Password), mockgw.WithAuthMode(gateway.AuthStatic)}
	if s.Dynamic {
		opts = append(opts, DynamicOptions()...)
	}
	m, err := mockgw.New(append(opts, extra...)...)
	if err != nil {
		t.Fatalf("mockgw.New: %v", err)
	}
	t.Cleanup(m.Close)
	c, err := gateway.NewClient(m.URL(), gateway.WithTLS(gateway.TLSConfig{CAPEM: m.CertPEM()}))
	if err != nil {
		t.Fatalf("gateway.NewClient: %v", err)
	}
	t.Cleanup(func() { c.HTTPClient().CloseIdleConnections() })
	ids := make([]int, s.Agents)
	for i := range ids {
		ids[i] = FirstAgent + i
	}
	tgt := &config.Target{
		Name: "mock", URL: m.URL(),
		AuthMode:     gateway.AuthStatic,
		GuidInterval: gateway.DefaultGuidInterval, GuidTimeout: gateway.DefaultGuidTimeout,
		IdleTimeout: gateway.DefaultIdleTimeout, PollWait: gateway.DefaultPollWait,
		AgentIDRange: gateway.DefaultIDRange,
		Agents:       config.Agents{IDs: ids, PhonenumPrefix: "7", Password: s.Password},
		AllowLoad:    true, ForceLogin: true,
	}
	if s.Dynamic {
		tgt.AuthMode = gateway.AuthDynamic
		tgt.GuidInterval, tgt.GuidTimeout = GuidInterval, GuidTimeout
		tgt.IdleTimeout, tgt.PollWait = IdleTimeout, PollWait
	}
	// The plan's request timeout is a test deadline here (no test of
	// timeouts relies on it; those set their own), so it is scaled.
	plan := &config.Plan{
		Name: "test", Agents: s.Agents, Rate: s.Rate, Duration: s.Duration,
		Connections: 8, Timeout: testscale.D(5 * time.Second), SignInConcurrency: 16,
	}
	return &Env{Mock: m, Client: c, Target: tgt, Plan: plan, Out: filepath.Join(t.TempDir(), "out")}
}

// ReadResults decodes a results file with vegeta's own decoder, as any
// vegeta tool would read it; a file that does not end cleanly fails t.
func ReadResults(t testing.TB, path string) []vegeta.Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open results: %v", err)
	}
	defer f.Close()
	dec := vegeta.NewDecoder(f)
	var out []vegeta.Result
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			if errors.Is(err, io.EOF) {
				return out
			}
			t.Fatalf("decode result %d: %v", len(out), err)
		}
		out = append(out, r)
	}
}

// ReadRun decodes, with vegeta's own decoder, the two results files of a
// run's directory: its results file (results.ResultsFile, the measured
// logininfo) and then its calls file (results.CallsFile, the agents' own
// calls): every call the run recorded. A missing calls file is none.
func ReadRun(t testing.TB, dir string) []vegeta.Result {
	t.Helper()
	rs := ReadResults(t, filepath.Join(dir, results.ResultsFile))
	calls := filepath.Join(dir, results.CallsFile)
	if _, err := os.Stat(calls); errors.Is(err, os.ErrNotExist) {
		return rs
	}
	return append(rs, ReadResults(t, calls)...)
}

// OfCall returns the results of rs whose call (gateway.CallOf their method
// and URL) is call, in order.
func OfCall(rs []vegeta.Result, call gateway.Call) []vegeta.Result {
	var out []vegeta.Result
	for _, r := range rs {
		if gateway.CallOf(r.Method, r.URL) == call {
			out = append(out, r)
		}
	}
	return out
}

// CallCounts counts rs by call.
func CallCounts(rs []vegeta.Result) map[gateway.Call]uint64 {
	out := map[gateway.Call]uint64{}
	for _, r := range rs {
		out[gateway.CallOf(r.Method, r.URL)]++
	}
	return out
}
