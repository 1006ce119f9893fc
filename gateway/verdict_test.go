package gateway

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"syscall"
	"testing"
	"time"

	"ccgw-harness/internal/testscale"
)

// allVerdicts has one verdict of every class and every documented detail.
var allVerdicts = []Verdict{
	{Class: ClassOK},
	{Class: ClassTransport, Detail: "reset"},
	{Class: ClassTransport, Detail: "refused"},
	{Class: ClassTransport, Detail: "eof"},
	{Class: ClassTransport, Detail: "tls"},
	{Class: ClassTransport, Detail: "dns"},
	{Class: ClassTransport, Detail: "other"},
	{Class: ClassTimeout},
	{Class: ClassHTTP, Detail: "503"},
	{Class: ClassHTTP, Detail: "405"},
	{Class: ClassEnvelope, Detail: "truncated"},
	{Class: ClassEnvelope, Detail: "malformed"},
	{Class: ClassRetcode, Detail: RetNotSignedIn},
	{Class: ClassRetcode, Detail: `""`},
	{Class: ClassContract, Detail: ViolationEmptyToken},
	{Class: ClassContract, Detail: ViolationWrongPhone},
	{Class: ClassContract, Detail: ViolationNoResult},
	{Class: ClassContract, Detail: ViolationContentType},
	{Class: ClassContract, Detail: ViolationResultTypes},
	{Class: ClassContract, Detail: ViolationTokenOnError},
	{Class: ClassContract, Detail: ViolationNoMessage},
}

func TestVerdictStringRoundTrip(t *testing.T) {
	for _, v := range allVerdicts {
		s := v.String()
		if got := ParseVerdict(s); got != v {
			t.Errorf("ParseVerdict(%q) = %+v, want %+v", s, got, v)
		}
		if v.OK() != (s == "") {
			t.Errorf("%+v: OK() %v but String %q", v, v.OK(), s)
		}
		if v.OK() && v.Key() != "ok" || !v.OK() && v.Key() != s {
			t.Errorf("%+v: Key() = %q", v, v.Key())
		}
	}
	want := map[Verdict]string{
		{Class: ClassRetcode, Detail: "100-006"}:         "retcode 100-006",
		{Class: ClassHTTP, Detail: "503"}:                "http 503",
		{Class: ClassContract, Detail: "wrong_phonenum"}: "contract wrong_phonenum",
		{Class: ClassEnvelope, Detail: "truncated"}:      "envelope truncated",
		{Class: ClassTransport, Detail: "reset"}:         "transport reset",
		{Class: ClassTimeout}:                            "timeout",
		{Class: ClassOK}:                                 "",
		{}:                                               "",
	}
	for v, s := range want {
		if v.String() != s {
			t.Errorf("%+v.String() = %q, want %q (docs/architecture.md results-file form)", v, v.String(), s)
		}
	}
}

func TestVerdictRetcode(t *testing.T) {
	cases := map[Verdict]string{
		{Class: ClassOK}: RetOK,
		{Class: ClassContract, Detail: "empty_token"}: RetOK,
		{Class: ClassRetcode, Detail: RetNotSignedIn}: RetNotSignedIn,
		{Class: ClassHTTP, Detail: "503"}:             "",
		{Class: ClassTransport, Detail: "reset"}:      "",
		{Class: ClassEnvelope, Detail: "truncated"}:   "",
		{Class: ClassTimeout}:                         "",
	}
	for v, want := range cases {
		if got := v.Retcode(); got != want {
			t.Errorf("%+v.Retcode() = %q, want %q", v, got, want)
		}
	}
}

func TestParseVerdictForeignErrors(t *testing.T) {
	cases := map[string]Verdict{
		"ok":      {Class: ClassOK},
		"ok rest": {Class: ClassOK},
		`Post "https://127.0.0.1:8043/x": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`: {Class: ClassTimeout},
		"read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer":                                           {Class: ClassTransport, Detail: "reset"},
		"dial tcp 127.0.0.1:2: connect: connection refused":                                                           {Class: ClassTransport, Detail: "refused"},
		"tls: failed to verify certificate: x509: certificate signed by unknown authority":                            {Class: ClassTransport, Detail: "tls"},
		"unexpected EOF": {Class: ClassTransport, Detail: "eof"},
		"dial tcp: lookup gw.invalid: no such host": {Class: ClassTransport, Detail: "dns"},
		"something else entirely":                   {Class: ClassTransport, Detail: "other"},
	}
	for s, want := range cases {
		if got := ParseVerdict(s); got != want {
			t.Errorf("ParseVerdict(%q) = %+v, want %+v", s, got, want)
		}
	}
}

