package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// Seeds live in testdata/fuzz/<FuzzName>/ as well as in the f.Add calls.

func FuzzDecodeEnvelope(f *testing.F) {
	for _, s := range []string{
		`{"message":"success","retcode":"0","result":{"phonetoken":"t","phonenum":"1"}}`,
		`{"retcode":"100-006"}`,
		`{"retcode":0}`,
		`{"retcode":"0","result":[]}`,
		`{"retcode":"0"`,
		`{"retcode":"0"} {}`,
		``,
		`{"retcode":"0","retcode":"1"}`,
		`{"RETCODE":"0"}`,
		"\u00a0{\"retcode\":\"0\"}",
		`{"retcode":"\ud800","message":"\u00e9"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := DecodeEnvelope(body)
		if err != nil {
			if errors.Is(err, ErrTruncated) == errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v must wrap exactly one of ErrTruncated and ErrMalformed", err)
			}
			return
		}
		trimmed := bytes.Trim(body, " \t\r\n")
		if !json.Valid(trimmed) || trimmed[0] != '{' {
			t.Fatalf("accepted a body that is not one JSON object")
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &m); err != nil {
			t.Fatalf("accepted body is no object: %v", err)
		}
		if _, ok := m["retcode"]; !ok {
			t.Fatalf("accepted an envelope without a member named exactly retcode")
		}
		if len(env.Result) > 0 && env.Result[0] != '{' {
			t.Fatalf("result %q is not an object", env.Result)
		}
		// Re-encoding what was decoded decodes to the same envelope.
		again, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		env2, err := DecodeEnvelope(again)
		if err != nil {
			t.Fatalf("re-encoded envelope does not decode: %v", err)
		}
		if env2.Retcode != env.Retcode || env2.Message != env.Message || !sameJSON(env.Result, env2.Result) {
			t.Fatalf("round trip changed the envelope: %+v -> %+v", env, env2)
		}
	})
}

func sameJSON(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	// Compare values, not bytes: json.Marshal re-escapes strings ("&"
	// becomes "\u0026"), which is the same JSON.
	va, errA := decodeValue(a)
	vb, errB := decodeValue(b)
	return errA == nil && errB == nil && reflect.DeepEqual(va, vb)
}

func decodeValue(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

func FuzzParseSetGuid(f *testing.F) {
	for _, s := range []string{
		"JSESSIONID=" + testGuid,
		"jsessionid=abc.AgentGateway12; Path=/",
		"JSESSIONID=",
		"JSESSIONID=a b",
		"JSESSIONID=abc.AgentGateway+5",
		"JSESSIONID=abc.AgentGateway99999999999999999999",
		"SESSION=abc",
		"",
		"JSESSIONID=\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		sg, err := ParseSetGuid(header)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if pe.Input != Mask(header) {
				t.Fatalf("the error carries more of the header than its mask")
			}
			return
		}
		if sg.Guid == "" {
			t.Fatal("accepted an empty Guid")
		}
		for i := 0; i < len(sg.Guid); i++ {
			if c := sg.Guid[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(",\"\\=;", c) >= 0 {
				t.Fatalf("Guid holds byte %#x, which cannot go back verbatim in a header", c)
			}
		}
		if sg.Node != GuidNode(sg.Guid) || sg.Node < 0 {
			t.Fatalf("node %d, GuidNode says %d", sg.Node, GuidNode(sg.Guid))
		}
		if sg.Node > 0 && !strings.Contains(sg.Guid, NodeSuffix(0)[:len(NodeSuffix(0))-1]) {
			t.Fatalf("node %d but the Guid does not end with its suffix", sg.Node)
		}
		again, err := ParseSetGuid(FormatSetGuid(sg.Guid))
		if err != nil || again != sg {
			t.Fatalf("FormatSetGuid does not round-trip: %v", err)
		}
	})
}

func FuzzParseAgentID(f *testing.F) {
	for _, s := range []string{"100", "101", "1001", "999999", "1000000", "0", "-5", "+101", " 101", "0101", "12345678901234567890", "abc", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseAgentID(s, DefaultIDRange)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || id != 0 {
				t.Fatalf("rejection must be a *ParseError with id 0, got %d, %v", id, err)
			}
			return
		}
		if !DefaultIDRange.Contains(id) {
			t.Fatalf("accepted %d outside %v", id, DefaultIDRange)
		}
		if strconv.Itoa(id) != s {
			t.Fatalf("%q parsed as %d, which formats as %q", s, id, strconv.Itoa(id))
		}
		if LoginInfoPath(id) != LoginInfoPathRaw(s) {
			t.Fatalf("the path of %d differs from the raw path of %q", id, s)
		}
	})
}

func FuzzParseVerdict(f *testing.F) {
	for _, v := range allVerdicts {
		f.Add(v.String())
	}
	for _, s := range []string{"ok", "ok x", "timeout x", "retcode", "http  1", "Timeout", "context deadline exceeded", "EOF", "x"} {
		f.Add(s)
	}
	classes := []Class{ClassOK, ClassTransport, ClassTimeout, ClassHTTP, ClassEnvelope, ClassRetcode, ClassContract}
	f.Fuzz(func(t *testing.T, s string) {
		v := ParseVerdict(s)
		known := false
		for _, c := range classes {
			known = known || v.Class == c
		}
		if !known {
			t.Fatalf("ParseVerdict(%q) gave unknown class %q", s, v.Class)
		}
		if got := ParseVerdict(v.String()); got != v {
			t.Fatalf("ParseVerdict(%q) = %+v, but its String %q parses as %+v", s, v, v.String(), got)
		}
		if v.OK() && v.Detail != "" {
			t.Fatalf("a success verdict carries detail %q", v.Detail)
		}
		// Any verdict a writer builds from a non-OK class round-trips.
		for _, c := range classes[1:] {
			w := Verdict{Class: c, Detail: s}
			if got := ParseVerdict(w.String()); got != w {
				t.Fatalf("%+v.String() = %q parses as %+v", w, w.String(), got)
			}
		}
	})
}
