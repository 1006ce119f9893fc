package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// DefaultTimeout bounds each call, the response body included. It must
// exceed the event long poll (DefaultPollWait), which the gateway holds open
// for about 10 s when the agent has no event.
const DefaultTimeout = 30 * time.Second

// MaxBodySize is the most of a response body the client reads (1 MiB). A
// longer body is cut there and reported as ErrBodyTooLarge.
const MaxBodySize = 1 << 20

// drainLimit is how much of an unread body is discarded before closing it,
// so that its connection can be reused.
const drainLimit = 64 << 10

// maxMessageLen bounds a gateway message copied into an Error.
const maxMessageLen = 256

// ErrBodyTooLarge is the Response.EnvelopeErr of a body longer than
// MaxBodySize.
var ErrBodyTooLarge = errors.New("response body exceeds 1 MiB")

// Operation names: the Op of an Error and the first word of a transport
// error's text.
const (
	OpSignIn      = "signin"
	OpForceSignIn = "forcesignin"
	OpLoginInfo   = "logininfo"
	OpSignOut     = "signout"
	OpPollEvents  = "pollevents"
	OpUpdateGuid  = "updateguid"
)

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the client send through hc (for example the one an
// embedded mock gateway returns, which trusts its certificate). The client
// uses a shallow copy of hc that shares its transport but has no cookie jar
// (sessions keep their own cookies) and follows no redirects (a 3xx answer is
// returned as it is, and a Guid is never sent to another host). It cannot be
// combined with WithTLS or WithHTTP2: configure hc's transport instead.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.userHC = hc } }

// WithTLS makes NewClient build its transport with t (see NewTransport).
func WithTLS(t TLSConfig) Option { return func(c *Client) { c.tlsConf = &t } }

// WithTimeout sets the per-call timeout (default DefaultTimeout). d <= 0
// leaves calls bounded by the caller's context only.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithHTTP2 chooses the protocol of the transport NewClient builds. The
// default, off, is HTTP/1.1 with keep-alive: one connection per concurrent
// call, which an L4 balancer spreads over the gateway nodes. On lets the
// transport negotiate HTTP/2 (every call multiplexed over one connection).
func WithHTTP2(on bool) Option { return func(c *Client) { c.http2 = &on } }

// Client calls the gateway's agent interface over HTTPS. It is safe for
// concurrent use; each agent's state lives in its Session.
type Client struct {
	base    string
	hc      *http.Client
	timeout time.Duration
	now     func() time.Time
	observe func(context.Context, *Exchange) // WithObserver; nil: none

	// option state, resolved by NewClient
	userHC  *http.Client
	tlsConf *TLSConfig
	http2   *bool
}

// NewClient returns a client for the gateway at baseURL, such as
// https://127.0.0.1:8043 (an NSLB address for a cluster). The URL must be
// https with a host, and have no user info, query or fragment; a path is
// kept as a prefix of every call's path. Errors name the URL.
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	base, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{base: base, timeout: DefaultTimeout, now: time.Now}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	if c.userHC != nil {
		if c.tlsConf != nil || c.http2 != nil {
			return nil, fmt.Errorf("gateway: client for %s: WithHTTPClient cannot be combined with WithTLS or WithHTTP2; configure that client's transport instead", base)
		}
		hc := *c.userHC
		hc.Jar = nil
		hc.CheckRedirect = noRedirect
		c.hc = &hc
		return c, nil
	}
	var t TLSConfig
	if c.tlsConf != nil {
		t = *c.tlsConf
	}
	tr, err := NewTransport(t, c.http2 != nil && *c.http2)
	if err != nil {
		return nil, fmt.Errorf("gateway: client for %s: %w", base, err)
	}
	c.hc = &http.Client{Transport: tr, CheckRedirect: noRedirect}
	if c.timeout > 0 {
		c.hc.Timeout = c.timeout
	}
	return c, nil
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func parseBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("gateway: base URL %q is not a URL", raw)
	}
	shown := raw
	if u.User != nil {
		shown = u.Redacted()
	}
	switch {
	case u.Scheme != "https":
		return "", fmt.Errorf("gateway: base URL %q: scheme must be https", shown)
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("gateway: base URL %q: no host", shown)
	case u.User != nil:
		return "", fmt.Errorf("gateway: base URL %q: must not carry user info", shown)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", fmt.Errorf("gateway: base URL %q: must not have a query or fragment", shown)
	}
	return u.Scheme + "://" + u.Host + strings.TrimRight(u.EscapedPath(), "/"), nil
}

