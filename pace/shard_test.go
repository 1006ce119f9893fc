package pace_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/pace"
)

func TestParseShard(t *testing.T) {
	for in, want := range map[string]pace.Shard{"0/3": {0, 3}, "2/3": {2, 3}, " 0/1 ": {0, 1}, "999/1000": {999, 1000}} {
		got, err := pace.ParseShard(in)
		if err != nil || got != want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, why := range map[string]string{
		"3":      "want I/N",
		"3/3":    "index 3",
		"-1/3":   "index -1",
		"0/0":    "count 0",
		"a/3":    "whole numbers",
		"0/1001": "count 1001",
		"1/":     "whole numbers",
	} {
		if _, err := pace.ParseShard(in); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("ParseShard(%q) = %v, want an error saying %q", in, err, why)
		}
	}
}

func TestShardAgentsDisjoint(t *testing.T) {
	all := make([]config.Agent, 10)
	for i := range all {
		all[i] = config.Agent{ID: 1001 + i}
	}
	seen := map[int]int{}
	for i := range 3 {
		got, err := pace.Shard{Index: i, Count: 3}.Agents(all)
		if err != nil {
			t.Fatal(err)
		}
		for k, a := range got {
			if want := all[i+3*k].ID; a.ID != want {
				t.Errorf("shard %d agent %d = %d, want %d (agent k goes to shard k mod N)", i, k, a.ID, want)
			}
			seen[a.ID]++
		}
	}
	if len(seen) != len(all) {
		t.Errorf("shards cover %d agents, want all %d", len(seen), len(all))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("agent %d is in %d shards", id, n)
		}
	}
	if got, _ := (pace.Shard{}).Agents(all); len(got) != len(all) {
		t.Errorf("unsharded run gets %d agents, want %d", len(got), len(all))
	}
	if _, err := (pace.Shard{Index: 0, Count: 11}).Agents(all); err == nil || !strings.Contains(err.Error(), "10 agents cannot be split over 11 shards") {
		t.Errorf("too few agents: %v", err)
	}
}

// TestShardPacerUnion: for every shape the shards' schedules together are
// exactly the plan's: the same number of hits, at the same planned times.
func TestShardPacerUnion(t *testing.T) {
	constant, _ := pace.Constant(333, 3*time.Second)
	stages, _ := pace.Stages(pace.Stage{Rate: 100, Duration: 2 * time.Second, Ramp: time.Second}, pace.Stage{Rate: 40, Duration: time.Second, Ramp: 500 * time.Millisecond})
	sine, _ := pace.Sine(100, 60, time.Second, 3*time.Second)
	capped, _, _ := stages.Capped(70)
	for name, base := range map[string]*pace.Schedule{"constant": constant, "stages": stages, "sine": sine, "capped": capped} {
		for _, n := range []int{1, 2, 3, 7} {
			var union []time.Duration
			var hits uint64
			for i := range n {
				pp, err := pace.Split(base, pace.Shard{Index: i, Count: n})
				if err != nil {
					t.Fatalf("%s %d/%d: %v", name, i, n, err)
				}
				p, ok := pp.(*pace.Schedule)
				if !ok {
					t.Fatalf("%s %d/%d: %v is no schedule: its hits are unplanned", name, i, n, pp)
				}
				sent := paceAll(t, p, int(base.Hits())+1)
				if uint64(len(sent)) != p.Hits() {
					t.Errorf("%s %d/%d: paced %d hits, Hits() = %d", name, i, n, len(sent), p.Hits())
				}
				for k := range p.Hits() {
					at := p.Planned(k)
					if want := base.Planned(uint64(i) + k*uint64(n)); at != want {
						t.Fatalf("%s %d/%d: hit %d planned at %s, want the plan's hit %d at %s", name, i, n, k, at, uint64(i)+k*uint64(n), want)
					}
					union = append(union, at)
				}
				if p.Duration() != base.Duration() {
					t.Errorf("%s %d/%d: duration %s, want the plan's %s", name, i, n, p.Duration(), base.Duration())
				}
				hits += p.Hits()
			}
			if hits != base.Hits() {
				t.Errorf("%s over %d shards: %d hits, want the plan's %d", name, n, hits, base.Hits())
			}
			slices.Sort(union)
			for g := range base.Hits() {
				if want := base.Planned(g); union[g] != want {
					t.Fatalf("%s over %d shards: hit %d of the union at %s, the plan's at %s", name, n, g, union[g], want)
				}
			}
		}
	}
}

func TestShardPacerClosed(t *testing.T) {
	c, _ := pace.NewClosed(16, 2*time.Second, 90)
	var conc int
	for i, want := range []int{6, 5, 5} {
		p, err := pace.Split(c, pace.Shard{Index: i, Count: 3})
		if err != nil {
			t.Fatal(err)
		}
		pc, ok := p.(*pace.Closed)
		if !ok || pc.Concurrency != want {
			t.Fatalf("shard %d/3: %v, want a closed model of %d workers", i, p, want)
		}
		if w, _ := pc.Workers(1, 1); w != uint64(want) {
			t.Errorf("shard %d workers %d", i, w)
		}
		if !strings.Contains(pc.String(), "capped at 30/s") {
			t.Errorf("shard %d: %s, want the cap split to 30/s", i, p)
		}
		if got, want := pace.Share(c, p), float64(want)/16; got != want {
			t.Errorf("share %v, want %v", got, want)
		}
		conc += pc.Concurrency
	}
	if conc != 16 {
		t.Errorf("concurrency sums to %d, want 16", conc)
	}
	if _, err := pace.Split(c, pace.Shard{Index: 0, Count: 17}); err == nil || !strings.Contains(err.Error(), "concurrency 16 cannot be split over 17 shards") {
		t.Errorf("17 shards of 16 workers: %v", err)
	}
}

func TestShardPacerRefusals(t *testing.T) {
	few, _ := pace.Constant(2, time.Second)
	if _, err := pace.Split(few, pace.Shard{Index: 0, Count: 3}); err == nil || !strings.Contains(err.Error(), "sends 2 requests, fewer than its 3 shards") {
		t.Errorf("2 requests over 3 shards: %v", err)
	}
	if _, err := pace.Split(few, pace.Shard{Index: 3, Count: 3}); err == nil {
		t.Error("index 3 of 3 accepted")
	}
	if p, err := pace.Split(few, pace.Shard{}); err != nil || p != pace.Pacer(few) {
		t.Errorf("unsharded: %v, %v; want the pace itself", p, err)
	}
}

func TestShardPacerWarmup(t *testing.T) {
	base, _ := pace.Constant(300, 2*time.Second)
	var hits uint64
	for i := range 3 {
		p, _ := pace.Split(base, pace.Shard{Index: i, Count: 3})
		w, err := pace.Warmup(p, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		hits += w.(*pace.Schedule).Hits()
		if got := pace.Share(base, p); got < 0.33 || got > 0.34 {
			t.Errorf("share %v, want 1/3", got)
		}
		if got := fmt.Sprint(p); !strings.Contains(got, "shard "+string(rune('0'+i))+"/3: 200 of 600 requests") {
			t.Errorf("String = %q", got)
		}
	}
	if hits != 300 {
		t.Errorf("the shards' warm-ups send %d hits, want the plan's warm-up 300", hits)
	}
}
