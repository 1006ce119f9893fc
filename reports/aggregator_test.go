package reports

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/results"
	"ccgw-harness/slo"
)

var t0 = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

func res(code uint16, verdict string, lat time.Duration, at time.Duration) vegeta.Result {
	return vegeta.Result{Code: code, Error: verdict, Latency: lat, Timestamp: t0.Add(at),
		URL: "https://127.0.0.1:8043/agentgateway/resource/onlineagent/1001/logininfo", Method: "POST"}
}

// TestSuccessSemantics: success needs a success verdict AND HTTP 200.
func TestSuccessSemantics(t *testing.T) {
	cases := []struct {
		code    uint16
		verdict string
		ok      bool
		key     string
		retcode string
		class   string
	}{
		{200, "", true, "", "0", "ok"},
		{503, "", false, "http 503", "", "http"},
		{0, "", false, "http 0", "", "http"},
		{503, "http 503", false, "http 503", "", "http"},
		{200, "retcode 100-006", false, "retcode 100-006", "100-006", "retcode"},
		{200, "contract wrong_phonenum", false, "contract wrong_phonenum", "0", "contract"},
		{0, "transport reset", false, "transport reset", "", "transport"},
		{0, "timeout", false, "timeout", "", "timeout"},
		{200, "envelope truncated", false, "envelope truncated", "", "envelope"},
		// Plain vegeta results: error text, classified by gateway.ParseVerdict.
		{0, "Post \"https://x\": read tcp: connection reset by peer", false, "transport reset", "", "transport"},
		{404, "404 Not Found", false, "http 404", "", "http"},
	}
	for _, c := range cases {
		r := res(c.code, c.verdict, time.Millisecond, 0)
		rep := aggregate([]vegeta.Result{r}).Report(results.Meta{}, slo.Objectives{})
		if (rep.Success == 1) != c.ok {
			t.Errorf("%d %q: success=%d, want ok=%v", c.code, c.verdict, rep.Success, c.ok)
		}
		if c.key != "" && rep.Errors[c.key] != 1 {
			t.Errorf("%d %q: errors %v, want key %q", c.code, c.verdict, rep.Errors, c.key)
		}
		if c.ok && len(rep.Errors) != 0 {
			t.Errorf("%d %q: errors %v, want none", c.code, c.verdict, rep.Errors)
		}
		if (c.retcode == "" && len(rep.Retcodes) != 0) || (c.retcode != "" && rep.Retcodes[c.retcode] != 1) {
			t.Errorf("%d %q: retcodes %v, want %q", c.code, c.verdict, rep.Retcodes, c.retcode)
		}
		if rep.Classes[c.class] != 1 {
			t.Errorf("%d %q: classes %v, want %q", c.code, c.verdict, rep.Classes, c.class)
		}
	}
}

// TestRatesAndDuration: achieved rate over the send span, throughput over
// first send to last end, as vegeta computes them.
func TestRatesAndDuration(t *testing.T) {
	var rs []vegeta.Result
	for i := range 11 { // sends at 0, 100ms, ... 1s; the last ends at 1.5 s
		lat := 10 * time.Millisecond
		if i == 10 {
			lat = 500 * time.Millisecond
		}
		v := ""
		if i%2 == 1 {
			v = "retcode 100-006"
		}
		rs = append(rs, res(200, v, lat, time.Duration(i)*100*time.Millisecond))
	}
	r := aggregate(rs).Report(results.Meta{RequestedRate: 10}, slo.Objectives{})
	if r.DurationS != 1.5 || r.Rate.Achieved != 11 || r.Throughput != 4 || r.Rate.Requested != 10 {
		t.Errorf("duration %g rate %+v throughput %g; want 1.5, achieved 11, 6/1.5=4", r.DurationS, r.Rate, r.Throughput)
	}
	if r.Saturation.RateRatio == nil || *r.Saturation.RateRatio != 1.1 {
		t.Errorf("rate ratio %v, want 1.1", r.Saturation.RateRatio)
	}
	if r.LatencyMS.Min != 10 || r.LatencyMS.Max != 500 || r.LatencyMS.Mean != 54.545 {
		t.Errorf("latency %+v", r.LatencyMS)
	}
	if r.ErrorRate != 0.454545 {
		t.Errorf("error rate %g", r.ErrorRate)
	}
}

