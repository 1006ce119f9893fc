package clienttest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"ccgw-harness/gateway"
)

// Client is the way one public agent client writes its requests: which
// header fields it sends, in which case and order, what its sign-in body
// looks like and how it builds paths.
type Client struct {
	// Name says which client this is.
	Name string
	// ForceLogin: the client signs in with forced sign-in (PUT .../forcelogin).
	ForceLogin bool
	// signInBody returns the client's sign-in body for a password and a
	// phonenum of digits.
	signInBody func(password, phonenum string) string
	// fields returns the header fields of a request; guid "" means no Guid
	// header.
	fields func(host, method, guid, body string) []Field
	// doubleSlash: the client joins a base ending in '/' and a path starting
	// with '/'.
	doubleSlash bool
	// bodyOnEveryCall: the client sends `{}` on calls that take no body.
	bodyOnEveryCall bool
}

// SignInBody returns the client's sign-in body.
func (c Client) SignInBody(password, phonenum string) string { return c.signInBody(password, phonenum) }

// Request returns the request the client writes for a call on path (one of
// the gateway package's *Path functions); guid "" sends no Guid header,
// body "" no body (unless the client always sends one).
func (c Client) Request(host, method, path, guid, body string) Request {
	if c.doubleSlash {
		path = DoubleSlash(path)
	}
	if body == "" && c.bodyOnEveryCall {
		body = "{}"
	}
	return Request{Method: method, Target: path, Fields: c.fields(host, method, guid, body), Body: body}
}

// DoubleSlash returns path with the slash after gateway.PathPrefix doubled,
// as a client that joins "https://host/agentgateway/resource/" and
// "/onlineagent/..." builds it.
func DoubleSlash(path string) string {
	return strings.Replace(path, gateway.PathPrefix+"/", gateway.PathPrefix+"//", 1)
}

// jsonString quotes s as a JSON string (the passwords and phonenums used
// here need no escaping beyond Go's %q, which agrees with JSON for them).
func jsonString(s string) string { return strconv.Quote(s) }

// JavaDemo is the vendor's Java agent demo on Apache HttpClient 4: forced
// sign-in with "status":4 (a number) and "agenttype":"4" (a string), the
// Content-Type it sets on every request before its Guid header, then
// HttpClient's own Content-Length (0 on a body-less PUT or POST), Host,
// Connection, User-Agent and Accept-Encoding.
var JavaDemo = Client{
	Name:       "java-demo",
	ForceLogin: true,
	signInBody: func(pw, ph string) string {
		return fmt.Sprintf(`{"password":%s,"phonenum":%s,"status":4,"agenttype":"4"}`, jsonString(pw), jsonString(ph))
	},
	fields: func(host, method, guid, body string) []Field {
		f := []Field{{"Content-Type", "application/json;charset=UTF-8"}}
		if guid != "" {
			f = append(f, Field{"Guid", guid})
		}
		if method == http.MethodPut || method == http.MethodPost {
			f = append(f, Field{"Content-Length", strconv.Itoa(len(body))})
		}
		return append(f,
			Field{"Host", host},
			Field{"Connection", "Keep-Alive"},
			Field{"User-Agent", "Apache-HttpClient/4.5.13 (Java/1.8.0_392)"},
			Field{"Accept-Encoding", "gzip,deflate"})
	},
}

// Browser is a browser agent API over HTTP/1.1: it builds doubled-slash
// paths, sends the Guid header as "guid", its JSON Content-Type with a
// space before charset and only on calls with a body, Content-Length 0 on
// a body-less POST, and a sign-in body whose phonenum is a JSON number and
// whose status and booleans are strings, with the members the gateway
// ignores (ip, entryIp, checkInWebm...).
var Browser = Client{
	Name:        "browser",
	doubleSlash: true,
	signInBody: func(pw, ph string) string {
		return fmt.Sprintf(`{"password":%s,"phonenum":%s,"status":"4","autoanswer":"false","autoenteridle":"true",`+
			`"releasephone":"false","agenttype":4,"ip":"10.1.2.3","entryIp":"","phonelinkage":false,"checkInWebm":false}`, jsonString(pw), ph)
	},
	fields: func(host, method, guid, body string) []Field {
		f := []Field{{"Host", host}, {"Connection", "keep-alive"}}
		if body != "" || method == http.MethodPost || method == http.MethodPut {
			f = append(f, Field{"Content-Length", strconv.Itoa(len(body))})
		}
		f = append(f, Field{"Accept", "application/json, text/javascript, */*; q=0.01"})
		if body != "" {
			f = append(f, Field{"Content-Type", "application/json; charset=UTF-8"})
		}
		if guid != "" {
			f = append(f, Field{"guid", guid})
		}
		return append(f,
			Field{"X-Requested-With", "XMLHttpRequest"},
			Field{"User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"},
			Field{"Origin", "https://" + host},
			Field{"Referer", "https://" + host + "/agent/index.html"},
			Field{"Accept-Encoding", "gzip, deflate, br"},
			Field{"Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8"})
	},
}

// Script is a hand-written script client: the vendor's sign-in example body
// (cec_07_1202: empty password allowed, "status":"4", "releasephone":
// "false", "agenttype":"4"), a "GUID" header, "application/json" without
// charset on every call, `{}` on GET and DELETE too, and cookies sent back
// mangled and twice.
var Script = Client{
	Name:            "script",
	bodyOnEveryCall: true,
	signInBody: func(pw, ph string) string {
		return fmt.Sprintf(`{"password":%s,"phonenum":%s,"status":"4","releasephone":"false","agenttype":"4"}`, jsonString(pw), jsonString(ph))
	},
	fields: func(host, method, guid, body string) []Field {
		f := []Field{{"Host", host}, {"User-Agent", "curl/8.5.0"}, {"Accept", "*/*"}}
		if guid != "" {
			f = append(f, Field{"GUID", guid})
		}
		return append(f,
			Field{"Cookie", "JSESSIONID=; ;=x; NSLBROUTE=abc;;"},
			Field{"Cookie", "JSESSIONID=0000"},
			Field{"Content-Type", "application/json"},
			Field{"Content-Length", strconv.Itoa(len(body))})
	},
}

// Clients returns every client form Run exercises.
func Clients() []Client { return []Client{JavaDemo, Browser, Script} }
