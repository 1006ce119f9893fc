package reports

import (
	"math"
	"math/bits"
	"net/http"
	"strings"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/gateway"
	"ccgw-harness/results"
)

// agentMarker precedes the agent ID in a logininfo URL.
const agentMarker = "/onlineagent/"

// maxKeyLen bounds the length of a counted key (error kinds from foreign
// results files can be arbitrary text).
const maxKeyLen = 64

// Aggregator accumulates judged results in memory that does not grow with
// their number: counters with bounded key sets, an HdrHistogram of all
// latencies, and small sparse histograms per time bucket, agent and node.
// Its outcome does not depend on the order results are added. It is safe for
// concurrent use.
type Aggregator struct {
	mu sync.Mutex

	maxBuckets, maxAgents, maxNodes, maxKinds, worstAgents int
	fromPlanned                                            bool // WithLatencyFromPlanned

	requests, success uint64
	contract          uint64
	latSumLo          uint64 // latency sum in ns, 128 bits
	latSumHi          uint64
	minNS, maxNS      int64
	hist              *hdr.Histogram

	haveTime                      bool
	earliestNS, latestNS, lastEnd int64

	codes      *counter[uint16]
	errs       *counter[string]
	retcodes   *counter[string]
	classes    *counter[string]
	violations *counter[string]
	attacks    *counter[string]

	lag        *hdr.Histogram
	lagSamples uint64
	lagMaxUS   int64

	series             map[int64]*sparseHist
	seriesLo, seriesHi int64 // index span of the series
	widthNS            int64
	lastIdx            int64
	lastBkt            *sparseHist
	agents             *bounded[int, sparseHist]
	agentsUn           uint64 // results whose URL names no agent
	nodes              *bounded[int, sparseHist]

	ring           [liveRing]liveSlot
	minEnd, maxEnd int64 // end seconds seen
	partial        bool

	calls []*callStats // by callIndex; nil until a call's first result
	j     journeyStats
}

const liveRing = 8

type liveSlot struct {
	sec int64
	n   uint64
}

// NewAggregator returns an empty Aggregator.
func NewAggregator(opts ...Option) *Aggregator {
	a := &Aggregator{
		maxBuckets:  DefaultMaxSeriesBuckets,
		maxAgents:   DefaultMaxAgents,
		maxNodes:    DefaultMaxNodes,
		maxKinds:    DefaultMaxKinds,
		worstAgents: DefaultWorstAgents,
		hist:        newLatencyHist(HistogramDigits),
		lag:         newLatencyHist(lagDigits),
		series:      map[int64]*sparseHist{},
		widthNS:     int64(time.Second),
	}
	for _, o := range opts {
		o(a)
	}
	a.codes = newCounter[uint16](a.maxKinds)
	a.errs = newCounter[string](a.maxKinds)
	a.retcodes = newCounter[string](a.maxKinds)
	a.classes = newCounter[string](a.maxKinds)
	a.violations = newCounter[string](a.maxKinds)
	a.attacks = newCounter[string](a.maxKinds)
	a.agents = newBounded[int, sparseHist](a.maxAgents, nil)
	a.nodes = newBounded[int, sparseHist](a.maxNodes, nil)
	a.calls = make([]*callStats, len(gateway.Calls))
	return a
}

// MarkPartial records that some results could not be read (a truncated
// results file); the report says so.
func (a *Aggregator) MarkPartial() {
	a.mu.Lock()
	a.partial = true
	a.mu.Unlock()
}

