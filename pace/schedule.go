package pace

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// segment is one piece of a piecewise-linear rate schedule: for Duration the
// rate moves linearly from From to To requests per second (From == To is a
// constant rate).
type segment struct {
	Duration time.Duration
	From, To float64
}

// maxSegments bounds the pieces of a schedule (a sine plan is approximated
// by short linear pieces; longer plans use longer pieces).
const maxSegments = 100000

// seg is a segment with its position in the schedule.
type seg struct {
	start  float64 // seconds from the start
	dur    float64 // seconds
	r0, r1 float64 // hits/s at start and end
	h0     float64 // hits planned before start
	hits   float64 // hits planned within
}

// Schedule is an open-model Pacer: hit n is sent when the integral of the
// rate reaches n, so a constant rate R sends hit n at n/R seconds, and a
// plan sends exactly ceil(integral over its duration) hits. A shard's part
// of a schedule (Split) is a Schedule too: it sends the plan's hits
// first, first+every, first+2·every... at their planned times.
type Schedule struct {
	segs  []seg
	total time.Duration
	hits  uint64 // the hits this schedule sends (a shard's: its part)
	desc  string
	// first and every place a shard's hits among the plan's: its hit k is
	// the plan's hit first + k·every (every is 1 for a whole plan).
	first, every uint64
	planHits     uint64 // the whole plan's hits
}

// newSchedule builds a schedule from its segments. Rates must be finite and
// not negative, durations positive, and some rate above zero.
func newSchedule(desc string, segments ...segment) (*Schedule, error) {
	if len(segments) == 0 {
		return nil, fmt.Errorf("rate schedule: no segments")
	}
	if len(segments) > maxSegments {
		return nil, fmt.Errorf("rate schedule: %d segments, at most %d", len(segments), maxSegments)
	}
	s := &Schedule{desc: desc, segs: make([]seg, 0, len(segments)), every: 1}
	var at, h float64
	for i, g := range segments {
		if g.Duration <= 0 {
			return nil, fmt.Errorf("rate schedule: segment %d: duration %s must be above 0", i, g.Duration)
		}
		for _, r := range []float64{g.From, g.To} {
			if math.IsNaN(r) || math.IsInf(r, 0) || r < 0 {
				return nil, fmt.Errorf("rate schedule: segment %d: rate %v must be a finite number >= 0", i, r)
			}
		}
		d := g.Duration.Seconds()
		hits := (g.From + g.To) / 2 * d
		s.segs = append(s.segs, seg{start: at, dur: d, r0: g.From, r1: g.To, h0: h, hits: hits})
		at += d
		h += hits
		s.total += g.Duration
	}
	if h <= 0 {
		return nil, fmt.Errorf("rate schedule: plans no request (every rate is 0)")
	}
	// Allow for float error: 200/s for 5s is 1000 hits, not 1001.
	s.hits = uint64(math.Ceil(h - 1e-6))
	s.planHits = s.hits
	return s, nil
}

// Planned returns the offset from the attack's start at which hit n
// (0-based) was planned: how late the generator sent it is measured from
// there (X-Ccgw-Lag-Us).
func (s *Schedule) Planned(n uint64) time.Duration {
	return time.Duration(s.at(float64(s.first+n*s.every)) * 1e9)
}

// at returns the time in seconds at which the cumulative hits reach x.
func (s *Schedule) at(x float64) float64 {
	// The last segment whose h0 <= x and which plans hits.
	i := sort.Search(len(s.segs), func(i int) bool { return s.segs[i].h0 > x }) - 1
	for i > 0 && s.segs[i].hits == 0 {
		i--
	}
	if i < 0 {
		i = 0
	}
	g := &s.segs[i]
	dx := x - g.h0
	if dx <= 0 {
		return g.start
	}
	if dx >= g.hits {
		return g.start + g.dur
	}
	k := (g.r1 - g.r0) / g.dur
	if k == 0 {
		return g.start + dx/g.r0
	}
	// r0 t + k t²/2 = dx, in the form that is stable for k of either sign.
	disc := g.r0*g.r0 + 2*k*dx
	if disc < 0 {
		disc = 0
	}
	den := g.r0 + math.Sqrt(disc)
	if den <= 0 {
		return g.start + g.dur
	}
	t := 2 * dx / den
	if t > g.dur {
		t = g.dur
	}
	return g.start + t
}

