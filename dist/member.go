package dist

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"ccgw-harness/load"
	"ccgw-harness/metrics"
	"ccgw-harness/reports"
	"ccgw-harness/results"
)

// Member is one shard's part in a distributed run: its connection to the
// coordinator (shard 0 holds the coordinator too) and what its load.Job
// needs from the run: the start, the stops, the snapshots it sends.
//
// The order: Join (before signing in), Options for the job, Attach once
// the job exists, Fail when the shard cannot run its part, Finish when the
// job's run returned, Close.
type Member struct {
	cfg   Config
	set   *settings
	c     *conn
	coord *Coordinator // shard 0 only
	runID string
	want  struct{ collect, metrics bool }

	agg    *reports.Aggregator
	stops  chan load.Stop
	starts chan time.Time
	bye    chan struct{}
	lost   chan struct{}

	lostOnce, byeOnce, stopOnce, closeOnce sync.Once
	lostWhy                                string
	lastSeen                               atomic.Int64
	heartbeat, timeout                     time.Duration

	mu  sync.Mutex
	job *load.Job
	mm  *metrics.Metrics

	quit chan struct{}
	wg   sync.WaitGroup
}

// Join joins the run of cfg before the shard signs anyone in. Shard 0
// first starts the coordinator (listening on cfg.Coordinator's port) and
// joins it in process; the others connect to cfg.Coordinator, trying
// again until the barrier timeout (the coordinator's pod may start after
// theirs). Every error is the shard's end: it must not go on.
func Join(ctx context.Context, cfg Config, opts ...Option) (*Member, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	set := newSettings(opts)
	m := &Member{cfg: cfg, set: set, agg: reports.NewAggregator(), stops: make(chan load.Stop, 1),
		starts: make(chan time.Time, 1), bye: make(chan struct{}), lost: make(chan struct{}), quit: make(chan struct{}),
		heartbeat: set.heartbeat, timeout: set.heartbeatTimeout}
	var nc net.Conn
	if cfg.Shard.Index == 0 {
		co, err := newCoordinator(cfg, set)
		if err != nil {
			return nil, err
		}
		m.coord = co
		local, remote := net.Pipe()
		co.wg.Add(1)
		go func() {
			defer co.wg.Done()
			co.handle(remote)
		}()
		nc = local
	} else {
		var err error
		if nc, err = m.dial(ctx); err != nil {
			return nil, err
		}
	}
	if err := m.handshake(nc); err != nil {
		nc.Close()
		if m.coord != nil {
			m.coord.close()
		}
		return nil, err
	}
	m.lastSeen.Store(time.Now().UnixNano())
	m.wg.Add(2)
	go m.read()
	go m.beat()
	return m, nil
}

