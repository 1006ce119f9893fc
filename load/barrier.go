package load

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"ccgw-harness/pace"
)

// Barrier defaults.
const (
	// DefaultBarrierTimeout is how long after the first shard joined every
	// shard must be ready; then the run is given up.
	DefaultBarrierTimeout = 5 * time.Minute
	// DefaultBarrierPoll is how often a shard looks at the barrier
	// directory while it waits.
	DefaultBarrierPoll = 100 * time.Millisecond
	// barrierLead is how far after the last shard was ready the
	// measured attack starts: time for every shard to see the decision,
	// many poll intervals (and a shared file system's caching) over.
	barrierLead = 2 * time.Second
)

// Files of a barrier directory.
const (
	// barrierRunFile names the run: its ID, number of shards, when the
	// first shard joined and the barrier timeout (written once, by the
	// first shard to join).
	barrierRunFile = "run"
	// barrierDecisionFile is the run's one decision, written once by the
	// shard that takes it: the start instant, or why the run was given up.
	barrierDecisionFile = "decision"
	barrierJoined       = "joined-" // + index: the shard joined (claimed once)
	barrierReady        = "ready-"  // + index: the shard is signed in and warm
	barrierDone         = "done-"   // + index: the shard's process ended
)

// StartGate blocks until the measured attack may start (Job.Run calls it
// after sign-in and warm-up) and returns the instant the attack's schedule
// counts from (zero: when it returns). A run that leaves the gate after
// that instant sends the hits it is behind at once and keeps the schedule
// from there, so that the schedule stays the one every shard agreed on
// (their lag records the lateness). An error gives the run up before its
// attack: the agents are signed out and the reports written with the
// reason in meta.json's aborted. When ctx ends it returns ctx's error.
type StartGate func(ctx context.Context) (time.Time, error)

// WithStartGate makes the run wait at g before its measured attack (see
// Barrier.Wait).
func WithStartGate(g StartGate) Option { return func(c *runConfig) { c.gate = g } }

// BarrierError is a distributed run given up at its start barrier, or a
// shard refused by it. The reason names the shards at fault.
type BarrierError struct {
	Dir    string
	Reason string
	// Missing lists the shards that were not ready by the deadline.
	Missing []int
}

// Error implements error.
func (e *BarrierError) Error() string { return "barrier " + e.Dir + ": " + e.Reason }

// BarrierRun is the barrier's run file.
type BarrierRun struct {
	RunID   string    `json:"run_id"`
	Count   int       `json:"count"`
	Created time.Time `json:"created"`
	// TimeoutS is the barrier timeout of the first shard, in seconds: the
	// deadline of every shard is Created + TimeoutS.
	TimeoutS float64 `json:"timeout_s"`
}

// Deadline is when every shard must be ready.
func (r BarrierRun) Deadline() time.Time {
	return r.Created.Add(time.Duration(r.TimeoutS * float64(time.Second)))
}

// barrierDecision is the barrier's decision file: exactly one of Start and
// Abort is set.
type barrierDecision struct {
	Start time.Time `json:"start,omitzero"`
	Abort string    `json:"abort,omitempty"`
	By    int       `json:"by"` // the shard that took the decision
	At    time.Time `json:"at"`
}

// ShardDone is a shard's done file: how its process ended.
type ShardDone struct {
	Index    int       `json:"index"`
	ExitCode int       `json:"exit_code"`
	Sent     uint64    `json:"sent"`
	Recorded uint64    `json:"recorded"`
	Reason   string    `json:"reason,omitempty"` // the error, when it ended with one
	At       time.Time `json:"at"`
}

// barrierStamp is a joined or ready file.
type barrierStamp struct {
	Index int       `json:"index"`
	At    time.Time `json:"at"`
	Host  string    `json:"host,omitempty"`
	PID   int       `json:"pid,omitempty"`
}

// BarrierOption configures a Barrier.
type BarrierOption func(*Barrier)