func TestClassifyErrorSentinels(t *testing.T) {
	cases := []struct {
		err  error
		want Verdict
	}{
		{nil, Verdict{Class: ClassOK}},
		{context.DeadlineExceeded, Verdict{Class: ClassTimeout}},
		{fmt.Errorf("wrapped: %w", os.ErrDeadlineExceeded), Verdict{Class: ClassTimeout}},
		{&net.OpError{Op: "read", Err: syscall.ECONNRESET}, Verdict{Class: ClassTransport, Detail: "reset"}},
		{io.ErrUnexpectedEOF, Verdict{Class: ClassTransport, Detail: "eof"}},
		{tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, Verdict{Class: ClassTransport, Detail: "tls"}},
		{tls.AlertError(40), Verdict{Class: ClassTransport, Detail: "tls"}},
		{errors.New("no such host"), Verdict{Class: ClassTransport, Detail: "dns"}},
	}
	for _, tc := range cases {
		if got := ClassifyError(tc.err); got != tc.want {
			t.Errorf("ClassifyError(%v) = %+v, want %+v", tc.err, got, tc.want)
		}
	}
}

// rawTLSServer accepts TLS connections, reads one request head from each,
// then closes it: with SO_LINGER 0 (a TCP reset) when reset is set, else
// gracefully (EOF).
func rawTLSServer(t *testing.T, reset bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{newPKI(t).Server}, MinVersion: tls.VersionTLS12}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.SetDeadline(time.Now().Add(testscale.D(10 * time.Second)))
			tc := tls.Server(c, cfg)
			br := bufio.NewReader(tc)
			for { // the request head ends with an empty line
				line, err := br.ReadString('\n')
				if err != nil || line == "\r\n" {
					break
				}
			}
			if reset {
				_ = c.(*net.TCPConn).SetLinger(0)
				_ = c.Close()
			} else {
				_ = tc.Close()
			}
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
	})
	return "https://" + ln.Addr().String()
}

func pkiClient(t *testing.T, url string) *Client {
	t.Helper()
	c, err := NewClient(url, WithTLS(TLSConfig{CAPEM: newPKI(t).CAPEM}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClassifyErrorRealReset(t *testing.T) {
	c := pkiClient(t, rawTLSServer(t, true))
	_, err := c.LoginInfo(context.Background(), NewSession(1001, testPhone, testGuid))
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("want a connection reset, got %v", err)
	}
	if v := ClassifyError(err); v != (Verdict{Class: ClassTransport, Detail: "reset"}) {
		t.Errorf("ClassifyError(%v) = %+v", err, v)
	}
	if v := ParseVerdict(err.Error()); v != (Verdict{Class: ClassTransport, Detail: "reset"}) {
		t.Errorf("from its text (as in a results file): %+v", v)
	}
	assertNoSecrets(t, "error", err.Error())
}

func TestClassifyErrorRealEOF(t *testing.T) {
	c := pkiClient(t, rawTLSServer(t, false))
	_, err := c.LoginInfo(context.Background(), NewSession(1001, testPhone, testGuid))
	if v := ClassifyError(err); v != (Verdict{Class: ClassTransport, Detail: "eof"}) {
		t.Errorf("ClassifyError(%v) = %+v", err, v)
	}
}

func TestClassifyErrorRealRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	_, err = pkiClient(t, "https://"+addr).LoginInfo(context.Background(), NewSession(1001, testPhone, testGuid))
	if v := ClassifyError(err); v != (Verdict{Class: ClassTransport, Detail: "refused"}) {
		t.Errorf("ClassifyError(%v) = %+v", err, v)
	}
	if v := ParseVerdict(err.Error()); v != (Verdict{Class: ClassTransport, Detail: "refused"}) {
		t.Errorf("from its text: %+v", v)
	}
}

func TestClassifyErrorRealDeadline(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			// No answer at all: a handler that returned would send an
			// empty 200, which the client's transport may read before it
			// reports the timeout.
			panic(http.ErrAbortHandler)
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c, err := NewClient(srv.URL, WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = c.LoginInfo(ctx, NewSession(1001, testPhone, testGuid))
	if v := ClassifyError(err); v != (Verdict{Class: ClassTimeout}) {
		t.Errorf("ClassifyError(%v) = %+v", err, v)
	}
	if v := ParseVerdict(err.Error()); v != (Verdict{Class: ClassTimeout}) {
		t.Errorf("from its text: %+v", v)
	}
	// The client's own timeout (http.Client.Timeout) is a timeout too.
	hc := srv.Client()
	hc.Timeout = 50 * time.Millisecond
	c2, err := NewClient(srv.URL, WithHTTPClient(hc), WithTimeout(0))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c2.LoginInfo(context.Background(), NewSession(1001, testPhone, testGuid))
	if v := ClassifyError(err); v != (Verdict{Class: ClassTimeout}) {
		t.Errorf("http.Client.Timeout: ClassifyError(%v) = %+v", err, v)
	}
}
