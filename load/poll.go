package load

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"time"

	"ccgw-harness/gateway"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// poller makes the agents' event long polls, as gateway.Client.PollEvents
// does (same request headers, the answer judged by gateway.JudgePoll, the
// Guid switched by Session.FollowSetGuid, cookies stored), on the path a
// load generator takes thousands of times a second: the request is built
// from the agent's prepared header and event URL, the body is read into a
// buffer the caller reuses, and an idle answer is proved a success without
// decoding it (fastEnvelopeOK; anything else goes to gateway.JudgePoll).
// Every answered poll is recorded as a result.
type poller struct {
	hc *http.Client
	// timeout bounds one poll (poll wait + margin); 0 leaves it to hc's
	// transport (ResponseHeaderTimeout) and the caller's context.
	timeout time.Duration
	calls   *callRecorder // nil: polls are not recorded
}

// pollScratch is what one goroutine reuses across its polls.
type pollScratch struct {
	body []byte
	res  vegeta.Result
	hdr  http.Header
}

func newPollScratch() *pollScratch {
	return &pollScratch{body: make([]byte, 0, 512), hdr: make(http.Header, 4)}
}

// pollOutcome is what one poll brought.
type pollOutcome struct {
	verdict  gateway.Verdict
	rotated  bool // the answer switched the session to a new Guid
	answered bool // false: the caller's context ended first (not recorded)
}

// poll makes one event poll for agent a with session s. tag, when not nil,
// adds the caller's headers (a journey's) to the result, given its
// verdict, before it is recorded.
func (p *poller) poll(ctx context.Context, a *agent, s *gateway.Session, sc *pollScratch, tag func(http.Header, gateway.Verdict)) pollOutcome {
	h := a.hdr.Load()
	if h == nil || h.guid != s.Guid() {
		a.refresh()
		h = a.hdr.Load()
	}
	cctx := ctx
	if p.timeout > 0 {
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(ctx, p.timeout)
		defer cancel()
	}
	req := (&http.Request{Method: http.MethodGet, URL: a.eventURL, Header: h.h, Host: a.eventURL.Host,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}).WithContext(cctx)
	start := time.Now()
	resp, err := p.hc.Do(req)
	var body []byte
	if err == nil {
		body, err = readBody(resp.Body, sc)
		resp.Body.Close()
	}
	lat := time.Since(start)
	if canceledByUs(ctx, err) || (err != nil && ctx.Err() != nil) {
		return pollOutcome{}
	}
	out := pollOutcome{answered: true}
	r := &sc.res
	*r = vegeta.Result{Timestamp: start, Latency: lat, Method: http.MethodGet, URL: a.eventURLString, BytesIn: uint64(len(body))}
	if err != nil {
		out.verdict = gateway.ClassifyError(err)
	} else {
		r.Code = uint16(resp.StatusCode)
		var setGuid string
		if vs := resp.Header[setGuidKey]; len(vs) > 0 {
			setGuid = vs[0]
		}
		if resp.StatusCode == http.StatusOK && fastEnvelopeOK(body) && (setGuid == "" || validSetGuid(setGuid)) {
			out.verdict = gateway.Verdict{Class: gateway.ClassOK}
		} else {
			out.verdict = gateway.JudgePoll(resp.StatusCode, setGuid, body)
		}
		s.StoreCookies(resp.Header)
		out.rotated, _ = s.FollowSetGuid(h.guid, resp.StatusCode, resp.Header)
		a.refresh()
	}
	if p.calls != nil {
		r.Attack = p.calls.attack
		r.Error = out.verdict.String()
		clear(sc.hdr)
		setNode(sc.hdr, a.node())
		if tag != nil {
			tag(sc.hdr, out.verdict)
		}
		if len(sc.hdr) > 0 {
			r.Headers = sc.hdr
		}
		p.calls.rec.record(r, pollIndex)
	}
	return out
}

// setGuidKey is gateway.HeaderSetGuid as net/http files a received header.
var setGuidKey = http.CanonicalHeaderKey(gateway.HeaderSetGuid)

// validSetGuid reports whether a Set-GUID value holds a valid Guid.
func validSetGuid(v string) bool {
	_, err := gateway.ParseSetGuid(v)
	return err == nil
}

// readBody reads a body of at most gateway.MaxBodySize into sc's buffer; a
// longer body is cut there (the judge then finds no envelope).
func readBody(b io.Reader, sc *pollScratch) ([]byte, error) {
	buf := sc.body[:0]
	for {
		if len(buf) == cap(buf) {
			if len(buf) >= gateway.MaxBodySize {
				break
			}
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := b.Read(buf[len(buf):min(cap(buf), gateway.MaxBodySize)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			sc.body = buf
			return nil, err
		}
	}
	sc.body = buf
	return buf, nil
}

// fastEnvelopeOK proves, without allocating, that a body is a success
// envelope of a call whose result does not matter (an event poll): the
// plain form `{"message": "...", "retcode": "0", "event": null, "result":
// null}` (members in any order, message, event and result optional; event
// and result null or {}; message a string or null; white space anywhere
// JSON allows it; every string printable ASCII without escapes; no other
// member, no member twice). For anything else (an answer carrying events,
// an error) it returns false and the caller judges the body with
// gateway.JudgePoll, so the fast path can only agree with it.
func fastEnvelopeOK(b []byte) bool {
	p := jsonScan{b: b}
	p.ws()
	if !p.byte('{') {
		return false
	}
	var seenMsg, seenRC, seenEv, seenRes bool
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
		var seen *bool
		switch string(key) {
		case "message":
			seen = &seenMsg
			if !p.lit("null") {
				if _, ok := p.str(); !ok {
					return false
				}
			}
		case "retcode":
			seen = &seenRC
			if rc, ok := p.str(); !ok || string(rc) != gateway.RetOK {
				return false
			}
		case "event", "result":
			seen = &seenEv
			if string(key) == "result" {
				seen = &seenRes
			}
			if !p.lit("null") && !p.emptyObject() {
				return false
			}
		default:
			return false
		}
		if *seen {
			return false
		}
		*seen = true
	}
	p.ws()
	return seenRC && p.i == len(p.b)
}

// emptyObject reads `{}` (white space allowed inside).
func (p *jsonScan) emptyObject() bool {
	i := p.i
	if !p.byte('{') {
		return false
	}
	p.ws()
	if !p.byte('}') {
		p.i = i
		return false
	}
	return true
}

// eventURLOf is an agent's parsed event-poll URL.
func eventURLOf(base string, id int) (*url.URL, string, error) {
	s := base + gateway.EventPath(id)
	u, err := url.Parse(s)
	return u, s, err
}

// lit reads the literal s (such as null).
func (p *jsonScan) lit(s string) bool {
	if len(p.b)-p.i >= len(s) && string(p.b[p.i:p.i+len(s)]) == s {
		p.i += len(s)
		return true
	}
	return false
}
