package dist

import (
	"bufio"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"ccgw-harness/reports"
	"ccgw-harness/results"
)

// The wire protocol. A connection carries frames, each
//
//	length (4 bytes, big-endian: of what follows) | MAC (32 bytes) | payload (JSON msg)
//
// The MAC is HMAC-SHA256 under the connection's session key of the
// sender's side ('c' coordinator, 's' shard), the frame's sequence number
// on that side (8 bytes, from 0) and the payload: a frame cannot be
// forged, replayed, reordered or reflected without the key. The session
// key is HMAC-SHA256(runKey, "session" | coordinator nonce | shard nonce)
// with runKey = HMAC-SHA256(token, "ccgw-dist run key 1"): both sides
// prove they know the run's token without it, or anything from which it
// could be found short of guessing it, ever crossing the network. The
// payloads are not secret (figures of a load run, no password, Guid or
// token: results never hold them), so they are not encrypted.
//
// The handshake: the coordinator sends a challenge (its nonce, unsigned);
// the shard sends hello (its nonce, index, count, run, target, plan and
// version), signed under the session key; a coordinator that cannot verify
// it refuses it, unsigned, and closes (a shard of another run, or without
// the token); else it answers welcome or refused, signed, which proves to
// the shard that the coordinator holds the token too.

// protocolVersion is the version of the protocol; a shard of another one
// is refused.
const protocolVersion = 1

// Frame bounds.
const (
	macSize   = sha256.Size
	nonceSize = 32
	// maxFrame bounds a frame: a final state of a big run (every agent's
	// and second's histogram) is a few MB; a results file goes in chunks.
	maxFrame = 64 << 20
	// chunkSize is the size of a results file's chunks (--collect-results).
	chunkSize = 1 << 20
)

// Message types.
const (
	tChallenge = "challenge" // coordinator -> shard: nonce
	tHello     = "hello"     // shard -> coordinator: who it is
	tWelcome   = "welcome"   // coordinator -> shard: the run's ID and settings
	tRefused   = "refused"   // coordinator -> shard: why not; then closed
	tReady     = "ready"     // shard -> coordinator: signed in and warm
	tStart     = "start"     // coordinator -> shard: the start instant
	tStop      = "stop"      // coordinator -> shard: stop now (Reason, By)
	tPing      = "ping"      // coordinator -> shard: heartbeat
	tLive      = "live"      // shard -> coordinator: a snapshot, also its heartbeat
	tFailed    = "failed"    // shard -> coordinator: it cannot run its part (Reason)
	tFile      = "file"      // shard -> coordinator: a chunk of its results file
	tFinal     = "final"     // shard -> coordinator: its final figures
	tBye       = "bye"       // coordinator -> shard: final received
)

// msg is every message; each type uses some of its fields.
type msg struct {
	T     string `json:"t"`
	V     int    `json:"v,omitempty"`
	Nonce []byte `json:"nonce,omitempty"`

	// hello
	Index   int    `json:"index,omitempty"`
	Count   int    `json:"count,omitempty"`
	RunID   string `json:"run_id,omitempty"`
	Target  string `json:"target,omitempty"`
	Plan    string `json:"plan,omitempty"`
	Version string `json:"version,omitempty"`
	Host    string `json:"host,omitempty"`
	PID     int    `json:"pid,omitempty"`

	// welcome
	Collect   bool  `json:"collect,omitempty"`
	Metrics   bool  `json:"metrics,omitempty"`
	Heartbeat int64 `json:"heartbeat_ms,omitempty"`
	Timeout   int64 `json:"timeout_ms,omitempty"`

	// ready, start
	At time.Time `json:"at,omitzero"`

	// refused, stop, failed
	Reason string `json:"reason,omitempty"`
	By     string `json:"by,omitempty"`

	Live  *liveSnap `json:"live,omitempty"`
	Final *final    `json:"final,omitempty"`

	// file
	File string `json:"file,omitempty"`
	Data []byte `json:"data,omitempty"`
}

// liveSnap is a shard's snapshot: what it is doing and its figures so far.
type liveSnap struct {
	Stage   string         `json:"stage"`
	Started time.Time      `json:"started,omitzero"`
	Agents  int            `json:"agents"`
	Alive   int            `json:"alive"`
	State   *reports.State `json:"state,omitempty"`
	// Metrics is the shard's metrics exposition (when the coordinator
	// serves metrics).
	Metrics []byte `json:"metrics,omitempty"`
}

