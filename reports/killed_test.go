package reports

import (
	"strings"
	"testing"
	"time"

	"ccgw-harness/results"
)

func TestUnfinishedJourneys(t *testing.T) {
	for _, c := range []struct {
		name string
		j    JourneyReport
		meta results.Meta
		want uint64
	}{
		{"every journey ended", JourneyReport{Started: 10, Completed: 7, Failed: 2, Interrupted: 1}, results.Meta{}, 0},
		{"three without an outcome", JourneyReport{Started: 10, Completed: 6, Failed: 1}, results.Meta{}, 3},
		{"interrupted run", JourneyReport{Started: 10, Completed: 6}, results.Meta{Interrupted: true}, 0},
		{"no journeys", JourneyReport{}, results.Meta{}, 0},
	} {
		if got := UnfinishedJourneys(&Report{Journeys: c.j}, c.meta); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

func TestEndedEarly(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rep := func(end time.Duration) *Report {
		return &Report{Requests: 100, Earliest: start.Add(time.Second), End: start.Add(end)}
	}
	plan := results.Meta{PlannedDuration: time.Minute, Started: start}
	for _, c := range []struct {
		name string
		r    *Report
		meta results.Meta
		want time.Duration
	}{
		{"ran to the end", rep(time.Minute), plan, 0},
		{"within the grace (3 s of a minute)", rep(57 * time.Second), plan, 0},
		{"killed at 20 s", rep(20 * time.Second), plan, 40 * time.Second},
		{"grace of a long plan is 5 %", rep(9*time.Minute + 40*time.Second), results.Meta{PlannedDuration: 10 * time.Minute, Started: start}, 0},
		{"no start recorded: from the earliest send", rep(21 * time.Second), results.Meta{PlannedDuration: time.Minute}, 40 * time.Second},
		{"interrupted", rep(20 * time.Second), results.Meta{PlannedDuration: time.Minute, Started: start, Interrupted: true}, 0},
		{"aborted", rep(20 * time.Second), results.Meta{PlannedDuration: time.Minute, Started: start, Aborted: "p99 broke"}, 0},
		{"no planned length", rep(20 * time.Second), results.Meta{Started: start}, 0},
		{"no results", &Report{}, plan, 0},
	} {
		if got := EndedEarly(c.r, c.meta); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

func TestKilledWarning(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	plan := results.Meta{PlannedDuration: time.Minute, Started: start}
	short := &Report{Requests: 100, Earliest: start, End: start.Add(20 * time.Second)}
	if w := KilledWarning(short, plan); !strings.HasPrefix(w, "the results end 40s before the planned end (1m0s from the start) and meta.json records no interruption: the run was probably killed") {
		t.Errorf("a run killed at 20 s of 1m: %q", w)
	}
	journeys := &Report{Requests: 100, Earliest: start, End: start.Add(20 * time.Second), Journeys: JourneyReport{Started: 5, Completed: 3}}
	if w := KilledWarning(journeys, plan); !strings.HasPrefix(w, "2 of 5 journeys have no outcome and meta.json records no interruption") {
		t.Errorf("a journey run killed mid-journey: %q", w)
	}
	// A journey run whose every journey ended is not judged by its length:
	// its journeys, not a rate, make its results.
	journeys.Journeys.Completed = 5
	if w := KilledWarning(journeys, plan); w != "" {
		t.Errorf("a journey run with every journey ended: %q, want none", w)
	}
	if w := KilledWarning(&Report{Requests: 100, Earliest: start, End: start.Add(time.Minute)}, plan); w != "" {
		t.Errorf("a whole run: %q, want none", w)
	}
}
