package dist

import (
	"bufio"
	"bytes"
	"net"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/metrics"
	"ccgw-harness/reports"
	"ccgw-harness/reports/reportstest"
)

// liveFrame is a shard's live snapshot as it crosses the network: the
// figures of a generated run of 30,000 results (errors, retcodes, three
// nodes, lag), the metrics of the same, signed under key.
func liveFrame(b *testing.B, key []byte) []byte {
	b.Helper()
	agg := reports.NewAggregator()
	mm, err := metrics.New(metrics.WithTarget("mock"), metrics.WithPlan("smoke"), metrics.WithoutRuntimeMetrics())
	if err != nil {
		b.Fatal(err)
	}
	obs := mm.Observer()
	spec := reportstest.DefaultSpec(30000)
	spec.Agents = 100
	spec.Each(func(r *vegeta.Result) { agg.Add(r); obs.Observe(r) })
	exp, err := mm.Exposition()
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	c := &conn{nc: nopConn{&buf}, side: 's', key: key}
	if err := c.send(&msg{T: tLive, Live: &liveSnap{Stage: metrics.StageMeasure, Started: time.Now(), Agents: 100, Alive: 100, State: agg.State(false), Metrics: exp}}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkCoordinatorSnapshot is the coordinator's work for one shard's
// snapshot (one a second per shard): read and verify the frame, decode
// it, keep the state for the abort rule's window and sum its metrics.
// Its time per operation is the coordinator's CPU per shard-second.
func BenchmarkCoordinatorSnapshot(b *testing.B) {
	key := sessionKey(runKey(testToken), newNonce(), newNonce())
	frame := liveFrame(b, key)
	merged, err := metrics.NewMerged()
	if err != nil {
		b.Fatal(err)
	}
	rate := 0.2
	co := &Coordinator{set: newSettings([]Option{WithMerged(merged), WithRule(&Rule{ErrorRate: &rate, Window: 10 * time.Second})}),
		peers: map[int]*peer{}, phase: phaseStarted, start: time.Now().Add(-time.Minute)}
	p := &peer{index: 1, state: peerReady}
	co.peers[1] = p
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		c := &conn{r: bufio.NewReader(bytes.NewReader(frame)), side: 'c', key: key}
		m, err := c.recv()
		if err != nil {
			b.Fatal(err)
		}
		co.receive(p, m)
		co.mu.Lock()
		co.judgeLocked(time.Now())
		co.mu.Unlock()
	}
}

// BenchmarkShardSnapshot is a shard's work for one snapshot: its live
// state, its metrics, the signed frame.
func BenchmarkShardSnapshot(b *testing.B) {
	agg := reports.NewAggregator()
	mm, _ := metrics.New(metrics.WithoutRuntimeMetrics())
	obs := mm.Observer()
	spec := reportstest.DefaultSpec(30000)
	spec.Agents = 100
	spec.Each(func(r *vegeta.Result) { agg.Add(r); obs.Observe(r) })
	c := &conn{nc: nopConn{&bytes.Buffer{}}, side: 's', key: sessionKey(runKey(testToken), newNonce(), newNonce())}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		exp, _ := mm.Exposition()
		if err := c.send(&msg{T: tLive, Live: &liveSnap{Stage: metrics.StageMeasure, State: agg.State(false), Metrics: exp}}); err != nil {
			b.Fatal(err)
		}
		c.nc.(nopConn).w.Reset()
	}
}

// nopConn is a net.Conn that writes into a buffer.
type nopConn struct{ w *bytes.Buffer }

func (n nopConn) Read([]byte) (int, error)         { return 0, net.ErrClosed }
func (n nopConn) Write(p []byte) (int, error)      { return n.w.Write(p) }
func (n nopConn) Close() error                     { return nil }
func (n nopConn) LocalAddr() net.Addr              { return nil }
func (n nopConn) RemoteAddr() net.Addr             { return nil }
func (n nopConn) SetDeadline(time.Time) error      { return nil }
func (n nopConn) SetReadDeadline(time.Time) error  { return nil }
func (n nopConn) SetWriteDeadline(time.Time) error { return nil }
