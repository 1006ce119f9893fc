package clienttest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"ccgw-harness/gateway"
)

// IdlePoll is the gateway's answer to an event poll with no event, byte for
// byte: clients compare the whole body.
const IdlePoll = `{"message":"","retcode":"0"}`

// Agents is how many consecutive agent IDs Run uses, from
// Target.FirstAgent.
const Agents = 100

// Polls is how many event polls Run makes in each client's session.
const Polls = 3

// Target is a running gateway for Run.
type Target struct {
	// Addr is the gateway's "HOST:PORT"; CertPEM the certificate to trust.
	Addr    string
	CertPEM []byte
	// Mode is the gateway's authentication mode. In dynamic mode every
	// event poll must rotate the Guid: start the gateway with a Guid
	// interval well below its poll wait (1ms and 20ms, say), so that Run
	// also proves a client that follows Set-GUID keeps working. In static
	// mode no answer but sign-in may carry Set-GUID, however short the Guid
	// interval and timeout, and the sign-in Guid must serve the whole
	// session of a client that never reads Set-GUID again.
	Mode gateway.AuthMode
	// Password is the agents' password; "" for a gateway whose agents have
	// none (ccgw mock with an empty --password).
	Password string
	// FirstAgent is the first of the Agents agent IDs Run signs in; none of
	// them may be signed in, and the gateway must have a single node (a
	// client here sends no sticky cookie, or a mangled one).
	FirstAgent int
}

// Run checks, over raw HTTP/1.1, that the gateway answers public agent
// clients as they rely on: each client's whole session (sign-in, logininfo,
// polls, sign-out), the sign-in bodies the gateway's JSON binding accepts
// and refuses, Guid header names in any case, request Content-Types,
// cookies, doubled slashes, and the contract's refusals that leniency must
// keep (405 with Allow, a missing Guid, a bad agent ID).
func Run(t *testing.T, tg Target) {
	r := &runner{tg: tg, next: tg.FirstAgent}
	for _, c := range Clients() {
		t.Run("session/"+c.Name, func(t *testing.T) { r.session(t, c) })
	}
	t.Run("sign-in bodies accepted", r.bodiesAccepted)
	t.Run("sign-in bodies refused", r.bodiesRefused)
	t.Run("request headers", r.requestHeaders)
	t.Run("contract refusals kept", r.refusals)
}

// runner holds Run's state.
type runner struct {
	tg   Target
	next int // the next unused agent ID
}

// agent returns a fresh agent ID.
func (r *runner) agent(t *testing.T) int {
	t.Helper()
	id := r.next
	if id >= r.tg.FirstAgent+Agents {
		t.Fatalf("clienttest: more than %d agents used", Agents)
	}
	r.next++
	return id
}

