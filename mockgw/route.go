package mockgw

import (
	"net/http"
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
// paths under AdminPrefix; anything else is 404.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
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

// notAllowed answers 405 for call ci.
// begin is the start every agent call but logininfo shares: count the
// request, refuse any method but the call's own (405 with Allow), and parse
// the agent ID (000-002). ok is false when it has already answered.
func (s *Server) begin(w http.ResponseWriter, r *http.Request, ci int, method, seg string) (id int, ds defectSet, ok bool) {
	s.stats.calls[ci].requests.Add(1)
	ds = defectSet(s.defects.Load())
	if r.Method != method {
		s.notAllowed(w, ci, method, ds)
		return 0, ds, false
	}
	if id, ok = s.parseID(seg, ds); !ok {
		s.answer(w, ci, riBadParam)
	}
	return id, ds, ok
}

func (s *Server) notAllowed(w http.ResponseWriter, ci int, allow string, ds defectSet) {
	s.stats.status(ci, http.StatusMethodNotAllowed)
	writeMethodNotAllowed(w, allow, ds&bitNoAllowHeader != 0)
}
