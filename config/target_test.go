package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/mockgw/faultset"
)

func mustParse(t *testing.T, path string, data []byte) *File {
	t.Helper()
	f, err := Parse(path, data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return f
}

func mustLoad(t *testing.T, path string) *File {
	t.Helper()
	f, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return f
}

// TestTargetDefaults: what a target gets when it says nothing (the
// minimal mock target, and a minimal real one).
func TestTargetDefaults(t *testing.T) {
	f := mustParse(t, "targets.yaml", doc(
		"targets:",
		"  mock:",
		"    mock: {nodes: 1, auth_mode: dynamic}",
		"  gw:",
		"    url: https://gw.example:8043",
		"    agents: {ids: \"1001-1003\", password_env: PW}",
	))
	m := f.Targets["mock"]
	if m.URL != "" || m.Mock == nil || m.Mock.Nodes != 1 {
		t.Errorf("mock target: URL %q Mock %+v", m.URL, m.Mock)
	}
	if !m.AllowLoad {
		t.Error("a mock target allows load by default")
	}
	if got := FormatIDs(m.Agents.IDs); got != DefaultMockAgentIDs {
		t.Errorf("mock default agents %s, want %s", got, DefaultMockAgentIDs)
	}
	if m.Mock.Faults != (faultset.Faults{}) || m.Mock.Defects != nil {
		t.Errorf("mock faults on by default: %+v %v", m.Mock.Faults, m.Mock.Defects)
	}
	g := f.Targets["gw"]
	if g.AllowLoad {
		t.Error("a real target must opt in to load")
	}
	for _, tg := range []*Target{m, g} {
		if tg.AuthMode != gateway.AuthDynamic || tg.GuidInterval != gateway.DefaultGuidInterval ||
			tg.GuidTimeout != gateway.DefaultGuidTimeout || tg.IdleTimeout != gateway.DefaultIdleTimeout ||
			tg.PollWait != gateway.DefaultPollWait {
			t.Errorf("%s session defaults: %s %v %v %v %v", tg.Name, tg.AuthMode, tg.GuidInterval, tg.GuidTimeout, tg.IdleTimeout, tg.PollWait)
		}
		if tg.AgentIDRange != gateway.DefaultIDRange || !tg.ForceLogin || tg.Production || tg.MaxRate != 0 {
			t.Errorf("%s defaults: range %v force_login %v production %v max_rate %v", tg.Name, tg.AgentIDRange, tg.ForceLogin, tg.Production, tg.MaxRate)
		}
		if !reflect.DeepEqual(tg.Expect, DefaultExpectations()) {
			t.Errorf("%s expectations %+v", tg.Name, tg.Expect)
		}
	}
	if g.URL != "https://gw.example:8043" || g.TLS != (TLS{}) || g.Line != 4 {
		t.Errorf("gw: URL %q TLS %+v line %d", g.URL, g.TLS, g.Line)
	}
}

// TestDefaultExpectations pins the documented answers the contract suite
// checks by default.
func TestDefaultExpectations(t *testing.T) {
	e := DefaultExpectations()
	noPerm := Expect{Status: 200, Retcode: "000-003"}
	notIn := Expect{Status: 200, Retcode: "100-006"}
	want := Expectations{
		WrongMethod: Expect{Status: 405, Allow: "POST"},
		MissingGuid: noPerm, EmptyGuid: noPerm, OtherAgentGuid: noPerm,
		MalformedGuid: notIn, UnknownGuid: notIn, SignedOutGuid: notIn, ReplacedGuid: notIn,
		BadAgentID:   Expect{Status: 200, Retcode: "000-002"},
		ContentTypes: []string{"application/json; charset=UTF-8", "application/json;charset=UTF-8", "application/json"},
	}
	if !reflect.DeepEqual(e, want) {
		t.Errorf("DefaultExpectations()\n got %+v\nwant %+v", e, want)
	}
	e.ContentTypes[0] = "changed"
	if DefaultExpectations().ContentTypes[0] != gateway.ContentTypeJSON {
		t.Error("DefaultExpectations shares its slice between calls")
	}
}

// TestFullOverrides: every key, set to a non-default value, lands in its
// field (testdata/full.yaml).
func TestFullOverrides(t *testing.T) {
	t.Setenv("CCGW_TEST_FULL_PASSWORD", "full-secret")
	f := mustLoad(t, "testdata/full.yaml")
	g, err := f.Target("gw")
	if err != nil {
		t.Fatal(err)
	}
	if g.URL != "https://gw.example:9443" {
		t.Errorf("URL %q (trailing slash dropped)", g.URL)
	}
	if want := (TLS{CAFile: filepath.Join("testdata", "ca.pem"), ServerName: "gw.internal"}); g.TLS != want {
		t.Errorf("TLS %+v, want %+v (ca_file relative to the yaml)", g.TLS, want)
	}
	if g.AuthMode != gateway.AuthDynamic || g.GuidInterval != 30*time.Second || g.GuidTimeout != 90*time.Second ||
		g.IdleTimeout != 100*time.Second || g.PollWait != 5*time.Second {
		t.Errorf("session: %s %v %v %v %v", g.AuthMode, g.GuidInterval, g.GuidTimeout, g.IdleTimeout, g.PollWait)
	}
	if g.AgentIDRange != gateway.LegacyIDRange {
		t.Errorf("agent_id_range %v", g.AgentIDRange)
	}
	if got := FormatIDs(g.Agents.IDs); got != "1001,1003-1004,2000-2001,2005" {
		t.Errorf("ids %s", got)
	}
	if g.Agents.PhonenumPrefix != "0049" || g.Agents.PasswordEnv != "CCGW_TEST_FULL_PASSWORD" || g.Agents.Password != "full-secret" {
		t.Errorf("agents %+v prefix %q env %q", g.Agents, g.Agents.PhonenumPrefix, g.Agents.PasswordEnv)
	}
	if !g.AllowLoad || g.MaxRate != 250.5 || !g.Production || g.ForceLogin {
		t.Errorf("allow_load %v max_rate %v production %v force_login %v", g.AllowLoad, g.MaxRate, g.Production, g.ForceLogin)
	}
	want := DefaultExpectations()
	want.WrongMethod.Status = 404 // allow "POST" kept: overrides are per subkey
	want.BadAgentID = Expect{Status: 200, Retcode: "000-003", Allow: ""}
	want.UnknownGuid = Expect{}
	want.ContentTypes = []string{"application/json"}
	if !reflect.DeepEqual(g.Expect, want) {
		t.Errorf("expect\n got %+v\nwant %+v", g.Expect, want)
	}

	c := f.Targets["cluster"]
	wantMock := Mock{Nodes: 3, AuthMode: gateway.AuthDynamic, GuidInterval: 2 * time.Second, GuidTimeout: 4 * time.Second,
		IdleTimeout: 6 * time.Second, PollWait: time.Second,
		Faults: faultset.Faults{LatencyFixed: 2 * time.Millisecond, LatencyJitter: time.Millisecond, LatencyDist: "uniform",
			RetcodeRate: 0.01, Retcode: "100-007", HTTPErrorRate: 0.02, HTTPStatus: 503,
			ResetRate: 0.001, MalformedRate: 0.002, TruncatedRate: 0.003, StallRate: 0.004, StallFor: 2 * time.Second,
			SlowBodyRate: 0.005, SlowBodyFor: 500 * time.Millisecond, WrongPhoneRate: 0.006, SignInFailRate: 0.007, SignInLatency: 5 * time.Millisecond,
			RotateEveryPoll: true, TLSFailRate: 0.008},
		Defects: []string{"no-allow-header", "any-method"}, GuidTimeoutFrom: gateway.GuidTimeoutFromRotation, NoPassword: true}
	if !reflect.DeepEqual(*c.Mock, wantMock) {
		t.Errorf("mock\n got %+v\nwant %+v", *c.Mock, wantMock)
	}
	if c.AuthMode != gateway.AuthDynamic || c.GuidInterval != 2*time.Second || c.GuidTimeout != 4*time.Second ||
		c.IdleTimeout != 6*time.Second || c.PollWait != time.Second {
		t.Error("a mock target's session settings come from its mock block")
	}
	if c.AllowLoad {
		t.Error("allow_load: false on a mock target is kept")
	}
	if x := f.Targets["expo"].Mock.Faults; x != (faultset.Faults{LatencyDist: "exponential", LatencyMean: 3 * time.Millisecond}) {
		t.Errorf("expo faults %+v", x)
	}
}

// TestTargetUnknown lists the known targets.
func TestTargetUnknown(t *testing.T) {
	f := mustParse(t, "t.yaml", doc("targets:", "  b: {mock: {}}", "  a: {mock: {}}"))
	_, err := f.Target("c")
	if err == nil || err.Error() != `t.yaml: unknown target "c" (known: a, b)` {
		t.Errorf("err = %v", err)
	}
	if got := f.TargetNames(); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("TargetNames %v", got)
	}
}

