package contract_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"

	"ccgw-harness/gateway"
)

// secretRecorder writes every secret the suite sees (Guids from Set-GUID
// headers and updateGuid results, phonetokens from any answer, the agents'
// passwords) to a file, one a line, so that the teeth test can scan the
// suite's output for them. It is off unless --record-secrets is given, and
// it never prints what it records.
type secretRecorder struct {
	mu   sync.Mutex
	f    *os.File
	seen map[string]bool
	err  error
}

// newSecretRecorder opens (creates or appends to) path with mode 0600.
func newSecretRecorder(path string) (*secretRecorder, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("--record-secrets: %w", err)
	}
	return &secretRecorder{f: f, seen: map[string]bool{}}, nil
}

// Add records secrets (empty ones and repeats are skipped). A nil recorder
// records nothing.
func (r *secretRecorder) Add(secrets ...string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if s == "" || r.seen[s] || r.f == nil {
			continue
		}
		r.seen[s] = true
		if _, err := r.f.WriteString(s + "\n"); err != nil && r.err == nil {
			r.err = err
		}
	}
}

// Close closes the file and returns the first write error.
func (r *secretRecorder) Close() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return r.err
	}
	err := r.f.Close()
	r.f = nil
	if r.err != nil {
		return fmt.Errorf("--record-secrets: %w", r.err)
	}
	if err != nil {
		return fmt.Errorf("--record-secrets: %w", err)
	}
	return nil
}

// Wrap makes hc record the secrets of every answer it receives. Call it
// before hc is used concurrently.
func (r *secretRecorder) Wrap(hc *http.Client) {
	if r == nil {
		return
	}
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc.Transport = &recordingTransport{next: next, rec: r}
}

// recordingTransport is an http.RoundTripper that records the secrets of
// each answer (the body is read into memory and handed on unchanged).
type recordingTransport struct {
	next http.RoundTripper
	rec  *secretRecorder
}

// RoundTrip implements http.RoundTripper.
func (t *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	for _, v := range resp.Header.Values(gateway.HeaderSetGuid) {
		if sg, err := gateway.ParseSetGuid(v); err == nil {
			t.rec.Add(sg.Guid)
		}
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, gateway.MaxBodySize+1))
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{rerr}))
	t.rec.Add(secretValues(body)...)
	return resp, nil
}

// errReader returns err (or io.EOF) once the recorded body is consumed, so
// that a body that failed mid-way still fails for the client.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	return 0, io.EOF
}

// secretValues returns the values of every "phonetoken" and "guid" member
// anywhere in a JSON body (strings and numbers as written).
func secretValues(body []byte) []string {
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return nil
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				if isSecretKey(k) {
					switch s := val.(type) {
					case string:
						out = append(out, s)
					case json.Number:
						out = append(out, s.String())
					}
				}
				walk(val)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

func isSecretKey(k string) bool {
	return bytes.EqualFold([]byte(k), []byte("phonetoken")) || bytes.EqualFold([]byte(k), []byte("guid"))
}
