package reports

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"ccgw-harness/gateway"
	"ccgw-harness/results"
)

// StateVersion is the version of the State format. Aggregators merge
// only states of their own version: every shard of a distributed run runs
// the same ccgw.
const StateVersion = 1

// State is everything an Aggregator holds, as plain data that travels (as
// JSON) and merges: what a shard of a distributed run sends its
// coordinator. Merging the states of several aggregators into one
// (Aggregator.Merge) gives exactly the aggregator that would have seen
// all their results, so a report of the merged states equals the report
// of the results files read as one (the outcome of an Aggregator never
// depends on the order of its results).
//
// A live state (Full false) leaves out the per-agent, per-node and
// per-second figures: it is what the live progress, metrics and abort
// rules of a run need, at a fraction of the size. Histograms are sparse
// lists of bucket indexes and counts of the fixed geometry the aggregator
// uses for each (1 µs to 1 h, its digits), so both sides must run the same
// ccgw.
type State struct {
	Version     int  `json:"version"`
	Full        bool `json:"full"`
	FromPlanned bool `json:"from_planned,omitempty"`
	Partial     bool `json:"partial,omitempty"`

	Requests uint64    `json:"requests"`
	Success  uint64    `json:"success"`
	Contract uint64    `json:"contract,omitempty"`
	Lat      LatState  `json:"lat"` // the top level's latencies (N is Requests)
	Lag      HistState `json:"lag"` // schedule lag, µs
	LagN     uint64    `json:"lag_n,omitempty"`
	LagMaxUS int64     `json:"lag_max_us,omitempty"`

	HaveTime   bool  `json:"have_time,omitempty"`
	EarliestNS int64 `json:"earliest_ns,omitempty"`
	LatestNS   int64 `json:"latest_ns,omitempty"`
	LastEndNS  int64 `json:"last_end_ns,omitempty"`
	MinEndSec  int64 `json:"min_end_s,omitempty"`
	MaxEndSec  int64 `json:"max_end_s,omitempty"`
	// Ring is the completions of the last seconds (the live rate).
	Ring []RingState `json:"ring,omitempty"`

	Codes      CountState[uint16] `json:"codes"`
	Errors     CountState[string] `json:"errors"`
	Retcodes   CountState[string] `json:"retcodes"`
	Classes    CountState[string] `json:"classes"`
	Violations CountState[string] `json:"violations"`
	Attacks    CountState[string] `json:"attacks"`

	// Calls holds the figures of the calls other than the top level's, by
	// call name.
	Calls    map[string]CallState `json:"calls,omitempty"`
	Journeys JourneyState         `json:"journeys"`

	// Full states only.
	Series   *SeriesState        `json:"series,omitempty"`
	Agents   map[int]SparseState `json:"agents,omitempty"`
	AgentsX  int                 `json:"agents_refused,omitempty"`
	AgentsUn uint64              `json:"agents_unnamed,omitempty"`
	Nodes    map[int]SparseState `json:"nodes,omitempty"`
	NodesX   int                 `json:"nodes_refused,omitempty"`
}

// HistState is a histogram's non-empty buckets: the lowest value of each
// bucket (µs) and its count, in ascending order.
type HistState struct {
	V []int64 `json:"v,omitempty"`
	N []int64 `json:"n,omitempty"`
}

// LatState is an exact count, sum, minimum and maximum of latencies with
// their histogram (the top level's, a call's, the journeys' ready times).
type LatState struct {
	N     uint64    `json:"n"`
	SumLo uint64    `json:"sum_lo,omitempty"`
	SumHi uint64    `json:"sum_hi,omitempty"`
	MinNS int64     `json:"min_ns,omitempty"`
	MaxNS int64     `json:"max_ns,omitempty"`
	Hist  HistState `json:"hist"`
}

// SparseState is one small histogram of a second, agent or node.
type SparseState struct {
	Requests uint64    `json:"r"`
	Errors   uint64    `json:"e,omitempty"`
	MaxUS    int64     `json:"m"`
	Hist     HistState `json:"h"`
}

