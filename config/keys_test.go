package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestKeyPaths: the schema table lists every mapping's keys once, in the
// notation the coverage table of cmd/ccgw uses.
func TestKeyPaths(t *testing.T) {
	paths := KeyPaths()
	if !slices.IsSorted(paths) || len(slices.Compact(slices.Clone(paths))) != len(paths) {
		t.Errorf("KeyPaths is not sorted and unique: %q", paths)
	}
	for _, want := range []string{"targets", "plans", "slo", "targets.*.mock.auth_mode", "targets.*.mock.faults.reset_rate",
		"targets.*.tls.server_name", "targets.*.expect.wrong_method.allow", "targets.*.expect.content_types",
		"plans.*.journey.hold", "plans.*.stages[].ramp", "plans.*.slo", "slo.<latency>", "slo.ready_<latency>",
		"slo.calls.signin", "slo.calls.*.error_rate", "slo.calls.*.<latency>"} {
		if !slices.Contains(paths, want) {
			t.Errorf("KeyPaths lacks %s", want)
		}
	}
}

// TestSchemaPattern: a mapping's path in a document maps to its row.
func TestSchemaPattern(t *testing.T) {
	for in, want := range map[string]string{
		"":                               "",
		"targets.gw":                     "targets.*",
		"targets.slo.mock.faults":        "targets.*.mock.faults",
		"targets.gw.expect.bad_agent_id": "targets.*.expect.bad_agent_id",
		"plans.p.stages[12]":             "plans.*.stages[]",
		"plans.slo.slo.calls":            "slo.calls",
		"plans.p.slo.calls.logout":       "slo.calls.*",
		"slo.calls.poll":                 "slo.calls.*",
	} {
		if got := pattern(in); got != want {
			t.Errorf("pattern(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSchemaCheckRefusesUnlistedMappings: a mapping the parser would read
// without a row in the table (or with other keys) is a programming error
// that names the table.
func TestSchemaCheckRefusesUnlistedMappings(t *testing.T) {
	for _, c := range []struct {
		path    string
		allowed []string
		want    string
	}{
		{"plans.p.warp", []string{"factor"}, "plans.*.warp (keys factor), which is no row of the schema table"},
		{"targets.gw.tls", []string{"ca_file"}, "targets.*.tls with keys ca_file, the schema table in config/keys.go says ca_file, insecure_skip_verify, server_name"},
	} {
		func() {
			defer func() {
				r, _ := recover().(string)
				if !strings.Contains(r, c.want) {
					t.Errorf("checkSchema(%s, %v) panicked with %q, want %q", c.path, c.allowed, r, c.want)
				}
			}()
			checkSchema(c.path, c.allowed)
		}()
	}
}

// TestSchemaCoversTheRepoFiles: the repository's targets files, parsed,
// read only mappings of the table (checkSchema would panic otherwise).
func TestSchemaCoversTheRepoFiles(t *testing.T) {
	for _, f := range []string{filepath.Join("..", "targets.yaml"), filepath.Join("testdata", "full.yaml")} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(f, data); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
