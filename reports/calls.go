package reports

import (
	"math"
	"math/bits"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/gateway"
	"ccgw-harness/slo"
)

// The per-call figures of a report (report.json `calls`): every call a run
// makes is a result, named by gateway.CallOf of its method and URL. The
// top-level figures keep meaning logininfo (and results of any other
// request, as a plain vegeta attack writes them); sign-in, forced sign-in,
// event poll, sign-out and Guid refresh are counted only per call.

// ReportedCalls are the calls report.json always lists under `calls`;
// updateguid and other appear only when the results hold some.
var ReportedCalls = []gateway.Call{gateway.CallSignIn, gateway.CallForceLogin, gateway.CallLoginInfo, gateway.CallPoll, gateway.CallLogout}

// CallReport is one call's figures.
type CallReport struct {
	Requests  uint64  `json:"requests"`
	Errors    uint64  `json:"errors"`
	ErrorRate float64 `json:"error_rate"`
	// Retcodes counts the answers by envelope retcode ("0" for success and
	// contract violations); answers without an envelope are not counted.
	Retcodes map[string]uint64 `json:"retcodes"`
	// ErrorKinds counts the errors by verdict ("retcode 100-006", "http 503",
	// "timeout", ...).
	ErrorKinds map[string]uint64 `json:"error_kinds"`
	// LatencyMS is the latency distribution (same keys as the top level).
	// For poll it is how long the gateway held each long poll: about its
	// poll wait when the agent had no event, less when an event or a Guid
	// rotation ended it early.
	LatencyMS Latencies `json:"latency_ms"`
}

// latStats is an exact minimum, maximum and mean plus an HdrHistogram of
// latencies (allocated at the first value: a call never made costs no
// histogram).
type latStats struct {
	n            uint64
	sumLo, sumHi uint64 // sum in ns, 128 bits
	minNS, maxNS int64
	hist         *hdr.Histogram
}

func (l *latStats) add(d time.Duration) {
	ns := max(int64(d), 0)
	if l.hist == nil {
		l.hist = newLatencyHist(HistogramDigits)
	}
	if l.n == 0 || ns < l.minNS {
		l.minNS = ns
	}
	l.maxNS = max(l.maxNS, ns)
	l.n++
	var carry uint64
	l.sumLo, carry = bits.Add64(l.sumLo, uint64(ns), 0)
	l.sumHi += carry
	_ = l.hist.RecordValue(micros(d))
}

func (l *latStats) meanMS() float64 {
	if l.n == 0 {
		return 0
	}
	sum := float64(l.sumHi)*math.Exp2(64) + float64(l.sumLo)
	return round(sum/float64(l.n)/1e6, 3)
}

// quantileMS is the latency at percentile p (0-100) within the exact
// extremes.
func (l *latStats) quantileMS(p float64) float64 {
	if l.n == 0 {
		return 0
	}
	v := l.hist.ValueAtPercentile(p)
	return usToMS(min(max(v, micros(time.Duration(l.minNS))), micros(time.Duration(l.maxNS))))
}

func (l *latStats) latencies() Latencies {
	if l.n == 0 {
		return Latencies{}
	}
	return Latencies{
		Min: durMS(time.Duration(l.minNS)), Mean: l.meanMS(),
		P50: l.quantileMS(50), P90: l.quantileMS(90), P95: l.quantileMS(95), P99: l.quantileMS(99), P999: l.quantileMS(99.9),
		Max: durMS(time.Duration(l.maxNS)),
	}
}

// at is the value of a latency key in ms.
func (l *latStats) at(k slo.LatencyKey) float64 {
	switch {
	case l.n == 0:
		return 0
	case k.Mean:
		return l.meanMS()
	case k.Percentile >= 100:
		return durMS(time.Duration(l.maxNS))
	}
	return l.quantileMS(k.Percentile)
}

// callStats accumulates one call's results.
type callStats struct {
	errors   uint64
	lat      latStats
	retcodes *counter[string]
	kinds    *counter[string]
}

func newCallStats(maxKinds int) *callStats {
	return &callStats{retcodes: newCounter[string](maxKinds), kinds: newCounter[string](maxKinds)}
}

