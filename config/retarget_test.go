package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"ccgw-harness/gateway"
)

// TestRetargetURL: the generated file holds a url target with the mock
// target's settings, reaching the url with the CA file and the password
// variable given; plans, objectives and other targets stay as they were.
func TestRetargetURL(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "mock.pem")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := doc(
		"targets:",
		"  m:",
		"    mock: {auth_mode: dynamic, guid_interval: 2s, guid_timeout: 4s, idle_timeout: 30s, poll_wait: 1s}",
		"    agents: {ids: 1001-1004, phonenum_prefix: '77'}",
		"    max_rate: 500",
		"  other: {url: 'https://gw.example:8043', allow_load: true, agents: {ids: 2001-2002, password_env: CCGW_TEST_PW}}",
		"slo: {p99: 300ms}",
		"plans:",
		"  smoke: {agents: 4, rate: 10, duration: 5s, slo: {error_rate: 0.01}}",
	)
	f := mustParse(t, "targets.yaml", src)
	mock, err := f.Target("m")
	if err != nil {
		t.Fatal(err)
	}
	out, err := RetargetURL("targets.yaml", src, mock, "https://127.0.0.1:9443", ca, "CCGW_TEST_PW")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("CCGW_TEST_PW", "secret")
	g := mustParse(t, "gen.yaml", out)
	got, err := g.Target("m")
	if err != nil {
		t.Fatalf("the generated target: %v\n%s", err, out)
	}
	if got.URL != "https://127.0.0.1:9443" || got.Mock != nil || got.TLS.CAFile != ca || got.Agents.PasswordEnv != "CCGW_TEST_PW" || got.Agents.Password != "secret" {
		t.Errorf("url target: %+v\n%s", got, out)
	}
	if got.AuthMode != gateway.AuthDynamic || got.GuidInterval != 2*time.Second || got.GuidTimeout != 4*time.Second || got.IdleTimeout != 30*time.Second ||
		got.PollWait != time.Second || got.AgentIDRange != mock.AgentIDRange || !reflect.DeepEqual(got.Agents.IDs, mock.Agents.IDs) ||
		got.Agents.PhonenumPrefix != "77" || got.MaxRate != 500 || got.AllowLoad != mock.AllowLoad || got.Production || got.ForceLogin != mock.ForceLogin {
		t.Errorf("settings changed: %+v, want those of %+v", got, mock)
	}
	if o, err := g.Target("other"); err != nil || o.URL != "https://gw.example:8043" {
		t.Errorf("the other target: %+v, %v", o, err)
	}
	p, err := g.Plan("smoke")
	if err != nil || !reflect.DeepEqual(g.SLOFor(p), f.SLOFor(mustPlan(t, f, "smoke"))) {
		t.Errorf("the plan's objectives changed: %v", err)
	}
	if _, err := RetargetURL("targets.yaml", src, &Target{Name: "nosuch"}, "https://x:1", ca, "E"); err == nil || !strings.Contains(err.Error(), "targets.yaml: target nosuch not found under targets") {
		t.Errorf("a target not in the file: %v", err)
	}
	if _, err := RetargetURL("bad.yaml", []byte("targets: [\n"), mock, "https://x:1", ca, "E"); err == nil || !strings.HasPrefix(err.Error(), "bad.yaml: ") {
		t.Errorf("a file that is not YAML: %v", err)
	}
}

func mustPlan(t *testing.T, f *File, name string) *Plan {
	t.Helper()
	p, err := f.Plan(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
