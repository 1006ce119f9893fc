package load_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
	"ccgw-harness/load"
	"ccgw-harness/load/loadtest"
	"ccgw-harness/mockgw"
	"ccgw-harness/mockgw/faultset"
	"ccgw-harness/pace"
	"ccgw-harness/reports"
	"ccgw-harness/results"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// journeyEnv is a mock and a journey plan: n journeys arriving at rate per
// second, each holding hold and asking for the token again every repeat,
// against a mock whose idle polls are held pollWait.
func journeyEnv(t *testing.T, n int, rate float64, hold, repeat, pollWait time.Duration, dynamic bool, extra ...mockgw.Option) *env {
	t.Helper()
	e := newEnv(t, n, rate, time.Duration(float64(n)/rate*float64(time.Second)), dynamic,
		append([]mockgw.Option{mockgw.WithPollWait(pollWait)}, extra...)...)
	e.target.PollWait = pollWait
	e.plan.Journey = &config.Journey{Hold: hold, Repeat: repeat}
	return e
}

// secondScale is dynamic authentication with second-scale timings: a Guid
// is rotated after 1 s and dies 3 s after its issue (or rotation). It
// returns the mock's options; secondScaleTarget describes them.
func secondScale(from gateway.GuidTimeoutFrom) []mockgw.Option {
	return []mockgw.Option{mockgw.WithAuthMode(gateway.AuthDynamic), mockgw.WithGuidInterval(time.Second),
		mockgw.WithGuidTimeout(3 * time.Second), mockgw.WithIdleTimeout(5 * time.Second), mockgw.WithGuidTimeoutFrom(from)}
}

func secondScaleTarget(e *env) {
	e.target.AuthMode, e.target.GuidInterval, e.target.GuidTimeout, e.target.IdleTimeout = gateway.AuthDynamic, time.Second, 3*time.Second, 5*time.Second
}

// journeysOf groups a run's results by journey number, each journey's in
// send order; every result must carry one.
func journeysOf(t *testing.T, all []vegeta.Result) map[int][]vegeta.Result {
	t.Helper()
	out := map[int][]vegeta.Result{}
	for _, r := range all {
		v := r.Headers.Get(results.HeaderJourney)
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("result %s %s carries no journey number (%q)", r.Method, r.URL, v)
		}
		out[n] = append(out[n], r)
	}
	for _, rs := range out {
		slices.SortFunc(rs, func(a, b vegeta.Result) int { return a.Timestamp.Compare(b.Timestamp) })
	}
	return out
}

// rebuiltReport is what `ccgw report` makes of a run's directory: its
// results.bin, calls.bin and meta.json.
func rebuiltReport(t *testing.T, dir string) *reports.Report {
	t.Helper()
	m, err := results.ReadMeta(filepath.Join(dir, load.MetaFile))
	if err != nil {
		t.Fatal(err)
	}
	a := reports.NewAggregator()
	if _, partial, err := results.ReadFiles(a, dir); err != nil || partial {
		t.Fatalf("ReadFiles: partial %v, %v", partial, err)
	}
	return a.Report(m, *m.SLO)
}

