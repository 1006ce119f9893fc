package mockgw

import (
	"sync"
	"sync/atomic"

	"ccgw-harness/gateway"
)

// numShards is the number of shards of each node's session and Guid tables.
const numShards = 64

// Session states: alive, or why the session ended.
const (
	stateAlive int32 = iota
	stateSignedOut
	stateReplaced
	stateIdle
	stateRestarted
)

// session is one signed-in agent on one node.
type session struct {
	agentID  int
	phonenum string
	node     *node
	state    atomic.Int32
	lastPoll atomic.Int64 // server clock, ns: sign-in or the last event poll
	cur      atomic.Pointer[guidRec]
	killed   chan struct{} // closed when the session ends
	mu       sync.Mutex    // serialises rotation
}

// guidRec is one Guid a session was issued.
type guidRec struct {
	guid    string
	s       *session
	issued  int64        // server clock, ns
	rotated atomic.Int64 // server clock, ns, when the next Guid replaced it; 0 while current
}

// agentShard maps agent IDs to their session on one node.
type agentShard struct {
	mu sync.RWMutex
	m  map[int]*session
	_  [32]byte
}

// guidShard maps Guids to their record on one node.
type guidShard struct {
	mu sync.RWMutex
	m  map[string]*guidRec
	_  [32]byte
}

// node is one gateway node of the cluster with its own session table.
type node struct {
	n      int    // 1-based
	suffix string // ".AgentGateway<n>"
	agents [numShards]agentShard
	guids  [numShards]guidShard
}

// newNode returns node n with empty tables.
func newNode(n int) *node {
	nd := &node{n: n, suffix: gateway.NodeSuffix(n)}
	for i := range nd.agents {
		nd.agents[i].m = map[int]*session{}
		nd.guids[i].m = map[string]*guidRec{}
	}
	return nd
}

// agentShard returns the shard of agent id.
func (nd *node) agentShard(id int) *agentShard { return &nd.agents[uint(id)%numShards] }

// guidShard returns the shard of a Guid (FNV-1a over its first 8 bytes,
// which are random hex for the Guids the mock issues).
func (nd *node) guidShard(g string) *guidShard {
	h := uint32(2166136261)
	for i := 0; i < len(g) && i < 8; i++ {
		h = (h ^ uint32(g[i])) * 16777619
	}
	return &nd.guids[h%numShards]
}

// lookup returns the record of a Guid, or nil.
func (nd *node) lookup(g string) *guidRec {
	sh := nd.guidShard(g)
	sh.mu.RLock()
	rec := sh.m[g]
	sh.mu.RUnlock()
	return rec
}

// addRec indexes a new Guid.
func (nd *node) addRec(rec *guidRec) {
	sh := nd.guidShard(rec.guid)
	sh.mu.Lock()
	sh.m[rec.guid] = rec
	sh.mu.Unlock()
}

// agentSession returns the session agent id has on this node, or nil.
func (nd *node) agentSession(id int) *session {
	sh := nd.agentShard(id)
	sh.mu.RLock()
	sess := sh.m[id]
	sh.mu.RUnlock()
	return sess
}

// newGuidRec issues a fresh Guid for sess: a random UUID with the node's
// suffix.
func newGuidRec(sess *session, now int64) *guidRec {
	return &guidRec{guid: newUUID() + sess.node.suffix, s: sess, issued: now}
}

// createSession signs agent id in on node nd. The caller holds the agent's
// operation lock and has made sure no live session exists.
func (s *Server) createSession(nd *node, id int, phonenum string, now int64) *session {
	sess := &session{agentID: id, phonenum: phonenum, node: nd, killed: make(chan struct{})}
	sess.lastPoll.Store(now)
	rec := newGuidRec(sess, now)
	sess.cur.Store(rec)
	nd.addRec(rec)
	sh := nd.agentShard(id)
	sh.mu.Lock()
	old := sh.m[id]
	sh.m[id] = sess
	sh.mu.Unlock()
	s.stats.active.Add(1)
	s.stats.signIns.Add(1)
	if s.secretHook != nil {
		s.secret(SecretGuid, rec.guid)
	}
	if old != nil {
		s.kill(old, stateReplaced)
	}
	return sess
}

// kill ends a live session for reason; it reports whether this call ended it.
// The session's Guids stay in the index until the sweeper drops them, and
// they answer as dead meanwhile (or as alive under the defects that keep
// signed-out or replaced Guids).
func (s *Server) kill(sess *session, reason int32) bool {
	if !sess.state.CompareAndSwap(stateAlive, reason) {
		return false
	}
	close(sess.killed)
	s.stats.active.Add(-1)
	switch reason {
	case stateSignedOut:
		s.stats.signOuts.Add(1)
	case stateIdle:
		s.stats.idleSignOuts.Add(1)
	case stateReplaced:
		s.stats.replaced.Add(1)
	}
	sh := sess.node.agentShard(sess.agentID)
	sh.mu.Lock()
	if sh.m[sess.agentID] == sess {
		delete(sh.m, sess.agentID)
	}
	sh.mu.Unlock()
	return true
}

