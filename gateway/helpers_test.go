package gateway

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Secrets used across the tests; assertNoSecrets checks that none leaks.
const (
	testGuid     = "3f2b9c1e-7d4a-4e8b-9a61-5c0d2e7f8a91.AgentGateway1"
	testGuid2    = "b0c4e8d2-1a3f-4c5e-8b7d-9e0f1a2b3c4d.AgentGateway2"
	testPassword = "Pa55word-very-secret"
	testToken    = "phonetoken-0123456789abcdef"
	testPhone    = "71001"
)

func assertNoSecrets(t *testing.T, what, s string) {
	t.Helper()
	for _, sec := range []string{testGuid, testGuid2, testPassword, testToken, "very-secret", "0123456789abcdef", "5c0d2e7f8a91", "9e0f1a2b3c4d"} {
		if strings.Contains(s, sec) {
			t.Errorf("%s leaks a secret (%s): %q", what, Mask(sec), s)
		}
	}
}

// envelope returns an envelope body.
func envelope(retcode, message string, result any) []byte {
	m := map[string]any{"retcode": retcode, "message": message}
	if result != nil {
		m["result"] = result
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// writeEnvelope answers 200 with an envelope and the documented Content-Type.
func writeEnvelope(w http.ResponseWriter, retcode, message string, result any) {
	w.Header()[HeaderContentType] = []string{ContentTypeJSON}
	_, _ = w.Write(envelope(retcode, message, result))
}

// seenRequest is what a test server saw of one request.
type seenRequest struct {
	Method, Path     string
	Header           http.Header
	Body             []byte
	ContentLength    int64
	TransferEncoding []string
}

// recorder keeps the requests a test server saw.
type recorder struct {
	mu   sync.Mutex
	reqs []seenRequest
}

func (rec *recorder) record(r *http.Request) seenRequest {
	body, _ := io.ReadAll(r.Body)
	s := seenRequest{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body,
		ContentLength: r.ContentLength, TransferEncoding: r.TransferEncoding}
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, s)
	rec.mu.Unlock()
	return s
}

func (rec *recorder) all() []seenRequest {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]seenRequest(nil), rec.reqs...)
}

func (rec *recorder) last(t *testing.T) seenRequest {
	t.Helper()
	all := rec.all()
	if len(all) == 0 {
		t.Fatal("the server saw no request")
	}
	return all[len(all)-1]
}

// newTLSServer starts an httptest TLS server and a Client that trusts it
// (through srv.Client()).
func newTLSServer(t *testing.T, h http.HandlerFunc, opts ...Option) (*httptest.Server, *Client) {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, append([]Option{WithHTTPClient(srv.Client())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

// testPKI is a CA and a server certificate it signed for 127.0.0.1 and
// gw.test.
type testPKI struct {
	CAPEM  []byte
	Server tls.Certificate
}

var (
	pkiOnce sync.Once
	pki     testPKI
	pkiErr  error
)

// newPKI returns the test CA and server certificate (generated once).
func newPKI(t *testing.T) testPKI {
	t.Helper()
	pkiOnce.Do(func() { pki, pkiErr = generatePKI() })
	if pkiErr != nil {
		t.Fatal(pkiErr)
	}
	return pki
}

func generatePKI() (testPKI, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return testPKI{}, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "ccgw test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return testPKI{}, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return testPKI{}, err
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return testPKI{}, err
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "gw.test"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"gw.test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		return testPKI{}, err
	}
	return testPKI{
		CAPEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		Server: tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: leafKey},
	}, nil
}

// certPEM encodes a certificate (e.g. srv.Certificate()) as PEM.
func certPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// wireServer is an HTTPS server (certificate from newPKI) that records the
// decrypted bytes of every request exactly as they arrived, so tests can
// assert header names as written on the wire (net/http's server
// canonicalises them).
type wireServer struct {
	URL string
	mu  sync.Mutex
	buf bytes.Buffer
}

func newWireServer(t *testing.T, h http.HandlerFunc) *wireServer {
	t.Helper()
	p := newPKI(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ws := &wireServer{URL: "https://" + ln.Addr().String()}
	tln := tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{p.Server}, MinVersion: tls.VersionTLS12})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(&teeListener{Listener: tln, ws: ws})
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return ws
}

// client returns a Client for the wire server that trusts the test CA.
func (ws *wireServer) client(t *testing.T) *Client {
	t.Helper()
	c, err := NewClient(ws.URL, WithTLS(TLSConfig{CAPEM: newPKI(t).CAPEM}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.HTTPClient().CloseIdleConnections)
	return c
}

// take returns the bytes received since the last take.
func (ws *wireServer) take() string {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	s := ws.buf.String()
	ws.buf.Reset()
	return s
}

type teeListener struct {
	net.Listener
	ws *wireServer
}

func (l *teeListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &teeConn{Conn: c, ws: l.ws}, nil
}

type teeConn struct {
	net.Conn
	ws *wireServer
}

func (c *teeConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.ws.mu.Lock()
	c.ws.buf.Write(p[:n])
	c.ws.mu.Unlock()
	return n, err
}

// asError extracts the *Error of err or fails the test.
func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want a *gateway.Error, got %T: %v", err, err)
	}
	return e
}