func jsonOf(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Injected delays of the acceptance test, and the margin allowed above
// them. The margin is generous on purpose: a sign-in opens the journey's
// own TLS connection (a handshake, ~1-5 ms on loopback, more on a loaded
// machine), and on a 2-core machine shared by the mock, the generator and
// other jobs, a goroutine can wait tens of milliseconds to run. The lower
// bounds are the point: a figure below an injected delay would not be the
// call's latency.
const (
	signInDelay    = 60 * time.Millisecond
	loginInfoDelay = 40 * time.Millisecond
	delayMargin    = 250 * time.Millisecond
)

// TestJourneysAcceptance is issue 10's first acceptance test: 100 journeys
// (hold 4 s, repeat 1 s) against the mock with a sign-in delay and a
// logininfo delay injected. Per-call figures match the delays, time to
// ready is at least their sum, every journey completes, every agent is
// signed out, and the calls are exactly what the plan implies: 100
// sign-ins, 100 sign-outs, 100 × (1 + 4) logininfo.
func TestJourneysAcceptance(t *testing.T) {
	noLeaks(t)
	const n = 100
	e := journeyEnv(t, n, 10, 4*time.Second, time.Second, 2*time.Second, false,
		mockgw.WithFaults(faultset.Faults{SignInLatency: signInDelay, LatencyFixed: loginInfoDelay}))
	var log lockedBuffer
	prog := load.NewProgress(&log, false, false)
	prog.SetInterval(200 * time.Millisecond)
	o := e.run(context.Background(), t, load.WithProgress(prog))
	rep := o.Report
	j := rep.Journeys

	if j.Planned != n || j.Started != n || j.Completed != n || j.Failed != 0 || j.Interrupted != 0 || j.Ready != n {
		t.Errorf("journeys %+v, want %d planned, started, completed and ready", j, n)
	}
	want := map[gateway.Call]uint64{gateway.CallSignIn: n, gateway.CallForceLogin: 0, gateway.CallLogout: n, gateway.CallLoginInfo: n * (1 + 4)}
	for c, w := range want {
		if got := rep.Calls[c]; got.Requests != w || got.Errors != 0 {
			t.Errorf("calls.%s: %d requests, %d errors; want %d and 0", c, got.Requests, got.Errors, w)
		}
	}
	if rep.Requests != n*5 || o.Sent != n*5 || o.Recorded != n*5 {
		t.Errorf("top level: %d logininfo requests (sent %d, recorded %d), want %d", rep.Requests, o.Sent, o.Recorded, n*5)
	}
	if p := rep.Calls[gateway.CallPoll]; p.Requests < n || p.Errors != 0 {
		t.Errorf("calls.poll %+v: want at least one poll per journey, none failed", p)
	}

	t.Logf("calls.signin p50 %.3f ms, calls.logininfo p50 %.3f ms, calls.logout p50 %.3f ms, ready_ms p50 %.3f ms p99 %.3f ms (injected: sign-in %v, logininfo %v); calls: %d signin, %d logininfo, %d poll, %d logout",
		rep.Calls[gateway.CallSignIn].LatencyMS.P50, rep.Calls[gateway.CallLoginInfo].LatencyMS.P50, rep.Calls[gateway.CallLogout].LatencyMS.P50,
		j.ReadyMS.P50, j.ReadyMS.P99, signInDelay, loginInfoDelay, rep.Calls[gateway.CallSignIn].Requests, rep.Calls[gateway.CallLoginInfo].Requests,
		rep.Calls[gateway.CallPoll].Requests, rep.Calls[gateway.CallLogout].Requests)
	// Per-call latencies match the injected delays; ready is their sum.
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	for c, d := range map[gateway.Call]time.Duration{gateway.CallSignIn: signInDelay, gateway.CallLogout: signInDelay, gateway.CallLoginInfo: loginInfoDelay} {
		if l := rep.Calls[c].LatencyMS; l.Min < ms(d) || l.P50 < ms(d) || l.P50 > ms(d+delayMargin) {
			t.Errorf("calls.%s latency %+v: p50 want %v..%v", c, l, d, d+delayMargin)
		}
	}
	if r := j.ReadyMS; r.Min < ms(signInDelay+loginInfoDelay) || r.P50 < ms(signInDelay+loginInfoDelay) || r.P50 > ms(signInDelay+loginInfoDelay+2*delayMargin) {
		t.Errorf("ready_ms %+v: want p50 from %v (sign-in + logininfo)", r, signInDelay+loginInfoDelay)
	}

	// Every agent signed out; the mock saw each call the results hold.
	st := e.mock.Stats()
	if st.ActiveSessions != 0 || st.SignIns != n || st.SignOuts != n {
		t.Errorf("mock: %d active sessions, %d sign-ins, %d sign-outs; want 0, %d, %d", st.ActiveSessions, st.SignIns, st.SignOuts, n, n)
	}
	if o.SignOut.SignedOut != 0 {
		t.Errorf("the run's final sign-out found %d agents still signed in: the journeys sign out themselves", o.SignOut.SignedOut)
	}
	all := readAllResults(t, e.out)
	assertEveryCallRecorded(t, e.mock, all, n, o)
	if got := st.Calls[gateway.CallLoginInfo].Requests; got != n*5 {
		t.Errorf("the mock saw %d logininfo requests, want %d", got, n*5)
	}

	// Each journey, from its results alone: sign-in, the first token
	// (ready), polls and 4 repeats while holding, sign-out after the hold.
	byJourney := journeysOf(t, all)
	if len(byJourney) != n {
		t.Fatalf("results of %d journeys, want %d", len(byJourney), n)
	}
	for num, rs := range byJourney {
		calls := loadtest.CallCounts(rs)
		if calls[gateway.CallSignIn] != 1 || calls[gateway.CallLoginInfo] != 5 || calls[gateway.CallLogout] != 1 || calls[gateway.CallPoll] == 0 {
			t.Fatalf("journey %d made %v", num, calls)
		}
		first, last := rs[0], rs[len(rs)-1]
		if gateway.CallOf(first.Method, first.URL) != gateway.CallSignIn || first.Headers.Get(results.HeaderLagUs) == "" {
			t.Fatalf("journey %d starts with %s %s (headers %v), want its sign-in with its lag", num, first.Method, first.URL, first.Headers)
		}
		if gateway.CallOf(last.Method, last.URL) != gateway.CallLogout || last.Headers.Get(results.HeaderJourneyEnd) != results.JourneyCompleted {
			t.Fatalf("journey %d ends with %s %s end=%q, want its sign-out marked completed", num, last.Method, last.URL, last.Headers.Get(results.HeaderJourneyEnd))
		}
		if held := last.Timestamp.Sub(first.Timestamp.Add(first.Latency)); held < 4*time.Second {
			t.Errorf("journey %d signed out %v after its sign-in, before the 4 s hold", num, held)
		}
		var ready, ends int
		for i, r := range rs {
			if r.Headers.Get(results.HeaderReadyUs) != "" {
				ready++
				if gateway.CallOf(r.Method, r.URL) != gateway.CallLoginInfo || i != 1 {
					t.Errorf("journey %d: the ready marker is on %s %s, want its first logininfo", num, r.Method, r.URL)
				}
			}
			if r.Headers.Get(results.HeaderJourneyEnd) != "" {
				ends++
			}
			for _, p := range rs {
				if gateway.CallOf(p.Method, p.URL) == gateway.CallPoll && (p.Timestamp.Before(first.Timestamp) || p.Timestamp.Add(p.Latency).After(last.Timestamp)) {
					t.Fatalf("journey %d: a poll outside its session (sign-in %v, sign-out %v, poll %v)", num, first.Timestamp, last.Timestamp, p.Timestamp)
				}
			}
		}
		if ready != 1 || ends != 1 {
			t.Errorf("journey %d: %d ready markers, %d outcomes; want one each", num, ready, ends)
		}
	}

	// `ccgw report` rebuilds the same calls and journeys from results.bin
	// and calls.bin together.
	re := rebuiltReport(t, e.out)
	if a, b := jsonOf(t, re.Calls), jsonOf(t, rep.Calls); !bytes.Equal(a, b) {
		t.Errorf("rebuilt calls differ:\n%s\n%s", a, b)
	}
	if a, b := jsonOf(t, re.Journeys), jsonOf(t, rep.Journeys); !bytes.Equal(a, b) {
		t.Errorf("rebuilt journeys differ:\n%s\n%s", a, b)
	}
	assertNoSecrets(t, e.out, gateway.NodeSuffix(1), "phonetoken", testPassword)
	if s := log.String(); !strings.Contains(s, "journeys") || strings.Contains(s, testPassword) || strings.Contains(s, gateway.NodeSuffix(1)) {
		t.Errorf("progress output leaks a secret or shows no journeys: %q", s)
	}
}

// TestJourneysKeepTheirSchedule: arrivals keep their schedule while earlier
// journeys hold (open model): every journey starts before the first one
// ends, none before its planned time, each carrying its lag (how late its
// sign-in was sent). Goroutines of arrivals 50 ms apart may send their
// sign-ins in either order on a loaded machine: the lag says how late each
// was.
func TestJourneysKeepTheirSchedule(t *testing.T) {
	noLeaks(t)
	const n = 40
	e := journeyEnv(t, n, 20, 6*time.Second, 0, 200*time.Millisecond, false)
	o := e.run(context.Background(), t)
	all := readAllResults(t, e.out)
	byJourney := journeysOf(t, all)
	sched, err := pace.Constant(20, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	start := o.Meta.Started
	var lastSignIn, firstLogout time.Time
	for num := range n {
		rs := byJourney[num]
		if len(rs) == 0 {
			t.Fatalf("journey %d has no results", num)
		}
		si, lo := rs[0], rs[len(rs)-1]
		planned := sched.Planned(uint64(num))
		if si.Timestamp.Before(start.Add(planned - pace.TimerSlack - time.Millisecond)) {
			t.Errorf("journey %d signed in %v after the start, before its planned %v", num, si.Timestamp.Sub(start), planned)
		}
		if lag, err := strconv.ParseInt(si.Headers.Get(results.HeaderLagUs), 10, 64); err != nil || lag < 0 ||
			time.Duration(lag)*time.Microsecond > max(si.Timestamp.Sub(start.Add(planned)), 0)+time.Millisecond {
			t.Errorf("journey %d: lag %q, sent %v after its planned time", num, si.Headers.Get(results.HeaderLagUs), si.Timestamp.Sub(start.Add(planned)))
		}
		if si.Timestamp.After(lastSignIn) {
			lastSignIn = si.Timestamp
		}
		if firstLogout.IsZero() || lo.Timestamp.Before(firstLogout) {
			firstLogout = lo.Timestamp
		}
	}
	if !lastSignIn.Before(firstLogout) {
		t.Errorf("the last journey signed in %v after the first sign-out: arrivals waited for earlier journeys", lastSignIn.Sub(firstLogout))
	}
	rep := o.Report
	if rep.Journeys.Started != n || rep.Journeys.Completed != n || rep.Saturation.LagSamples != n || rep.Journeys.Rate.Requested != 20 {
		t.Errorf("journeys %+v, saturation %+v", rep.Journeys, rep.Saturation)
	}
	if rep.Saturation.RateRatio == nil {
		t.Error("no arrival rate ratio")
	}
	if rep.Rate.Requested != 0 {
		t.Errorf("report rate.requested %v: a journey plan requests no logininfo rate", rep.Rate.Requested)
	}
}

// TestJourneysUnderRotation: dynamic authentication with second-scale
// rotation, under both readings of guid_timeout: not one wrong-Guid
// rejection in any call, every journey completes, and the Guids rotated.
func TestJourneysUnderRotation(t *testing.T) {
	noLeaks(t)
	for _, from := range []gateway.GuidTimeoutFrom{gateway.GuidTimeoutFromIssue, gateway.GuidTimeoutFromRotation} {
		t.Run(string(from), func(t *testing.T) {
			e := journeyEnv(t, 30, 10, 4*time.Second, 700*time.Millisecond, 300*time.Millisecond, false, secondScale(from)...)
			secondScaleTarget(e)
			o := e.run(context.Background(), t)
			rep := o.Report
			for c, cr := range rep.Calls {
				for _, rc := range []string{gateway.RetNotSignedIn, gateway.RetNoPermission} {
					if cr.Retcodes[rc] != 0 {
						t.Errorf("calls.%s: %d answers %s: the rotation was not followed", c, cr.Retcodes[rc], rc)
					}
				}
			}
			if rep.Journeys.Completed != 30 || rep.Journeys.Failed != 0 {
				t.Errorf("journeys %+v, want 30 completed", rep.Journeys)
			}
			if st := e.mock.Stats(); st.Rotations == 0 || o.Rotations == 0 || st.ActiveSessions != 0 {
				t.Errorf("mock rotations %d, followed %d, sessions left %d", st.Rotations, o.Rotations, st.ActiveSessions)
			}
		})
	}
}

// TestJourneysAgentsWithoutPassword: agents without a password (a mock
// whose agents have none, password_env set and empty) sign in with an
// empty one; the summary says so.
func TestJourneysAgentsWithoutPassword(t *testing.T) {
	noLeaks(t)
	le := loadtest.New(t, loadtest.Spec{Agents: 10, Rate: 10, Duration: time.Second}, mockgw.WithNoPassword(), mockgw.WithPollWait(200*time.Millisecond))
	le.Target.Agents.NoPassword = true
	le.Target.PollWait = 200 * time.Millisecond
	le.Plan.Journey = &config.Journey{Hold: time.Second}
	o, err := load.Run(context.Background(), le.Client, le.Target, le.Plan, le.Out)
	if err != nil {
		t.Fatal(err)
	}
	if o.Report.Journeys.Completed != 10 || o.Report.Calls[gateway.CallSignIn].Errors != 0 || !o.Report.NoPassword || !o.Meta.NoPassword {
		t.Errorf("journeys %+v, sign-in %+v, no password %v", o.Report.Journeys, o.Report.Calls[gateway.CallSignIn], o.Report.NoPassword)
	}
	sum, err := os.ReadFile(filepath.Join(le.Out, reports.SummaryFile))
	if err != nil || !strings.Contains(string(sum), "empty password") {
		t.Errorf("summary.txt does not say the agents have no password (%v)", err)
	}
}

// TestSignInFields: a plan's optional sign-in fields reach every sign-in
// body with the documented types, beside the password (empty for agents
// without one) and the phonenum, in rate plans (the pool) and journeys
// alike. The gateway is an httptest TLS server that keeps the bodies.
func TestSignInFields(t *testing.T) {
	var mu sync.Mutex
	var bodies []map[string]any
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", gateway.ContentTypeJSON)
		switch {
		case r.Method == http.MethodPut:
			var m map[string]any
			b, _ := io.ReadAll(r.Body)
			if err := json.Unmarshal(b, &m); err != nil {
				t.Errorf("sign-in body %q: %v", b, err)
			}
			mu.Lock()
			bodies = append(bodies, m)
			mu.Unlock()
			w.Header().Set(gateway.HeaderSetGuid, gateway.FormatSetGuid(fmt.Sprintf("%08d-0000-4000-8000-000000000000.AgentGateway1", len(bodies))))
			io.WriteString(w, `{"message":"success","retcode":"0","result":{}}`)
		case strings.HasSuffix(r.URL.Path, "/logininfo"):
			id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, gateway.PathPrefix+"/onlineagent/"), "/logininfo")
			io.WriteString(w, `{"message":"success","retcode":"0","result":{"phonetoken":"t","phonenum":"7`+id+`"}}`)
		default:
			io.WriteString(w, `{"message":"","retcode":"0","event":null}`)
		}
	}))
	defer srv.Close()
	c, err := gateway.NewClient(srv.URL, gateway.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	no, yes := false, true
	fields := config.SignIn{Status: gateway.StatusIdle, AutoAnswer: &no, AutoEnterIdle: &yes, ReleasePhone: &yes, AgentType: gateway.AgentTypeVideo, IP: "127.0.0.1"}
	tgt := &config.Target{Name: "h", URL: srv.URL, AuthMode: gateway.AuthStatic, GuidInterval: time.Minute, GuidTimeout: 2 * time.Minute,
		IdleTimeout: 2 * time.Minute, PollWait: 50 * time.Millisecond, AgentIDRange: gateway.DefaultIDRange,
		Agents: config.Agents{IDs: []int{1001, 1002}, PhonenumPrefix: "7", NoPassword: true}, AllowLoad: true, ForceLogin: true}
	for _, journey := range []bool{false, true} {
		bodies = nil
		plan := &config.Plan{Name: "p", Agents: 2, Rate: 4, Duration: 500 * time.Millisecond, Connections: 2, Timeout: 5 * time.Second, SignInConcurrency: 2, SignIn: fields}
		if journey {
			plan.Journey = &config.Journey{Hold: 200 * time.Millisecond}
		}
		if _, err := load.Run(context.Background(), c, tgt, plan, filepath.Join(t.TempDir(), "out")); err != nil {
			t.Fatal(err)
		}
		if len(bodies) == 0 {
			t.Fatal("no sign-in reached the server")
		}
		for _, b := range bodies {
			want := map[string]any{"password": "", "status": float64(4), "autoanswer": false, "autoenteridle": true,
				"releasephone": true, "agenttype": float64(11), "ip": "127.0.0.1"}
			for k, v := range want {
				if b[k] != v {
					t.Errorf("journey %v: sign-in body %s = %#v, want %#v (body %v)", journey, k, b[k], v, b)
				}
			}
			if p, _ := b["phonenum"].(string); !strings.HasPrefix(p, "7100") {
				t.Errorf("sign-in phonenum %v", b["phonenum"])
			}
		}
	}
}