// WithBarrierTimeout sets how long after the first shard joined all must
// be ready (default DefaultBarrierTimeout). The first shard's value is the
// run's.
func WithBarrierTimeout(d time.Duration) BarrierOption {
	return func(b *Barrier) {
		if d > 0 {
			b.timeout = d
		}
	}
}

// WithBarrierPoll sets how often a waiting shard looks at the directory
// (default DefaultBarrierPoll).
func WithBarrierPoll(d time.Duration) BarrierOption {
	return func(b *Barrier) {
		if d > 0 {
			b.poll = d
		}
	}
}

// WithBarrierLead sets how long after the last shard was ready the attack
// starts (default barrierLead).
func WithBarrierLead(d time.Duration) BarrierOption {
	return func(b *Barrier) {
		if d > 0 {
			b.lead = d
		}
	}
}

// WithBarrierRunID names the run this shard belongs to; a barrier
// directory of another run refuses it. Without it the shard takes the run
// file's ID, or makes one when it is the first.
func WithBarrierRunID(id string) BarrierOption { return func(b *Barrier) { b.runID = id } }

// WithBarrierLog prints the barrier's log lines through logf (default:
// silent).
func WithBarrierLog(logf func(format string, args ...any)) BarrierOption {
	return func(b *Barrier) { b.logf = logf }
}

// Barrier is the start barrier of a distributed run: files in a directory
// every shard can write (a ReadWriteMany volume in Kubernetes, any shared
// directory on one machine). Every file is written whole under a temporary
// name and then linked (or, where the file system has no hard links,
// created exclusively) into place, so a file is written once and a reader
// never sees half of it. The protocol:
//
//   - Join (before anyone signs in): the first shard writes the run file
//     (run ID, shard count, its time and barrier timeout); every shard
//     checks it is of that run and count, that the run is not decided yet
//     (a shard that finds it started or given up exits at once), and claims
//     joined-I; a shard that finds joined-I taken (a restarted or duplicate
//     pod) gives the run up.
//   - Wait (signed in and warm): the shard writes ready-I, then looks at the
//     directory every poll interval. The shard that sees all N ready
//     decides the start, max(ready times, now) + lead; a shard that sees
//     the deadline (the run file's time + timeout) pass first decides to
//     give up, naming the missing shards, and so does a shard interrupted
//     while it waits. The decision file is created once: whoever comes
//     second reads it. Every shard then sleeps until the start instant, or
//     gives up.
//   - Done (the shard's process ends): done-I says how, so that a merge
//     step can wait for every shard.
//
// No shard waits past the deadline, and a decided run never takes another
// shard.
type Barrier struct {
	dir                 string
	shard               pace.Shard
	runID               string
	timeout, poll, lead time.Duration
	logf                func(string, ...any)
	now                 func() time.Time
	run                 BarrierRun // after Join
	joined              bool
	start               time.Time         // the agreed start, once decided
	readyAt             map[int]time.Time // ready files read so far (each is written once)
}