// CountState is a bounded counter: the kept keys' counts, what was counted
// beyond them, and how many distinct keys were refused.
type CountState[K cmp.Ordered] struct {
	Kept    map[K]uint64 `json:"kept,omitempty"`
	Other   uint64       `json:"other,omitempty"`
	Refused int          `json:"refused,omitempty"`
}

// RingState is one second of the live-rate ring.
type RingState struct {
	Sec int64  `json:"s"`
	N   uint64 `json:"n"`
}

// CallState is one call's figures.
type CallState struct {
	Errors   uint64             `json:"errors"`
	Lat      LatState           `json:"lat"`
	Retcodes CountState[string] `json:"retcodes"`
	Kinds    CountState[string] `json:"kinds"`
}

// SeriesState is a time series of small histograms in buckets of WidthNS
// aligned to the Unix epoch, spanning bucket indexes Lo to Hi.
type SeriesState struct {
	WidthNS int64                 `json:"width_ns"`
	Lo      int64                 `json:"lo"`
	Hi      int64                 `json:"hi"`
	Buckets map[int64]SparseState `json:"buckets,omitempty"`
}

// JourneyState is the journeys' figures.
type JourneyState struct {
	Started     uint64              `json:"started,omitempty"`
	Completed   uint64              `json:"completed,omitempty"`
	Failed      uint64              `json:"failed,omitempty"`
	Interrupted uint64              `json:"interrupted,omitempty"`
	FailedBy    *CountState[string] `json:"failed_by,omitempty"`
	Ready       LatState            `json:"ready"`
	HaveArr     bool                `json:"have_arr,omitempty"`
	ArrFirstNS  int64               `json:"arr_first_ns,omitempty"`
	ArrLastNS   int64               `json:"arr_last_ns,omitempty"`
	Lag         *HistState          `json:"lag,omitempty"`
	LagN        int64               `json:"lag_n,omitempty"`
	LagMaxUS    int64               `json:"lag_max_us,omitempty"`
	// Series is the ready series (full states only).
	Series *SeriesState `json:"series,omitempty"`
}

// State returns the aggregator's content; full adds the per-agent,
// per-node and per-second figures (what a report needs besides the live
// figures). It is safe while results are being added.
func (a *Aggregator) State(full bool) *State {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := &State{
		Version: StateVersion, Full: full, FromPlanned: a.fromPlanned, Partial: a.partial,
		Requests: a.requests, Success: a.success, Contract: a.contract,
		Lat: LatState{N: a.requests, SumLo: a.latSumLo, SumHi: a.latSumHi, MinNS: a.minNS, MaxNS: a.maxNS, Hist: denseState(a.hist)},
		Lag: denseState(a.lag), LagN: a.lagSamples, LagMaxUS: a.lagMaxUS,
		HaveTime: a.haveTime, EarliestNS: a.earliestNS, LatestNS: a.latestNS, LastEndNS: a.lastEnd,
		MinEndSec: a.minEnd, MaxEndSec: a.maxEnd,
		Codes: countState(a.codes), Errors: countState(a.errs), Retcodes: countState(a.retcodes),
		Classes: countState(a.classes), Violations: countState(a.violations), Attacks: countState(a.attacks),
	}
	for _, r := range a.ring {
		if r.n > 0 {
			s.Ring = append(s.Ring, RingState{Sec: r.sec, N: r.n})
		}
	}
	for i, c := range a.calls {
		if c == nil {
			continue
		}
		if s.Calls == nil {
			s.Calls = map[string]CallState{}
		}
		s.Calls[gateway.Calls[i]] = CallState{Errors: c.errors, Lat: c.lat.state(), Retcodes: countState(c.retcodes), Kinds: countState(c.kinds)}
	}
	j := &a.j
	s.Journeys = JourneyState{Started: j.started, Completed: j.completed, Failed: j.failed, Interrupted: j.interrupted,
		Ready: j.ready.state(), HaveArr: j.haveArr, ArrFirstNS: j.arrFirstNS, ArrLastNS: j.arrLast, LagN: j.lagSamples, LagMaxUS: j.lagMaxUS}
	if j.failedBy != nil {
		fb := countState(j.failedBy)
		s.Journeys.FailedBy = &fb
	}
	if j.lag != nil {
		l := denseState(j.lag)
		s.Journeys.Lag = &l
	}
	if !full {
		return s
	}
	s.Series = seriesState(a.series, a.seriesLo, a.seriesHi, a.widthNS)
	if j.series.m != nil {
		s.Journeys.Series = seriesState(j.series.m, j.series.lo, j.series.hi, j.series.width)
	}
	s.Agents, s.AgentsX, s.AgentsUn = sparseMap(a.agents.m), a.agents.refused, a.agentsUn
	s.Nodes, s.NodesX = sparseMap(a.nodes.m), a.nodes.refused
	return s
}