// TestJourneyPlanRefusals: a journey plan that needs more agents than it
// has, or a warm-up, is refused before anything starts, naming the numbers.
func TestJourneyPlanRefusals(t *testing.T) {
	e := journeyEnv(t, 10, 10, 30*time.Second, 0, 200*time.Millisecond, false)
	e.plan.Rate, e.plan.Duration = 10, 10*time.Second // 100 journeys, each holding 30 s: all overlap
	_, err := load.NewJob(e.target, e.plan, e.out)
	var re *load.RefusedError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "needs 100 agents but has 10") || !strings.Contains(err.Error(), "hold 30s") {
		t.Errorf("NewJob = %v, want a refusal naming 100 agents needed of 10", err)
	}
	jp, err := load.PlanJourneys(e.plan, mustConstant(t, 10, 10*time.Second), e.target, 1000)
	if err != nil || jp.PeakAgents != 100 || jp.LoginInfos != 1 || jp.Journeys != 100 {
		t.Errorf("PlanJourneys = %+v, %v", jp, err)
	}
	// Short holds overlap less: 10/s, busy 1 s + 0.2 s + 2 × 1 s = 3.2 s.
	e.plan.Journey.Hold, e.plan.Journey.Repeat, e.plan.Timeout = time.Second, 300*time.Millisecond, time.Second
	jp, err = load.PlanJourneys(e.plan, mustConstant(t, 10, 10*time.Second), e.target, 1000)
	if err != nil || jp.PeakAgents != 33 || jp.LoginInfos != 1+3 || jp.Busy != 3200*time.Millisecond {
		t.Errorf("PlanJourneys = %+v, %v; want 33 agents (3.2 s windows at 10/s), 4 logininfo", jp, err)
	}
	e.plan.Warmup = time.Second
	if _, err := load.NewJob(e.target, e.plan, e.out); !errors.As(err, &re) || !strings.Contains(err.Error(), "warmup") {
		t.Errorf("NewJob with warmup = %v, want a refusal", err)
	}
	if st := e.mock.Stats(); st.SignIns != 0 || st.Calls[gateway.CallSignIn].Requests != 0 {
		t.Error("a refused plan reached the gateway")
	}
}