// NewBarrier returns the barrier of shard s in dir (created if missing).
func NewBarrier(dir string, s pace.Shard, opts ...BarrierOption) (*Barrier, error) {
	if dir == "" {
		return nil, errors.New("barrier: no directory given")
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s == (pace.Shard{}) {
		s = pace.Shard{Index: 0, Count: 1}
	}
	b := &Barrier{dir: dir, shard: s, timeout: DefaultBarrierTimeout, poll: DefaultBarrierPoll, lead: barrierLead,
		logf: func(string, ...any) {}, now: time.Now}
	for _, o := range opts {
		o(b)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("barrier %s: %w", dir, unwrapPath(err))
	}
	return b, nil
}

// Dir is the barrier directory.
func (b *Barrier) Dir() string { return b.dir }

// Run is the run file (after Join).
func (b *Barrier) Run() BarrierRun { return b.run }

// fail is a BarrierError of this barrier.
func (b *Barrier) fail(format string, args ...any) *BarrierError {
	return &BarrierError{Dir: b.dir, Reason: fmt.Sprintf(format, args...)}
}

// Join registers the shard with the run and returns the run ID. Every
// error is a *BarrierError: the shard must not go on.
func (b *Barrier) Join() (string, error) {
	now := b.now()
	id := b.runID
	if id == "" {
		id = NewRunID(now)
	}
	mine := BarrierRun{RunID: id, Count: b.shard.Count, Created: now.UTC(), TimeoutS: b.timeout.Seconds()}
	created, err := createOnce(filepath.Join(b.dir, barrierRunFile), mine)
	if err != nil {
		return "", b.fail("cannot write %s: %v", barrierRunFile, err)
	}
	run := mine
	if !created {
		if err := b.readSettled(barrierRunFile, &run); err != nil {
			return "", err
		}
	}
	switch {
	case run.Count != b.shard.Count:
		return "", b.fail("this barrier is run %s's of %d shards; this shard is %s: every shard must have the same count (CCGW_SHARD_COUNT)", run.RunID, run.Count, b.shard)
	case b.runID != "" && run.RunID != b.runID:
		return "", b.fail("this barrier belongs to run %s, this shard was started for run %s: give every run a fresh barrier directory", run.RunID, b.runID)
	}
	b.run = run
	if d, ok, err := b.decision(); err != nil {
		return "", err
	} else if ok {
		if d.Abort != "" {
			return "", b.fail("run %s was given up before shard %d arrived: %s", run.RunID, b.shard.Index, d.Abort)
		}
		return "", b.fail("run %s started at %s without shard %d: it arrived late (a restarted pod?) and does not join a running run", run.RunID, d.Start.UTC().Format(time.RFC3339Nano), b.shard.Index)
	}
	if now.After(run.Deadline()) {
		reason := fmt.Sprintf("shard %d arrived after the barrier deadline (%s after the first shard joined)", b.shard.Index, fmtBarrierTimeout(run))
		return "", b.giveUp(reason)
	}
	host, _ := os.Hostname()
	stamp := barrierStamp{Index: b.shard.Index, At: now.UTC(), Host: host, PID: os.Getpid()}
	created, err = createOnce(b.path(barrierJoined, b.shard.Index), stamp)
	if err != nil {
		return "", b.fail("cannot write %s%d: %v", barrierJoined, b.shard.Index, err)
	}
	if !created {
		return "", b.giveUp(fmt.Sprintf("shard %d joined run %s twice (a restarted or duplicate pod): the run is given up", b.shard.Index, run.RunID))
	}
	b.joined = true
	b.logf("barrier %s: shard %s joined run %s (all %d must be ready by %s)", b.dir, b.shard, run.RunID, run.Count, run.Deadline().Format(time.RFC3339))
	return run.RunID, nil
}

// Gate is the barrier as the run's StartGate: Wait, then the agreed start.
func (b *Barrier) Gate() StartGate {
	return func(ctx context.Context) (time.Time, error) {
		err := b.Wait(ctx)
		return b.start, err
	}
}

// Wait announces that the shard is ready and waits for the run's decision:
// nil at the agreed start instant, a *BarrierError when the run is given up
// (the deadline passed, naming the missing shards; another shard failed or
// was interrupted), ctx's error when ctx ends first (the run is then given
// up for every shard, unless it was already started).
func (b *Barrier) Wait(ctx context.Context) error {
	if !b.joined {
		return b.fail("shard %d waits without having joined", b.shard.Index)
	}
	stamp := barrierStamp{Index: b.shard.Index, At: b.now().UTC()}
	if _, err := createOnce(b.path(barrierReady, b.shard.Index), stamp); err != nil {
		return b.fail("cannot write %s%d: %v", barrierReady, b.shard.Index, err)
	}
	b.logf("barrier %s: shard %s ready, waiting for the others", b.dir, b.shard)
	tick := time.NewTicker(b.poll)
	defer tick.Stop()
	for {
		d, ok, err := b.decision()
		if err != nil {
			return err
		}
		if ok {
			return b.follow(ctx, d)
		}
		if ctx.Err() != nil {
			if _, err := b.decide(barrierDecision{Abort: fmt.Sprintf("shard %d was interrupted while it waited at the barrier", b.shard.Index)}); err != nil {
				return err
			}
			return ctx.Err()
		}
		ready, latest, err := b.ready()
		if err != nil {
			return err
		}
		now := b.now()
		switch {
		case len(ready) == b.run.Count:
			if _, err := b.decide(barrierDecision{Start: maxTime(latest, now).Add(b.lead).UTC()}); err != nil {
				return err
			}
			continue // read back whichever decision was taken
		case !now.Before(b.run.Deadline()):
			missing := b.missing(ready)
			reason := fmt.Sprintf("%s not ready within %s of the first shard's arrival (ready: %s)",
				shardList(missing), fmtBarrierTimeout(b.run), orNone(ready))
			if _, err := b.decide(barrierDecision{Abort: reason}); err != nil {
				return err
			}
			continue
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
		}
	}
}

// follow acts on the decision: sleep until the start, or give up.
func (b *Barrier) follow(ctx context.Context, d barrierDecision) error {
	if d.Abort != "" {
		e := b.fail("run %s given up: %s", b.run.RunID, d.Abort)
		if ready, _, err := b.ready(); err == nil && len(ready) < b.run.Count {
			e.Missing = b.missing(ready)
		}
		return e
	}
	b.start = d.Start
	wait := d.Start.Sub(b.now())
	if wait < 0 {
		b.logf("barrier %s: shard %s saw the start %s late", b.dir, b.shard, (-wait).Round(time.Millisecond))
		return nil
	}
	b.logf("barrier %s: all %d shards ready; the attack starts at %s (in %s)", b.dir, b.run.Count, d.Start.UTC().Format("15:04:05.000"), wait.Round(time.Millisecond))
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Abort gives the run up for every shard with reason, unless it is already
// decided (a started run goes on without this shard). It reports whether
// this call gave the run up.
func (b *Barrier) Abort(reason string) (bool, error) {
	if !b.joined {
		return false, nil
	}
	return b.decide(barrierDecision{Abort: reason})
}

// Started reports whether the run was decided to start.
func (b *Barrier) Started() bool {
	d, ok, _ := b.decision()
	return ok && d.Abort == ""
}

// Done writes the shard's done file (it may be written again: the last
// one counts). A shard that never joined writes none.
func (b *Barrier) Done(d ShardDone) error {
	if !b.joined {
		return nil
	}
	d.Index = b.shard.Index
	d.At = b.now().UTC()
	data, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	return replaceFile(b.path(barrierDone, b.shard.Index), append(data, '\n'))
}

// giveUp decides to give the run up with reason and returns the error this
// shard ends with.
func (b *Barrier) giveUp(reason string) error {
	if _, err := b.decide(barrierDecision{Abort: reason}); err != nil {
		return err
	}
	d, ok, err := b.decision()
	if err != nil {
		return err
	}
	if ok && d.Abort == "" {
		return b.fail("run %s started without shard %d", b.run.RunID, b.shard.Index)
	}
	if ok {
		reason = d.Abort
	}
	return b.fail("%s", reason)
}

// decide writes the decision unless one exists; it reports whether this
// shard's decision is the run's.
func (b *Barrier) decide(d barrierDecision) (bool, error) {
	d.By, d.At = b.shard.Index, b.now().UTC()
	created, err := createOnce(filepath.Join(b.dir, barrierDecisionFile), d)
	if err != nil {
		return false, b.fail("cannot write %s: %v", barrierDecisionFile, err)
	}
	if created && d.Abort != "" {
		b.logf("barrier %s: shard %s gives run %s up: %s", b.dir, b.shard, b.run.RunID, d.Abort)
	}
	return created, nil
}

// decision reads the decision file, if any.
func (b *Barrier) decision() (barrierDecision, bool, error) {
	var d barrierDecision
	ok, err := readOnce(filepath.Join(b.dir, barrierDecisionFile), &d)
	if err != nil || !ok {
		return d, false, err
	}
	if d.Abort == "" && d.Start.IsZero() {
		return d, false, b.fail("%s says neither start nor abort", barrierDecisionFile)
	}
	return d, true, nil
}

// ready lists the shards whose ready file is readable, and the latest of
// their ready times.
func (b *Barrier) ready() ([]int, time.Time, error) {
	ents, err := os.ReadDir(b.dir)
	if err != nil {
		return nil, time.Time{}, b.fail("cannot read the directory: %v", unwrapPath(err))
	}
	if b.readyAt == nil {
		b.readyAt = map[int]time.Time{}
	}
	var out []int
	var latest time.Time
	for _, e := range ents {
		i, ok := stampIndex(e.Name(), barrierReady)
		if !ok || i >= b.run.Count {
			continue
		}
		at, seen := b.readyAt[i]
		if !seen {
			var s barrierStamp
			if ok, err := readOnce(filepath.Join(b.dir, e.Name()), &s); err != nil || !ok {
				continue // not whole yet (a file system without hard links): the next poll reads it
			}
			at = s.At
			b.readyAt[i] = at // a ready file is written once: never read again
		}
		out = append(out, i)
		latest = maxTime(latest, at)
	}
	slices.Sort(out)
	return out, latest, nil
}

// missing lists the shards not in ready.
func (b *Barrier) missing(ready []int) []int {
	var out []int
	for i := range b.run.Count {
		if _, found := slices.BinarySearch(ready, i); !found {
			out = append(out, i)
		}
	}
	return out
}

// readSettled reads a file another shard has just created, giving a file
// system without hard links a moment to show it whole.
func (b *Barrier) readSettled(name string, v any) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, err := readOnce(filepath.Join(b.dir, name), v)
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New("empty or incomplete")
			}
			return b.fail("cannot read %s: %v", name, err)
		}
		time.Sleep(b.poll)
	}
}