// Add accumulates one judged result (Error holds a gateway.Verdict string).
// It keeps no reference to r, so r may be reused. A result counts in the
// figures of its call (gateway.CallOf its method and URL); logininfo and
// requests that are no other call of the agent interface also make the
// top-level figures.
func (a *Aggregator) Add(r *vegeta.Result) {
	v, key := verdictOf(r)
	call := gateway.CallOf(r.Method, r.URL)
	if !results.IsTopLevel(call) {
		a.mu.Lock()
		a.addCall(callIndex(call), r, v, key)
		a.journeyMarks(r, call, v)
		a.mu.Unlock()
		return
	}
	ok := v.OK()
	start := r.Timestamp.UnixNano()
	end := start + int64(r.Latency)
	lagUS, hasLag := headerInt(r.Headers, results.HeaderLagUs)
	lat := r.Latency
	if a.fromPlanned && hasLag && lagUS > 0 {
		lat += time.Duration(min(lagUS, HistogramHighestUS)) * time.Microsecond
	}
	us := micros(lat)
	node, _ := headerInt(r.Headers, results.HeaderNode)
	agent, hasAgent := agentOf(r.URL)

	a.mu.Lock()
	defer a.mu.Unlock()

	// Top-level results make calls.logininfo without counting twice: it is
	// the top level less the few "other" results (see loginInfoStats).
	if call == gateway.CallOther {
		a.addCall(callIndex(call), r, v, key)
	}
	if !hasLag && len(r.Headers) > 0 {
		// A journey's logininfo carries no lag (only its sign-in does):
		// a rate plan's results skip this.
		a.journeyMarks(r, call, v)
	}
	a.requests++
	if ok {
		a.success++
	}
	var carry uint64
	a.latSumLo, carry = bits.Add64(a.latSumLo, uint64(max(int64(lat), 0)), 0)
	a.latSumHi += carry
	if a.requests == 1 || int64(lat) < a.minNS {
		a.minNS = int64(lat)
	}
	if int64(lat) > a.maxNS {
		a.maxNS = int64(lat)
	}
	_ = a.hist.RecordValue(us)

	if !a.haveTime {
		a.haveTime = true
		a.earliestNS, a.latestNS, a.lastEnd = start, start, end
		a.minEnd, a.maxEnd = floorDiv(end, int64(time.Second)), floorDiv(end, int64(time.Second))
	} else {
		a.earliestNS = min(a.earliestNS, start)
		a.latestNS = max(a.latestNS, start)
		a.lastEnd = max(a.lastEnd, end)
	}

	a.codes.add(r.Code, 1)
	if !ok {
		a.errs.add(key, 1)
	}
	if rc := v.Retcode(); rc != "" {
		a.retcodes.add(boundKey(rc), 1)
	}
	a.classes.add(string(classOf(v)), 1)
	if v.Class == gateway.ClassContract {
		a.contract++
		a.violations.add(boundKey(v.Detail), 1)
	}
	if r.Attack != "" {
		a.attacks.add(boundKey(r.Attack), 1)
	}

	if hasLag {
		a.lagSamples++
		lagUS = min(max(lagUS, 0), HistogramHighestUS)
		a.lagMaxUS = max(a.lagMaxUS, lagUS)
		_ = a.lag.RecordValue(lagUS)
	}

	a.bucket(start).add(us, ok)
	if hasAgent {
		if g := a.agents.at(agent, newAgentHist); g != nil {
			g.add(us, ok)
		}
	} else {
		a.agentsUn++
	}
	if node < 0 || node > 1<<20 {
		node = 0
	}
	if g := a.nodes.at(int(node), newNodeHist); g != nil {
		g.add(us, ok)
	}
	a.liveEnd(end)
}

func newAgentHist() *sparseHist { return newSparseHist(agentDigits) }
func newNodeHist() *sparseHist  { return newSparseHist(nodeDigits) }

// verdictOf returns the result's verdict and its counting key, without
// allocating for results written by the load engine. A result with an empty
// Error but an HTTP status other than 200 (or a foreign error text with a
// status) is an HTTP verdict.
func verdictOf(r *vegeta.Result) (gateway.Verdict, string) {
	v := gateway.ParseVerdict(r.Error)
	vocabulary := strings.HasPrefix(r.Error, string(v.Class))
	switch {
	case v.OK() && r.Code != 200, !vocabulary && r.Code != 0 && r.Code != 200:
		v = gateway.Verdict{Class: gateway.ClassHTTP, Detail: codeString(r.Code)}
		return v, v.String()
	case v.OK():
		return v, string(gateway.ClassOK)
	case v.Detail == "":
		return v, string(v.Class)
	case vocabulary && len(r.Error) == len(v.Class)+1+len(v.Detail) && len(r.Error) <= maxKeyLen:
		return v, r.Error // already canonical: keep the decoded string
	}
	return v, boundKey(v.String())
}

// classOf returns the verdict's class, "ok" for success.
func classOf(v gateway.Verdict) gateway.Class {
	if v.OK() {
		return gateway.ClassOK
	}
	return v.Class
}

// boundKey shortens a counted key to maxKeyLen bytes.
func boundKey(s string) string {
	if len(s) <= maxKeyLen {
		return s
	}
	return strings.ToValidUTF8(s[:maxKeyLen], "") + "..."
}

// headerInt parses a header holding a (possibly negative) decimal integer.
func headerInt(h http.Header, key string) (int64, bool) {
	vs := h[key]
	if len(vs) == 0 {
		return 0, false
	}
	return parseInt(vs[0])
}