func (c *callStats) add(r *vegeta.Result, v gateway.Verdict, key string) {
	c.lat.add(r.Latency)
	if !v.OK() {
		c.errors++
		c.kinds.add(key, 1)
	}
	if rc := v.Retcode(); rc != "" {
		c.retcodes.add(boundKey(rc), 1)
	}
}

func (c *callStats) report() CallReport {
	cr := CallReport{Requests: c.lat.n, Errors: c.errors,
		Retcodes:   c.retcodes.stringMap(identity, OtherKey),
		ErrorKinds: c.kinds.stringMap(identity, OtherKey),
		LatencyMS:  c.lat.latencies()}
	if cr.Requests > 0 {
		cr.ErrorRate = round(float64(c.errors)/float64(cr.Requests), 6)
	}
	return cr
}

// callIndex numbers the calls of gateway.Calls.
func callIndex(c gateway.Call) int {
	for i, k := range gateway.Calls {
		if k == c {
			return i
		}
	}
	return len(gateway.Calls) - 1 // CallOther
}

// addCall counts a result in its call's figures; the caller holds a.mu.
func (a *Aggregator) addCall(ci int, r *vegeta.Result, v gateway.Verdict, key string) {
	c := a.calls[ci]
	if c == nil {
		c = newCallStats(a.maxKinds)
		a.calls[ci] = c
	}
	c.add(r, v, key)
}

// callStatsOf returns call ci's figures (nil: none); the caller holds a.mu.
func (a *Aggregator) callStatsOf(ci int) *callStats {
	if ci == callIndex(gateway.CallLoginInfo) {
		return a.loginInfoStats()
	}
	return a.calls[ci]
}

// loginInfoStats derives logininfo's figures from the top level, which
// holds logininfo and "other" results: the top level as it is when there
// are no others (the load engine's runs), else less the others (counts
// exactly; percentiles from the difference of the two histograms, the
// extremes then within histogram precision). The caller holds a.mu.
func (a *Aggregator) loginInfoStats() *callStats {
	if a.requests == 0 {
		return nil
	}
	c := &callStats{errors: a.requests - a.success, retcodes: a.retcodes, kinds: a.errs,
		lat: latStats{n: a.requests, sumLo: a.latSumLo, sumHi: a.latSumHi, minNS: a.minNS, maxNS: a.maxNS, hist: a.hist}}
	o := a.calls[callIndex(gateway.CallOther)]
	if o == nil || o.lat.n == 0 {
		return c
	}
	c.errors -= o.errors
	c.retcodes, c.kinds = minusCounter(a.retcodes, o.retcodes, a.maxKinds), minusCounter(a.errs, o.kinds, a.maxKinds)
	c.lat.n -= o.lat.n
	var borrow uint64
	c.lat.sumLo, borrow = bits.Sub64(c.lat.sumLo, o.lat.sumLo, 0)
	c.lat.sumHi -= o.lat.sumHi + borrow
	if c.lat.n == 0 {
		return nil
	}
	snap := a.hist.Export()
	os := o.lat.hist.Export()
	counts := append([]int64(nil), snap.Counts...)
	for i := range counts {
		if i < len(os.Counts) {
			counts[i] -= os.Counts[i]
		}
	}
	snap.Counts = counts
	c.lat.hist = hdr.Import(snap)
	c.lat.minNS, c.lat.maxNS = c.lat.hist.Min()*1000, c.lat.hist.Max()*1000
	return c
}

// minusCounter is a counter of a's counts less b's.
func minusCounter(a, b *counter[string], limit int) *counter[string] {
	out := newCounter[string](limit)
	bm := b.stringMap(identity, OtherKey)
	for k, n := range a.stringMap(identity, OtherKey) {
		if d := n - min(n, bm[k]); d > 0 {
			out.add(k, d)
		}
	}
	return out
}

// callReports returns report.json's `calls`; the caller holds a.mu.
func (a *Aggregator) callReports() map[string]CallReport {
	out := make(map[string]CallReport, len(gateway.Calls))
	for i, name := range gateway.Calls {
		c := a.callStatsOf(i)
		switch {
		case c != nil:
			out[name] = c.report()
		case isReported(name):
			out[name] = CallReport{Retcodes: map[string]uint64{}, ErrorKinds: map[string]uint64{}}
		}
	}
	return out
}

func isReported(c gateway.Call) bool {
	for _, k := range ReportedCalls {
		if k == c {
			return true
		}
	}
	return false
}