func (b *Barrier) path(prefix string, i int) string {
	return filepath.Join(b.dir, prefix+strconv.Itoa(i))
}

// ReadBarrierRun reads the run file of a barrier directory.
func ReadBarrierRun(dir string) (BarrierRun, error) {
	var r BarrierRun
	ok, err := readOnce(filepath.Join(dir, barrierRunFile), &r)
	switch {
	case err != nil:
		return r, fmt.Errorf("barrier %s: %s: %w", dir, barrierRunFile, err)
	case !ok:
		return r, fmt.Errorf("barrier %s: no %s file: not the barrier directory of a distributed run (ccgw load --barrier)", dir, barrierRunFile)
	case r.Count < 1 || r.Count > pace.MaxShards:
		return r, fmt.Errorf("barrier %s: %s: count %d: want 1 to %d", dir, barrierRunFile, r.Count, pace.MaxShards)
	}
	return r, nil
}

// WaitDone waits, looking every poll, until every shard of the barrier in
// dir wrote its done file, or timeout passes, or ctx ends. A barrier no
// shard has joined yet (no run file: a merge step started with the
// shards) is waited for too, within the same timeout. It returns the run
// file, the done files read, and the shards whose done file is missing
// (none when all ended).
func WaitDone(ctx context.Context, dir string, timeout, poll time.Duration) (BarrierRun, map[int]ShardDone, []int, error) {
	if poll <= 0 {
		poll = DefaultBarrierPoll
	}
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(poll)
	defer tick.Stop()
	var run BarrierRun
	for {
		var ok bool
		var err error
		if ok, err = readOnce(filepath.Join(dir, barrierRunFile), &run); err != nil {
			return run, nil, nil, fmt.Errorf("barrier %s: %s: %w", dir, barrierRunFile, err)
		}
		if ok {
			break
		}
		if !time.Now().Before(deadline) || ctx.Err() != nil {
			if ctx.Err() != nil {
				return run, nil, nil, ctx.Err()
			}
			return run, nil, nil, fmt.Errorf("barrier %s: no shard joined within %s (no %s file)", dir, timeout, barrierRunFile)
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
		}
	}
	run, err := ReadBarrierRun(dir) // checks the count
	if err != nil {
		return run, nil, nil, err
	}
	for {
		done := map[int]ShardDone{}
		var missing []int
		for i := range run.Count {
			var d ShardDone
			if ok, _ := readOnce(filepath.Join(dir, barrierDone+strconv.Itoa(i)), &d); ok {
				done[i] = d
			} else {
				missing = append(missing, i)
			}
		}
		if len(missing) == 0 || !time.Now().Before(deadline) || ctx.Err() != nil {
			return run, done, missing, ctx.Err()
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
		}
	}
}

