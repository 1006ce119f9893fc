package results

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/reports/reportstest"
)

// TestMergeOrder: the k-way merge hands results to the sink in timestamp
// order.
func TestMergeOrder(t *testing.T) {
	rs := goldenSpec().Results()[:300]
	dir := t.TempDir()
	var parts [3][]vegeta.Result
	for i, r := range rs {
		parts[i%3] = append(parts[i%3], r)
	}
	paths := []string{writeResults(t, dir, "0.bin", parts[0]), writeResults(t, dir, "1.bin", parts[1]), writeResults(t, dir, "2.bin", parts[2])}
	var got []int64
	rec := &recorder{fn: func(r *vegeta.Result) { got = append(got, r.Timestamp.UnixNano()) }}
	n, _, err := readInto(rec, paths...)
	if err != nil || n != len(rs) {
		t.Fatalf("read %d, %v", n, err)
	}
	for i := 1; i < len(got); i++ {
		if got[i] < got[i-1] {
			t.Fatalf("result %d is out of timestamp order", i)
		}
	}
}

// TestReadErrors: unreadable input is an error that names the file.
func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.bin")
	if _, _, err := ReadFiles(discard(), missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: %v, want an error naming %s", err, missing)
	}
	junk := filepath.Join(dir, "junk.txt")
	os.WriteFile(junk, []byte("12 this is not,a results file\n"), 0o644)
	if _, _, err := ReadFiles(discard(), junk); err == nil || !strings.Contains(err.Error(), junk) {
		t.Errorf("junk file: %v, want an error naming %s", err, junk)
	}
	garbage := filepath.Join(dir, "garbage.bin")
	os.WriteFile(garbage, bytes.Repeat([]byte{0xfe, 0x01, 0x02, 0x7f}, 100), 0o644)
	if _, _, err := ReadFiles(discard(), garbage); err == nil || !strings.Contains(err.Error(), garbage) {
		t.Errorf("garbage file: %v, want an error naming %s", err, garbage)
	}
	if _, _, err := ReadFiles(discard(), dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("directory: %v, want an error naming %s", err, dir)
	}
	empty := filepath.Join(dir, "empty.bin")
	os.WriteFile(empty, nil, 0o644)
	if n, partial, err := ReadFiles(discard(), empty); n != 0 || partial || err != nil {
		t.Errorf("empty file: %d %v %v, want 0 false nil", n, partial, err)
	}
}

// TestReadEveryCutAndJunk: a gob results file cut anywhere (a run killed
// mid-write) reads without error up to its last whole result, while junk
// that merely cannot be decoded is an error naming the file and the
// formats read, not an empty "truncated" results file.
func TestReadEveryCutAndJunk(t *testing.T) {
	rs := reportstest.DefaultSpec(4).Results()
	var buf bytes.Buffer
	if err := reportstest.WriteGob(&buf, rs); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	path := filepath.Join(t.TempDir(), "results.bin")
	last := 0
	for k := 0; k <= len(data); k++ {
		if err := os.WriteFile(path, data[:k], 0o644); err != nil {
			t.Fatal(err)
		}
		n, partial, err := ReadFiles(discard(), path)
		if err != nil {
			t.Fatalf("cut at %d of %d bytes: %v, want the whole results before the cut", k, len(data), err)
		}
		if n < last || (k == len(data) && (n != len(rs) || partial)) {
			t.Fatalf("cut at %d of %d bytes: %d results (partial %v), after %d at the previous cut", k, len(data), n, partial, last)
		}
		last = n
	}
	for _, junk := range []string{
		"hello, junk\x00\x01\x02",                  // a length, then not a type definition
		"targets:\n  gw: {url: https://gw:8043}\n", // text
		"<!DOCTYPE html><html></html>\n",           // report.html by mistake
		"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",      // a picture
		"\x10\xff\x81\x05\x01\x01\x04Time\x01",     // gob, but not of vegeta results
	} {
		if err := os.WriteFile(path, []byte(junk), 0o644); err != nil {
			t.Fatal(err)
		}
		n, partial, err := ReadFiles(discard(), path)
		if err == nil || !strings.Contains(err.Error(), path+": not a vegeta results file (gob, json or csv)") {
			t.Errorf("junk %q: %d results, partial %v, error %v; want an error naming the file and the formats", junk, n, partial, err)
		}
	}
}

// TestReadDropsBodies: even results that (wrongly) carry a body and
// response headers with a token and a Guid lose the body as they are
// decoded.
func TestReadDropsBodies(t *testing.T) {
	const token, guid, password = "tok-SECRET-4711", "guid-SECRET-0815.AgentGateway2", "pw-SECRET-42"
	rs := goldenSpec().Results()[:200]
	for i := range rs {
		rs[i].Body = []byte(`{"retcode":"0","result":{"phonetoken":"` + token + `"}}`)
		rs[i].Headers.Set("Set-Guid", "JSESSIONID="+guid)
		rs[i].Headers.Set("Authorization", password)
	}
	path := writeResults(t, t.TempDir(), "results.bin", rs)
	// ReadFiles drops bodies as it decodes.
	rec := &recorder{fn: func(r *vegeta.Result) {
		if r.Body != nil || strings.Contains(r.URL, "SECRET") {
			t.Fatalf("decoded result keeps its body")
		}
	}}
	if _, _, err := readInto(rec, path); err != nil {
		t.Fatal(err)
	}
}
