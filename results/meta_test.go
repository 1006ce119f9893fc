package results

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestMetaRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), MetaFile)
	m := goldenMeta()
	m.HTTP2, m.Interrupted, m.LatencyFromPlanned = true, true, true
	objs := goldenSLO()
	m.SLO = &objs
	if err := WriteMeta(p, m); err != nil {
		t.Fatal(err)
	}
	got, err := ReadMeta(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("ReadMeta = %+v\nwant %+v", got, m)
	}
	b, _ := os.ReadFile(p)
	for _, key := range []string{`"requested_rate": 100`, `"planned_duration_s": 20`, `"p99": "500ms"`, `"latency_from_planned": true`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("meta.json lacks %s:\n%s", key, b)
		}
	}
	os.WriteFile(p, []byte(`{"target": 3}`), 0o644)
	if _, err := ReadMeta(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("bad meta.json: %v, want an error naming the file", err)
	}
	os.WriteFile(p, []byte(`{"slo": {"latency": {"p42x": "1s"}}}`), 0o644)
	if _, err := ReadMeta(p); err == nil || !strings.Contains(err.Error(), "p42x") {
		t.Errorf("bad SLO key: %v", err)
	}
}