// BaseURL returns the normalised base URL (no trailing slash).
func (c *Client) BaseURL() string { return c.base }

// HTTPClient returns the http.Client the client sends through (for attacks
// that drive it directly, e.g. with vegeta).
func (c *Client) HTTPClient() *http.Client { return c.hc }

// Response is a raw gateway answer as Do returns it.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Header is the response header (it may hold Set-GUID and cookies:
	// secrets).
	Header http.Header
	// Body is the body, at most MaxBodySize bytes.
	Body []byte
	// Envelope is the decoded body, nil when it is no envelope.
	Envelope *Envelope
	// EnvelopeErr is why Body is no envelope (DecodeEnvelope's error, or
	// ErrBodyTooLarge), nil when Envelope is set.
	EnvelopeErr error
}

// Do is the raw call for contract probes: method and path (already
// prefixed, e.g. LoginInfoPathRaw("abc")) as given, and no body unless body
// is non-nil. Every request carries Content-Type: ContentTypeJSON; with a
// session also its Guid (header "Guid") and its cookies. hdr is applied last:
// a key replaces every default header of the same name (compared
// case-insensitively) and is sent with its spelling as given; a key with an
// empty slice removes that header. "Host" sets the request's host;
// Content-Length and Transfer-Encoding follow from body. Set-Cookie values
// of the answer are stored in the session, but Do never changes its Guid.
// Any HTTP answer is returned (err is nil), whatever its status or body;
// err reports only that no answer was read.
func (c *Client) Do(ctx context.Context, method, path string, s *Session, hdr http.Header, body []byte) (*Response, error) {
	op := "do " + method
	agentID := 0
	if s != nil {
		agentID = s.AgentID
	}
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("%s agent %d: path %q must start with /", op, agentID, path)
	}
	guid := ""
	if s != nil {
		guid = s.Guid()
	}
	r, err := c.exchange(ctx, method, path, s, guid, hdr, body)
	if err != nil {
		return nil, fmt.Errorf("%s agent %d: %w", op, agentID, err)
	}
	return r, nil
}

// exchange sends one request and reads its answer. With a session it sends
// guid in the Guid header plus the session's cookies, and stores the
// answer's cookies in it.
func (c *Client) exchange(ctx context.Context, method, path string, s *Session, guid string, hdr http.Header, body []byte) (*Response, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	// Direct assignment: the names reach the wire exactly as written here.
	req.Header[HeaderContentType] = []string{ContentTypeJSON}
	if s != nil {
		req.Header[HeaderGuid] = []string{guid}
		if ck := s.CookieHeader(); ck != "" {
			req.Header["Cookie"] = []string{ck}
		}
	}
	applyHeaders(req, hdr)

	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.observed(ctx, req, start, nil, nil, len(body), err)
		return nil, err
	}
	defer closeBody(resp.Body)
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodySize+1))
	if err != nil {
		err = fmt.Errorf("reading the %d answer's body: %w", resp.StatusCode, err)
		c.observed(ctx, req, start, nil, nil, len(body), err)
		return nil, err
	}
	c.observed(ctx, req, start, resp, b[:min(len(b), MaxBodySize)], len(body), nil)
	if s != nil {
		s.storeCookies(resp.Header, c.now())
	}
	r := &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
	if len(b) > MaxBodySize {
		r.Body = b[:MaxBodySize:MaxBodySize]
		r.EnvelopeErr = ErrBodyTooLarge
		return r, nil
	}
	if env, err := DecodeEnvelope(b); err != nil {
		r.EnvelopeErr = err
	} else {
		r.Envelope = &env
	}
	return r, nil
}

