package dist

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"ccgw-harness/internal/errext"
	"ccgw-harness/internal/human"
	"ccgw-harness/load"
	"ccgw-harness/reports"
	"ccgw-harness/reports/render"
	"ccgw-harness/results"
	"ccgw-harness/slo"
)

// ShardsDir is the directory of the coordinator's output that holds each
// shard's own figures (shards/I).
const ShardsDir = "shards"

// ShardDir is shard i's directory under the coordinator's output out.
func ShardDir(out string, i int) string { return filepath.Join(out, ShardsDir, strconv.Itoa(i)) }

// Phases of a run at its coordinator.
const (
	phaseJoining = iota // shards join and get ready
	phaseStarted        // the start was sent
	phaseGivenUp        // given up before the start
)

// States of a shard at the coordinator.
const (
	peerJoined = iota
	peerReady
	peerFinal  // its final figures arrived
	peerLost   // its connection broke, or it went silent
	peerFailed // it said it could not run its part
)

// peer is one shard as the coordinator knows it.
type peer struct {
	index    int
	c        *conn
	state    int
	hello    *msg
	lastSeen time.Time
	live     *liveSnap
	hist     history
	final    *final
	files    map[string]*os.File // its results files being collected, by name
	why      string              // why it was lost or failed
}

// terminal reports whether the shard is done with the run.
func (p *peer) terminal() bool { return p.state >= peerFinal }

// Coordinator is shard 0's other role: it takes the shards' connections,
// decides the start, watches the run, and writes the run's reports.
type Coordinator struct {
	cfg     Config
	set     *settings
	ln      net.Listener
	rk      []byte
	created time.Time
	runID   string

	mu        sync.Mutex
	peers     map[int]*peer
	phase     int
	start     time.Time
	gaveUp    string
	tripped   string // the abort_when reason sent to every shard
	planned   time.Duration
	settled   chan struct{}
	settledOK bool
	quit      chan struct{}
	wg        sync.WaitGroup
}

// newCoordinator starts listening and serving shards.
func newCoordinator(cfg Config, set *settings) (*Coordinator, error) {
	co := &Coordinator{cfg: cfg, set: set, rk: runKey(cfg.Token), created: time.Now(), runID: cfg.RunID,
		peers: map[int]*peer{}, settled: make(chan struct{}), quit: make(chan struct{})}
	if co.runID == "" {
		co.runID = NewRunID(co.created)
	}
	ln := set.listener
	if ln == nil {
		addr, err := ListenAddress(cfg.Coordinator)
		if err != nil {
			return nil, err
		}
		if ln, err = net.Listen("tcp", addr); err != nil {
			return nil, fmt.Errorf("coordinator: cannot listen on %s: %w", addr, err)
		}
	}
	co.ln = ln
	co.set.logf("coordinator: run %s of %d shards, listening on %s; every shard must be ready by %s (--barrier-timeout %s)",
		co.runID, cfg.Shard.Count, ln.Addr(), co.created.Add(set.barrierTimeout).Format(time.RFC3339), set.barrierTimeout)
	co.wg.Add(2)
	go co.accept()
	go co.loop()
	if set.progress != nil {
		set.progress.Pin(co.progressLine)
	}
	return co, nil
}

// SetRule makes r (nil: none) the run's abort_when rule; the coordinator
// judges it from the next heartbeat on.
func (co *Coordinator) SetRule(r *Rule) {
	co.mu.Lock()
	defer co.mu.Unlock()
	co.set.rule = r
}

// SetPlanned tells the coordinator the plan's length, for its progress
// line.
func (co *Coordinator) SetPlanned(d time.Duration) {
	co.mu.Lock()
	defer co.mu.Unlock()
	co.planned = d
}

// Addr is the address the coordinator listens on.
func (co *Coordinator) Addr() net.Addr { return co.ln.Addr() }

// accept takes connections until the coordinator closes.
func (co *Coordinator) accept() {
	defer co.wg.Done()
	for {
		nc, err := co.ln.Accept()
		if err != nil {
			return
		}
		co.wg.Add(1)
		go func() {
			defer co.wg.Done()
			co.handle(nc)
		}()
	}
}

// close stops listening and every connection, and waits for the
// coordinator's goroutines.
func (co *Coordinator) close() {
	select {
	case <-co.quit:
		return
	default:
	}
	close(co.quit)
	_ = co.ln.Close()
	co.mu.Lock()
	for _, p := range co.peers {
		if p.c != nil {
			_ = p.c.close()
		}
		for name, f := range p.files {
			f.Close()
			os.Remove(f.Name())
			delete(p.files, name)
		}
	}
	co.mu.Unlock()
	co.wg.Wait()
	if co.set.progress != nil {
		co.set.progress.Pin(nil)
	}
}

