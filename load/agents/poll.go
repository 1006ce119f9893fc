package agents

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"time"

	"ccgw-harness/gateway"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Poller makes the agents' event long polls, as gateway.Client.PollEvents
// does (same request headers, the answer judged by gateway.JudgePoll, the
// Guid switched by Session.FollowSetGuid, cookies stored), on the path a
// load generator takes thousands of times a second: the request is built
// from the agent's prepared header and event URL, the body is read into a
// buffer the caller reuses, and an idle answer is proved a success without
// decoding it (fastEnvelopeOK; anything else goes to gateway.JudgePoll).
// Every answered poll is recorded as a result.
type Poller struct {
	hc *http.Client
	// timeout bounds one poll (poll wait + margin); 0 leaves it to hc's
	// transport (ResponseHeaderTimeout) and the caller's context.
	timeout time.Duration
	calls   *Calls // nil: polls are not recorded
}

// NewPoller returns a Poller sending through hc, each poll bounded by
// timeout (0: by hc's transport and the caller's context alone) and
// recorded into calls (nil: not recorded).
func NewPoller(hc *http.Client, timeout time.Duration, calls *Calls) *Poller {
	return &Poller{hc: hc, timeout: timeout, calls: calls}
}

// Scratch is what one goroutine reuses across its calls: a body buffer
// (ReadBody), a result and a header map.
type Scratch struct {
	body []byte
	res  vegeta.Result
	hdr  http.Header
}

// NewScratch returns a Scratch for one goroutine.
func NewScratch() *Scratch {
	return &Scratch{body: make([]byte, 0, 512), hdr: make(http.Header, 4)}
}

// PollOutcome is what one poll brought.
type PollOutcome struct {
	Verdict  gateway.Verdict
	Rotated  bool // the answer switched the session to a new Guid
	Answered bool // false: the caller's context ended first (not recorded)
}

// Poll makes one event poll for agent a with session s (sc is the calling
// goroutine's). tag, when not nil, adds the caller's headers (a journey's)
// to the result, given its verdict, before it is recorded.
func (p *Poller) Poll(ctx context.Context, a *Agent, s *gateway.Session, sc *Scratch, tag func(http.Header, gateway.Verdict)) PollOutcome {
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
		body, err = ReadBody(resp.Body, sc)
		resp.Body.Close()
	}
	lat := time.Since(start)
	if canceledByUs(ctx, err) || (err != nil && ctx.Err() != nil) {
		return PollOutcome{}
	}
	out := PollOutcome{Answered: true}
	r := &sc.res
	*r = vegeta.Result{Timestamp: start, Latency: lat, Method: http.MethodGet, URL: a.eventURLString, BytesIn: uint64(len(body))}
	if err != nil {
		out.Verdict = gateway.ClassifyError(err)
	} else {
		r.Code = uint16(resp.StatusCode)
		var setGuid string
		if vs := resp.Header[setGuidKey]; len(vs) > 0 {
			setGuid = vs[0]
		}
		if resp.StatusCode == http.StatusOK && fastEnvelopeOK(body) && (setGuid == "" || validSetGuid(setGuid)) {
			out.Verdict = gateway.Verdict{Class: gateway.ClassOK}
		} else {
			out.Verdict = gateway.JudgePoll(resp.StatusCode, setGuid, body)
		}
		s.StoreCookies(resp.Header)
		out.Rotated, _ = s.FollowSetGuid(h.guid, resp.StatusCode, resp.Header)
		a.refresh()
	}
	if p.calls != nil {
		r.Attack = p.calls.attack
		r.Error = out.Verdict.String()
		clear(sc.hdr)
		setNode(sc.hdr, a.node())
		if tag != nil {
			tag(sc.hdr, out.Verdict)
		}
		if len(sc.hdr) > 0 {
			r.Headers = sc.hdr
		}
		p.calls.record(r, pollIndex)
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

// ReadBody reads a body of at most gateway.MaxBodySize into sc's buffer
// and returns it (valid until sc's next use); a longer body is cut there
// (the judge then finds no envelope).
func ReadBody(b io.Reader, sc *Scratch) ([]byte, error) {
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
