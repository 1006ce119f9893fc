package load

import (
	"fmt"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/pace"
)

// JourneyPlan is a journey plan resolved against its target, before
// anything runs: when each journey starts, how long it may keep its agent,
// and how many agents that needs at the most.
type JourneyPlan struct {
	// Journeys is the number of journeys the arrival schedule starts.
	Journeys uint64
	// Hold and Repeat are the plan's (see config.Journey).
	Hold, Repeat time.Duration
	// Busy is the longest an agent may be taken by one journey: the hold,
	// plus the event poll under way when the hold ends (at most the
	// target's poll wait), plus its sign-in and its sign-out (each at most
	// the plan's per-request timeout). The agent is free again only after
	// its sign-out: sign-in and sign-out of one agent never overlap.
	Busy time.Duration
	// PeakAgents is the largest number of journeys whose busy windows
	// [arrival, arrival+Busy) overlap, from the exact arrival schedule: the
	// agents the plan needs.
	PeakAgents int
	// LoginInfos is the number of logininfo calls a journey that completes
	// makes: 1 + floor(Hold/Repeat) (1 without repeat).
	LoginInfos int
	// arrivals is when the journeys start: the plan's schedule.
	arrivals *pace.Schedule
}

// maxPlannedJourneys bounds a journey plan (each journey is a goroutine and
// a connection or two while it holds).
const maxPlannedJourneys = 10_000_000

// PlanJourneys resolves plan p's journey block against the arrival
// schedule s (the plan's pacer) and target t, and checks that the plan has
// the agents its overlapping journeys need; the error names the numbers.
func PlanJourneys(p *config.Plan, pc pace.Pacer, t *config.Target, agents int) (*JourneyPlan, error) {
	if p.Journey == nil {
		return nil, fmt.Errorf("plan %s has no journey block", p.Name)
	}
	s, ok := pc.(*pace.Schedule)
	if !ok || s.Hits() == 0 {
		return nil, fmt.Errorf("plan %s: a journey plan is an open model: give it rate+duration, stages or sine (journeys start on schedule, whatever earlier ones do), not concurrency", p.Name)
	}
	if s.Hits() > maxPlannedJourneys {
		return nil, fmt.Errorf("plan %s starts %d journeys, at most %d", p.Name, s.Hits(), maxPlannedJourneys)
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = config.DefaultTimeout
	}
	jp := &JourneyPlan{Journeys: s.Hits(), Hold: p.Journey.Hold, Repeat: p.Journey.Repeat,
		Busy: p.Journey.Hold + t.PollWait + 2*timeout, LoginInfos: 1, arrivals: s}
	if jp.Repeat > 0 {
		jp.LoginInfos += int(jp.Hold / jp.Repeat)
	}
	jp.PeakAgents = peakOverlap(s, jp.Busy)
	if jp.PeakAgents > agents {
		return nil, fmt.Errorf("plan %s needs %d agents but has %d: up to %d of its %d journeys (%s) overlap, each keeping its agent up to %s "+
			"(hold %s + poll wait %s + sign-in and sign-out at most %s each); raise agents to %d (the target must have them), shorten hold or lower the rate",
			p.Name, jp.PeakAgents, agents, jp.PeakAgents, jp.Journeys, s, jp.Busy, jp.Hold, t.PollWait, timeout, jp.PeakAgents)
	}
	return jp, nil
}

// peakOverlap is the largest number of windows [Planned(n), Planned(n)+w)
// open at once, by a sliding window over the (sorted) arrival times.
func peakOverlap(s *pace.Schedule, w time.Duration) int {
	n := s.Hits()
	peak, lo := 0, uint64(0)
	for hi := uint64(0); hi < n; hi++ {
		at := s.Planned(hi)
		for {
			start := s.Planned(lo)
			if start+w > at {
				break
			}
			lo++
		}
		peak = max(peak, int(hi-lo+1))
	}
	return peak
}