// TestBoundedKeys: more distinct error kinds than the bound keeps the
// smallest kinds by name and counts the rest under "other", whatever the
// order.
func TestBoundedKeys(t *testing.T) {
	var rs []vegeta.Result
	for i := range 50 {
		rs = append(rs, res(200, fmt.Sprintf("retcode 9%02d-000", i), time.Millisecond, time.Duration(i)*time.Millisecond))
	}
	a := aggregate(rs, WithMaxKinds(10))
	r := a.Report(results.Meta{}, slo.Objectives{})
	if len(r.Errors) != 11 || r.Errors[OtherKey] != 40 || r.Errors["retcode 900-000"] != 1 || r.Errors["retcode 909-000"] != 1 {
		t.Errorf("errors %v: want the 10 smallest kinds and other=40", r.Errors)
	}
	rev := slices.Clone(rs)
	slices.Reverse(rev)
	if a, b := reportJSON(t, r), reportJSON(t, aggregate(rev, WithMaxKinds(10)).Report(results.Meta{}, slo.Objectives{})); !bytes.Equal(a, b) {
		t.Errorf("bounded counting depends on order: %s", firstDiff(b, a))
	}
}

// TestSeriesCoarsening: a run longer than the bucket bound gets wider
// buckets, the same whatever the order of results.
func TestSeriesCoarsening(t *testing.T) {
	var rs []vegeta.Result
	for i := range 200 {
		rs = append(rs, res(200, "", time.Millisecond, time.Duration(i)*time.Second))
	}
	r := aggregate(rs, WithMaxSeriesBuckets(50)).Report(results.Meta{}, slo.Objectives{})
	if r.TimeSeriesStep != 8 || len(r.TimeSeries) > 50 || len(r.TimeSeries) < 25 {
		t.Errorf("step %g, %d buckets; want 8 s buckets, at most 50", r.TimeSeriesStep, len(r.TimeSeries))
	}
	var total uint64
	for _, p := range r.TimeSeries {
		total += p.Requests
	}
	if total != 200 {
		t.Errorf("time series holds %d requests, want 200", total)
	}
	shuffled := slices.Clone(rs)
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	if a, b := reportJSON(t, r), reportJSON(t, aggregate(shuffled, WithMaxSeriesBuckets(50)).Report(results.Meta{}, slo.Objectives{})); !bytes.Equal(a, b) {
		t.Errorf("coarsened series depends on order: %s", firstDiff(b, a))
	}
}

// TestSnapshot: the live figures, read while results are being added from
// several goroutines (run with -race).
func TestSnapshot(t *testing.T) {
	a := NewAggregator()
	if l := a.Snapshot(); l.Requests != 0 || l.Rate != 0 {
		t.Errorf("empty snapshot %+v", l)
	}
	const workers, per = 4, 2500
	var wg sync.WaitGroup
	done := make(chan struct{})
	go func() { // a progress line reading concurrently
		defer close(done)
		for i := 0; i < 1000; i++ {
			if l := a.Snapshot(); l.Errors > l.Requests {
				t.Errorf("snapshot %+v", l)
				return
			}
		}
	}()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				seq := i*workers + w // 10k results over 10 s: 1000 per second
				v := ""
				if seq%10 == 0 {
					v = "timeout"
				}
				r := res(200, v, 2*time.Millisecond, time.Duration(seq)*time.Millisecond)
				a.Add(&r)
			}
		}()
	}
	wg.Wait()
	<-done
	l := a.Snapshot()
	if l.Requests != 10000 || l.Errors != 1000 || l.ErrorRate != 0.1 {
		t.Errorf("snapshot %+v, want 10000 requests, 1000 errors", l)
	}
	if l.P99 < 1990*time.Microsecond || l.P99 > 2010*time.Microsecond {
		t.Errorf("p99 %s, want 2 ms", l.P99)
	}
	if l.Rate != 1000 {
		t.Errorf("live rate %g, want 1000/s", l.Rate)
	}
}

// TestAttackName: without meta, target and plan come from the Attack field.
func TestAttackName(t *testing.T) {
	r1 := res(200, "", time.Millisecond, 0)
	r1.Attack = "staging/golive"
	r := aggregate([]vegeta.Result{r1}).Report(results.Meta{}, slo.Objectives{})
	if r.Target != "staging" || r.Plan != "golive" {
		t.Errorf("target %q plan %q", r.Target, r.Plan)
	}
}

// TestAbsurdTimestamps: results from 1970 and from now (a foreign file, a
// zero timestamp) still aggregate in bounded buckets.
func TestAbsurdTimestamps(t *testing.T) {
	rs := []vegeta.Result{res(200, "", time.Millisecond, 0)}
	zero := res(200, "", time.Millisecond, 0)
	zero.Timestamp = time.Time{}
	epoch := res(200, "", time.Millisecond, 0)
	epoch.Timestamp = time.Unix(0, 0)
	rs = append(rs, zero, epoch)
	r := aggregate(rs).Report(results.Meta{}, slo.Objectives{})
	if r.Requests != 3 || len(r.TimeSeries) > DefaultMaxSeriesBuckets || len(r.TimeSeries) == 0 {
		t.Errorf("requests %d, %d buckets", r.Requests, len(r.TimeSeries))
	}
}