func parseInt(s string) (int64, bool) {
	neg := false
	if len(s) > 0 && s[0] == '-' {
		neg, s = true, s[1:]
	}
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// agentOf returns the agent ID of a logininfo URL (the path segment after
// /onlineagent/).
func agentOf(url string) (int, bool) {
	i := strings.Index(url, agentMarker)
	if i < 0 {
		return 0, false
	}
	s := url[i+len(agentMarker):]
	if j := strings.IndexAny(s, "/?#"); j >= 0 {
		s = s[:j]
	}
	if len(s) > 9 {
		return 0, false
	}
	n, ok := parseInt(s)
	if !ok || n < 0 {
		return 0, false
	}
	return int(n), true
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// bucket returns the time-series bucket of a send time. Buckets are aligned
// to the Unix epoch and the series is coarsened (bucket width doubled) when
// its span would exceed maxBuckets, so the buckets do not depend on the order
// results arrive in, and memory is bounded by maxBuckets.
func (a *Aggregator) bucket(startNS int64) *sparseHist {
	idx := floorDiv(startNS, a.widthNS)
	if a.lastBkt != nil && idx == a.lastIdx {
		return a.lastBkt
	}
	if len(a.series) == 0 {
		a.seriesLo, a.seriesHi = idx, idx
	} else if idx < a.seriesLo || idx > a.seriesHi {
		a.seriesLo, a.seriesHi = min(a.seriesLo, idx), max(a.seriesHi, idx)
		if a.seriesTooWide() && a.widthNS <= math.MaxInt64/2 {
			a.coarsen()
			return a.bucket(startNS)
		}
	}
	b, ok := a.series[idx]
	if !ok {
		b = newSparseHist(seriesDigits)
		a.series[idx] = b
	}
	a.lastIdx, a.lastBkt = idx, b
	return b
}

// seriesTooWide reports whether the series spans more than maxBuckets
// buckets (or so many that the span overflows).
func (a *Aggregator) seriesTooWide() bool {
	span := a.seriesHi - a.seriesLo
	return span < 0 || span >= int64(a.maxBuckets)
}

// coarsen doubles the bucket width until the series' span fits maxBuckets.
func (a *Aggregator) coarsen() {
	for a.seriesTooWide() && a.widthNS <= math.MaxInt64/2 {
		a.widthNS *= 2
		a.seriesLo, a.seriesHi = floorDiv(a.seriesLo, 2), floorDiv(a.seriesHi, 2)
		next := make(map[int64]*sparseHist, len(a.series)/2+1)
		for idx, b := range a.series {
			n := floorDiv(idx, 2)
			if into, ok := next[n]; ok {
				into.merge(b)
			} else {
				next[n] = b
			}
		}
		a.series = next
	}
	a.lastBkt = nil
}

// liveEnd counts a completion in the live-rate ring.
func (a *Aggregator) liveEnd(endNS int64) {
	sec := floorDiv(endNS, int64(time.Second))
	a.minEnd = min(a.minEnd, sec)
	a.maxEnd = max(a.maxEnd, sec)
	if sec <= a.maxEnd-liveRing {
		return
	}
	s := &a.ring[sec&(liveRing-1)]
	if s.sec != sec {
		*s = liveSlot{sec: sec}
	}
	s.n++
}

// DefaultLiveWindow is the window of Live.Rate.
const DefaultLiveWindow = 5 * time.Second

// Live is a cheap snapshot for a progress line.
type Live struct {
	Requests  uint64        // results so far
	Errors    uint64        // results that are not success
	ErrorRate float64       // Errors / Requests
	P99       time.Duration // 99th percentile latency of all results so far
	// Rate is the completion rate in responses per second over the last
	// complete seconds (up to DefaultLiveWindow) of response end times.
	Rate float64
}

// LatencyHistogram returns a copy of the run-wide latency histogram of
// everything added so far: microseconds from HistogramLowestUS to
// HistogramHighestUS, HistogramDigits significant digits.
func (a *Aggregator) LatencyHistogram() *hdr.Histogram {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.hist.Clone()
}

// Snapshot returns the live figures. It is safe to call while results are
// being added.
func (a *Aggregator) Snapshot() Live {
	a.mu.Lock()
	defer a.mu.Unlock()
	l := Live{Requests: a.requests, Errors: a.requests - a.success}
	if a.requests == 0 {
		return l
	}
	l.ErrorRate = float64(l.Errors) / float64(a.requests)
	l.P99 = time.Duration(min(a.hist.ValueAtPercentile(99), micros(time.Duration(a.maxNS)))) * time.Microsecond
	k := min(int64(DefaultLiveWindow/time.Second), a.maxEnd-a.minEnd)
	if k > 0 {
		var n uint64
		for sec := a.maxEnd - k; sec < a.maxEnd; sec++ {
			if s := a.ring[sec&(liveRing-1)]; s.sec == sec {
				n += s.n
			}
		}
		l.Rate = float64(n) / float64(k)
	}
	return l
}

func codeString(c uint16) string {
	var b [5]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + c%10)
		c /= 10
		if c == 0 {
			break
		}
	}
	return string(b[i:])
}