// Merge adds the figures of state s (another aggregator's) to a, as if a
// had seen that aggregator's results too. A live state merges its live
// figures only. The error names what does not fit: another version, a
// histogram bucket outside the geometry, latency measured another way.
func (a *Aggregator) Merge(s *State) error {
	if err := s.check(); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if s.FromPlanned != a.fromPlanned {
		return errors.New("state: latency counted from the planned send time on one side only: merge the states of one kind of run")
	}
	a.partial = a.partial || s.Partial
	if s.Requests > 0 {
		if a.requests == 0 || s.Lat.MinNS < a.minNS {
			a.minNS = s.Lat.MinNS
		}
		a.maxNS = max(a.maxNS, s.Lat.MaxNS)
	}
	a.requests += s.Requests
	a.success += s.Success
	a.contract += s.Contract
	a.latSumLo, a.latSumHi = add128(a.latSumLo, a.latSumHi, s.Lat.SumLo, s.Lat.SumHi)
	mergeDense(a.hist, s.Lat.Hist)
	mergeDense(a.lag, s.Lag)
	a.lagSamples += s.LagN
	a.lagMaxUS = max(a.lagMaxUS, s.LagMaxUS)
	if s.HaveTime {
		if !a.haveTime {
			a.haveTime = true
			a.earliestNS, a.latestNS, a.lastEnd = s.EarliestNS, s.LatestNS, s.LastEndNS
			a.minEnd, a.maxEnd = s.MinEndSec, s.MaxEndSec
		} else {
			a.earliestNS, a.latestNS = min(a.earliestNS, s.EarliestNS), max(a.latestNS, s.LatestNS)
			a.lastEnd = max(a.lastEnd, s.LastEndNS)
			a.minEnd, a.maxEnd = min(a.minEnd, s.MinEndSec), max(a.maxEnd, s.MaxEndSec)
		}
	}
	for _, r := range s.Ring {
		if r.Sec <= a.maxEnd-liveRing {
			continue
		}
		slot := &a.ring[r.Sec&(liveRing-1)]
		if slot.sec != r.Sec {
			*slot = liveSlot{sec: r.Sec}
		}
		slot.n += r.N
	}
	mergeCount(a.codes, s.Codes)
	mergeCount(a.errs, s.Errors)
	mergeCount(a.retcodes, s.Retcodes)
	mergeCount(a.classes, s.Classes)
	mergeCount(a.violations, s.Violations)
	mergeCount(a.attacks, s.Attacks)
	for name, cs := range s.Calls {
		ci := callIndex(name)
		c := a.calls[ci]
		if c == nil {
			c = newCallStats(a.maxKinds)
			a.calls[ci] = c
		}
		c.errors += cs.Errors
		c.lat.merge(cs.Lat)
		mergeCount(c.retcodes, cs.Retcodes)
		mergeCount(c.kinds, cs.Kinds)
	}
	a.mergeJourneys(&s.Journeys)
	if s.Series != nil {
		a.series, a.seriesLo, a.seriesHi, a.widthNS = mergeSeries(a.series, a.seriesLo, a.seriesHi, a.widthNS, s.Series, a.maxBuckets)
		a.lastBkt = nil
	}
	mergeSparseMap(a.agents, s.Agents, s.AgentsX, newAgentHist)
	a.agentsUn += s.AgentsUn
	mergeSparseMap(a.nodes, s.Nodes, s.NodesX, newNodeHist)
	return nil
}