// ReadBarrierDecision reads the decision of a barrier directory (ok false
// when none was taken).
func ReadBarrierDecision(dir string) (barrierDecision, bool, error) {
	var d barrierDecision
	ok, err := readOnce(filepath.Join(dir, barrierDecisionFile), &d)
	return d, ok, err
}

// NewRunID returns a fresh run ID: the time and 8 random hex digits
// ("20260102-150405-1a2b3c4d").
func NewRunID(now time.Time) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b)
}

// ValidRunID checks a run ID given by flag or environment: 1 to 63
// letters, digits, '.', '_' and '-', starting with a letter or digit (it
// names directories and labels).
func ValidRunID(id string) error {
	if id == "" || len(id) > 63 {
		return fmt.Errorf("run ID %q: want 1 to 63 characters", id)
	}
	if c := id[0]; c == '.' || c == '_' || c == '-' {
		return fmt.Errorf("run ID %q: want a letter or digit first", id)
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("run ID %q: want only letters, digits, '.', '_' and '-'", id)
		}
	}
	return nil
}

// createOnce writes v as JSON to path unless path exists, atomically: the
// data goes to a temporary file that is then hard-linked to path (link
// fails when path exists). Where the file system has no hard links it
// falls back to an exclusive create, whose readers may briefly see the file
// incomplete (readOnce then reports it as not there yet). created is false
// when path existed.
func createOnce(path string, v any) (created bool, err error) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return false, err
	}
	data = append(data, '\n')
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return false, unwrapPath(err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Chmod(0o644) // readable by a merge step of another user
	}
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return false, unwrapPath(werr)
	}
	lerr := os.Link(tmp, path)
	switch {
	case lerr == nil:
		return true, nil
	case errors.Is(lerr, fs.ErrExist):
		return false, nil
	}
	// No hard links here (some network file systems): exclusive create.
	g, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, unwrapPath(err)
	}
	_, werr = g.Write(data)
	if werr == nil {
		werr = g.Sync()
	}
	if cerr := g.Close(); werr == nil {
		werr = cerr
	}
	return werr == nil, unwrapPath(werr)
}