// observed hands one exchange to the observer, if any.
func (c *Client) observed(ctx context.Context, req *http.Request, start time.Time, resp *http.Response, body []byte, bytesOut int, err error) {
	if c.observe == nil {
		return
	}
	x := Exchange{Method: req.Method, URL: req.URL.String(), Start: start, Latency: time.Since(start),
		Body: body, BytesOut: bytesOut, Err: err}
	if resp != nil {
		x.Status, x.Header = resp.StatusCode, resp.Header
	}
	c.observe(ctx, &x)
}

// applyHeaders applies Do's header overrides in a fixed (sorted) order.
func applyHeaders(req *http.Request, hdr http.Header) {
	keys := make([]string, 0, len(hdr))
	for k := range hdr {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := hdr[k]
		if strings.EqualFold(k, "Host") {
			if len(v) > 0 {
				req.Host = v[0]
			}
			continue
		}
		for existing := range req.Header {
			if strings.EqualFold(existing, k) {
				delete(req.Header, existing)
			}
		}
		if len(v) > 0 {
			req.Header[k] = slices.Clone(v)
		}
	}
}

// closeBody drains a little of what is left (so the connection can be
// reused) and closes the body.
func closeBody(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, drainLimit)
	_ = body.Close()
}

// call is exchange for the typed calls: a transport failure is wrapped with
// op and agent; an answer that is not success (status, envelope, retcode)
// is an *Error whose message has the secrets masked.
func (c *Client) call(ctx context.Context, op, method, path string, agentID int, s *Session, guid string, body []byte, secrets ...string) (*Response, error) {
	r, err := c.exchange(ctx, method, path, s, guid, nil, body)
	if err != nil {
		return nil, fmt.Errorf("%s agent %d: %w", op, agentID, err)
	}
	if e := answerError(op, agentID, r, secrets); e != nil {
		return r, e
	}
	return r, nil
}

// answerError returns the *Error for an answer that is not success, or nil.
func answerError(op string, agentID int, r *Response, secrets []string) *Error {
	if judgeEnvelope(r.Status, r.Envelope, r.EnvelopeErr).OK() {
		return nil
	}
	e := &Error{Op: op, AgentID: agentID, Status: r.Status}
	switch {
	case r.Status != http.StatusOK:
		if r.Envelope != nil {
			e.Retcode = r.Envelope.Retcode
			e.Message = cleanMessage(r.Envelope.Message, secrets)
		}
	case r.EnvelopeErr != nil:
		e.Message = "undecodable envelope: " + cleanMessage(r.EnvelopeErr.Error(), secrets)
	default:
		e.Retcode = r.Envelope.Retcode
		e.Message = cleanMessage(r.Envelope.Message, secrets)
	}
	return e
}

// violation is the *Error for an answer that says success but breaks the
// contract: Retcode is empty and the message names the violation.
func violation(op string, agentID int, r *Response, kind, desc string) *Error {
	return &Error{Op: op, AgentID: agentID, Status: r.Status, Message: "contract violation " + kind + ": " + desc}
}

// cleanMessage masks secrets in a gateway-supplied text and bounds its size.
func cleanMessage(msg string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			msg = strings.ReplaceAll(msg, sec, Mask(sec))
		}
	}
	if len(msg) > maxMessageLen {
		msg = msg[:maxMessageLen] + "..."
	}
	return msg
}