// handle runs one shard's connection: the handshake, then its messages.
func (co *Coordinator) handle(nc net.Conn) {
	c := newConn(nc, 'c', co.set.heartbeatTimeout)
	defer c.close()
	_ = nc.SetReadDeadline(time.Now().Add(DefaultHandshakeTimeout))
	nonce := newNonce()
	if err := c.send(&msg{T: tChallenge, V: protocolVersion, Nonce: nonce}); err != nil {
		return
	}
	hello, mac, payload, err := c.recvPlain()
	if err != nil {
		return
	}
	if hello.T != tHello || len(hello.Nonce) != nonceSize {
		_ = c.send(&msg{T: tRefused, Reason: "not this protocol's hello"})
		return
	}
	c.key = sessionKey(co.rk, nonce, hello.Nonce)
	if !c.verify(mac, payload) {
		c.key = nil // the refusal goes unsigned: the shard has no key to check it
		co.set.logf("coordinator: refused a connection from %s claiming shard %d: it does not hold this run's token (CCGW_RUN_TOKEN)", nc.RemoteAddr(), hello.Index)
		_ = c.send(&msg{T: tRefused, Reason: "not of this run: its run token (CCGW_RUN_TOKEN) is not this run's"})
		return
	}
	p, welcome, refusal := co.join(hello, c)
	if refusal != "" {
		co.set.logf("coordinator: refused shard %d (pid %d on %s): %s", hello.Index, hello.PID, hello.Host, refusal)
		_ = c.send(&msg{T: tRefused, Reason: refusal})
		return
	}
	if err := c.send(welcome); err != nil {
		co.lose(p, "its welcome could not be sent: "+err.Error())
		return
	}
	_ = nc.SetReadDeadline(time.Time{})
	for {
		m, err := c.recv()
		if err != nil {
			co.lose(p, "its connection broke: "+errText(err))
			return
		}
		if done := co.receive(p, m); done {
			return
		}
	}
}

// join registers a verified hello; it returns the welcome, or why the
// shard is refused. A shard that proved the token is of this run: while
// the run is joining, one that is not what the run needs (another count,
// plan or version, an index taken) gives the run up at once rather than
// leave it waiting for the barrier timeout.
func (co *Coordinator) join(h *msg, c *conn) (*peer, *msg, string) {
	co.mu.Lock()
	defer co.mu.Unlock()
	n := co.cfg.Shard.Count
	switch {
	case co.phase == phaseGivenUp:
		return nil, nil, fmt.Sprintf("run %s was given up before shard %d arrived: %s", co.runID, h.Index, co.gaveUp)
	case co.phase == phaseStarted:
		return nil, nil, fmt.Sprintf("run %s started at %s without shard %d: it arrived late (a restarted pod?) and does not join a running run",
			co.runID, co.start.UTC().Format(time.RFC3339Nano), h.Index)
	}
	var reason string
	switch {
	case h.V != protocolVersion:
		reason = fmt.Sprintf("shard %d speaks protocol version %d, this coordinator %d: every shard must run the same ccgw", h.Index, h.V, protocolVersion)
	case h.Version != co.cfg.Version:
		reason = fmt.Sprintf("shard %d runs ccgw %s, the coordinator %s: every shard must run the same ccgw", h.Index, h.Version, co.cfg.Version)
	case h.Count != n:
		reason = fmt.Sprintf("run %s has %d shards; shard %d was started as %d/%d: every shard must have the same count (CCGW_SHARD_COUNT)", co.runID, n, h.Index, h.Index, h.Count)
	case h.Index < 0 || h.Index >= n:
		reason = fmt.Sprintf("shard index %d is not below the count %d", h.Index, n)
	case h.Target != co.cfg.Target || h.Plan != co.cfg.Plan:
		reason = fmt.Sprintf("shard %d runs %s/%s, the run %s/%s: every shard runs the same target and plan", h.Index, h.Target, h.Plan, co.cfg.Target, co.cfg.Plan)
	case h.RunID != "" && h.RunID != co.runID:
		reason = fmt.Sprintf("shard %d was started for run %s, this is run %s", h.Index, h.RunID, co.runID)
	}
	if old, dup := co.peers[h.Index]; reason == "" && dup {
		reason = fmt.Sprintf("shard %d joined twice (a restarted or duplicate pod: pid %d on %s, then pid %d on %s)",
			h.Index, old.hello.PID, old.hello.Host, h.PID, h.Host)
	}
	if reason != "" {
		co.giveUpLocked(reason)
		return nil, nil, reason + ": the run is given up"
	}
	p := &peer{index: h.Index, c: c, hello: h, lastSeen: time.Now()}
	co.peers[h.Index] = p
	co.set.logf("coordinator: shard %d/%d joined (pid %d on %s)", h.Index, n, h.PID, h.Host)
	return p, &msg{T: tWelcome, RunID: co.runID, Collect: co.set.collect, Metrics: co.set.merged != nil,
		Heartbeat: co.set.heartbeat.Milliseconds(), Timeout: co.set.heartbeatTimeout.Milliseconds()}, ""
}