// dial connects to the coordinator, trying again until the barrier
// timeout.
func (m *Member) dial(ctx context.Context) (net.Conn, error) {
	deadline := time.Now().Add(m.set.barrierTimeout)
	wait := 200 * time.Millisecond
	var last error
	for attempt := 1; ; attempt++ {
		d := net.Dialer{Timeout: 5 * time.Second}
		nc, err := d.DialContext(ctx, "tcp", m.cfg.Coordinator)
		if err == nil {
			return nc, nil
		}
		last = err
		if attempt == 1 || attempt%20 == 0 {
			m.set.logf("shard %s: coordinator %s not reachable yet (%v); trying again until %s", m.cfg.Shard, m.cfg.Coordinator, errText(err), deadline.Format(time.RFC3339))
		}
		if !time.Now().Add(wait).Before(deadline) {
			return nil, fmt.Errorf("coordinator %s not reachable within %s (--barrier-timeout): %v", m.cfg.Coordinator, m.set.barrierTimeout, errText(last))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		wait = min(wait*2, 2*time.Second)
	}
}

// handshake proves the token both ways and gets the run's settings.
func (m *Member) handshake(nc net.Conn) error {
	c := newConn(nc, 's', m.set.heartbeatTimeout)
	_ = nc.SetDeadline(time.Now().Add(DefaultHandshakeTimeout))
	ch, _, _, err := c.recvPlain()
	if err != nil {
		return fmt.Errorf("coordinator %s: %v", m.cfg.Coordinator, errText(err))
	}
	if ch.T != tChallenge || len(ch.Nonce) != nonceSize {
		return fmt.Errorf("coordinator %s does not speak this protocol", m.cfg.Coordinator)
	}
	if ch.V != protocolVersion {
		return fmt.Errorf("coordinator %s speaks protocol version %d, this shard %d: every shard must run the same ccgw", m.cfg.Coordinator, ch.V, protocolVersion)
	}
	mine := newNonce()
	c.key = sessionKey(runKey(m.cfg.Token), ch.Nonce, mine)
	host, _ := os.Hostname()
	if err := c.send(&msg{T: tHello, V: protocolVersion, Nonce: mine, Index: m.cfg.Shard.Index, Count: m.cfg.Shard.Count,
		RunID: m.cfg.RunID, Target: m.cfg.Target, Plan: m.cfg.Plan, Version: m.cfg.Version, Host: host, PID: os.Getpid()}); err != nil {
		return fmt.Errorf("coordinator %s: %v", m.cfg.Coordinator, errText(err))
	}
	mac, payload, err := c.readFrame()
	if err != nil {
		return fmt.Errorf("coordinator %s: %v", m.cfg.Coordinator, errText(err))
	}
	if !c.verify(mac, payload) {
		if r, err := decode(payload); err == nil && r.T == tRefused {
			return fmt.Errorf("refused by coordinator %s: %s", m.cfg.Coordinator, r.Reason)
		}
		return fmt.Errorf("coordinator %s cannot prove it holds this run's token (CCGW_RUN_TOKEN): not this run's coordinator", m.cfg.Coordinator)
	}
	w, err := decode(payload)
	if err != nil {
		return err
	}
	if w.T == tRefused {
		return fmt.Errorf("refused by the coordinator: %s", w.Reason)
	}
	if w.T != tWelcome || ValidRunID(w.RunID) != nil {
		return fmt.Errorf("coordinator %s: no welcome", m.cfg.Coordinator)
	}
	_ = nc.SetDeadline(time.Time{})
	m.c, m.runID = c, w.RunID
	m.want.collect, m.want.metrics = w.Collect, w.Metrics
	if w.Heartbeat > 0 && w.Timeout > 0 {
		m.heartbeat, m.timeout = time.Duration(w.Heartbeat)*time.Millisecond, time.Duration(w.Timeout)*time.Millisecond
		c.deadline = m.timeout
	}
	m.set.logf("shard %s: joined run %s", m.cfg.Shard, m.runID)
	return nil
}

// RunID is the run's ID.
func (m *Member) RunID() string { return m.runID }

// Out is where the shard's own job writes: shard 0's under shards/0 of
// the run's output, the others' in their output directory.
func (m *Member) Out() string {
	if m.coord != nil {
		return ShardDir(m.cfg.Out, 0)
	}
	return m.cfg.Out
}

// SendsMetrics reports whether the coordinator serves the run's metrics:
// the shard then keeps a metrics.Metrics (not served) and Attaches it.
func (m *Member) SendsMetrics() bool { return m.want.metrics }

// Coordinator is shard 0's coordinator (nil for other shards).
func (m *Member) Coordinator() *Coordinator { return m.coord }

// Options are the load options that make a job this shard: its part of
// the plan, the run's ID, the start gate, the stops and the aggregator
// its snapshots come from.
func (m *Member) Options() []load.Option {
	return []load.Option{load.WithShard(m.cfg.Shard), load.WithRunID(m.runID), load.WithStartGate(m.gate),
		load.WithStop(m.stops), load.WithAggregator(m.agg)}
}

// Attach makes job (running with Options) and its metrics mm (nil: none)
// the source of the shard's snapshots.
func (m *Member) Attach(job *load.Job, mm *metrics.Metrics) {
	m.mu.Lock()
	m.job, m.mm = job, mm
	m.mu.Unlock()
}

// gate is the job's start gate: ready, then the coordinator's start.
func (m *Member) gate(ctx context.Context) (time.Time, error) {
	if err := m.c.send(&msg{T: tReady, At: time.Now()}); err != nil {
		m.lose("cannot tell it ready: " + errText(err))
	}
	select {
	case at := <-m.starts:
		wait := time.Until(at)
		if wait < 0 {
			m.set.logf("shard %s: saw the start %s late", m.cfg.Shard, (-wait).Round(time.Millisecond))
			return at, nil
		}
		m.set.logf("shard %s: every shard ready; the attack starts at %s (in %s)", m.cfg.Shard, at.UTC().Format("15:04:05.000"), wait.Round(time.Millisecond))
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
			return at, nil
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	case <-m.lost:
		return time.Time{}, &load.AbortError{Reason: "lost the coordinator before the start: " + m.lostWhy, By: results.AbortedByCoordinator}
	case <-ctx.Done():
		return time.Time{}, ctx.Err()
	}
}

// stop hands the job a Stop (the first one counts).
func (m *Member) stop(s load.Stop) {
	m.stopOnce.Do(func() { m.stops <- s })
}

// lose takes the coordinator for lost: the job is stopped.
func (m *Member) lose(why string) {
	m.lostOnce.Do(func() {
		m.lostWhy = why
		close(m.lost)
		_ = m.c.close()
		select {
		case <-m.bye:
			return // the run is over for this shard: nothing to stop
		default:
		}
		m.set.logf("shard %s: lost the coordinator: %s: stopping, signing out and writing this shard's reports", m.cfg.Shard, why)
		m.stop(load.Stop{Reason: "lost the coordinator: " + why, By: results.AbortedByCoordinator})
	})
}

// read takes the coordinator's messages.
func (m *Member) read() {
	defer m.wg.Done()
	for {
		msg, err := m.c.recv()
		if err != nil {
			select {
			case <-m.quit:
			default:
				m.lose("the connection broke: " + errText(err))
			}
			return
		}
		m.lastSeen.Store(time.Now().UnixNano())
		switch msg.T {
		case tStart:
			select {
			case m.starts <- msg.At:
			default:
			}
		case tStop:
			m.set.logf("shard %s: the coordinator stops the run: %s", m.cfg.Shard, msg.Reason)
			m.stop(load.Stop{Reason: msg.Reason, By: msg.By})
		case tBye:
			m.byeOnce.Do(func() { close(m.bye) })
		case tRefused:
			m.lose("refused: " + msg.Reason)
		}
	}
}

// beat sends a snapshot every heartbeat and notices a silent coordinator.
func (m *Member) beat() {
	defer m.wg.Done()
	tick := time.NewTicker(m.heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-m.quit:
			return
		case <-m.lost:
			return
		case <-m.bye:
			return
		case now := <-tick.C:
			if silent := now.Sub(time.Unix(0, m.lastSeen.Load())); silent > m.timeout {
				m.lose(fmt.Sprintf("no message for %s (heartbeat timeout %s): gone, or cut off", silent.Round(100*time.Millisecond), m.timeout))
				return
			}
			if err := m.c.send(&msg{T: tLive, Live: m.snapshot()}); err != nil {
				m.lose("cannot send: " + errText(err))
				return
			}
		}
	}
}