// TimerSlack is how much earlier than a hit's planned time the pacer asks
// vegeta to wake up. Go's timers on Linux overshoot by up to about 1 ms when
// the process is otherwise idle (the runtime's netpoll waits have
// millisecond granularity, golang/go#53824), so a plain sleep sends every
// hit 0 to 1 ms late. Waking TimerSlack early centres that error: hits go out
// within about ±TimerSlack of their planned time, the schedule (and so the
// number of hits and the achieved rate) is unchanged, and the lag each
// result records is the generator's own lateness rather than the timer's.
const TimerSlack = 500 * time.Microsecond

// Pace implements vegeta.Pacer: wait until hit number hits is due (less
// TimerSlack); stop after the schedule's last hit.
func (s *Schedule) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if hits >= s.hits {
		return 0, true
	}
	if wait := s.Planned(hits) - elapsed - TimerSlack; wait > 0 {
		return wait, false
	}
	return 0, false
}

// Rate implements vegeta.Pacer: the planned rate at elapsed (a shard's
// share of it).
func (s *Schedule) Rate(elapsed time.Duration) float64 {
	t := elapsed.Seconds()
	i := sort.Search(len(s.segs), func(i int) bool { return s.segs[i].start > t }) - 1
	if i < 0 || t >= s.total.Seconds() {
		return 0
	}
	g := s.segs[i]
	return (g.r0 + (g.r1-g.r0)*(t-g.start)/g.dur) / float64(s.every)
}

// Duration implements Pacer: the plan's length.
func (s *Schedule) Duration() time.Duration { return s.total }

// Hits is the number of hits the schedule sends.
func (s *Schedule) Hits() uint64 { return s.hits }

// MeanRate is the planned hits divided by the duration: the rate the run
// requested.
func (s *Schedule) MeanRate() float64 { return float64(s.hits) / s.total.Seconds() }

// PeakRate is the highest rate of the schedule (a shard's share of it).
func (s *Schedule) PeakRate() float64 {
	peak := 0.0
	for _, g := range s.segs {
		peak = math.Max(peak, math.Max(g.r0, g.r1))
	}
	return peak / float64(s.every)
}

// sharded reports whether the schedule is a shard's part of a plan's.
func (s *Schedule) sharded() bool { return s.every > 1 }

// String describes the schedule for the summary ("constant 200/s for 5s";
// a shard's: "..., shard 1/3: 200 of 600 requests").
func (s *Schedule) String() string {
	if s.sharded() {
		return fmt.Sprintf("%s, shard %d/%d: %d of %d requests", s.desc, s.first, s.every, s.hits, s.planHits)
	}
	return s.desc
}

// warmup is Warmup of a schedule: its mean rate for d; a shard's part of
// the plan's warm-up.
func (s *Schedule) warmup(d time.Duration) (Pacer, error) {
	if !s.sharded() {
		return Constant(s.MeanRate(), d)
	}
	w, err := Constant(float64(s.planHits)/s.total.Seconds(), d)
	if err != nil {
		return nil, err
	}
	if w.Hits() < s.every {
		// A warm-up too short to give every shard a hit: the shard's
		// share of the mean rate instead (at least one hit).
		return Constant(max(s.MeanRate(), 1/d.Seconds()), d)
	}
	return Split(w, Shard{Index: int(s.first), Count: int(s.every)})
}

// Capped returns the schedule with every rate limited to max requests per
// second (linear ramps that cross max are split where they cross it), and
// whether anything was cut. max <= 0 means no cap. A shard's schedule is
// not capped again.
func (s *Schedule) Capped(max float64) (*Schedule, bool, error) {
	if max <= 0 || s.sharded() || s.PeakRate() <= max {
		return s, false, nil
	}
	var out []segment
	for _, g := range s.segs {
		out = append(out, capSegment(g, max)...)
	}
	c, err := newSchedule(s.desc+fmt.Sprintf(", capped at %s/s", formatRate(max)), out...)
	return c, true, err
}