// mergeJourneys adds a state's journey figures; the caller holds a.mu.
func (a *Aggregator) mergeJourneys(s *JourneyState) {
	j := &a.j
	j.started += s.Started
	j.completed += s.Completed
	j.failed += s.Failed
	j.interrupted += s.Interrupted
	if s.FailedBy != nil {
		if j.failedBy == nil {
			j.failedBy = newCounter[string](a.maxKinds)
		}
		mergeCount(j.failedBy, *s.FailedBy)
	}
	j.ready.merge(s.Ready)
	if s.HaveArr {
		if !j.haveArr {
			j.haveArr, j.arrFirstNS, j.arrLast = true, s.ArrFirstNS, s.ArrLastNS
		} else {
			j.arrFirstNS, j.arrLast = min(j.arrFirstNS, s.ArrFirstNS), max(j.arrLast, s.ArrLastNS)
		}
	}
	if s.Lag != nil {
		if j.lag == nil {
			j.lag = newLatencyHist(lagDigits)
		}
		mergeDense(j.lag, *s.Lag)
	}
	j.lagSamples += s.LagN
	j.lagMaxUS = max(j.lagMaxUS, s.LagMaxUS)
	if s.Series != nil && len(s.Series.Buckets) > 0 {
		if j.series.m == nil {
			j.series.m, j.series.width = map[int64]*sparseHist{}, int64(time.Second)
		}
		j.series.m, j.series.lo, j.series.hi, j.series.width = mergeSeries(j.series.m, j.series.lo, j.series.hi, j.series.width, s.Series, a.maxBuckets)
	}
}

// check validates a state before anything of it is merged: its version,
// and every histogram's buckets within the aggregator's range.
func (s *State) check() error {
	if s == nil {
		return errors.New("state: none")
	}
	if s.Version != StateVersion {
		return fmt.Errorf("state: version %d, this ccgw merges version %d: every shard must run the same ccgw", s.Version, StateVersion)
	}
	hists := []HistState{s.Lat.Hist, s.Lag, s.Journeys.Ready.Hist}
	if s.Journeys.Lag != nil {
		hists = append(hists, *s.Journeys.Lag)
	}
	for _, c := range s.Calls {
		hists = append(hists, c.Lat.Hist)
	}
	for _, m := range []map[int]SparseState{s.Agents, s.Nodes} {
		for _, h := range m {
			hists = append(hists, h.Hist)
		}
	}
	for _, ser := range []*SeriesState{s.Series, s.Journeys.Series} {
		if ser == nil {
			continue
		}
		if ser.WidthNS < int64(time.Second) || ser.Hi < ser.Lo {
			return fmt.Errorf("state: series of width %d ns spanning %d to %d: want a width of at least 1 s", ser.WidthNS, ser.Lo, ser.Hi)
		}
		for _, h := range ser.Buckets {
			hists = append(hists, h.Hist)
		}
	}
	for _, h := range hists {
		if err := h.check(); err != nil {
			return err
		}
	}
	return nil
}

// bucketValues holds, for each precision, the lowest value of every
// bucket of the aggregator's histograms, by counts index.
var bucketValues [HistogramDigits + 1]struct {
	once sync.Once
	v    []int64
}

// valuesOf returns the bucket values of the histograms of digits.
func valuesOf(digits int) []int64 {
	b := &bucketValues[digits]
	b.once.Do(func() {
		snap := newLatencyHist(digits).Export()
		for i := range snap.Counts {
			snap.Counts[i] = 1
		}
		bars := hdr.Import(snap).Distribution()
		b.v = make([]int64, len(bars))
		for i, bar := range bars {
			b.v[i] = bar.From
		}
	})
	return b.v
}

func (h HistState) check() error {
	if len(h.V) != len(h.N) {
		return fmt.Errorf("state: histogram of %d values and %d counts", len(h.V), len(h.N))
	}
	prev := int64(-1)
	for k, v := range h.V {
		if v <= prev || v > HistogramHighestUS || h.N[k] <= 0 {
			return fmt.Errorf("state: histogram bucket %d µs (count %d): want ascending values up to %d µs with positive counts", v, h.N[k], HistogramHighestUS)
		}
		prev = v
	}
	return nil
}

// denseState is a dense histogram's non-empty buckets.
func denseState(h *hdr.Histogram) HistState {
	if h == nil || h.TotalCount() == 0 {
		return HistState{}
	}
	vals := valuesOf(int(h.SignificantFigures()))
	var s HistState
	for i, c := range h.Export().Counts {
		if c > 0 {
			s.V = append(s.V, vals[i])
			s.N = append(s.N, c)
		}
	}
	return s
}

