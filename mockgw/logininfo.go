package mockgw

import (
	"crypto/tls"
	"encoding/hex"
	"net"
	"net/http"
	"strconv"
	"time"

	"ccgw-harness/gateway"
)

// loginInfo serves POST .../onlineagent/{id}/logininfo, the hot path: no
// encoding/json, no global lock, pooled buffers.
func (s *Server) loginInfo(w http.ResponseWriter, r *http.Request, nd *node, seg string) {
	s.stats.calls[ciLoginInfo].requests.Add(1)
	ds := defectSet(s.defects.Load())
	if r.Method != http.MethodPost && ds&bitAnyMethod == 0 {
		s.notAllowed(w, ciLoginInfo, http.MethodPost, ds)
		return
	}
	discardBody(r) // logininfo takes none; some clients send `{}`
	if !s.awaitCapacity(r) {
		panic(http.ErrAbortHandler) // the client or the server is gone: no answer
	}
	fs := s.faults.Load()
	if fs.logininfo && s.preFaults(w, r, fs) {
		return
	}
	id, ok := s.parseID(seg, ds)
	if !ok {
		s.loginInfoError(w, riBadParam, ds)
		return
	}
	now := s.now()
	guid := r.Header[gateway.HeaderGuid]
	var sess *session
	ri := riNotSignedIn
	if (len(guid) == 0 || guid[0] == "") && ds&bitMissingGuidAccepted != 0 {
		sess = s.liveSession(id, now)
	} else {
		sess, ri = s.authorize(nd, guid, id, now, ds)
	}
	if sess == nil {
		s.loginInfoError(w, ri, ds)
		return
	}

	phonenum := sess.phonenum
	if ds&bitPhonenumCrosstalk != 0 {
		if prev := s.lastServed.Swap(sess); prev != nil {
			phonenum = prev.phonenum
		}
	}
	var fault int = -1
	if fs.logininfo {
		switch {
		case hit(fs.TruncatedRate):
			fault = fkTruncated
		case hit(fs.SlowBodyRate):
			fault = fkSlowBody
		case hit(fs.WrongPhoneRate):
			fault = fkWrongPhone
			phonenum = s.otherPhonenum(sess)
		}
		if fs.WrongPhoneRate > 0 && ds&bitPhonenumCrosstalk == 0 {
			s.lastServed.Store(sess)
		}
	}

	var token [tokenLen]byte
	if ds&bitConstantToken != 0 {
		copy(token[:], s.constToken)
	} else {
		var raw [tokenLen / 2]byte
		randRead(raw[:])
		hex.Encode(token[:], raw[:])
	}
	if s.secretHook != nil {
		s.secret(SecretToken, string(token[:]))
	}
	bp := getBuf()
	*bp = appendLoginInfo(*bp, token[:], phonenum, loginInfoOpts{
		numericRetcode: ds&bitNumericRetcode != 0,
		numericToken:   ds&bitWrongEnvelope != 0,
	})
	ct := ctJSON
	if ds&bitTextContentType != 0 {
		ct = ctText
	}
	s.stats.retcode(ciLoginInfo, riOK)
	switch fault {
	case fkTruncated:
		s.stats.fault(fkTruncated)
		body := *bp
		w.Header()["Content-Type"] = ct
		_, _ = w.Write(body[:len(body)/2])
	case fkSlowBody:
		s.stats.fault(fkSlowBody)
		s.slowBody(w, r, ct, *bp, fs.SlowBodyFor)
	default:
		if fault == fkWrongPhone {
			s.stats.fault(fkWrongPhone)
		}
		w.Header()["Content-Type"] = ct
		_, _ = w.Write(*bp)
	}
	putBuf(bp)
}

// loginInfoError answers a logininfo error envelope (with a phonetoken under
// DefectTokenOnError).
func (s *Server) loginInfoError(w http.ResponseWriter, ri int, ds defectSet) {
	s.stats.retcode(ciLoginInfo, ri)
	if ds&bitTokenOnError == 0 {
		writeJSON(w, errBody(knownRetcodes[ri]))
		return
	}
	bp := getBuf()
	*bp = appendErrorWithToken(*bp, knownRetcodes[ri])
	if s.secretHook != nil {
		// The token is the last tokenLen bytes before the closing `"}}`.
		b := *bp
		s.secret(SecretToken, string(b[len(b)-3-tokenLen:len(b)-3]))
	}
	writeJSON(w, *bp)
	putBuf(bp)
}

// otherPhonenum returns another agent's phonenum for WrongPhoneRate: the
// agent served before, or the agent's own number with its last digit
// changed.
func (s *Server) otherPhonenum(sess *session) string {
	if prev := s.lastServed.Load(); prev != nil && prev.phonenum != sess.phonenum {
		return prev.phonenum
	}
	b := []byte(sess.phonenum)
	b[len(b)-1] = '0' + (b[len(b)-1]-'0'+1)%10
	return string(b)
}

// preFaults injects the faults that replace the answer (latency first, then
// reset, stall, HTTP error, malformed body, retcode); it reports whether the
// request has been dealt with.
func (s *Server) preFaults(w http.ResponseWriter, r *http.Request, fs *faultState) bool {
	if fs.latency {
		s.stats.fault(fkLatency)
		if !s.sleep(r.Context(), fs.delay()) {
			return true
		}
	}
	switch {
	case hit(fs.ResetRate):
		s.stats.fault(fkReset)
		resetConn(w)
	case hit(fs.StallRate):
		s.stats.fault(fkStall)
		s.sleep(r.Context(), fs.StallFor)
		panic(http.ErrAbortHandler) // closes the connection without an answer
	case hit(fs.HTTPErrorRate):
		s.stats.fault(fkHTTPError)
		s.stats.status(ciLoginInfo, fs.HTTPStatus)
		w.Header()["Content-Type"] = ctText
		w.WriteHeader(fs.HTTPStatus)
		_, _ = w.Write([]byte(http.StatusText(fs.HTTPStatus) + "\n"))
	case hit(fs.MalformedRate):
		s.stats.fault(fkMalformed)
		writeJSON(w, bodyMalformed)
	case hit(fs.RetcodeRate):
		s.stats.fault(fkRetcode)
		s.stats.retcodeStr(ciLoginInfo, fs.Retcode)
		writeJSON(w, fs.retcodeBody)
	default:
		return false
	}
	return true
}

// resetConn drops the connection with a TCP RST (HTTP/1.1: hijack, linger 0,
// close the socket under TLS so no close_notify precedes the RST); an HTTP/2
// stream is reset instead.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = raw.Close()
}

// slowBody sends the headers at once and trickles body over d.
func (s *Server) slowBody(w http.ResponseWriter, r *http.Request, ct []string, body []byte, d time.Duration) {
	h := w.Header()
	h["Content-Type"] = ct
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	const pieces = 8
	step := (len(body) + pieces - 1) / pieces
	gaps := (len(body)+step-1)/step - 1
	for off := 0; off < len(body); off += step {
		if off > 0 && !s.sleep(r.Context(), d/time.Duration(gaps)) {
			panic(http.ErrAbortHandler)
		}
		end := min(off+step, len(body))
		if _, err := w.Write(body[off:end]); err != nil {
			return
		}
		_ = rc.Flush()
	}
}
