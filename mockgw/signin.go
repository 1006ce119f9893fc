package mockgw

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"ccgw-harness/gateway"
)

// maxSignInBody bounds the sign-in body the mock reads.
const maxSignInBody = 64 << 10

// signInBody is a validated sign-in body (the fields the mock keeps).
type signInBody struct {
	password, phonenum string
}

// parseSignIn validates a sign-in body as the gateway reads it: a JSON
// object with password (at most 32 characters; empty is for agents without
// one, see Server.signIn) and phonenum (1..24 ASCII digits); optional status
// in {3,4,5}, agenttype in {4,11}, and autoanswer, autoenteridle and
// releasephone booleans. Members the mock does not use (ip, entryIp,
// callBackUri... as public clients send them) are ignored.
//
// The gateway is a Java service whose JSON binding coerces scalars, and
// public clients (the vendor's own examples among them) rely on that: a
// string member may come as a JSON number (`"phonenum":70001`), a number
// member as a string holding the number (`"status":"4"`), a boolean member
// as the string "true" or "false". Anything else (`"status":"busy"`,
// `"autoanswer":"yes"`, `"phonenum":true`, null, objects, arrays) is
// 100-001, as is a value outside the documented bounds. See
// docs/mock-clients.md.
func parseSignIn(body []byte) (signInBody, bool) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return signInBody{}, false
	}
	pw, ok := coerceString(m["password"])
	if !ok || utf8.RuneCountInString(pw) > gateway.MaxPasswordLen {
		return signInBody{}, false
	}
	ph, ok := coerceString(m["phonenum"])
	if !ok || !isPhonenum(ph) {
		return signInBody{}, false
	}
	if raw, ok := m["status"]; ok && !coerceIntIn(raw, gateway.StatusBusy, gateway.StatusIdle, gateway.StatusWrapUp) {
		return signInBody{}, false
	}
	if raw, ok := m["agenttype"]; ok && !coerceIntIn(raw, gateway.AgentTypePCPhone, gateway.AgentTypeVideo) {
		return signInBody{}, false
	}
	for _, k := range []string{"autoanswer", "autoenteridle", "releasephone"} {
		if raw, ok := m[k]; ok && !coerceBool(raw) {
			return signInBody{}, false
		}
	}
	return signInBody{password: pw, phonenum: ph}, true
}

// coerceString reads a string member: a JSON string, or a JSON number taken
// as its literal text (`70001` is "70001"). A missing member, null, a
// boolean, an object or an array is not a string.
func coerceString(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false
		}
		return s, true
	case c == '-' || (c >= '0' && c <= '9'):
		return string(raw), true // json.Unmarshal of the body has checked it is a number
	}
	return "", false
}

// coerceIntIn reads an integer member, a JSON integer or a string holding a
// decimal integer ("4"), and reports whether it is one of allowed. A number
// with a fraction or an exponent is no integer.
func coerceIntIn(raw json.RawMessage, allowed ...int) bool {
	raw = bytes.TrimSpace(raw)
	text := string(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return false
		}
		text = s
	}
	n, err := strconv.Atoi(text)
	if err != nil {
		return false
	}
	for _, a := range allowed {
		if n == a {
			return true
		}
	}
	return false
}

// coerceBool reports whether raw is a boolean member: true, false, or the
// strings "true" and "false".
func coerceBool(raw json.RawMessage) bool {
	switch string(bytes.TrimSpace(raw)) {
	case "true", "false", `"true"`, `"false"`:
		return true
	}
	return false
}

// isPhonenum reports whether s is 1..24 ASCII digits.
func isPhonenum(s string) bool {
	if len(s) == 0 || len(s) > gateway.MaxPhoneNumLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// lockAgent takes agent id's sign-in/sign-out lock; false means another
// sign-in or sign-out of the agent is in progress (000-007).
func (s *Server) lockAgent(id int) bool {
	_, busy := s.ops.LoadOrStore(id, struct{}{})
	return !busy
}

// unlockAgent releases lockAgent.
func (s *Server) unlockAgent(id int) { s.ops.Delete(id) }

// sleep waits d unless the request or the server ends first; it reports
// whether the full time passed. It registers with Close.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	if !s.track() {
		return false
	}
	defer s.untrack()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.done:
	}
	return false
}

// signIn serves sign-in (PUT .../onlineagent/{id}) and, with force, forced
// sign-in (PUT .../forcelogin).
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, nd *node, seg string, force bool) {
	ci := ciSignIn
	if force {
		ci = ciForceLogin
	}
	id, _, ok := s.begin(w, r, ci, http.MethodPut, seg)
	if !ok {
		return
	}
	if !s.lockAgent(id) {
		s.answer(w, ci, riRepeated)
		return
	}
	defer s.unlockAgent(id)
	body, err := io.ReadAll(io.LimitReader(r.Body, maxSignInBody))
	if err != nil {
		return // the client went away
	}
	in, ok := parseSignIn(body)
	if !ok || (in.password == "" && !s.noPassword) {
		s.answer(w, ci, riSignInParamInvalid)
		return
	}
	if (s.noPassword && in.password != "") || (s.password != "" && in.password != s.password) {
		s.answer(w, ci, riWrongPassword)
		return
	}
	if s.secretHook != nil && in.password != "" {
		s.secret(SecretPassword, in.password)
	}
	fs := s.faults.Load()
	if !s.sleep(r.Context(), fs.SignInLatency) {
		return
	}
	if fs.signInFails(id) {
		s.stats.fault(fkSignInFail)
		s.answer(w, ci, riInternal)
		return
	}
	now := s.now()
	if live := s.liveSession(id, now); live != nil {
		if !force {
			s.answer(w, ci, riAlreadySignedIn)
			return
		}
		for _, n := range s.nodes {
			if sess := n.agentSession(id); sess != nil {
				s.kill(sess, stateReplaced)
			}
		}
	}
	sess := s.createSession(nd, id, in.phonenum, now)
	h := w.Header()
	h[hdrSetGuid] = []string{gateway.FormatSetGuid(sess.cur.Load().guid)}
	if len(s.nodes) > 1 {
		h["Set-Cookie"] = []string{RouteCookie + "=" + strconv.Itoa(nd.n) + "; Path=/; Secure; HttpOnly"}
	}
	s.answer(w, ci, riOK)
}

// logout serves sign-out (DELETE .../logout): the Guid dies with the session.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, nd *node, seg string) {
	id, ds, ok := s.begin(w, r, ciLogout, http.MethodDelete, seg)
	if !ok {
		return
	}
	if !s.lockAgent(id) {
		s.answer(w, ciLogout, riRepeated)
		return
	}
	defer s.unlockAgent(id)
	if !s.sleep(r.Context(), s.faults.Load().SignInLatency) {
		return
	}
	sess, ri := s.authorize(nd, r.Header[gateway.HeaderGuid], id, s.now(), ds)
	if sess == nil {
		s.answer(w, ciLogout, ri)
		return
	}
	s.kill(sess, stateSignedOut)
	s.answer(w, ciLogout, riOK)
}