// receive handles one message of shard p; done ends its connection.
func (co *Coordinator) receive(p *peer, m *msg) (done bool) {
	co.mu.Lock()
	defer co.mu.Unlock()
	now := time.Now()
	p.lastSeen = now
	if p.terminal() {
		return true
	}
	switch m.T {
	case tReady:
		if p.state == peerJoined {
			p.state = peerReady
			co.set.logf("coordinator: shard %d ready", p.index)
		}
		co.maybeStartLocked(now)
	case tLive:
		if m.Live == nil {
			return false
		}
		p.live = m.Live
		if m.Live.State != nil {
			p.hist.add(now, m.Live.State, co.keep())
		}
		if co.set.merged != nil && len(m.Live.Metrics) > 0 {
			if err := co.set.merged.Set(p.index, m.Live.Metrics, false); err != nil {
				co.set.logf("coordinator: shard %d: %v", p.index, err)
			}
		}
	case tFailed:
		co.failLocked(p, m.Reason)
		return true
	case tFile:
		if err := co.chunkLocked(p, m); err != nil {
			co.set.logf("coordinator: shard %d's results file: %v", p.index, err)
		}
	case tFinal:
		if m.Final == nil || m.Final.State == nil || m.Final.Meta.Shard == nil || m.Final.Meta.Shard.Index != p.index {
			co.failLocked(p, "its final figures are not whole")
			return true
		}
		p.final, p.state = m.Final, peerFinal
		co.closeFileLocked(p)
		p.hist.add(now, m.Final.State, co.keep())
		if co.set.merged != nil && len(m.Final.Metrics) > 0 {
			if err := co.set.merged.Set(p.index, m.Final.Metrics, false); err != nil {
				co.set.logf("coordinator: shard %d: %v", p.index, err)
			}
		}
		co.set.logf("coordinator: shard %d finished: %d results", p.index, m.Final.Results)
		go func() { _ = p.c.send(&msg{T: tBye}) }()
		co.settleLocked()
	}
	return false
}

// keep is how long a shard's states are kept for the abort rule's windows.
func (co *Coordinator) keep() time.Duration {
	if co.set.rule != nil {
		return co.set.rule.Window
	}
	return 0
}

// maybeStartLocked decides the start when every shard is ready.
func (co *Coordinator) maybeStartLocked(now time.Time) {
	if co.phase != phaseJoining || len(co.peers) < co.cfg.Shard.Count {
		return
	}
	for _, p := range co.peers {
		if p.state != peerReady {
			return
		}
	}
	co.phase, co.start = phaseStarted, now.Add(co.set.lead)
	co.set.logf("coordinator: all %d shards ready; the attack starts at %s (in %s)", co.cfg.Shard.Count, co.start.UTC().Format("15:04:05.000"), co.set.lead)
	co.broadcastLocked(&msg{T: tStart, At: co.start})
}

// giveUpLocked gives the run up before its start: every shard is told to
// stop (sign out, write its reports, exit 2).
func (co *Coordinator) giveUpLocked(reason string) {
	if co.phase != phaseJoining {
		return
	}
	co.phase, co.gaveUp = phaseGivenUp, reason
	co.set.logf("coordinator: run %s given up: %s", co.runID, reason)
	co.broadcastLocked(&msg{T: tStop, Reason: fmt.Sprintf("run %s given up: %s", co.runID, reason), By: results.AbortedByStart})
	co.settleLocked()
}

