// Package clienttest speaks to a gateway as public agent clients do: each
// request is written as raw HTTP/1.1 bytes over its own TLS connection, with
// the header names, their case and order, and the bodies those clients send
// (the vendor's Java demo on Apache HttpClient, a browser API, scripts), not
// through gateway.Client. Run checks the answers such clients rely on, byte
// for byte: the mock's tests and the `ccgw mock` command's test run it
// against a running mock, in both authentication modes.
//
// docs/mock-clients.md says which client forms the mock accepts and why.
// Only tests import this package. Failure messages never carry a Guid, a
// phonetoken or a password.
package clienttest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httputil"
	"strconv"
	"strings"
	"time"

	"ccgw-harness/internal/testscale"
)

// Field is one header field as it is on the wire: the name in the sender's
// case.
type Field struct {
	Name, Value string
}

// Response is an HTTP/1.1 answer as a client reads it off the connection.
type Response struct {
	// Proto is the status line's protocol, "HTTP/1.1".
	Proto string
	// Status is the status code.
	Status int
	// Fields are the header fields in the order and case they came in.
	Fields []Field
	// Body is the body, de-chunked when it came chunked.
	Body []byte
}

// Values returns the values of the fields named exactly name (case
// sensitive, as the clients that read Set-GUID compare it).
func (r *Response) Values(name string) []string {
	var vs []string
	for _, f := range r.Fields {
		if f.Name == name {
			vs = append(vs, f.Value)
		}
	}
	return vs
}

// Get returns the first value of the field named exactly name, or "".
func (r *Response) Get(name string) string {
	if vs := r.Values(name); len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// Index returns the position of the first field named exactly name, or -1.
func (r *Response) Index(name string) int {
	for i, f := range r.Fields {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// NamesFold returns the names of the fields whose name equals name in any
// case, as they came.
func (r *Response) NamesFold(name string) []string {
	var ns []string
	for _, f := range r.Fields {
		if strings.EqualFold(f.Name, name) {
			ns = append(ns, f.Name)
		}
	}
	return ns
}

// Conn is one keep-alive TLS connection to a gateway on which requests are
// written as raw bytes. It offers no ALPN protocol, as a Java 8 HttpClient
// does, so the gateway speaks HTTP/1.1, where header-name case survives.
type Conn struct {
	tc   *tls.Conn
	br   *bufio.Reader
	host string
}

// Dial connects to addr ("127.0.0.1:PORT"), trusting only the PEM
// certificate(s) certPEM.
func Dial(addr string, certPEM []byte) (*Conn, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		return nil, errors.New("clienttest: no certificate in the PEM")
	}
	d := &net.Dialer{Timeout: testscale.D(10 * time.Second)}
	tc, err := tls.DialWithDialer(d, "tcp", addr, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	if err != nil {
		return nil, err
	}
	return &Conn{tc: tc, br: bufio.NewReader(tc), host: addr}, nil
}

// Host is the value clients send in the Host header.
func (c *Conn) Host() string { return c.host }

// Close closes the connection.
func (c *Conn) Close() error { return c.tc.Close() }

// Send writes one request's bytes and reads its answer. The exchange is
// bounded by a test deadline (testscale.D of 30 s).
func (c *Conn) Send(raw []byte) (*Response, error) {
	if err := c.tc.SetDeadline(time.Now().Add(testscale.D(30 * time.Second))); err != nil {
		return nil, err
	}
	if _, err := c.tc.Write(raw); err != nil {
		return nil, err
	}
	return readResponse(c.br)
}

// readResponse reads one HTTP/1.1 answer, keeping the header fields as they
// came (net/http would canonicalise their names).
func readResponse(br *bufio.Reader) (*Response, error) {
	line, err := readLine(br)
	if err != nil {
		return nil, err
	}
	proto, rest, ok := strings.Cut(line, " ")
	code, _, _ := strings.Cut(rest, " ")
	status, err := strconv.Atoi(code)
	if !ok || err != nil || !strings.HasPrefix(proto, "HTTP/") {
		return nil, fmt.Errorf("clienttest: bad status line %q", line)
	}
	r := &Response{Proto: proto, Status: status}
	for {
		line, err := readLine(br)
		if err != nil {
			return nil, err
		}
		if line == "" {
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.TrimSpace(name) != name {
			return nil, fmt.Errorf("clienttest: bad header line (%d bytes)", len(line))
		}
		r.Fields = append(r.Fields, Field{Name: name, Value: strings.TrimSpace(value)})
	}
	var body io.Reader
	switch {
	case strings.EqualFold(r.get("Transfer-Encoding"), "chunked"):
		body = httputil.NewChunkedReader(br)
	case r.get("Content-Length") != "":
		n, err := strconv.ParseInt(r.get("Content-Length"), 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("clienttest: bad Content-Length %q", r.get("Content-Length"))
		}
		body = io.LimitReader(br, n)
	case status == 204 || status == 304 || status/100 == 1:
		body = bytes.NewReader(nil)
	default:
		body = br // until the server closes
	}
	r.Body, err = io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	if cl := r.get("Content-Length"); cl != "" && strconv.Itoa(len(r.Body)) != cl {
		return nil, fmt.Errorf("clienttest: body of %d bytes, Content-Length %s", len(r.Body), cl)
	}
	return r, nil
}

// get returns the first value of a field in any case (for framing only).
func (r *Response) get(name string) string {
	for _, f := range r.Fields {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// readLine reads one CRLF-terminated line without its CRLF.
func readLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return "", err
	}
	if !strings.HasSuffix(line, "\r\n") {
		return "", fmt.Errorf("clienttest: line not ended by CRLF")
	}
	return line[:len(line)-2], nil
}

// Request is one request as a client writes it.
type Request struct {
	// Method and Target make the request line ("PUT /agentgateway/...").
	Method, Target string
	// Fields are every header field, Host included, in order and case.
	Fields []Field
	// Body is sent as it is after the header block.
	Body string
}

// Bytes returns the request's wire form.
func (q Request) Bytes() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", q.Method, q.Target)
	for _, f := range q.Fields {
		fmt.Fprintf(&b, "%s: %s\r\n", f.Name, f.Value)
	}
	b.WriteString("\r\n")
	b.WriteString(q.Body)
	return b.Bytes()
}
