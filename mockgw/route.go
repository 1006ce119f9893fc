package mockgw

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"ccgw-harness/gateway"
)

// Cluster routing.
const (
	// RouteCookie is the NSLB's sticky-routing cookie; its value is the node
	// number (1-based).
	RouteCookie = "NSLBROUTE"
)

// ServeHTTP serves the gateway paths under gateway.PathPrefix and the admin
// paths under AdminPrefix; anything else is 404. A run of slashes in the
// request's path counts as one (see servedPath).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := servedPath(r)
	if rest, ok := strings.CutPrefix(path, gateway.PathPrefix); ok {
		if rest, ok := strings.CutPrefix(rest, "/onlineagent/"); ok {
			id, op, _ := strings.Cut(rest, "/")
			switch op {
			case "logininfo":
				s.loginInfo(w, r, s.route(r), id)
				return
			case "":
				if !strings.HasSuffix(rest, "/") {
					s.signIn(w, r, s.route(r), id, false)
					return
				}
			case "forcelogin":
				s.signIn(w, r, s.route(r), id, true)
				return
			case "logout":
				s.logout(w, r, s.route(r), id)
				return
			case "updateGuid":
				s.updateGuid(w, r, s.route(r), id)
				return
			}
		} else if id, ok := strings.CutPrefix(rest, "/agentevent/"); ok && !strings.Contains(id, "/") {
			s.poll(w, r, s.route(r), id)
			return
		}
	} else if strings.HasPrefix(path, AdminPrefix) {
		s.admin(w, r, path[len(AdminPrefix):])
		return
	}
	s.stats.calls[ciOther].requests.Add(1)
	s.stats.status(ciOther, http.StatusNotFound)
	http.NotFound(w, r)
}

// servedPath returns the path a request is served under: its path with
// every run of slashes written in the request taken as one slash, as the
// gateway's Java web container normalises it. A browser API of the gateway
// builds `/agentgateway/resource//onlineagent/101/logininfo`, and the
// gateway serves it as the single-slash path, so the mock does the same,
// without a redirect (the mock is its own handler: no http.ServeMux, whose
// path cleaning answers 301). Only slashes in the request's own bytes count:
// a percent-encoded slash (%2F) is decoded after the runs are collapsed and
// is never merged with its neighbours. Paths without "//" (every request of
// a client that builds its URLs correctly) cost nothing.
func servedPath(r *http.Request) string {
	path := r.URL.Path
	if !strings.Contains(path, "//") {
		return path
	}
	esc := r.URL.EscapedPath()
	b := make([]byte, 0, len(esc))
	for i := 0; i < len(esc); i++ {
		if esc[i] == '/' && len(b) > 0 && b[len(b)-1] == '/' {
			continue
		}
		b = append(b, esc[i])
	}
	if p, err := url.PathUnescape(string(b)); err == nil {
		return p
	}
	return path
}

// route picks the node of a request: the one its NSLBROUTE cookie names,
// else the next one round-robin.
func (s *Server) route(r *http.Request) *node {
	if len(s.nodes) == 1 {
		return s.nodes[0]
	}
	if c, err := r.Cookie(RouteCookie); err == nil {
		if n, err := strconv.Atoi(c.Value); err == nil && n >= 1 && n <= len(s.nodes) {
			return s.nodes[n-1]
		}
	}
	return s.nodes[(s.rr.Add(1)-1)%uint64(len(s.nodes))]
}

// parseID reads the agent-ID path segment strictly (gateway.ParseAgentID)
// against the range, or against any positive ID under DefectNoIDRangeCheck.
func (s *Server) parseID(seg string, ds defectSet) (int, bool) {
	r := s.idRange
	if ds&bitNoIDRangeCheck != 0 {
		r = gateway.IDRange{Min: 1, Max: 999999999}
	}
	id, err := gateway.ParseAgentID(seg, r)
	return id, err == nil
}

// answer writes an envelope and counts it for call ci.
func (s *Server) answer(w http.ResponseWriter, ci int, ri int) {
	s.stats.retcode(ci, ri)
	if ri == riOK {
		writeJSON(w, bodyOKEmpty)
		return
	}
	writeJSON(w, errBody(knownRetcodes[ri]))
}

// begin is the start every agent call but logininfo shares: count the
// request, refuse any method but the call's own (405 with Allow), parse the
// agent ID (000-002) and, for calls other than sign-in, drop any body the
// client sent. ok is false when it has already answered.
func (s *Server) begin(w http.ResponseWriter, r *http.Request, ci int, method, seg string) (id int, ds defectSet, ok bool) {
	s.stats.calls[ci].requests.Add(1)
	ds = defectSet(s.defects.Load())
	if r.Method != method {
		s.notAllowed(w, ci, method, ds)
		return 0, ds, false
	}
	if id, ok = s.parseID(seg, ds); !ok {
		s.answer(w, ci, riBadParam)
		return id, ds, ok
	}
	if ci != ciSignIn && ci != ciForceLogin {
		discardBody(r)
	}
	return id, ds, ok
}

// maxIgnoredBody bounds how much of a body a call that takes none reads.
const maxIgnoredBody = 64 << 10

// discardBody reads and drops the body of a call that takes none: public
// clients send one on GET and DELETE too, and the gateway ignores it. Reading
// it to its end lets net/http watch the connection again, so that a long poll
// whose client has gone away ends at once instead of at its poll wait.
func discardBody(r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxIgnoredBody))
}

// notAllowed answers 405 for call ci.
func (s *Server) notAllowed(w http.ResponseWriter, ci int, allow string, ds defectSet) {
	s.stats.status(ci, http.StatusMethodNotAllowed)
	writeMethodNotAllowed(w, allow, ds&bitNoAllowHeader != 0)
}
