package gateway

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// Transport defaults for the clients NewClient and NewTransport build.
const (
	// DefaultDialTimeout bounds the TCP connect.
	DefaultDialTimeout = 10 * time.Second
	// DefaultTLSHandshakeTimeout bounds the TLS handshake.
	DefaultTLSHandshakeTimeout = 10 * time.Second
	// DefaultMaxIdleConnsPerHost keeps enough idle keep-alive connections for
	// many agents polling and calling logininfo at once: with net/http's
	// default of 2, every long poll that returns would close its connection
	// and the next call would pay a new TLS handshake.
	DefaultMaxIdleConnsPerHost = 1024
	// DefaultIdleConnTimeout closes keep-alive connections idle that long.
	DefaultIdleConnTimeout = 90 * time.Second
)

// TLSConfig is how the client trusts a gateway. The zero value trusts the
// system roots and verifies the host name of the base URL.
type TLSConfig struct {
	// CAFile is a PEM file of CA certificates to trust instead of the system
	// roots.
	CAFile string
	// CAPEM is PEM-encoded CA certificates to trust instead of the system
	// roots (added to CAFile's when both are set).
	CAPEM []byte
	// InsecureSkipVerify turns certificate verification off. Only for
	// throw-away test gateways; measured latencies are unaffected.
	InsecureSkipVerify bool
	// ServerName overrides the name the certificate must carry (default: the
	// host of the base URL).
	ServerName string
}

// Config builds the tls.Config: TLS 1.2 or later, the given CAs (or the
// system roots when none is given), ServerName and InsecureSkipVerify as set.
// Errors name the CA file.
func (t TLSConfig) Config() (*tls.Config, error) {
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify, // #nosec G402 -- opt-in, documented
	}
	if t.CAFile == "" && len(t.CAPEM) == 0 {
		return cfg, nil
	}
	pool := x509.NewCertPool()
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			// The *PathError already names the file; say what it was for.
			return nil, fmt.Errorf("gateway TLS: CA file: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("gateway TLS: CA file %s: no PEM certificate found", t.CAFile)
		}
	}
	if len(t.CAPEM) > 0 && !pool.AppendCertsFromPEM(t.CAPEM) {
		return nil, errors.New("gateway TLS: CA PEM: no PEM certificate found")
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// NewTransport builds the transport NewClient uses: TLS from t, no proxy,
// bounded dial and handshake, many idle keep-alive connections, and HTTP/1.1
// unless http2 is set (HTTP/2 multiplexes every agent over one connection,
// which behind an L4 balancer lands all traffic on one node).
func NewTransport(t TLSConfig, http2 bool) (*http.Transport, error) {
	cfg, err := t.Config()
	if err != nil {
		return nil, err
	}
	dialer := &net.Dialer{Timeout: DefaultDialTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       cfg,
		TLSHandshakeTimeout:   DefaultTLSHandshakeTimeout,
		MaxIdleConnsPerHost:   DefaultMaxIdleConnsPerHost,
		IdleConnTimeout:       DefaultIdleConnTimeout,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     http2,
	}
	if !http2 {
		// A non-nil empty map disables the transport's HTTP/2 upgrade.
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	return tr, nil
}