// SignIn signs the agent in (PUT .../onlineagent/{agentid} with req as the
// body) and returns its session, holding the Guid of the answer's Set-GUID
// header and the cookies the answer set. An agent already signed in gets an
// *Error with Retcode RetAlreadySignedIn; use ForceSignIn.
func (c *Client) SignIn(ctx context.Context, agentID int, req SignInRequest) (*Session, error) {
	return c.signIn(ctx, OpSignIn, SignInPath(agentID), agentID, req)
}

// ForceSignIn is SignIn through PUT .../onlineagent/{agentid}/forcelogin,
// which replaces an existing session of the agent.
func (c *Client) ForceSignIn(ctx context.Context, agentID int, req SignInRequest) (*Session, error) {
	return c.signIn(ctx, OpForceSignIn, ForceLoginPath(agentID), agentID, req)
}

func (c *Client) signIn(ctx context.Context, op, path string, agentID int, req SignInRequest) (*Session, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("%s agent %d: encoding the body: %w", op, agentID, err)
	}
	r, err := c.call(ctx, op, http.MethodPut, path, agentID, nil, "", body, req.Password)
	if err != nil {
		return nil, err
	}
	hv := r.Header.Get(HeaderSetGuid)
	switch judgeSetGuid(hv).Detail {
	case ViolationNoSetGuid:
		return nil, violation(op, agentID, r, ViolationNoSetGuid, "retcode 0 without a Set-GUID header")
	case ViolationBadSetGuid:
		return nil, violation(op, agentID, r, ViolationBadSetGuid, "retcode 0 with a malformed Set-GUID header")
	}
	sg, _ := ParseSetGuid(hv)
	s := NewSession(agentID, req.PhoneNum, sg.Guid)
	s.storeCookies(r.Header, c.now())
	return s, nil
}

// LoginInfo calls POST .../onlineagent/{agentid}/logininfo for the session
// (headers Content-Type and Guid, no body) and returns the result. Anything
// but success is an *Error: the HTTP status, the retcode, or, when the
// gateway says success but the answer breaks the contract (see
// JudgeLoginInfo: empty token, another phonenum than the session's, no
// result, no message, not JSON), Retcode "" and a message naming the
// violation; then the LoginInfo the gateway sent is returned too. A session
// without a PhoneNum accepts any non-empty phonenum.
func (c *Client) LoginInfo(ctx context.Context, s *Session) (LoginInfo, error) {
	guid := s.Guid()
	r, err := c.exchange(ctx, http.MethodPost, LoginInfoPath(s.AgentID), s, guid, nil, nil)
	if err != nil {
		return LoginInfo{}, fmt.Errorf("%s agent %d: %w", OpLoginInfo, s.AgentID, err)
	}
	var li LoginInfo
	if r.Envelope != nil {
		li, _ = DecodeLoginInfo(r.Envelope.Result)
	}
	secrets := []string{guid, li.PhoneToken}
	if errors.Is(r.EnvelopeErr, ErrBodyTooLarge) {
		return LoginInfo{}, answerError(OpLoginInfo, s.AgentID, r, secrets)
	}
	want := s.PhoneNum
	if want == "" {
		want = li.PhoneNum
	}
	v := JudgeLoginInfo(r.Status, r.Header.Get(HeaderContentType), r.Body, want)
	switch v.Class {
	case ClassOK:
		return li, nil
	case ClassContract:
		e := violation(OpLoginInfo, s.AgentID, r, v.Detail, violationText(v.Detail))
		if v.Detail == ViolationTokenOnError {
			e.Retcode = r.Envelope.Retcode
		}
		return li, e
	}
	return LoginInfo{}, answerError(OpLoginInfo, s.AgentID, r, secrets)
}