// TestTargetPasswordEnv: the password comes from the environment when the
// target is resolved; unset is an error naming file, line, field and
// variable, and never the password; set and empty means agents without a
// password.
func TestTargetPasswordEnv(t *testing.T) {
	data := doc(
		"targets:",
		"  gw:",
		"    url: https://127.0.0.1:8043",
		"    agents:",
		"      ids: \"1001-1002\"",
		"      password_env: CCGW_TEST_PW",
	)
	f := mustParse(t, "targets.yaml", data)
	want := `targets.yaml:6: targets.gw.agents.password_env: environment variable CCGW_TEST_PW is unset: export the agents' password in it (set it empty for agents without a password)`

	t.Setenv("CCGW_TEST_PW", "")
	os.Unsetenv("CCGW_TEST_PW")
	if _, err := f.Target("gw"); err == nil || err.Error() != want {
		t.Errorf("unset: %v", err)
	}
	t.Setenv("CCGW_TEST_PW", "")
	if g, err := f.Target("gw"); err != nil || !g.Agents.NoPassword || g.Agents.Password != "" {
		t.Errorf("empty: %v, no password %v", err, err == nil && g.Agents.NoPassword)
	} else if ags, err := g.AgentList(2); err != nil || ags[0].Password != "" || ags[1].Password != "" {
		t.Errorf("agents of an empty password_env: %v %v", ags, err)
	}
	if f.Targets["gw"].Agents.NoPassword {
		t.Error("Target resolved the File's own copy")
	}
	long := strings.Repeat("x", gateway.MaxPasswordLen+1)
	t.Setenv("CCGW_TEST_PW", long)
	if _, err := f.Target("gw"); err == nil || strings.Contains(err.Error(), long) ||
		!strings.HasPrefix(err.Error(), "targets.yaml:6: targets.gw.agents.password_env: ") {
		t.Errorf("too long: %v", err)
	}

	const secret = "Pa55-w0rd-visible?"
	t.Setenv("CCGW_TEST_PW", secret)
	g, err := f.Target("gw")
	if err != nil {
		t.Fatal(err)
	}
	if g.Agents.Password != secret {
		t.Errorf("password not resolved")
	}
	if f.Targets["gw"].Agents.Password != "" {
		t.Error("Target resolved the File's own copy: File.Targets must stay unresolved")
	}
	agents, err := g.AgentList(0)
	if err != nil {
		t.Fatal(err)
	}
	if agents[1] != (Agent{ID: 1002, PhoneNum: "1002", Password: secret}) {
		t.Errorf("agent %+v", agents[1])
	}
	// Nothing prints the password, whatever the verb.
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		for _, v := range []any{g, *g, g.Agents, &g.Agents, agents, agents[0]} {
			if out := fmt.Sprintf(verb, v); strings.Contains(out, secret) || strings.Contains(out, fmt.Sprintf("%x", secret)) {
				t.Errorf("%s of %T prints the password: %s", verb, v, out)
			}
		}
	}
	if out := fmt.Sprint(g.Agents); !strings.Contains(out, "password: ********") || !strings.Contains(out, "ids: 1001-1002 (2 agents)") {
		t.Errorf("Agents prints as %s", out)
	}
}