// mergeDense adds a histogram state to h: each bucket's count recorded at
// its value, which is that bucket in h.
func mergeDense(h *hdr.Histogram, s HistState) {
	for k, v := range s.V {
		_ = h.RecordValues(v, s.N[k])
	}
}

func (l *latStats) state() LatState {
	return LatState{N: l.n, SumLo: l.sumLo, SumHi: l.sumHi, MinNS: l.minNS, MaxNS: l.maxNS, Hist: denseState(l.hist)}
}

func (l *latStats) merge(s LatState) {
	if s.N == 0 {
		return
	}
	if l.hist == nil {
		l.hist = newLatencyHist(HistogramDigits)
	}
	if l.n == 0 || s.MinNS < l.minNS {
		l.minNS = s.MinNS
	}
	l.maxNS = max(l.maxNS, s.MaxNS)
	l.n += s.N
	l.sumLo, l.sumHi = add128(l.sumLo, l.sumHi, s.SumLo, s.SumHi)
	mergeDense(l.hist, s.Hist)
}

func add128(lo, hi, lo2, hi2 uint64) (uint64, uint64) {
	lo, carry := bits.Add64(lo, lo2, 0)
	return lo, hi + hi2 + carry
}

func countState[K cmp.Ordered](c *counter[K]) CountState[K] {
	s := CountState[K]{Other: c.other, Refused: c.b.refused}
	if len(c.b.m) > 0 {
		s.Kept = make(map[K]uint64, len(c.b.m))
		for k, p := range c.b.m {
			s.Kept[k] = *p
		}
	}
	return s
}