// dial opens a connection, closed when the test ends.
func (r *runner) dial(t *testing.T) *Conn {
	t.Helper()
	c, err := Dial(r.tg.Addr, r.tg.CertPEM)
	if err != nil {
		t.Fatalf("dial %s: %v", r.tg.Addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// send writes q and reads the answer, failing the test on a transport error.
func send(t *testing.T, c *Conn, q Request) *Response {
	t.Helper()
	resp, err := c.Send(q.Bytes())
	if err != nil {
		t.Fatalf("%s %s: %v", q.Method, q.Target, err)
	}
	return resp
}

// phonenum is agent id's phonenum.
func phonenum(id int) string { return "7" + strconv.Itoa(id) }

// envelope checks a 200 JSON envelope with retcode rc (the body is never
// shown: it may hold a phonetoken).
func envelope(t *testing.T, what string, resp *Response, rc string) {
	t.Helper()
	if resp.Status != http.StatusOK {
		t.Fatalf("%s: HTTP %d, want 200 with retcode %s", what, resp.Status, rc)
	}
	if ct := resp.get("Content-Type"); !gateway.IsJSONContentType(ct) {
		t.Fatalf("%s: Content-Type %q, want JSON", what, ct)
	}
	env, err := gateway.DecodeEnvelope(resp.Body)
	if err != nil {
		t.Fatalf("%s: no envelope (%d bytes): %v", what, len(resp.Body), err)
	}
	if env.Retcode != rc {
		t.Fatalf("%s: retcode %q (%s), want %s (%s)", what, env.Retcode, env.Message, rc, gateway.RetcodeMeaning(rc))
	}
}

// setGuid checks the Set-GUID field of an answer that must carry one and
// returns its Guid: the name exactly "Set-GUID", once; the value
// "JSESSIONID=<guid>.AgentGateway<N>" with that prefix in that case; a
// Set-Cookie, if any, before it.
func setGuid(t *testing.T, what string, resp *Response) string {
	t.Helper()
	if names := resp.NamesFold(gateway.HeaderSetGuid); len(names) != 1 || names[0] != gateway.HeaderSetGuid {
		t.Fatalf("%s: Set-GUID fields named %q, want exactly one named %q", what, names, gateway.HeaderSetGuid)
	}
	v := resp.Get(gateway.HeaderSetGuid)
	sg, err := gateway.ParseSetGuid(v)
	if err != nil || !strings.HasPrefix(v, gateway.SetGuidPrefix) || sg.Node < 1 || v != gateway.FormatSetGuid(sg.Guid) {
		t.Fatalf("%s: Set-GUID %s, want %s<guid>.AgentGateway<N> (%v)", what, gateway.Mask(v), gateway.SetGuidPrefix, err)
	}
	if ck := resp.Index("Set-Cookie"); ck >= 0 && ck > resp.Index(gateway.HeaderSetGuid) {
		t.Fatalf("%s: Set-Cookie comes after Set-GUID; clients read them in that order", what)
	}
	return sg.Guid
}

// noSetGuid checks that an answer carries no Set-GUID field in any case.
func noSetGuid(t *testing.T, what string, resp *Response) {
	t.Helper()
	if names := resp.NamesFold(gateway.HeaderSetGuid); len(names) != 0 {
		t.Fatalf("%s: unexpected %q field", what, names)
	}
}

// loginInfo checks a logininfo answer by the contract oracle, for phonenum
// phone.
func loginInfo(t *testing.T, what string, resp *Response, phone string) {
	t.Helper()
	if v := gateway.JudgeLoginInfo(resp.Status, resp.get("Content-Type"), resp.Body, phone); !v.OK() {
		t.Fatalf("%s: %s", what, v)
	}
}

// signIn signs agent id in with the client's own request and body and
// returns the Guid.
func (r *runner) signIn(t *testing.T, c *Conn, cl Client, id int, body string) string {
	t.Helper()
	path := gateway.SignInPath(id)
	if cl.ForceLogin {
		path = gateway.ForceLoginPath(id)
	}
	resp := send(t, c, cl.Request(c.Host(), http.MethodPut, path, "", body))
	what := fmt.Sprintf("%s sign-in of agent %d", cl.Name, id)
	envelope(t, what, resp, gateway.RetOK)
	return setGuid(t, what, resp)
}

// session runs one client's whole session.
func (r *runner) session(t *testing.T, cl Client) {
	c := r.dial(t)
	id := r.agent(t)
	ph := phonenum(id)
	first := r.signIn(t, c, cl, id, cl.SignInBody(r.tg.Password, ph))
	guid := first
	loginInfo(t, "logininfo after sign-in", send(t, c, cl.Request(c.Host(), http.MethodPost, gateway.LoginInfoPath(id), guid, "")), ph)
	for i := range Polls {
		what := fmt.Sprintf("event poll %d", i+1)
		resp := send(t, c, cl.Request(c.Host(), http.MethodGet, gateway.EventPath(id), guid, ""))
		if resp.Status != http.StatusOK || string(resp.Body) != IdlePoll {
			t.Fatalf("%s: HTTP %d, body of %d bytes; want 200 and exactly %s", what, resp.Status, len(resp.Body), IdlePoll)
		}
		switch r.tg.Mode {
		case gateway.AuthStatic:
			noSetGuid(t, what+" in static mode", resp) // and the client would not read one
		case gateway.AuthDynamic:
			guid = setGuid(t, what+" in dynamic mode", resp)
		}
		loginInfo(t, "logininfo after "+what, send(t, c, cl.Request(c.Host(), http.MethodPost, gateway.LoginInfoPath(id), guid, "")), ph)
	}
	if r.tg.Mode == gateway.AuthStatic && guid != first {
		t.Fatal("static mode: the client's Guid changed")
	}
	envelope(t, "sign-out", send(t, c, cl.Request(c.Host(), http.MethodDelete, gateway.LogoutPath(id), guid, "")), gateway.RetOK)
	envelope(t, "logininfo after sign-out", send(t, c, cl.Request(c.Host(), http.MethodPost, gateway.LoginInfoPath(id), guid, "")), gateway.RetNotSignedIn)
}

// signOut signs agent id out.
func (r *runner) signOut(t *testing.T, c *Conn, id int, guid string) {
	t.Helper()
	envelope(t, fmt.Sprintf("sign-out of agent %d", id), send(t, c, JavaDemo.Request(c.Host(), http.MethodDelete, gateway.LogoutPath(id), guid, "")), gateway.RetOK)
}

// bodiesAccepted signs in with every body form the gateway's binding
// accepts, by sign-in and by forced sign-in, and checks that logininfo
// answers the phonenum back as a string.
func (r *runner) bodiesAccepted(t *testing.T) {
	c := r.dial(t)
	pw := jsonString(r.tg.Password)
	for _, b := range []struct{ what, body, phone string }{
		{"the vendor's Java demo", `{"password":` + pw + `,"phonenum":"70001","status":4,"agenttype":"4"}`, "70001"},
		{"the vendor's sign-in example", `{"password":` + pw + `,"phonenum":"40038","status":"4","releasephone":"false","agenttype":"4"}`, "40038"},
		{"phonenum a number", `{"password":` + pw + `,"phonenum":70001}`, "70001"},
		{"phonenum 24 digits as a number", `{"password":` + pw + `,"phonenum":` + strings.Repeat("9", 24) + `}`, strings.Repeat("9", 24)},
		{"status and agenttype strings", `{"password":` + pw + `,"phonenum":"5","status":"3","agenttype":"11"}`, "5"},
		{"status 5 and agenttype 11 numbers", `{"password":` + pw + `,"phonenum":"6","status":5,"agenttype":11}`, "6"},
		{"booleans as strings", `{"password":` + pw + `,"phonenum":"7","autoanswer":"false","autoenteridle":"true","releasephone":"false"}`, "7"},
		{"booleans", `{"password":` + pw + `,"phonenum":"8","autoanswer":true,"autoenteridle":false,"releasephone":true}`, "8"},
		{"members the gateway ignores", `{"password":` + pw + `,"phonenum":"9","ip":"127.0.0.1","entryIp":"10.0.0.1","pushUrl":"https://cti.example/push",` +
			`"callBackUri":"https://cti.example/cb","serviceToken":"abc","phonelinkage":false,"checkInWebm":true,"checkInMailm":"false",` +
			`"vcPhoneNumber":"123","listenStatus":false}`, "9"},
	} {
		for _, force := range []bool{false, true} {
			id := r.agent(t)
			cl := JavaDemo
			cl.ForceLogin = force
			guid := r.signIn(t, c, cl, id, b.body)
			loginInfo(t, b.what, send(t, c, JavaDemo.Request(c.Host(), http.MethodPost, gateway.LoginInfoPath(id), guid, "")), b.phone)
			r.signOut(t, c, id, guid)
		}
	}
}

// bodiesRefused checks that values that are no number or boolean at all,
// and values outside the documented bounds, stay 100-001 with no Guid.
func (r *runner) bodiesRefused(t *testing.T) {
	c := r.dial(t)
	id := r.agent(t) // never signed in
	pw := jsonString(r.tg.Password)
	for _, b := range []struct{ what, body string }{
		{"status busy", `{"password":` + pw + `,"phonenum":"1","status":"busy"}`},
		{"status 2", `{"password":` + pw + `,"phonenum":"1","status":"2"}`},
		{"agenttype 5", `{"password":` + pw + `,"phonenum":"1","agenttype":5}`},
		{"autoanswer yes", `{"password":` + pw + `,"phonenum":"1","autoanswer":"yes"}`},
		{"phonenum true", `{"password":` + pw + `,"phonenum":true}`},
		{"phonenum 25 digits", `{"password":` + pw + `,"phonenum":"` + strings.Repeat("1", 25) + `"}`},
		{"phonenum not digits", `{"password":` + pw + `,"phonenum":"12a"}`},
		{"password 33 characters", `{"password":"` + strings.Repeat("p", 33) + `","phonenum":"1"}`},
		{"no phonenum", `{"password":` + pw + `}`},
		{"not JSON", `password=x&phonenum=1`},
	} {
		for _, path := range []string{gateway.SignInPath(id), gateway.ForceLoginPath(id)} {
			resp := send(t, c, JavaDemo.Request(c.Host(), http.MethodPut, path, "", b.body))
			what := fmt.Sprintf("sign-in body with %s on %s", b.what, path)
			envelope(t, what, resp, gateway.RetSignInParamInvalid)
			noSetGuid(t, what, resp)
		}
	}
}

// requestHeaders checks logininfo and the event poll with every request
// header form public clients send.
func (r *runner) requestHeaders(t *testing.T) {
	c := r.dial(t)
	id := r.agent(t)
	ph := phonenum(id)
	guid := r.signIn(t, c, JavaDemo, id, JavaDemo.SignInBody(r.tg.Password, ph))
	host := c.Host()
	li := func(what, body string, fields ...Field) {
		t.Helper()
		q := Request{Method: http.MethodPost, Target: gateway.LoginInfoPath(id), Fields: append([]Field{{"Host", host}}, fields...), Body: body}
		loginInfo(t, what, send(t, c, q), ph)
	}
	for _, name := range []string{"Guid", "guid", "GUID", "gUiD"} {
		li("Guid header named "+name, "", Field{name, guid}, Field{"Content-Length", "0"})
	}
	for _, ct := range []string{"application/json;charset=UTF-8", "application/json; charset=UTF-8", "application/json", "application/json;charset=utf-8"} {
		li("Content-Type "+ct, "", Field{"Content-Type", ct}, Field{"Guid", guid}, Field{"Content-Length", "0"})
	}
	li("no Content-Type, Content-Length 0", "", Field{"Guid", guid}, Field{"Content-Length", "0"})
	li("no Content-Type, no Content-Length", "", Field{"Guid", guid})
	li("a {} body", "{}", Field{"Guid", guid}, Field{"Content-Type", "application/json"}, Field{"Content-Length", "2"})
	for what, cookies := range map[string][]Field{
		"no cookie":         nil,
		"a mangled cookie":  {{"Cookie", `JSESSIONID=; ;=x; "NSLBROUTE"=1;;bad cookie`}},
		"cookies twice":     {{"Cookie", "JSESSIONID=AAAA.AgentGateway1"}, {"Cookie", "JSESSIONID=BBBB; NSLBROUTE=9"}},
		"an empty cookie":   {{"Cookie", ""}},
		"a cookie of Guids": {{"Cookie", "Guid=00000000-0000-4000-8000-000000000000.AgentGateway1"}},
	} {
		li(what, "", append([]Field{{"Guid", guid}, {"Content-Length", "0"}}, cookies...)...)
	}
	// The event poll without Content-Type, and with one and a body.
	for _, withBody := range []bool{false, true} {
		q := Request{Method: http.MethodGet, Target: gateway.EventPath(id), Fields: []Field{{"Host", host}, {"Guid", guid}}}
		if withBody {
			q.Body = "{}"
			q.Fields = []Field{{"Host", host}, {"guid", guid}, {"Content-Type", "application/json;charset=UTF-8"}, {"Content-Length", "2"}}
		}
		resp := send(t, c, q)
		if resp.Status != http.StatusOK || string(resp.Body) != IdlePoll {
			t.Fatalf("event poll with fields %q: HTTP %d, %d bytes; want 200 and %s", names(q.Fields), resp.Status, len(resp.Body), IdlePoll)
		}
		if r.tg.Mode == gateway.AuthDynamic {
			guid = setGuid(t, "event poll", resp)
		}
	}
	// Sign-out with a body.
	q := Request{Method: http.MethodDelete, Target: gateway.LogoutPath(id), Body: `{"reason":"bye"}`,
		Fields: []Field{{"Host", host}, {"GUID", guid}, {"Content-Type", "application/json"}, {"Content-Length", "16"}}}
	envelope(t, "sign-out with a body", send(t, c, q), gateway.RetOK)
}

// names lists the names of fields.
func names(fields []Field) []string {
	ns := make([]string, len(fields))
	for i, f := range fields {
		ns[i] = f.Name
	}
	return ns
}

// refusals checks that the leniency keeps the contract's refusals, on
// single- and doubled-slash paths alike.
func (r *runner) refusals(t *testing.T) {
	c := r.dial(t)
	id := r.agent(t)
	ph := phonenum(id)
	guid := r.signIn(t, c, JavaDemo, id, JavaDemo.SignInBody(r.tg.Password, ph))
	host := c.Host()
	for _, path := range []string{gateway.LoginInfoPath(id), DoubleSlash(gateway.LoginInfoPath(id))} {
		for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
			resp := send(t, c, JavaDemo.Request(host, method, path, guid, ""))
			if resp.Status != http.StatusMethodNotAllowed || resp.Get("Allow") != http.MethodPost {
				t.Fatalf("%s %s: HTTP %d, Allow %q; want 405 and Allow: POST", method, path, resp.Status, resp.Get("Allow"))
			}
		}
		envelope(t, "logininfo without Guid on "+path, send(t, c, JavaDemo.Request(host, http.MethodPost, path, "", "")), gateway.RetNoPermission)
		q := Request{Method: http.MethodPost, Target: path, Fields: []Field{{"Host", host}, {"guid", ""}, {"Content-Length", "0"}}}
		envelope(t, "logininfo with an empty guid on "+path, send(t, c, q), gateway.RetNoPermission)
		q = Request{Method: http.MethodPost, Target: path, Fields: []Field{{"Host", host}, {"Cookie", "Guid=" + guid + "; JSESSIONID=" + guid}, {"Content-Length", "0"}}}
		envelope(t, "logininfo with the Guid only in a cookie on "+path, send(t, c, q), gateway.RetNoPermission)
	}
	for _, seg := range []string{"abc", "0", "0" + strconv.Itoa(id), strconv.Itoa(id) + "x"} {
		for _, path := range []string{gateway.LoginInfoPathRaw(seg), DoubleSlash(gateway.LoginInfoPathRaw(seg))} {
			envelope(t, "logininfo for agent ID "+seg, send(t, c, JavaDemo.Request(host, http.MethodPost, path, guid, "")), gateway.RetBadParam)
		}
	}
	// The doubled-slash path is the single-slash one, never a redirect.
	loginInfo(t, "logininfo on the doubled-slash path", send(t, c, JavaDemo.Request(host, http.MethodPost, DoubleSlash(gateway.LoginInfoPath(id)), guid, "")), ph)
	r.signOut(t, c, id, guid)
}
