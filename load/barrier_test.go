package load_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"ccgw-harness/load"
	"ccgw-harness/pace"
)

// Barrier tests use a short poll and lead; their deadlines are generous
// (they bound how long a broken barrier would hang the test, not how fast
// a working one is).
const (
	testPoll = 20 * time.Millisecond
	testLead = 300 * time.Millisecond
)

func newBarrier(t *testing.T, dir string, i, n int, opts ...load.BarrierOption) *load.Barrier {
	t.Helper()
	b, err := load.NewBarrier(dir, pace.Shard{Index: i, Count: n},
		append([]load.BarrierOption{load.WithBarrierPoll(testPoll), load.WithBarrierLead(testLead)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// barrierErr fails t unless err is a *BarrierError whose text holds every
// one of want.
func barrierErr(t *testing.T, what string, err error, want ...string) *load.BarrierError {
	t.Helper()
	var be *load.BarrierError
	if !errors.As(err, &be) {
		t.Fatalf("%s: %v (%T), want a *load.BarrierError", what, err, err)
	}
	for _, w := range want {
		if !strings.Contains(be.Error(), w) {
			t.Errorf("%s: %q, want it to say %q", what, be.Error(), w)
		}
	}
	return be
}

// TestBarrierAllReady: shards that join and become ready at different
// times all leave the barrier at the one start instant the decision names,
// which comes after the last of them was ready.
func TestBarrierAllReady(t *testing.T) {
	dir := t.TempDir()
	const n = 4
	var wg sync.WaitGroup
	ids := make([]string, n)
	readyAt := make([]time.Time, n)
	leftAt := make([]time.Time, n)
	errs := make([]error, n)
	for i := range n {
		b := newBarrier(t, dir, i, n, load.WithBarrierTimeout(time.Minute))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ids[i], errs[i] = b.Join(); errs[i] != nil {
				return
			}
			time.Sleep(time.Duration(i) * 30 * time.Millisecond) // arrive one after the other
			readyAt[i] = time.Now()
			errs[i] = b.Wait(context.Background())
			leftAt[i] = time.Now()
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
	}
	for _, id := range ids {
		if id == "" || id != ids[0] {
			t.Errorf("run IDs %v, want one ID for all shards", ids)
			break
		}
	}
	d, ok, err := load.ReadBarrierDecision(dir)
	if err != nil || !ok || d.Abort != "" {
		t.Fatalf("decision %+v, %v, %v; want a start", d, ok, err)
	}
	last := slices.MaxFunc(readyAt, func(a, b time.Time) int { return a.Compare(b) })
	if d.Start.Before(last.Add(testLead)) {
		t.Errorf("start %s is earlier than the last ready %s + lead %s", d.Start, last, testLead)
	}
	for i, at := range leftAt {
		if at.Before(d.Start) {
			t.Errorf("shard %d left the barrier at %s, before the start %s", i, at, d.Start)
		}
	}
}

// TestBarrierMissingShard: a shard that never arrives makes the others give
// up at the deadline, naming it; arriving afterwards it is refused at once.
func TestBarrierMissingShard(t *testing.T) {
	dir := t.TempDir()
	const timeout = time.Second
	var wg sync.WaitGroup
	errs := make([]error, 2)
	start := time.Now()
	for i := range 2 {
		b := newBarrier(t, dir, i, 3, load.WithBarrierTimeout(timeout))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, errs[i] = b.Join(); errs[i] == nil {
				errs[i] = b.Wait(context.Background())
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	for i, err := range errs {
		be := barrierErr(t, "shard "+string(rune('0'+i)), err, "shard 2 not ready within 1s", "ready: 0, 1")
		if !slices.Equal(be.Missing, []int{2}) {
			t.Errorf("shard %d: missing %v, want [2]", i, be.Missing)
		}
	}
	if elapsed < timeout {
		t.Errorf("gave up after %s, before the %s deadline", elapsed, timeout)
	}
	if elapsed > timeout+30*time.Second {
		t.Errorf("gave up after %s, long after the %s deadline", elapsed, timeout)
	}
	late := newBarrier(t, dir, 2, 3)
	t0 := time.Now()
	_, err := late.Join()
	barrierErr(t, "late shard", err, "given up before shard 2 arrived", "shard 2 not ready")
	if d := time.Since(t0); d > 10*time.Second {
		t.Errorf("the late shard was refused after %s, want at once", d)
	}
	if ok, _ := late.Abort("x"); ok {
		t.Error("a shard that never joined gave the run up")
	}
}

// TestBarrierRestartedShard: a second shard with an index already joined
// gives the run up (the others stop waiting at once); a shard arriving
// after the start is refused without touching the running run.
func TestBarrierRestartedShard(t *testing.T) {
	dir := t.TempDir()
	first := newBarrier(t, dir, 0, 2, load.WithBarrierTimeout(time.Minute))
	if _, err := first.Join(); err != nil {
		t.Fatal(err)
	}
	again := newBarrier(t, dir, 0, 2)
	_, err := again.Join()
	barrierErr(t, "restarted shard 0", err, "shard 0 joined run", "twice")
	t0 := time.Now()
	barrierErr(t, "shard 0 waiting", first.Wait(context.Background()), "given up", "twice")
	if d := time.Since(t0); d > 10*time.Second {
		t.Errorf("the waiting shard noticed the abort after %s, want within a few polls", d)
	}

	// A started run refuses a late shard and stays started.
	dir = t.TempDir()
	var wg sync.WaitGroup
	for i := range 2 {
		b := newBarrier(t, dir, i, 2, load.WithBarrierTimeout(time.Minute))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := b.Join(); err != nil {
				t.Error(err)
				return
			}
			if err := b.Wait(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	_, err = newBarrier(t, dir, 1, 2).Join()
	barrierErr(t, "shard 1 after the start", err, "started at", "without shard 1", "arrived late")
	if d, ok, _ := load.ReadBarrierDecision(dir); !ok || d.Abort != "" {
		t.Errorf("decision after a late shard: %+v, want the start to stand", d)
	}
}

func TestBarrierRefusesOtherRuns(t *testing.T) {
	dir := t.TempDir()
	b := newBarrier(t, dir, 0, 3, load.WithBarrierRunID("run-a"))
	if id, err := b.Join(); err != nil || id != "run-a" {
		t.Fatalf("Join = %q, %v", id, err)
	}
	_, err := newBarrier(t, dir, 1, 3, load.WithBarrierRunID("run-b")).Join()
	barrierErr(t, "other run ID", err, "belongs to run run-a", "started for run run-b", "fresh barrier directory")
	_, err = newBarrier(t, dir, 1, 4).Join()
	barrierErr(t, "other count", err, "run run-a's of 3 shards", "this shard is 1/4")
	// Without a run ID of its own a shard takes the run file's.
	if id, err := newBarrier(t, dir, 2, 3).Join(); err != nil || id != "run-a" {
		t.Errorf("Join without a run ID = %q, %v; want run-a", id, err)
	}
}

// TestBarrierAbortAndInterrupt: a shard that fails before its start gives
// the run up for the others; one interrupted while it waits does too.
func TestBarrierAbortAndInterrupt(t *testing.T) {
	dir := t.TempDir()
	b0, b1 := newBarrier(t, dir, 0, 2, load.WithBarrierTimeout(time.Minute)), newBarrier(t, dir, 1, 2)
	for _, b := range []*load.Barrier{b0, b1} {
		if _, err := b.Join(); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := b1.Abort("shard 1 failed before the start: no agent could sign in"); !ok || err != nil {
		t.Fatalf("Abort = %v, %v", ok, err)
	}
	be := barrierErr(t, "shard 0", b0.Wait(context.Background()), "no agent could sign in")
	if !slices.Equal(be.Missing, []int{1}) {
		t.Errorf("missing %v, want [1] (shard 1 never became ready)", be.Missing)
	}
	if b0.Started() {
		t.Error("an aborted run reads as started")
	}

	dir = t.TempDir()
	w := newBarrier(t, dir, 0, 2, load.WithBarrierTimeout(time.Minute))
	if _, err := w.Join(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- w.Wait(ctx) }()
	// Cancel once the shard is ready (its ready file is there).
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(testPoll) {
		if _, err := os.Stat(filepath.Join(dir, "ready-0")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("shard 0 never wrote ready-0")
		}
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted Wait = %v, want context.Canceled", err)
	}
	_, err := newBarrier(t, dir, 1, 2).Join()
	barrierErr(t, "shard 1 after shard 0 was interrupted", err, "shard 0 was interrupted")
}

func TestWaitDone(t *testing.T) {
	dir := t.TempDir()
	var bs []*load.Barrier
	for i := range 3 {
		b := newBarrier(t, dir, i, 3)
		if _, err := b.Join(); err != nil {
			t.Fatal(err)
		}
		bs = append(bs, b)
	}
	for _, i := range []int{0, 2} {
		if err := bs[i].Done(load.ShardDone{ExitCode: i, Sent: 10}); err != nil {
			t.Fatal(err)
		}
	}
	run, done, missing, err := load.WaitDone(context.Background(), dir, 200*time.Millisecond, testPoll)
	if err != nil || run.Count != 3 || len(done) != 2 || !slices.Equal(missing, []int{1}) {
		t.Fatalf("WaitDone = %+v, %v, missing %v, %v; want shard 1 missing", run, done, missing, err)
	}
	if done[2].ExitCode != 2 || done[2].Index != 2 || done[0].Sent != 10 {
		t.Errorf("done files %+v", done)
	}
	// A shard that ends while the merge waits is picked up.
	go func() {
		time.Sleep(50 * time.Millisecond)
		_ = bs[1].Done(load.ShardDone{ExitCode: 0})
	}()
	if _, done, missing, err := load.WaitDone(context.Background(), dir, time.Minute, testPoll); err != nil || len(done) != 3 || len(missing) != 0 {
		t.Errorf("WaitDone = %v, missing %v, %v; want all 3", done, missing, err)
	}
	if _, err := load.ReadBarrierRun(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not the barrier directory") {
		t.Errorf("ReadBarrierRun of an empty directory: %v", err)
	}
	// A merge step that starts before any shard waits for the run file.
	later := t.TempDir()
	b := newBarrier(t, later, 0, 1)
	go func() {
		time.Sleep(50 * time.Millisecond)
		if _, err := b.Join(); err == nil {
			_ = b.Done(load.ShardDone{})
		}
	}()
	if run, done, missing, err := load.WaitDone(context.Background(), later, time.Minute, testPoll); err != nil || run.Count != 1 || len(done) != 1 || len(missing) != 0 {
		t.Errorf("WaitDone before the first shard joined: %+v %v %v %v", run, done, missing, err)
	}
	if _, _, _, err := load.WaitDone(context.Background(), t.TempDir(), 100*time.Millisecond, testPoll); err == nil || !strings.Contains(err.Error(), "no shard joined within 100ms") {
		t.Errorf("WaitDone of a barrier nobody joins: %v", err)
	}
}

func TestValidRunID(t *testing.T) {
	for _, ok := range []string{"r1", "20260102-150405-1a2b3c4d", "a.b_c-D", load.NewRunID(time.Now())} {
		if err := load.ValidRunID(ok); err != nil {
			t.Errorf("ValidRunID(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a/b", "with space", strings.Repeat("x", 64), "../up", "..", "-x"} {
		if err := load.ValidRunID(bad); err == nil {
			t.Errorf("ValidRunID(%q) accepted", bad)
		}
	}
}