// failLocked records that shard p cannot run its part.
func (co *Coordinator) failLocked(p *peer, reason string) {
	if p.terminal() {
		return
	}
	p.state, p.why = peerFailed, reason
	co.closeFileLocked(p)
	co.set.logf("coordinator: shard %d failed: %s", p.index, reason)
	if co.phase == phaseJoining {
		co.giveUpLocked(fmt.Sprintf("shard %d failed before the start: %s", p.index, reason))
	}
	co.settleLocked()
}

// lose records that shard p was lost.
func (co *Coordinator) lose(p *peer, reason string) {
	co.mu.Lock()
	defer co.mu.Unlock()
	co.loseLocked(p, reason)
}

func (co *Coordinator) loseLocked(p *peer, reason string) {
	if p == nil || p.terminal() {
		return
	}
	p.state, p.why = peerLost, reason
	_ = p.c.close()
	co.closeFileLocked(p)
	if co.set.merged != nil {
		co.set.merged.Gone(p.index)
	}
	select {
	case <-co.quit:
		return // the coordinator is closing
	default:
	}
	co.set.logf("coordinator: shard %d lost: %s", p.index, reason)
	if co.phase == phaseJoining {
		co.giveUpLocked(fmt.Sprintf("shard %d was lost before the start: %s", p.index, reason))
	}
	co.settleLocked()
}

// settleLocked closes settled once every shard is done with the run.
func (co *Coordinator) settleLocked() {
	if co.settledOK || co.phase == phaseJoining {
		return
	}
	for _, p := range co.peers {
		if !p.terminal() {
			return
		}
	}
	co.settledOK = true
	close(co.settled)
}

// broadcastLocked sends m to every shard still running, each on its own
// goroutine (a shard cut off must not hold up the others).
func (co *Coordinator) broadcastLocked(m *msg) {
	for _, p := range co.peers {
		if p.terminal() {
			continue
		}
		c := p.c
		go func() { _ = c.send(m) }()
	}
}

// stopAll tells every shard to stop (the coordinator's own run was
// interrupted).
func (co *Coordinator) stopAll(reason, by string) {
	co.mu.Lock()
	defer co.mu.Unlock()
	if co.phase == phaseJoining {
		co.giveUpLocked(reason)
		return
	}
	co.broadcastLocked(&msg{T: tStop, Reason: reason, By: by})
}

// loop sends heartbeats, notices silent shards, keeps the barrier's
// deadline and judges the abort rule.
func (co *Coordinator) loop() {
	defer co.wg.Done()
	tick := time.NewTicker(co.set.heartbeat)
	defer tick.Stop()
	deadline := co.created.Add(co.set.barrierTimeout)
	for {
		select {
		case <-co.quit:
			return
		case now := <-tick.C:
			co.mu.Lock()
			for _, p := range co.peers {
				if p.terminal() {
					continue
				}
				if silent := now.Sub(p.lastSeen); silent > co.set.heartbeatTimeout {
					co.loseLocked(p, fmt.Sprintf("no message for %s (heartbeat timeout %s): killed, or cut off", silent.Round(100*time.Millisecond), co.set.heartbeatTimeout))
					continue
				}
				c := p.c
				go func() { _ = c.send(&msg{T: tPing}) }()
			}
			if co.phase == phaseJoining && !now.Before(deadline) {
				var ready, missing []int
				for i := range co.cfg.Shard.Count {
					if p, ok := co.peers[i]; ok && p.state == peerReady {
						ready = append(ready, i)
					} else {
						missing = append(missing, i)
					}
				}
				co.giveUpLocked(fmt.Sprintf("%s not ready within %s of the coordinator's start (ready: %s)",
					human.Shards(missing), co.set.barrierTimeout, orNone(ready)))
			}
			co.judgeLocked(now)
			co.mu.Unlock()
		}
	}
}

// judgeLocked judges the abort rule over the shards' last window.
func (co *Coordinator) judgeLocked(now time.Time) {
	r := co.set.rule
	if co.phase != phaseStarted || co.tripped != "" || !r.Due(co.start, now) {
		return
	}
	var w reports.Window
	for _, p := range co.peers {
		w.Add(p.hist.latest(), p.hist.base(now.Add(-r.Window)))
	}
	why, broke := r.Judge(&w)
	if !broke {
		return
	}
	co.tripped = why
	co.set.logf("coordinator: abort_when: %s: stopping every shard", why)
	co.broadcastLocked(&msg{T: tStop, Reason: why, By: results.AbortedByRule})
}