// replaceFile writes data to path through a temporary file and a rename.
func replaceFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return unwrapPath(err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Chmod(0o644)
	}
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, unwrapPath(werr))
	}
	return nil
}

// readOnce reads a JSON file: ok is false when it does not exist or is not
// whole yet (an exclusive create still being written).
func readOnce(path string, v any) (ok bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, unwrapPath(err)
	}
	if json.Unmarshal(data, v) != nil {
		return false, nil
	}
	return true, nil
}

// stampIndex parses the index of a "prefixN" file name.
func stampIndex(name, prefix string) (int, bool) {
	s, ok := strings.CutPrefix(name, prefix)
	if !ok || s == "" {
		return 0, false
	}
	i, err := strconv.Atoi(s)
	return i, err == nil && i >= 0 && strconv.Itoa(i) == s
}

// shardList names shards for a message: "shard 2", "shards 1, 3".
func shardList(ids []int) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(id)
	}
	if len(ids) == 1 {
		return "shard " + s[0]
	}
	return "shards " + strings.Join(s, ", ")
}

func orNone(ids []int) string {
	if len(ids) == 0 {
		return "none"
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(id)
	}
	return strings.Join(s, ", ")
}

func fmtBarrierTimeout(r BarrierRun) string {
	return time.Duration(r.TimeoutS * float64(time.Second)).String()
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
