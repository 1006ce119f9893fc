package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTLSConfigDefaults(t *testing.T) {
	cfg, err := TLSConfig{}.Config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS12 || cfg.RootCAs != nil || cfg.InsecureSkipVerify {
		t.Errorf("zero TLSConfig: min %x, roots %v, insecure %v; want TLS 1.2, system roots, verification on",
			cfg.MinVersion, cfg.RootCAs, cfg.InsecureSkipVerify)
	}
	cfg, err = TLSConfig{ServerName: "gw.test", InsecureSkipVerify: true}.Config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ServerName != "gw.test" || !cfg.InsecureSkipVerify {
		t.Error("ServerName or InsecureSkipVerify not carried over")
	}
}

func TestTLSConfigErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing-ca.pem")
	garbage := filepath.Join(dir, "garbage-ca.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{missing, garbage} {
		_, err := TLSConfig{CAFile: f}.Config()
		if err == nil || !strings.Contains(err.Error(), f) {
			t.Errorf("CAFile %s: error %v does not name the file", f, err)
		}
	}
	if _, err := (TLSConfig{CAFile: missing}).Config(); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing CA file should wrap os.ErrNotExist: %v", err)
	}
	if _, err := (TLSConfig{CAPEM: []byte("junk")}).Config(); err == nil || !strings.Contains(err.Error(), "CA PEM") {
		t.Errorf("junk CAPEM: %v", err)
	}
}

// newPKIServer is an httptest TLS server presenting the test CA's server
// certificate.
func newPKIServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeEnvelope(w, RetOK, "", nil)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{newPKI(t).Server}}
	srv.Config.ErrorLog = quietLog // refused handshakes are expected here
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

var quietLog = log.New(io.Discard, "", 0)

func probe(t *testing.T, url string, tc TLSConfig) error {
	t.Helper()
	c, err := NewClient(url, WithTLS(tc))
	if err != nil {
		t.Fatal(err)
	}
	defer c.HTTPClient().CloseIdleConnections()
	_, err = c.Do(context.Background(), http.MethodGet, "/", nil, nil, nil)
	return err
}

func TestTLSCAFileIsTrusted(t *testing.T) {
	srv := newPKIServer(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, newPKI(t).CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := probe(t, srv.URL, TLSConfig{CAFile: caFile}); err != nil {
		t.Errorf("a server certificate signed by the CA file's CA was refused: %v", err)
	}
	// Without the CA (system roots only) the same server is refused.
	err := probe(t, srv.URL, TLSConfig{})
	if v := ClassifyError(err); v != (Verdict{Class: ClassTransport, Detail: "tls"}) {
		t.Errorf("untrusted server: %v, classified %v", err, v)
	}
}

func TestTLSCAPEMAndServerName(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeEnvelope(w, RetOK, "", nil)
	}))
	srv.Config.ErrorLog = quietLog // refused handshakes are expected here
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := certPEM(srv.Certificate())
	if err := probe(t, srv.URL, TLSConfig{CAPEM: ca}); err != nil {
		t.Errorf("CAPEM trusting the server certificate: %v", err)
	}
	// httptest's certificate names example.com: ServerName is what is verified.
	if err := probe(t, srv.URL, TLSConfig{CAPEM: ca, ServerName: "example.com"}); err != nil {
		t.Errorf("ServerName example.com: %v", err)
	}
	err := probe(t, srv.URL, TLSConfig{CAPEM: ca, ServerName: "gw.other.test"})
	if err == nil || !strings.Contains(err.Error(), "gw.other.test") {
		t.Errorf("ServerName gw.other.test must fail verification, got %v", err)
	}
}

// TestTLSInsecureSkipVerifyIsHonoured is the one test that turns
// verification off: to prove the setting reaches the transport.
func TestTLSInsecureSkipVerifyIsHonoured(t *testing.T) {
	srv := newPKIServer(t)
	if err := probe(t, srv.URL, TLSConfig{InsecureSkipVerify: true}); err != nil {
		t.Errorf("InsecureSkipVerify set, yet the untrusted server was refused: %v", err)
	}
	if err := probe(t, srv.URL, TLSConfig{}); err == nil {
		t.Error("verification is on by default, yet the untrusted server was accepted")
	}
}

func TestNewTransportProtocols(t *testing.T) {
	h1, err := NewTransport(TLSConfig{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if h1.ForceAttemptHTTP2 || h1.TLSNextProto == nil || len(h1.TLSNextProto) != 0 {
		t.Error("HTTP/1.1 transport may negotiate HTTP/2")
	}
	h2, err := NewTransport(TLSConfig{}, true)
	if err != nil {
		t.Fatal(err)
	}
	if !h2.ForceAttemptHTTP2 || h2.TLSNextProto != nil {
		t.Error("HTTP/2 transport cannot negotiate HTTP/2")
	}
	if _, err := NewTransport(TLSConfig{CAFile: "/nonexistent.pem"}, false); err == nil {
		t.Error("NewTransport ignored a bad CA file")
	}
}