// final is a shard's end: its meta.json, its full figures, what its
// results file holds, and how its run ended.
type final struct {
	Meta  results.Meta   `json:"meta"`
	State *reports.State `json:"state"`
	// Results, Calls and FirstSend are what ccgw report reads from the
	// shard's results files: the results of its results.bin (its measured
	// requests) and of its calls.bin (the agents' own calls), and its first
	// measured send.
	Results   uint64    `json:"results"`
	Calls     uint64    `json:"calls"`
	FirstSend time.Time `json:"first_send,omitzero"`
	// Err is the error the shard's run ended with, if any.
	Err string `json:"err,omitempty"`
	// Metrics is the shard's final metrics exposition (when the
	// coordinator serves metrics).
	Metrics []byte `json:"metrics,omitempty"`
}

// runKey derives the key every session key of a run comes from.
func runKey(token string) []byte {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("ccgw-dist run key 1"))
	return m.Sum(nil)
}

// sessionKey is the key of one connection.
func sessionKey(rk, coordNonce, shardNonce []byte) []byte {
	m := hmac.New(sha256.New, rk)
	m.Write([]byte("session"))
	m.Write(coordNonce)
	m.Write(shardNonce)
	return m.Sum(nil)
}

func newNonce() []byte {
	b := make([]byte, nonceSize)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return b
}

// errBadMAC is a frame whose MAC does not verify.
var errBadMAC = errors.New("a message that does not carry the run's signature (another run's token, or none)")

// conn is one side of a connection: frames out (serialised) and in (one
// reader), signed under key once the handshake set it.
type conn struct {
	nc       net.Conn
	r        *bufio.Reader
	side     byte // 'c' or 's': this side
	key      []byte
	wmu      sync.Mutex
	sendSeq  uint64
	recvSeq  uint64
	deadline time.Duration // write deadline of a frame (0: none)
}

func newConn(nc net.Conn, side byte, writeDeadline time.Duration) *conn {
	return &conn{nc: nc, r: bufio.NewReaderSize(nc, 64<<10), side: side, deadline: writeDeadline}
}

func (c *conn) peer() byte {
	if c.side == 'c' {
		return 's'
	}
	return 'c'
}

func (c *conn) mac(side byte, seq uint64, payload []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	var hdr [9]byte
	hdr[0] = side
	binary.BigEndian.PutUint64(hdr[1:], seq)
	m.Write(hdr[:])
	m.Write(payload)
	return m.Sum(nil)
}

// send writes m as one frame, signed when the connection has its key.
func (c *conn) send(m *msg) error {
	payload, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if len(payload)+macSize > maxFrame {
		return fmt.Errorf("a %s message of %d bytes is over the frame bound", m.T, len(payload))
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	mac := make([]byte, macSize)
	if c.key != nil {
		mac = c.mac(c.side, c.sendSeq, payload)
		c.sendSeq++
	}
	buf := make([]byte, 4, 4+macSize+len(payload))
	binary.BigEndian.PutUint32(buf, uint32(macSize+len(payload)))
	buf = append(append(buf, mac...), payload...)
	if c.deadline > 0 {
		_ = c.nc.SetWriteDeadline(time.Now().Add(c.deadline))
	}
	_, err = c.nc.Write(buf)
	return err
}

// readFrame reads one frame: its MAC and payload.
func (c *conn) readFrame() (mac, payload []byte, err error) {
	var hdr [4]byte
	if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
		return nil, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n < macSize || n > maxFrame {
		return nil, nil, fmt.Errorf("a frame of %d bytes: not this protocol", n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(c.r, b); err != nil {
		return nil, nil, err
	}
	return b[:macSize], b[macSize:], nil
}

// verify checks a frame's MAC against the peer's next sequence number.
func (c *conn) verify(mac, payload []byte) bool {
	if c.key == nil {
		return false
	}
	if !hmac.Equal(mac, c.mac(c.peer(), c.recvSeq, payload)) {
		return false
	}
	c.recvSeq++
	return true
}

// recv reads the next signed message.
func (c *conn) recv() (*msg, error) {
	mac, payload, err := c.readFrame()
	if err != nil {
		return nil, err
	}
	if !c.verify(mac, payload) {
		return nil, errBadMAC
	}
	return decode(payload)
}

// recvPlain reads the next message without verifying it (the challenge,
// and a refusal from a coordinator that could not verify us).
func (c *conn) recvPlain() (*msg, []byte, []byte, error) {
	mac, payload, err := c.readFrame()
	if err != nil {
		return nil, nil, nil, err
	}
	m, err := decode(payload)
	return m, mac, payload, err
}

func decode(payload []byte) (*msg, error) {
	var m msg
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, fmt.Errorf("a message that is not this protocol's: %v", err)
	}
	return &m, nil
}

func (c *conn) close() error { return c.nc.Close() }