func violationText(kind string) string {
	switch kind {
	case ViolationEmptyToken:
		return "retcode 0 with an empty phonetoken"
	case ViolationWrongPhone:
		return "phonenum is not the one the agent signed in with"
	case ViolationNoResult:
		return "retcode 0 without a result object"
	case ViolationContentType:
		return "the answer's Content-Type is not application/json"
	case ViolationResultTypes:
		return "phonetoken or phonenum is not a string"
	case ViolationTokenOnError:
		return "an error answer carries a phonetoken"
	case ViolationNoMessage:
		return "retcode 0 without a message string"
	}
	return kind
}

// SignOut calls DELETE .../onlineagent/{agentid}/logout. The session keeps
// its (now dead) Guid, so that probes can prove it is refused.
func (c *Client) SignOut(ctx context.Context, s *Session) error {
	guid := s.Guid()
	_, err := c.call(ctx, OpSignOut, http.MethodDelete, LogoutPath(s.AgentID), s.AgentID, s, guid, nil, guid)
	return err
}

// PollResult is the answer to one event poll.
type PollResult struct {
	// Rotated reports that the answer's Set-GUID switched the session to a
	// new Guid.
	Rotated bool
	// Retcode is the envelope's retcode ("" when the body was no envelope).
	Retcode string
	// Events is the answer's "event" member (the documented form), else its
	// "result"; nil when it has neither or it is null.
	Events json.RawMessage
}

// PollEvents makes one event long poll (GET .../agentevent/{agentid}): the
// gateway answers at once when the agent has events and after about 10 s
// otherwise; ctx (and the client's timeout) bounds the wait. When an HTTP
// 200 answer carries a valid Set-GUID header (dynamic authentication
// rotating the Guid), the session switches to the new Guid, whatever the
// retcode. A non-success answer returns its PollResult as well as the
// *Error; a malformed Set-GUID is an *Error and leaves the Guid as it was.
func (c *Client) PollEvents(ctx context.Context, s *Session) (PollResult, error) {
	guid := s.Guid()
	r, err := c.call(ctx, OpPollEvents, http.MethodGet, EventPath(s.AgentID), s.AgentID, s, guid, nil, guid)
	if r == nil {
		return PollResult{}, err
	}
	var pr PollResult
	if r.Envelope != nil {
		pr.Retcode = r.Envelope.Retcode
		pr.Events = eventsOf(r.Body, r.Envelope.Result)
	}
	rotated, perr := s.FollowSetGuid(guid, r.Status, r.Header)
	pr.Rotated = rotated
	if perr != nil && err == nil {
		err = violation(OpPollEvents, s.AgentID, r, ViolationBadSetGuid, "malformed Set-GUID header")
	}
	return pr, err
}

// eventsOf picks the event payload of a poll answer.
func eventsOf(body []byte, result json.RawMessage) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) == nil {
		if ev, ok := m["event"]; ok {
			if string(ev) == "null" {
				return nil
			}
			return ev
		}
	}
	if len(result) == 0 {
		return nil
	}
	return result
}

// UpdateGuid refreshes the session's Guid (PUT .../onlineagent/{agentid}/
// updateGuid), switches the session to result.guid and returns it. An answer
// without a usable result.guid is an *Error and leaves the Guid as it was.
func (c *Client) UpdateGuid(ctx context.Context, s *Session) (string, error) {
	guid := s.Guid()
	r, err := c.call(ctx, OpUpdateGuid, http.MethodPut, UpdateGuidPath(s.AgentID), s.AgentID, s, guid, nil, guid)
	if err != nil {
		return "", err
	}
	var m map[string]json.RawMessage
	var g string
	if json.Unmarshal(r.Envelope.Result, &m) != nil || json.Unmarshal(m["guid"], &g) != nil || g == "" {
		return "", violation(OpUpdateGuid, s.AgentID, r, "no_guid", "retcode 0 without a string result.guid")
	}
	if _, err := ParseSetGuid(FormatSetGuid(g)); err != nil {
		return "", violation(OpUpdateGuid, s.AgentID, r, "bad_guid", "result.guid is not a valid Guid")
	}
	s.SetGuid(g)
	return g, nil
}
