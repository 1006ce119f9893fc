package agents

import (
	"net/http"
	"strconv"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/results"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// nodeValues caches the header values of the first cluster nodes, so the
// judge path does not format them per result.
var nodeValues = func() [][]string {
	v := make([][]string, 65)
	for i := range v {
		v[i] = []string{strconv.Itoa(i)}
	}
	return v
}()

// Judge turns a raw logininfo result of an attack into the results-file
// form: it judges the response by the contract for the agent that sent it
// (gateway.JudgeLoginInfo, behind an allocation-free fast path that says
// success only where the oracle does), drops the body and every response
// header, and adds our own headers: X-Ccgw-Node, and X-Ccgw-Lag-Us when
// the attack has a schedule (Planned).
type Judge struct {
	// Pool holds the agents whose results are judged.
	Pool *Pool
	// Planned, when not nil, is the attack's schedule: hit n was planned
	// Planned(n) after Start (pace.Schedule.Planned). nil: no lag (warm-up,
	// closed model).
	Planned func(n uint64) time.Duration
	// Start is the measured attack's start, for the lag.
	Start time.Time
	// Header, when not nil, is reused as every result's Headers: the caller
	// must be done with a result (encoded, aggregated, nothing keeping the
	// map) before it judges the next. nil: a new map per result.
	Header http.Header
}

// Judge judges r in place and returns its verdict and the agent that sent
// it (nil if the URL names none of the pool's agents).
func (j *Judge) Judge(r *vegeta.Result) (*Agent, gateway.Verdict) {
	a := j.Pool.agentByURL(r.URL)
	v := gateway.Verdict{Class: gateway.ClassOK}
	switch {
	case r.Code == 0:
		// No HTTP answer: vegeta keeps only the error text.
		v = gateway.ParseVerdict(r.Error)
		if v.OK() {
			v = gateway.Verdict{Class: gateway.ClassTransport, Detail: "other"}
		}
	default:
		want := ""
		if a != nil {
			want = a.phone
		}
		ct := ""
		if vs := r.Headers[gateway.HeaderContentType]; len(vs) > 0 {
			ct = vs[0]
		}
		if !(r.Code == http.StatusOK && gateway.IsJSONContentType(ct) && fastSuccess(r.Body, want)) {
			v = gateway.JudgeLoginInfo(int(r.Code), ct, r.Body, want)
		}
	}
	r.Error = v.String()
	r.Body = nil
	h := j.Header
	if h == nil {
		h = make(http.Header, 2)
	} else {
		delete(h, results.HeaderNode)
		delete(h, results.HeaderLagUs)
	}
	if a != nil {
		if n := a.node(); n > 0 {
			if n < len(nodeValues) {
				h[results.HeaderNode] = nodeValues[n]
			} else {
				h[results.HeaderNode] = []string{strconv.Itoa(n)}
			}
		}
	}
	if j.Planned != nil {
		lag := r.Timestamp.Sub(j.Start.Add(j.Planned(r.Seq)))
		if lag < 0 {
			lag = 0
		}
		h[results.HeaderLagUs] = []string{strconv.FormatInt(int64(lag/time.Microsecond), 10)}
	}
	if len(h) == 0 {
		h = nil
	}
	r.Headers = h
	return a, v
}

// fastSuccess proves, without allocating, that a logininfo body is a
// success for the agent whose phonenum is want: it recognises only the plain
// form `{"message": "...", "retcode": "0", "result": {"phonetoken": "...",
// "phonenum": "..."}}` (members in any order, white space anywhere JSON
// allows it, every string printable ASCII without escapes, no other member,
// no member twice) with a message string, a non-empty token and the agent's
// own, non-empty phonenum. For anything else it returns false and the caller
// judges the body with gateway.JudgeLoginInfo, the contract oracle; with a
// status 200 and gateway.IsJSONContentType, the fast path says success only
// where the oracle does (FuzzJudgesAgree). It exists because the result path
// runs at tens of thousands of results per second.
func fastSuccess(b []byte, want string) bool {
	p := jsonScan{b: b}
	p.ws()
	if !p.byte('{') {
		return false
	}
	var seenMsg, seenRC, seenRes bool
	for first := true; ; first = false {
		p.ws()
		if p.byte('}') {
			if first {
				return false
			}
			break
		}
		if !first && !(p.byte(',') && p.wsThen()) {
			return false
		}
		key, ok := p.str()
		if !ok {
			return false
		}
		p.ws()
		if !p.byte(':') {
			return false
		}
		p.ws()
		switch string(key) {
		case "message":
			if seenMsg {
				return false
			}
			seenMsg = true
			if _, ok := p.str(); !ok {
				return false
			}
		case "retcode":
			if seenRC {
				return false
			}
			seenRC = true
			if rc, ok := p.str(); !ok || string(rc) != gateway.RetOK {
				return false
			}
		case "result":
			if seenRes {
				return false
			}
			seenRes = true
			if !p.result(want) {
				return false
			}
		default:
			return false
		}
	}
	p.ws()
	return seenMsg && seenRC && seenRes && p.i == len(p.b)
}

// jsonScan is the cursor of fastSuccess.
type jsonScan struct {
	b []byte
	i int
}

func (p *jsonScan) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		default:
			return
		}
	}
}

// wsThen skips white space and reports true (for use in conditions).
func (p *jsonScan) wsThen() bool { p.ws(); return true }

func (p *jsonScan) byte(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a string of printable ASCII without escapes and returns its
// bytes (a view into the body: callers only compare it, and the compiler
// does not allocate for string(b) in a comparison or a switch).
func (p *jsonScan) str() ([]byte, bool) {
	if !p.byte('"') {
		return nil, false
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			return s, true
		case c < 0x20 || c > 0x7e || c == '\\':
			return nil, false
		}
		p.i++
	}
	return nil, false
}

// result reads the result object: exactly phonetoken (non-empty) and
// phonenum (non-empty, == want), each once.
func (p *jsonScan) result(want string) bool {
	if !p.byte('{') {
		return false
	}
	var tok, num bool
	for first := true; ; first = false {
		p.ws()
		if p.byte('}') {
			return tok && num
		}
		if !first && !(p.byte(',') && p.wsThen()) {
			return false
		}
		key, ok := p.str()
		if !ok {
			return false
		}
		p.ws()
		if !p.byte(':') {
			return false
		}
		p.ws()
		v, ok := p.str()
		if !ok {
			return false
		}
		switch string(key) {
		case "phonetoken":
			if tok || len(v) == 0 {
				return false
			}
			tok = true
		case "phonenum":
			if num || len(v) == 0 || string(v) != want {
				return false
			}
			num = true
		default:
			return false
		}
	}
}

// FeedbackResult handles a result that is not recorded (warm-up, probes):
// only whether it says the agent's session is gone matters (see Feedback).
func (p *Pool) FeedbackResult(r *vegeta.Result) {
	j := Judge{Pool: p}
	a, v := j.Judge(r)
	p.Feedback(a, v, r.Timestamp)
}

// Feedback hands agent a to re-sign-in when the verdict of its request
// sent at sentAt says its session is gone (100-006, 100-008, 000-003:
// gateway.Verdict.SessionGone). It never blocks.
func (p *Pool) Feedback(a *Agent, v gateway.Verdict, sentAt time.Time) {
	if a != nil && v.SessionGone() {
		p.lost(a, sentAt, nil)
	}
}