// TestAgentListPrefix: phonenum = prefix + ID, in the order ids lists them;
// asking for more agents than the target has is an error.
func TestAgentListPrefix(t *testing.T) {
	f := mustParse(t, "targets.yaml", doc(
		"targets:",
		"  m:",
		"    mock: {}",
		"    agents: {ids: [\"1300\", \"1001-1003\"], phonenum_prefix: \"07\"}",
	))
	g, err := f.Target("m")
	if err != nil {
		t.Fatal(err)
	}
	got, err := g.AgentList(3)
	if err != nil {
		t.Fatal(err)
	}
	want := []Agent{{ID: 1300, PhoneNum: "071300"}, {ID: 1001, PhoneNum: "071001"}, {ID: 1002, PhoneNum: "071002"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("AgentList(3) = %v, want %v", got, want)
	}
	if all, _ := g.AgentList(0); len(all) != 4 {
		t.Errorf("AgentList(0) gave %d agents, want all 4", len(all))
	}
	if _, err := g.AgentList(5); err == nil || err.Error() != `target "m" has 4 agents, 5 wanted: add agents (agents.ids) or lower the plan's agents` {
		t.Errorf("AgentList(5): %v", err)
	}
}

// TestAgentListCSV: an agents.file gives phonenums and passwords per agent
// (falling back to prefix+ID and password_env), and the IDs when ids is
// absent.
func TestAgentListCSV(t *testing.T) {
	t.Setenv("CCGW_TEST_CSV_PASSWORD", "shared-pw")
	f := mustLoad(t, "testdata/csv.yaml")
	if _, err := f.Targets["csvgw"].AgentList(1); err == nil {
		t.Error("AgentList on an unresolved target with agents.file must fail")
	}
	g, err := f.Target("csvgw")
	if err != nil {
		t.Fatal(err)
	}
	if g.Agents.File != filepath.Join("testdata", "agents.csv") {
		t.Errorf("file %q not resolved relative to the yaml", g.Agents.File)
	}
	got, err := g.AgentList(0)
	if err != nil {
		t.Fatal(err)
	}
	want := []Agent{
		{ID: 1001, PhoneNum: "5550001", Password: "pw-from-csv"},
		{ID: 1002, PhoneNum: "71002", Password: "shared-pw"},
		{ID: 1003, PhoneNum: "5550003", Password: "shared-pw"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("AgentList = %+v\nwant %+v", got, want)
	}
	pl, err := f.Plan("smoke")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.AgentList(pl.Agents); err != nil {
		t.Errorf("the plan's %d agents: %v", pl.Agents, err)
	}
}

// TestAgentsCSVErrors: every bad row is reported with the CSV file and row,
// under the targets.yaml line of agents.file; passwords are never quoted.
func TestAgentsCSVErrors(t *testing.T) {
	t.Setenv("CCGW_TEST_CSV_PASSWORD", "shared-pw")
	f := mustLoad(t, "testdata/bad_csv.yaml")
	_, err := f.Target("csvgw")
	if err == nil {
		t.Fatal("bad CSV accepted")
	}
	csvName := filepath.Join("testdata", "bad_agents.csv")
	pre := "testdata/bad_csv.yaml:5: targets.csvgw.agents.file: " + csvName
	want := []string{
		pre + `:3: agentid "abc": want digits, no leading zero`,
		pre + `:4: phonenum "55500x3": want up to 24 digits (or empty for prefix+agentid)`,
		pre + `:5: agent 50 is outside agent_id_range [101, 999999]`,
		pre + `:6: agent 1001 is listed twice (first at row 2)`,
		pre + `:7: 1 fields: want agentid,phonenum[,password]`,
		pre + `:8: password is longer than the gateway's 32 characters (not shown)`,
	}
	if got := errLines(err); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(err.Error(), "a-password-much-longer") {
		t.Error("an error quotes a password")
	}

	_, err = f.Target("nofile")
	if want := "testdata/bad_csv.yaml:9: targets.nofile.agents.file: agents CSV " + filepath.Join("testdata", "does-not-exist.csv") +
		": open: no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("missing CSV:\n got %v\nwant %s", err, want)
	}
}

// TestTargetCAFile: a tls.ca_file that is not there fails at File.Target,
// naming the line; Parse itself reads no file.
func TestTargetCAFile(t *testing.T) {
	t.Setenv("PW", "x")
	f := mustParse(t, "dir/targets.yaml", doc(
		"targets:",
		"  gw:",
		"    url: https://gw.example",
		"    tls: {ca_file: missing-ca.pem}",
		"    agents: {ids: \"1001\", password_env: PW}",
	))
	_, err := f.Target("gw")
	want := "dir/targets.yaml:4: targets.gw.tls.ca_file: CA file " + filepath.Join("dir", "missing-ca.pem") + ": stat: no such file or directory"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// TestTargetIsACopy: a resolved target can be edited without changing the
// File (and another resolution of it).
func TestTargetIsACopy(t *testing.T) {
	f := mustLoad(t, "testdata/full.yaml")
	c1, err := f.Target("cluster")
	if err != nil {
		t.Fatal(err)
	}
	c1.Mock.Nodes = 9
	c1.Mock.Defects[0] = "x"
	c1.Agents.IDs[0] = 1
	c1.Expect.ContentTypes[0] = "x"
	c2, _ := f.Target("cluster")
	if c2.Mock.Nodes != 3 || c2.Mock.Defects[0] != "no-allow-header" || c2.Agents.IDs[0] != 1001 || c2.Expect.ContentTypes[0] != gateway.ContentTypeJSON {
		t.Errorf("editing one resolved target changed another: %+v", c2)
	}
}

// TestFormatIDs writes runs as ranges.
func TestFormatIDs(t *testing.T) {
	for _, c := range []struct {
		ids  []int
		want string
	}{{nil, ""}, {[]int{5}, "5"}, {[]int{1, 2, 3, 7, 9, 10}, "1-3,7,9-10"}, {[]int{3, 2, 1}, "3,2,1"}} {
		if got := FormatIDs(c.ids); got != c.want {
			t.Errorf("FormatIDs(%v) = %q, want %q", c.ids, got, c.want)
		}
	}
}
