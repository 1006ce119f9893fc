package reports

import (
	"math"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/gateway"
	"ccgw-harness/results"
	"ccgw-harness/slo"
)

// JourneyReport is report.json's `journeys`: the agents' journeys of a
// journey plan (sign-in, logininfo, keep-alive polls and repeated
// logininfo for the hold, sign-out). All zero for other plans.
type JourneyReport struct {
	// Planned is the number of journeys the plan schedules (from meta.json).
	Planned int `json:"planned"`
	// Started counts the journeys whose sign-in was sent; each ended as
	// completed, failed or interrupted.
	Started     uint64 `json:"started"`
	Completed   uint64 `json:"completed"`
	Failed      uint64 `json:"failed"`
	Interrupted uint64 `json:"interrupted"`
	// FailedBy counts the failed journeys by the call and verdict that ended
	// them: "signin retcode 100-004", "logininfo timeout", "poll retcode
	// 100-006"...
	FailedBy map[string]uint64 `json:"failed_by"`
	// Ready counts the journeys that got a valid token; ReadyMS is their
	// time from sending the sign-in to receiving the first valid token (time
	// to softphone-ready).
	Ready   uint64    `json:"ready"`
	ReadyMS Latencies `json:"ready_ms"`
	// Rate is in journeys started per second: requested by the plan, and
	// achieved (journeys started over the span of their sign-ins).
	Rate Rates `json:"rate"`
	// HoldS and RepeatS are the plan's hold and repeat in seconds.
	HoldS   float64 `json:"hold_s"`
	RepeatS float64 `json:"repeat_s"`
	// ReadySeries is time to ready over time, by the second (or wider
	// buckets for long runs) in which the journeys started.
	ReadySeries      []ReadyPoint `json:"ready_series"`
	ReadySeriesStepS float64      `json:"ready_series_step_s"`
}

// ReadyPoint is one bucket of the ready series.
type ReadyPoint struct {
	T        float64 `json:"t"`        // bucket start, seconds after the first bucket
	Journeys uint64  `json:"journeys"` // journeys started in the bucket that got ready
	P50MS    float64 `json:"p50_ms"`
	P99MS    float64 `json:"p99_ms"`
}

// journeyStats accumulates the journey figures.
type journeyStats struct {
	started, completed, failed, interrupted uint64
	failedBy                                *counter[string]
	ready                                   latStats
	series                                  buckets

	// arrivals: the journeys' sign-ins, their send span and schedule lag
	haveArr              bool
	arrFirstNS, arrLast  int64
	lag                  *hdr.Histogram
	lagSamples, lagMaxUS int64
}

// journeyMarks counts what a result says about its journey; the caller
// holds a.mu. call and v are the result's call and verdict.
func (a *Aggregator) journeyMarks(r *vegeta.Result, call gateway.Call, v gateway.Verdict) {
	j := &a.j
	if _, ok := r.Headers[results.HeaderJourney]; ok && call == gateway.CallSignIn {
		j.started++
		ns := r.Timestamp.UnixNano()
		if !j.haveArr {
			j.haveArr, j.arrFirstNS, j.arrLast = true, ns, ns
		} else {
			j.arrFirstNS, j.arrLast = min(j.arrFirstNS, ns), max(j.arrLast, ns)
		}
		if lagUS, ok := headerInt(r.Headers, results.HeaderLagUs); ok {
			if j.lag == nil {
				j.lag = newLatencyHist(lagDigits)
			}
			lagUS = min(max(lagUS, 0), HistogramHighestUS)
			j.lagSamples++
			j.lagMaxUS = max(j.lagMaxUS, lagUS)
			_ = j.lag.RecordValue(lagUS)
		}
	}
	if vs := r.Headers[results.HeaderJourneyEnd]; len(vs) > 0 {
		switch vs[0] {
		case results.JourneyCompleted:
			j.completed++
		case results.JourneyFailed:
			j.failed++
			if j.failedBy == nil {
				j.failedBy = newCounter[string](a.maxKinds)
			}
			j.failedBy.add(boundKey(call+" "+v.Key()), 1)
		case results.JourneyInterrupted:
			j.interrupted++
		}
	}
	if us, ok := headerInt(r.Headers, results.HeaderReadyUs); ok && us >= 0 {
		d := time.Duration(min(us, HistogramHighestUS)) * time.Microsecond
		j.ready.add(d)
		startNS := r.Timestamp.UnixNano() + int64(r.Latency) - int64(d)
		j.series.at(startNS, a.maxBuckets).add(micros(d), true)
	}
}

