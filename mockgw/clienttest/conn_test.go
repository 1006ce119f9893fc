package clienttest

import (
	"bufio"
	"strings"
	"testing"
)

// TestReadResponseKeepsFieldsAsSent: names keep their case and order;
// Content-Length and chunked bodies are framed; two answers on one
// connection are read one after the other.
func TestReadResponseKeepsFieldsAsSent(t *testing.T) {
	wire := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nSet-Cookie: a=1\r\nSet-GUID: JSESSIONID=x\r\nContent-Length: 2\r\n\r\n{}" +
		"HTTP/1.1 405 Method Not Allowed\r\nallow: POST\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
	br := bufio.NewReader(strings.NewReader(wire))
	r, err := readResponse(br)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != 200 || string(r.Body) != "{}" || r.Index("Set-Cookie") != 1 || r.Index("Set-GUID") != 2 || r.Get("Set-Guid") != "" {
		t.Fatalf("first answer: %+v", r)
	}
	r, err = readResponse(br)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != 405 || string(r.Body) != "abc" || r.Get("Allow") != "" || r.Get("allow") != "POST" || len(r.NamesFold("ALLOW")) != 1 {
		t.Fatalf("second answer: %+v", r)
	}
	for _, bad := range []string{"HTTP/1.1 200 OK\n\n", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{}", "junk\r\n\r\n", "HTTP/1.1 200 OK\r\n: x\r\n\r\n"} {
		if _, err := readResponse(bufio.NewReader(strings.NewReader(bad))); err == nil {
			t.Errorf("%q: read without error", bad)
		}
	}
}

// TestRequestBytes: the request is written as given, fields in order.
func TestRequestBytes(t *testing.T) {
	q := JavaDemo.Request("h:1", "POST", "/agentgateway/resource/onlineagent/101/logininfo", "g", "")
	want := "POST /agentgateway/resource/onlineagent/101/logininfo HTTP/1.1\r\nContent-Type: application/json;charset=UTF-8\r\nGuid: g\r\nContent-Length: 0\r\n" +
		"Host: h:1\r\nConnection: Keep-Alive\r\nUser-Agent: Apache-HttpClient/4.5.13 (Java/1.8.0_392)\r\nAccept-Encoding: gzip,deflate\r\n\r\n"
	if got := string(q.Bytes()); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	if got := Browser.Request("h:1", "GET", "/agentgateway/resource/agentevent/101", "", "").Target; got != "/agentgateway/resource//agentevent/101" {
		t.Errorf("browser path %q", got)
	}
}