func mustConstant(t *testing.T, rate float64, d time.Duration) pace.Pacer {
	t.Helper()
	s, err := pace.Constant(rate, d)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestJourneysInterrupted: a cancel while journeys hold ends them at once:
// each signs out and counts as interrupted, none is left signed in, and
// the reports are written and marked interrupted.
func TestJourneysInterrupted(t *testing.T) {
	noLeaks(t)
	e := journeyEnv(t, 30, 10, 20*time.Second, 2*time.Second, time.Second, false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	var cancelled time.Time
	o := e.run(ctx, t, load.WithAttackStarted(func() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			eventually(t, 20*time.Second, "10 journeys signed in", func() bool { return e.mock.Stats().SignIns >= 10 })
			cancelled = time.Now()
			cancel()
		}()
	}))
	if d := time.Since(cancelled); d > 10*time.Second {
		t.Errorf("the run took %v to end after the cancel", d)
	}
	j := o.Report.Journeys
	if !o.Meta.Interrupted || !o.Report.Interrupted || j.Started < 10 || j.Started == 30 || j.Completed != 0 ||
		j.Started != j.Completed+j.Failed+j.Interrupted || j.Interrupted == 0 {
		t.Errorf("interrupted %v, journeys %+v: want some started, each interrupted (or failed), none completed", o.Meta.Interrupted, j)
	}
	if st := e.mock.Stats(); st.ActiveSessions != 0 || st.SignOuts != st.SignIns {
		t.Errorf("mock: %d sessions left, %d sign-ins, %d sign-outs", st.ActiveSessions, st.SignIns, st.SignOuts)
	}
	if n := o.Calls[gateway.CallLogout]; n != uint64(j.Started) {
		t.Errorf("%d sign-outs recorded, want one per started journey (%d)", n, j.Started)
	}
	for _, f := range []string{load.ResultsFile, load.CallsFile, reports.JSONFile, reports.SummaryFile} {
		if _, err := os.Stat(filepath.Join(e.out, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestRepoShiftStartPlan: the repo's shiftstart plan passes every check
// against the repo's mock target: 1000 journeys over 5 minutes, at most
// ~500 at once (each keeps its agent hold 2m + poll wait 10s + 2 × 10s),
// 5 logininfo each.
func TestRepoShiftStartPlan(t *testing.T) {
	f, err := config.Load(filepath.Join("..", "targets.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := f.Target("mock")
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.Plan("shiftstart")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := load.NewJob(tgt, p, t.TempDir()); err != nil {
		t.Fatalf("NewJob(shiftstart): %v", err)
	}
	pacer, _, err := pace.ForPlan(p, tgt.MaxRate)
	if err != nil {
		t.Fatal(err)
	}
	jp, err := load.PlanJourneys(p, pacer, tgt, p.Agents)
	if err != nil || jp.Journeys != 1000 || jp.PeakAgents < 495 || jp.PeakAgents > 505 || jp.LoginInfos != 5 || jp.Busy != 150*time.Second {
		t.Errorf("PlanJourneys(shiftstart) = %+v, %v", jp, err)
	}
}