// alive reports whether sess is alive, signing it out first when it has not
// polled for the idle timeout.
func (s *Server) alive(sess *session, now int64) bool {
	if sess.state.Load() != stateAlive {
		return false
	}
	if now-sess.lastPoll.Load() >= int64(s.idleTimeout) {
		s.kill(sess, stateIdle)
		return false
	}
	return true
}

// recValid reports whether a Guid record authenticates now: its session is
// alive (or dead in a way an active defect ignores) and the Guid is the
// current one or a rotated-out one within its timeout.
func (s *Server) recValid(rec *guidRec, now int64, ds defectSet) bool {
	sess := rec.s
	if !s.alive(sess, now) {
		switch sess.state.Load() {
		case stateSignedOut:
			if ds&bitSignedOutGuidAccepted == 0 {
				return false
			}
		case stateReplaced:
			if ds&bitReplacedGuidAccepted == 0 {
				return false
			}
		default:
			return false
		}
	}
	if sess.cur.Load() == rec || ds&bitOldGuidNeverExpires != 0 {
		return true
	}
	from := rec.issued
	if s.guidTimeoutFrom == gateway.GuidTimeoutFromRotation {
		from = rec.rotated.Load() // set before the record stopped being current
	}
	return now-from < int64(s.guidTimeout)
}

// authorize checks the Guid of a request for agent id on node nd. It returns
// the session, or nil and the retcode index: 000-003 for a missing Guid or a
// live Guid of another agent, 100-006 for an unknown or dead one.
func (s *Server) authorize(nd *node, guid []string, id int, now int64, ds defectSet) (*session, int) {
	if len(guid) == 0 || guid[0] == "" {
		return nil, riNoPermission
	}
	rec := nd.lookup(guid[0])
	if rec == nil || !s.recValid(rec, now, ds) {
		return nil, riNotSignedIn
	}
	if rec.s.agentID != id && ds&bitOtherAgentGuidAccepted == 0 {
		return nil, riNoPermission
	}
	return rec.s, -1
}

// liveSession returns agent id's live session on any node, or nil.
func (s *Server) liveSession(id int, now int64) *session {
	for _, nd := range s.nodes {
		if sess := nd.agentSession(id); sess != nil && s.alive(sess, now) {
			return sess
		}
	}
	return nil
}

// rotate issues a new current Guid for sess. Unless force, it does so only
// when the current Guid is at least the Guid interval old (a concurrent poll
// may have rotated it already). It returns the new record, or nil.
func (s *Server) rotate(sess *session, now int64, force bool) *guidRec {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if sess.state.Load() != stateAlive {
		return nil
	}
	if !force && now-sess.cur.Load().issued < int64(s.guidInterval) {
		return nil
	}
	rec := newGuidRec(sess, now)
	sess.node.addRec(rec)
	sess.cur.Load().rotated.Store(now)
	sess.cur.Store(rec)
	s.stats.rotations.Add(1)
	if s.secretHook != nil {
		s.secret(SecretGuid, rec.guid)
	}
	return rec
}

// sweep signs out idle agents and drops Guid records that can no longer
// authenticate. It holds each shard's lock only briefly.
func (s *Server) sweep() {
	now := s.now()
	ds := defectSet(s.defects.Load())
	var sessions []*session
	var drop []*guidRec
	for _, nd := range s.nodes {
		for i := range nd.agents {
			sh := &nd.agents[i]
			sessions = sessions[:0]
			sh.mu.RLock()
			for _, sess := range sh.m {
				sessions = append(sessions, sess)
			}
			sh.mu.RUnlock()
			for _, sess := range sessions {
				s.alive(sess, now)
			}
		}
		for i := range nd.guids {
			sh := &nd.guids[i]
			drop = drop[:0]
			sh.mu.RLock()
			for _, rec := range sh.m {
				if !s.recValid(rec, now, ds) {
					drop = append(drop, rec)
				}
			}
			sh.mu.RUnlock()
			if len(drop) == 0 {
				continue
			}
			sh.mu.Lock()
			for _, rec := range drop {
				if sh.m[rec.guid] == rec {
					delete(sh.m, rec.guid)
				}
			}
			sh.mu.Unlock()
		}
	}
}

// restart loses every session on every node, as a gateway restart does.
func (s *Server) restart() {
	var sessions []*session
	for _, nd := range s.nodes {
		for i := range nd.agents {
			sh := &nd.agents[i]
			sh.mu.Lock()
			for _, sess := range sh.m {
				sessions = append(sessions, sess)
			}
			sh.mu.Unlock()
		}
		for i := range nd.guids {
			sh := &nd.guids[i]
			sh.mu.Lock()
			for _, rec := range sh.m {
				if rec.s.state.Load() != stateAlive {
					continue
				}
				sessions = append(sessions, rec.s)
			}
			sh.m = map[string]*guidRec{}
			sh.mu.Unlock()
		}
	}
	for _, sess := range sessions {
		s.kill(sess, stateRestarted)
	}
	s.stats.restarts.Add(1)
}
