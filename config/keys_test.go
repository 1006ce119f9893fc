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

// TestRefusesSettingsThatChangeNothing: a key with no meaning given the
// others is refused, naming it: Guid timings under auth_mode static, a
// fault's parameter without the fault, a latency parameter of the other
// distribution.
func TestRefusesSettingsThatChangeNothing(t *testing.T) {
	for _, c := range []struct{ name, target, want string }{
		{"static real target", "{url: https://gw:8043, auth_mode: static, guid_interval: 30s, agents: {ids: \"1001\", password_env: PW}}",
			"targets.gw.guid_interval: guid_interval does not apply with auth_mode static: the Guid never rotates"},
		{"static mock guid_timeout", "{mock: {auth_mode: static, guid_timeout: 3m}}",
			"targets.gw.mock.guid_timeout: guid_timeout does not apply with auth_mode static"},
		{"static mock guid_timeout_from", "{mock: {auth_mode: static, guid_timeout_from: rotation}}",
			"targets.gw.mock.guid_timeout_from: guid_timeout_from does not apply with auth_mode static"},
		{"static mock rotate_every_poll", "{mock: {auth_mode: static, faults: {rotate_every_poll: true}}}",
			"targets.gw.mock.faults.rotate_every_poll: rotate_every_poll does not apply with auth_mode static"},
		{"retcode without its rate", "{mock: {faults: {retcode: \"100-001\"}}}",
			"targets.gw.mock.faults.retcode: retcode changes nothing unless retcode_rate is above 0"},
		{"http_status without its rate", "{mock: {faults: {http_status: 502}}}",
			"targets.gw.mock.faults.http_status: http_status changes nothing unless http_error_rate is above 0"},
		{"stall_for without its rate", "{mock: {faults: {stall_for: 1s}}}",
			"targets.gw.mock.faults.stall_for: stall_for changes nothing unless stall_rate is above 0"},
		{"slow_body_for without its rate", "{mock: {faults: {slow_body_for: 1s}}}",
			"targets.gw.mock.faults.slow_body_for: slow_body_for changes nothing unless slow_body_rate is above 0"},
		{"latency_mean of a uniform latency", "{mock: {faults: {latency_mean: 5ms}}}",
			"targets.gw.mock.faults.latency_mean: latency_mean changes nothing unless latency_dist is exponential"},
		{"latency_jitter of an exponential latency", "{mock: {faults: {latency_dist: exponential, latency_mean: 5ms, latency_jitter: 5ms}}}",
			"targets.gw.mock.faults.latency_jitter: latency_jitter changes nothing unless latency_dist is uniform (or unset)"},
	} {
		_, err := Parse("targets.yaml", doc("targets:", "  gw: "+c.target))
		if err == nil || !strings.Contains(err.Error(), "targets.yaml:2: "+c.want) {
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.want)
		}
	}
	for _, ok := range []string{"{mock: {faults: {retcode_rate: 0.1, retcode: \"100-001\", latency_dist: exponential, latency_mean: 1ms}}}",
		"{mock: {auth_mode: static, idle_timeout: 1m, faults: {latency_jitter: 1ms}}}"} {
		if _, err := Parse("targets.yaml", doc("targets:", "  gw: "+ok)); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}