// mergeCount adds a counter state to c: its kept keys as if counted here
// (so c keeps the smallest keys of both), its other count, and its
// refusals.
func mergeCount[K cmp.Ordered](c *counter[K], s CountState[K]) {
	for _, k := range slices.Sorted(mapKeys(s.Kept)) {
		c.add(k, s.Kept[k])
	}
	c.other += s.Other
	c.b.refused += s.Refused
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// sparseState is a small histogram's content.
func (s *sparseHist) state() SparseState {
	st := SparseState{Requests: s.requests, Errors: s.errors, MaxUS: s.maxUS}
	n := s.h.Populated()
	if n == 0 {
		return st
	}
	st.Hist.V, st.Hist.N = make([]int64, 0, n), make([]int64, 0, n)
	s.h.ForEachBucket(func(v, c int64) bool {
		st.Hist.V = append(st.Hist.V, v)
		st.Hist.N = append(st.Hist.N, c)
		return true
	})
	return st
}

// mergeState adds a small histogram's state to s (of the state's
// precision).
func (s *sparseHist) mergeState(st SparseState) {
	s.requests += st.Requests
	s.errors += st.Errors
	s.maxUS = max(s.maxUS, st.MaxUS)
	for k, v := range st.Hist.V {
		_ = s.h.RecordValues(v, st.Hist.N[k])
	}
}

func sparseMap(m map[int]*sparseHist) map[int]SparseState {
	if len(m) == 0 {
		return nil
	}
	out := make(map[int]SparseState, len(m))
	for k, h := range m {
		out[k] = h.state()
	}
	return out
}

// mergeSparseMap adds per-key small histograms to b, keeping its bound (the
// smallest keys of both), and its refusals.
func mergeSparseMap(b *bounded[int, sparseHist], m map[int]SparseState, refused int, mk func() *sparseHist) {
	for _, k := range slices.Sorted(mapKeys(m)) {
		if h := b.at(k, mk); h != nil {
			h.mergeState(m[k])
		}
	}
	b.refused += refused
}

func seriesState(m map[int64]*sparseHist, lo, hi, width int64) *SeriesState {
	s := &SeriesState{WidthNS: max(width, int64(time.Second)), Lo: lo, Hi: hi}
	if len(m) == 0 {
		s.Lo, s.Hi = 0, 0
		return s
	}
	s.Buckets = make(map[int64]SparseState, len(m))
	for idx, h := range m {
		s.Buckets[idx] = h.state()
	}
	return s
}

// mergeSeries adds a series state to the series m (lo, hi, width) with at
// most limit buckets: both are brought to the wider width, the state's
// buckets merged in, and the result widened until its span fits the limit,
// as a series that had seen both sets of values would be.
func mergeSeries(m map[int64]*sparseHist, lo, hi, width int64, s *SeriesState, limit int) (map[int64]*sparseHist, int64, int64, int64) {
	if len(s.Buckets) == 0 {
		return m, lo, hi, width
	}
	if m == nil {
		m = map[int64]*sparseHist{}
	}
	if width <= 0 {
		width = int64(time.Second)
	}
	widen := func() {
		width *= 2
		lo, hi = floorDiv(lo, 2), floorDiv(hi, 2)
		next := make(map[int64]*sparseHist, len(m)/2+1)
		for i, h := range m {
			if into, ok := next[floorDiv(i, 2)]; ok {
				into.merge(h)
			} else {
				next[floorDiv(i, 2)] = h
			}
		}
		m = next
	}
	for width < s.WidthNS && width <= math.MaxInt64/2 {
		widen()
	}
	ratio := width / s.WidthNS
	for idx, st := range s.Buckets {
		i := floorDiv(idx, ratio)
		if len(m) == 0 {
			lo, hi = i, i
		}
		lo, hi = min(lo, i), max(hi, i)
		h, ok := m[i]
		if !ok {
			h = newSparseHist(seriesDigits)
			m[i] = h
		}
		h.mergeState(st)
	}
	for (hi-lo < 0 || hi-lo >= int64(limit)) && width <= math.MaxInt64/2 {
		widen()
	}
	return m, lo, hi, width
}

// Results is the number of results the aggregator of the state counted:
// its top level (logininfo and foreign results) and every other call.
func (s *State) Results() uint64 {
	n := s.Requests
	for name, c := range s.Calls {
		if !results.IsTopLevel(name) {
			n += c.Lat.N
		}
	}
	return n
}

// FirstSend is the earliest send of the top level's results (the measured
// requests); zero when there are none.
func (s *State) FirstSend() time.Time {
	if !s.HaveTime || s.Requests == 0 {
		return time.Time{}
	}
	return time.Unix(0, s.EarliestNS).UTC()
}

// Window is what the top level of one or more aggregators counted between
// two of their states each: the requests, how many failed, and their
// latencies. It is how a run judges its last seconds (abort_when).
type Window struct {
	Requests, Errors uint64
	hist             *hdr.Histogram
}

// Add adds what an aggregator counted from state then (nil: from its
// start) to state now.
func (w *Window) Add(now, then *State) {
	if now == nil {
		return
	}
	var r0, ok0 uint64
	var h0 HistState
	if then != nil {
		r0, ok0, h0 = then.Requests, then.Success, then.Lat.Hist
	}
	if now.Requests < r0 || now.Success < ok0 {
		return // not two states of one aggregator
	}
	w.Requests += now.Requests - r0
	w.Errors += (now.Requests - now.Success) - min(now.Requests-now.Success, r0-ok0)
	if w.hist == nil {
		w.hist = newLatencyHist(HistogramDigits)
	}
	// Both lists ascend: subtract then's buckets from now's.
	k := 0
	for i, v := range now.Lat.Hist.V {
		n := now.Lat.Hist.N[i]
		for k < len(h0.V) && h0.V[k] < v {
			k++
		}
		if k < len(h0.V) && h0.V[k] == v {
			n -= h0.N[k]
		}
		if n > 0 {
			_ = w.hist.RecordValues(v, n)
		}
	}
}

// ErrorRate is the share of the window's requests that failed (0 without
// requests).
func (w *Window) ErrorRate() float64 {
	if w.Requests == 0 {
		return 0
	}
	return float64(w.Errors) / float64(w.Requests)
}

// Percentile is the window's latency at percentile p (0-100), within the
// histogram's precision (0 without requests).
func (w *Window) Percentile(p float64) time.Duration {
	if w.hist == nil || w.hist.TotalCount() == 0 {
		return 0
	}
	return time.Duration(w.hist.ValueAtPercentile(p)) * time.Microsecond
}
