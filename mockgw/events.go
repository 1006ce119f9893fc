package mockgw

import (
	"net/http"
	"time"

	"ccgw-harness/gateway"
)

// poll serves the event long poll (GET /agentevent/{id}). It refreshes the
// agent's last-poll time, and in dynamic mode rotates the Guid when the
// current one is at least the Guid interval old (or on every poll under
// RotateEveryPoll), answering at once with Set-GUID. Otherwise it holds the
// request up to the poll wait, answering early when a rotation becomes due,
// and answers nothing when the request or the server ends first.
func (s *Server) poll(w http.ResponseWriter, r *http.Request, nd *node, seg string) {
	id, ds, ok := s.begin(w, r, ciPoll, http.MethodGet, seg)
	if !ok {
		return
	}
	now := s.now()
	sess, ri := s.authorize(nd, r.Header[gateway.HeaderGuid], id, now, ds)
	if sess == nil {
		s.answer(w, ciPoll, ri)
		return
	}
	sess.lastPoll.Store(now)
	dynamic := s.authMode == gateway.AuthDynamic
	if dynamic {
		force := s.faults.Load().RotateEveryPoll
		if rec := s.rotate(sess, now, force); rec != nil {
			if force {
				s.stats.fault(fkRotateEveryPoll)
			}
			s.answerPoll(w, rec)
			return
		}
	}
	if !s.track() {
		return
	}
	defer s.untrack()
	hold := s.pollWait
	if dynamic {
		if due := time.Duration(sess.cur.Load().issued + int64(s.guidInterval) - now); due < hold {
			hold = max(due, 0)
		}
	}
	t := time.NewTimer(hold)
	defer t.Stop()
	select {
	case <-t.C:
	case <-sess.killed:
		s.answer(w, ciPoll, riNotSignedIn)
		return
	case <-r.Context().Done():
		return
	case <-s.done:
		return
	}
	now = s.now()
	if sess.state.Load() == stateAlive {
		sess.lastPoll.Store(now)
	}
	if dynamic {
		if rec := s.rotate(sess, now, false); rec != nil {
			s.answerPoll(w, rec)
			return
		}
	}
	if !s.alive(sess, now) {
		s.answer(w, ciPoll, riNotSignedIn)
		return
	}
	s.answerPoll(w, nil)
}

// answerPoll answers an event poll: retcode 0, no event, and a Set-GUID
// header when the Guid was rotated.
func (s *Server) answerPoll(w http.ResponseWriter, rec *guidRec) {
	if rec != nil {
		w.Header()[hdrSetGuid] = []string{gateway.FormatSetGuid(rec.guid)}
	}
	s.stats.retcode(ciPoll, riOK)
	writeJSON(w, bodyPoll)
}

// updateGuid serves PUT .../updateGuid: a new Guid in result.guid and in
// Set-GUID; the old one stays valid until its own timeout.
func (s *Server) updateGuid(w http.ResponseWriter, r *http.Request, nd *node, seg string) {
	id, ds, ok := s.begin(w, r, ciUpdateGuid, http.MethodPut, seg)
	if !ok {
		return
	}
	sess, ri := s.authorize(nd, r.Header[gateway.HeaderGuid], id, s.now(), ds)
	if sess == nil {
		s.answer(w, ciUpdateGuid, ri)
		return
	}
	rec := s.rotate(sess, s.now(), true)
	if rec == nil {
		s.answer(w, ciUpdateGuid, riNotSignedIn)
		return
	}
	w.Header()[hdrSetGuid] = []string{gateway.FormatSetGuid(rec.guid)}
	s.stats.retcode(ciUpdateGuid, riOK)
	b := append([]byte(`{"message":"success","retcode":"0","result":{"guid":"`), rec.guid...)
	writeJSON(w, append(b, `"}}`...))
}