// snapshot is the shard's live figures.
func (m *Member) snapshot() *liveSnap {
	m.mu.Lock()
	job, mm := m.job, m.mm
	m.mu.Unlock()
	s := &liveSnap{Stage: metrics.StageOpen}
	if job == nil {
		return s
	}
	st := job.Status()
	s.Stage, s.Started, s.Agents, s.Alive = st.Stage, st.Started, st.Agents, st.Alive
	s.State = m.agg.State(false)
	if mm != nil && m.want.metrics {
		if b, err := mm.Exposition(); err == nil {
			s.Metrics = b
		}
	}
	return s
}

// Fail tells the coordinator this shard cannot run its part (a refused
// plan, an unreachable target, a run that ended in error without
// reports): before the start, the run is given up for every shard.
func (m *Member) Fail(reason string) {
	select {
	case <-m.lost:
		return
	default:
	}
	_ = m.c.send(&msg{T: tFailed, Reason: reason})
}

// Finish ends the shard's part once its job's Run returned (outc and err
// as it returned them): it sends the shard's final figures (and results
// file when the run collects them) and waits for the coordinator to take
// them. It returns the shard's exit code: 0 when it ran its part, 130
// when it was interrupted, 2 when it could not (or its coordinator was
// lost). Shard 0 then waits for every shard, writes the run's reports and
// returns the run's verdict (see Coordinator).
func (m *Member) Finish(ctx context.Context, outc *load.Outcome, runErr error) (int, *Outcome) {
	code := m.finishShard(outc, runErr)
	if m.coord == nil {
		return code, nil
	}
	m.coord.wait(ctx)
	o := m.coord.finish(ctx.Err() != nil)
	for _, p := range o.Problems {
		m.set.logf("coordinator: %s", p)
	}
	return o.Code, o
}