// chunkLocked writes a chunk of one of shard p's results files
// (load.ResultsFile or load.CallsFile).
func (co *Coordinator) chunkLocked(p *peer, m *msg) error {
	if m.File != load.ResultsFile && m.File != load.CallsFile {
		return fmt.Errorf("unexpected file %q", m.File)
	}
	f := p.files[m.File]
	if f == nil {
		dir := ShardDir(co.cfg.Out, p.index)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		var err error
		if f, err = os.CreateTemp(dir, "."+m.File+".*"); err != nil {
			return err
		}
		if p.files == nil {
			p.files = map[string]*os.File{}
		}
		p.files[m.File] = f
	}
	_, err := f.Write(m.Data)
	return err
}

// closeFileLocked puts shard p's collected results files in place (after
// its final) or drops them.
func (co *Coordinator) closeFileLocked(p *peer) {
	for name, f := range p.files {
		delete(p.files, name)
		err := f.Close()
		if err == nil && p.state == peerFinal {
			err = os.Rename(f.Name(), filepath.Join(filepath.Dir(f.Name()), name))
		}
		if err != nil || p.state != peerFinal {
			os.Remove(f.Name())
		}
	}
}

// progressLine is the whole run's live line.
func (co *Coordinator) progressLine() string {
	co.mu.Lock()
	agg := reports.NewAggregator()
	agents, alive, lost, present, n := 0, 0, 0, 0, co.cfg.Shard.Count
	plan := co.planned
	for _, p := range co.peers {
		var s *reports.State
		switch {
		case p.final != nil:
			s = p.final.State
		case p.live != nil:
			s = p.live.State
			agents += p.live.Agents
			alive += p.live.Alive
		}
		if p.state == peerLost || p.state == peerFailed {
			lost++
		} else {
			present++
		}
		if s != nil {
			_ = agg.Merge(s)
		}
	}
	start, phase := co.start, co.phase
	co.mu.Unlock()
	l := agg.Snapshot()
	var b strings.Builder
	fmt.Fprintf(&b, "run %s: %d/%d shards", co.runID, present, n)
	if lost > 0 {
		fmt.Fprintf(&b, " (%d lost)", lost)
	}
	if phase == phaseStarted {
		el := time.Since(start).Round(time.Second)
		if plan > 0 {
			fmt.Fprintf(&b, "  %s/%s", max(el, 0), plan)
		} else {
			fmt.Fprintf(&b, "  %s", max(el, 0))
		}
	} else {
		b.WriteString("  waiting for the start")
	}
	fmt.Fprintf(&b, "  requests %d  rate %.1f/s  p99 %s  errors %.2f%%  agents %d/%d alive",
		l.Requests, l.Rate, l.P99.Round(10*time.Microsecond), l.ErrorRate*100, alive, agents)
	return b.String()
}

// Outcome is the run's end as its coordinator judged it.
type Outcome struct {
	// Code is the run's exit code: 0 pass, 1 a gate failed (abort_when
	// included), 2 harness error (given up, a shard missing or failed),
	// 130 interrupted.
	Code int
	// Report is the merged report (nil when nothing could be merged).
	Report *reports.Report
	// Missing lists the shards whose figures the report lacks.
	Missing []int
	// Problems say why the code is 2.
	Problems []string
}

// wait waits until every shard is done with the run, or ctx ends (then
// every shard still running is stopped, and waited for a heartbeat
// timeout more).
func (co *Coordinator) wait(ctx context.Context) {
	select {
	case <-co.settled:
		return
	case <-ctx.Done():
	}
	co.stopAll("the coordinator was interrupted", results.AbortedByCoordinator)
	t := time.NewTimer(2*co.set.heartbeatTimeout + 30*time.Second)
	defer t.Stop()
	select {
	case <-co.settled:
	case <-t.C:
	}
}