// journeyReport returns report.json's `journeys`; the caller holds a.mu.
func (a *Aggregator) journeyReport(m results.Meta) JourneyReport {
	j := &a.j
	jr := JourneyReport{
		Planned: m.Journeys, Started: j.started, Completed: j.completed, Failed: j.failed, Interrupted: j.interrupted,
		FailedBy: map[string]uint64{}, Ready: j.ready.n, ReadyMS: j.ready.latencies(),
		HoldS: round(m.JourneyHold.Seconds(), 6), RepeatS: round(m.JourneyRepeat.Seconds(), 6),
	}
	if j.failedBy != nil {
		jr.FailedBy = j.failedBy.stringMap(identity, OtherKey)
	}
	jr.Rate.Requested = round(max(m.JourneyRate, 0), 3)
	if j.started > 0 {
		jr.Rate.Achieved = float64(j.started)
		if span := j.arrLast - j.arrFirstNS; span > 0 {
			jr.Rate.Achieved /= float64(span) / 1e9
		}
		jr.Rate.Achieved = round(jr.Rate.Achieved, 3)
	}
	jr.ReadySeries, jr.ReadySeriesStepS = j.series.points()
	return jr
}

// journeySaturation is the generator check of a journey run: whether the
// journeys started on their schedule (their sign-ins' lag against the
// planned arrival times) and at the planned rate.
func (a *Aggregator) journeySaturation(m results.Meta, o slo.Objectives) Saturation {
	j := &a.j
	var span time.Duration
	if j.haveArr {
		span = time.Duration(j.arrLast - j.arrFirstNS)
	}
	return saturationOf(j.lag, uint64(j.lagSamples), j.lagMaxUS, j.started, span, m.JourneyRate, o, true)
}

// isJourneyRun reports whether the figures are a journey run's.
func (a *Aggregator) isJourneyRun(m results.Meta) bool { return m.JourneyRate > 0 || a.j.started > 0 }

// buckets is a time series of sparse histograms in buckets aligned to the
// Unix epoch, widened (doubled) whenever it would span more than its
// bound, so its memory is bounded and its content does not depend on the
// order values arrive in.
type buckets struct {
	m      map[int64]*sparseHist
	lo, hi int64
	width  int64 // ns; 0 until the first value (then 1 s)
}

// at returns the bucket of time ns, widening the series to at most limit
// buckets.
func (b *buckets) at(ns int64, limit int) *sparseHist {
	if b.m == nil {
		b.m, b.width = map[int64]*sparseHist{}, int64(time.Second)
	}
	idx := floorDiv(ns, b.width)
	if len(b.m) == 0 {
		b.lo, b.hi = idx, idx
	}
	b.lo, b.hi = min(b.lo, idx), max(b.hi, idx)
	for (b.hi-b.lo < 0 || b.hi-b.lo >= int64(limit)) && b.width <= math.MaxInt64/2 {
		b.width *= 2
		b.lo, b.hi = floorDiv(b.lo, 2), floorDiv(b.hi, 2)
		next := make(map[int64]*sparseHist, len(b.m)/2+1)
		for i, h := range b.m {
			if into, ok := next[floorDiv(i, 2)]; ok {
				into.merge(h)
			} else {
				next[floorDiv(i, 2)] = h
			}
		}
		b.m = next
		idx = floorDiv(ns, b.width)
	}
	h, ok := b.m[idx]
	if !ok {
		h = newSparseHist(seriesDigits)
		b.m[idx] = h
	}
	return h
}

// points returns every bucket from the first to the last and the width in
// seconds.
func (b *buckets) points() ([]ReadyPoint, float64) {
	if len(b.m) == 0 {
		return []ReadyPoint{}, 1
	}
	step := float64(b.width) / 1e9
	pts := make([]ReadyPoint, 0, b.hi-b.lo+1)
	for idx := b.lo; idx <= b.hi; idx++ {
		p := ReadyPoint{T: round(float64(idx-b.lo)*step, 6)}
		if h, ok := b.m[idx]; ok {
			p.Journeys, p.P50MS, p.P99MS = h.requests, h.quantileMS(50), h.quantileMS(99)
		}
		pts = append(pts, p)
	}
	return pts, step
}