// finishShard is Finish's shard part.
func (m *Member) finishShard(outc *load.Outcome, runErr error) int {
	if outc == nil || outc.Report == nil {
		why := "it ended before writing its reports"
		if runErr != nil {
			why = runErr.Error()
		}
		m.Fail(why)
		return exitHarness
	}
	code := exitOK
	switch {
	case outc.Meta.Interrupted:
		code = exitInterrupted
	case runErr != nil, outc.Meta.AbortedBy == results.AbortedByStart, outc.Meta.AbortedBy == results.AbortedByCoordinator:
		code = exitHarness
	}
	select {
	case <-m.lost:
		m.set.logf("shard %s: its own reports are in %s; the coordinator never got its figures (%s)", m.cfg.Shard, outc.Dir, m.lostWhy)
		return exitHarness
	default:
	}
	if m.want.collect && m.coord == nil {
		for _, name := range []string{load.ResultsFile, load.CallsFile} {
			if err := m.sendFile(filepath.Join(outc.Dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				m.set.logf("shard %s: sending its %s: %v", m.cfg.Shard, name, err)
			}
		}
	}
	f := &final{Meta: outc.Meta, State: m.agg.State(true), Results: outc.Recorded}
	for _, n := range outc.Calls {
		f.Calls += n
	}
	f.Calls -= outc.Recorded
	f.FirstSend = f.State.FirstSend()
	if runErr != nil {
		f.Err = runErr.Error()
	}
	m.mu.Lock()
	mm := m.mm
	m.mu.Unlock()
	if mm != nil && m.want.metrics {
		f.Metrics, _ = mm.Exposition()
	}
	if err := m.c.send(&msg{T: tFinal, Final: f}); err != nil {
		m.lose("cannot send the final figures: " + errText(err))
		return exitHarness
	}
	t := time.NewTimer(2*m.timeout + 30*time.Second)
	defer t.Stop()
	select {
	case <-m.bye:
		m.set.logf("shard %s: the coordinator has its figures", m.cfg.Shard)
		return code
	case <-m.lost:
	case <-t.C:
		m.lose("no answer to the final figures")
	}
	m.set.logf("shard %s: the coordinator did not take its figures (%s); its own reports are in %s", m.cfg.Shard, m.lostWhy, outc.Dir)
	return exitHarness
}

// sendFile sends a results file in chunks.
func (m *Member) sendFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, chunkSize)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			if serr := m.c.send(&msg{T: tFile, File: filepath.Base(path), Data: buf[:n]}); serr != nil {
				return serr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// Close ends the shard's connection (and shard 0's coordinator).
func (m *Member) Close() {
	m.closeOnce.Do(func() {
		close(m.quit)
		_ = m.c.close()
		m.wg.Wait()
		if m.coord != nil {
			m.coord.close()
		}
	})
}