// finish merges the shards' final figures and writes the run's reports
// into cfg.Out (each shard's own under shards/I; shard 0's are there
// already), and judges the run.
func (co *Coordinator) finish(interrupted bool) *Outcome {
	co.mu.Lock()
	type done struct {
		i int
		f *final
	}
	var finals []done
	var problems []string
	var missing []int
	for i := range co.cfg.Shard.Count {
		p := co.peers[i]
		switch {
		case p == nil:
			missing = append(missing, i)
			problems = append(problems, fmt.Sprintf("shard %d never joined", i))
		case p.final != nil:
			finals = append(finals, done{i, p.final})
		default:
			missing = append(missing, i)
			state := "was lost"
			if p.state == peerFailed {
				state = "failed"
			}
			problems = append(problems, fmt.Sprintf("shard %d %s: %s", i, state, p.why))
		}
	}
	gaveUp, tripped := co.gaveUp, co.tripped
	co.mu.Unlock()

	out := &Outcome{Code: exitHarness, Missing: missing}
	if gaveUp != "" {
		out.Problems = append(out.Problems, "the run was given up before its start: "+gaveUp)
	}
	if len(finals) == 0 {
		out.Problems = append(out.Problems, problems...)
		out.Problems = append(out.Problems, "no shard's figures to merge: no report written")
		return out
	}
	in := make([]results.ShardInput, len(finals))
	stats := make([]results.FileStats, len(finals))
	for k, d := range finals {
		dir := ShardDir(co.cfg.Out, d.i)
		in[k] = results.ShardInput{Results: filepath.Join(dir, load.ResultsFile), Dir: dir, Meta: d.f.Meta}
		stats[k] = results.FileStats{Path: in[k].Results, Results: int(d.f.Results), Calls: int(d.f.Calls), FirstSend: d.f.FirstSend}
		if d.i == 0 {
			continue // shard 0 wrote its own reports there
		}
		if err := writeShard(dir, d.f); err != nil {
			out.Problems = append(out.Problems, fmt.Sprintf("shard %d's own reports: %v", d.i, err))
		}
	}
	meta, _, err := results.MergeShardMeta(in, true)
	if err != nil {
		out.Problems = append(out.Problems, err.Error())
		return out
	}
	meta.AddFileStats(stats)
	if tripped != "" && meta.AbortedBy != results.AbortedByRule {
		meta.Aborted, meta.AbortedBy = tripped, results.AbortedByRule
	}
	agg := reports.NewAggregator(reports.WithLatencyFromPlanned(meta.LatencyFromPlanned))
	for _, d := range finals {
		if err := agg.Merge(d.f.State); err != nil {
			out.Problems = append(out.Problems, fmt.Sprintf("shard %d's figures: %v", d.i, err))
			return out
		}
	}
	var objs slo.Objectives
	if meta.SLO != nil {
		objs = *meta.SLO
	}
	r := agg.Report(meta, objs)
	out.Report = r
	if err := results.WriteMeta(filepath.Join(co.cfg.Out, results.MetaFile), meta); err != nil {
		out.Problems = append(out.Problems, err.Error())
	}
	if err := render.WriteRun(co.cfg.Out, r, agg); err != nil {
		out.Problems = append(out.Problems, fmt.Sprintf("writing the run's reports into %s: %v", co.cfg.Out, err))
	}
	for _, d := range finals {
		switch {
		case d.f.Err != "":
			out.Problems = append(out.Problems, fmt.Sprintf("shard %d ended with an error: %s", d.i, d.f.Err))
		case d.f.Meta.AbortedBy == results.AbortedByCoordinator:
			out.Problems = append(out.Problems, fmt.Sprintf("shard %d stopped: %s", d.i, d.f.Meta.Aborted))
		}
	}
	if len(missing) > 0 && !co.set.allowMissing {
		out.Problems = append(out.Problems, problems...)
		out.Problems = append(out.Problems, fmt.Sprintf("%s missing: no verdict of the run without them (--allow-missing-shards passes what is there)", human.Shards(missing)))
	}
	switch {
	case interrupted || meta.Interrupted:
		out.Code = exitInterrupted
	case len(out.Problems) > 0:
		out.Code = exitHarness
	case !r.Pass:
		out.Code = exitGateFailed
	default:
		out.Code = exitOK
	}
	return out
}

// writeShard writes shard i's own figures into dir: its meta.json and its
// own report (a diagnostic, as if it had run alone).
func writeShard(dir string, f *final) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := results.WriteMeta(filepath.Join(dir, results.MetaFile), f.Meta); err != nil {
		return err
	}
	a := reports.NewAggregator(reports.WithLatencyFromPlanned(f.Meta.LatencyFromPlanned))
	if err := a.Merge(f.State); err != nil {
		return err
	}
	var objs slo.Objectives
	if f.Meta.SLO != nil {
		objs = *f.Meta.SLO
	}
	return render.WriteRun(dir, a.Report(f.Meta, objs), a)
}

// Exit codes of a run: those of every ccgw command (errext's).
const (
	exitOK          = errext.ExitOK
	exitGateFailed  = errext.ExitGateFailed
	exitHarness     = errext.ExitHarness
	exitInterrupted = errext.ExitInterrupted
)

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

// errText is a connection error for a message.
func errText(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, net.ErrClosed):
		return "closed"
	case errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	}
	return err.Error()
}