// capSegment clamps one linear piece at max, splitting it where it crosses.
func capSegment(g seg, max float64) []segment {
	dur := func(sec float64) time.Duration { return time.Duration(math.Round(sec * 1e9)) }
	whole := segment{Duration: dur(g.dur), From: math.Min(g.r0, max), To: math.Min(g.r1, max)}
	if (g.r0 <= max && g.r1 <= max) || (g.r0 >= max && g.r1 >= max) {
		return []segment{whole}
	}
	cross := (max - g.r0) / (g.r1 - g.r0) * g.dur // 0 < cross < dur
	a, b := dur(cross), dur(g.dur)-dur(cross)
	if a <= 0 || b <= 0 {
		return []segment{whole}
	}
	if g.r0 < max { // rising through the cap
		return []segment{{Duration: a, From: g.r0, To: max}, {Duration: b, From: max, To: max}}
	}
	return []segment{{Duration: a, From: max, To: max}, {Duration: b, From: max, To: g.r1}}
}

// Constant is a constant rate for a duration.
func Constant(rate float64, d time.Duration) (*Schedule, error) {
	return newSchedule(fmt.Sprintf("constant %s/s for %s", formatRate(rate), d), segment{Duration: d, From: rate, To: rate})
}

// Stage is one stage of a staged plan: Rate for Duration, reached by a linear
// ramp of Ramp from the previous stage's rate (from 0 for the first stage);
// a zero Ramp steps at once.
type Stage struct {
	Rate     float64
	Duration time.Duration
	Ramp     time.Duration
}

// Stages builds a staged schedule. A stage's ramp is part of its duration
// (Ramp must not exceed Duration).
func Stages(stages ...Stage) (*Schedule, error) {
	if len(stages) == 0 {
		return nil, fmt.Errorf("stages: none given")
	}
	var segs []segment
	var desc []string
	prev := 0.0
	for i, st := range stages {
		if st.Ramp < 0 || st.Ramp > st.Duration {
			return nil, fmt.Errorf("stages[%d]: ramp %s must be between 0 and the stage's duration %s", i, st.Ramp, st.Duration)
		}
		if st.Ramp > 0 {
			segs = append(segs, segment{Duration: st.Ramp, From: prev, To: st.Rate})
		}
		if rest := st.Duration - st.Ramp; rest > 0 {
			segs = append(segs, segment{Duration: rest, From: st.Rate, To: st.Rate})
		}
		if st.Ramp > 0 {
			desc = append(desc, fmt.Sprintf("%s/s for %s (ramp %s)", formatRate(st.Rate), st.Duration, st.Ramp))
		} else {
			desc = append(desc, fmt.Sprintf("%s/s for %s", formatRate(st.Rate), st.Duration))
		}
		prev = st.Rate
	}
	return newSchedule("stages "+strings.Join(desc, ", "), segs...)
}

// sineStepsPerPeriod is how finely a sine plan is cut into linear pieces.
const sineStepsPerPeriod = 360

// Sine is a rate mean + amplitude·sin(2πt/period) for a duration, starting at
// the mean and rising. The amplitude must not exceed the mean. It is
// approximated by linear pieces of a degree of phase each (coarser when the
// plan would need more than maxSegments pieces).
func Sine(mean, amplitude float64, period, d time.Duration) (*Schedule, error) {
	if period <= 0 || d <= 0 {
		return nil, fmt.Errorf("sine: period %s and duration %s must be above 0", period, d)
	}
	if mean <= 0 || amplitude < 0 || amplitude > mean {
		return nil, fmt.Errorf("sine: want mean > 0 and 0 <= amplitude <= mean, got mean %v amplitude %v", mean, amplitude)
	}
	step := period / sineStepsPerPeriod
	if n := int64(d / step); n >= maxSegments {
		step = d/maxSegments + 1
	}
	if step <= 0 {
		step = 1
	}
	rate := func(t time.Duration) float64 {
		return mean + amplitude*math.Sin(2*math.Pi*t.Seconds()/period.Seconds())
	}
	var segs []segment
	for t := time.Duration(0); t < d; t += step {
		end := min(t+step, d)
		segs = append(segs, segment{Duration: end - t, From: rate(t), To: rate(end)})
	}
	return newSchedule(fmt.Sprintf("sine %s±%s/s period %s for %s", formatRate(mean), formatRate(amplitude), period, d), segs...)
}
