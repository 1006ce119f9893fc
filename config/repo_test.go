package config

import (
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"ccgw-harness/gateway"
)

const repoTargets = "../targets.yaml"

// TestRepoTargets: the repo's targets.yaml loads clean, its mock target
// resolves with enough agents for every plan, and every plan resolves.
func TestRepoTargets(t *testing.T) {
	f := mustLoad(t, repoTargets)
	m, err := f.Target("mock")
	if err != nil {
		t.Fatal(err)
	}
	if m.Mock == nil || m.Mock.Nodes != 1 || m.AuthMode != gateway.AuthDynamic || !m.AllowLoad || m.MaxRate != 5000 {
		t.Errorf("mock target %+v", m)
	}
	agents, err := m.AgentList(0)
	if err != nil || len(agents) != 2000 || agents[0] != (Agent{ID: 1001, PhoneNum: "71001"}) || agents[1999].ID != 3000 {
		t.Fatalf("mock agents: %d, first %v, err %v", len(agents), agents, err)
	}
	wantPlans := []string{"capacity", "closed", "golive", "ramp", "shiftstart", "sine", "smoke"}
	if got := f.PlanNames(); strings.Join(got, ",") != strings.Join(wantPlans, ",") {
		t.Errorf("plans %v, want %v", got, wantPlans)
	}
	for _, name := range f.PlanNames() {
		p, err := f.Plan(name)
		if err != nil {
			t.Errorf("plan %s: %v", name, err)
			continue
		}
		if _, err := m.AgentList(p.Agents); err != nil {
			t.Errorf("plan %s on mock: %v", name, err)
		}
		if p.Capacity != nil {
			continue // checked below
		}
		if p.Total() <= 0 || p.Total() > 10*time.Minute {
			t.Errorf("plan %s runs %v: examples should be modest", name, p.Total())
		}
		if s := f.SLOFor(p); s.Latency["p99"] != 500*time.Millisecond || s.ErrorRate == nil || *s.ErrorRate != 0.01 {
			t.Errorf("plan %s slo %+v", name, s)
		}
	}
	smoke, _ := f.Plan("smoke")
	if smoke.Agents != 50 || smoke.Rate != 20 || smoke.Duration != 15*time.Second {
		t.Errorf("smoke %+v, docs/load-plans.md says {agents: 50, rate: 20, duration: 15s}", smoke)
	}
	// The capacity search of the acceptance: against mock-capacity
	// (capacity 600), p99 100 ms, 10 s steps, 5 %.
	cp, _ := f.Plan("capacity")
	if c := cp.Capacity; c == nil || c.Start != 100 || c.Max != 3000 || c.Step != 10*time.Second || c.Precision != 0.05 || c.Growth != 2 {
		t.Errorf("capacity plan %+v", cp.Capacity)
	}
	if s := f.SLOFor(cp); s.Latency["p99"] != 100*time.Millisecond || s.ErrorRate == nil || *s.ErrorRate != 0.01 {
		t.Errorf("capacity plan slo %+v: want p99 100ms and the global error rate", s)
	}
	mc, err := f.Target("mock-capacity")
	if err != nil {
		t.Fatal(err)
	}
	if mc.Mock == nil || mc.Mock.Capacity != 600 || !mc.AllowLoad {
		t.Errorf("mock-capacity target %+v", mc)
	}
	if _, err := mc.AgentList(cp.Agents); err != nil {
		t.Errorf("plan capacity on mock-capacity: %v", err)
	}
	shift, _ := f.Plan("shiftstart")
	if shift.Agents != 1000 || shift.Journey == nil || shift.Journey.Hold != 2*time.Minute || shift.Journey.Repeat != 30*time.Second ||
		shift.Duration != 5*time.Minute || math.Ceil(shift.Rate*300-1e-6) != 1000 {
		t.Errorf("shiftstart %+v %+v: want 1000 agents arriving over 5 minutes, hold 2m, repeat 30s", shift, shift.Journey)
	}
	if s := f.SLOFor(shift); s.Ready["p99"] != 5*time.Second || s.Calls["signin"].Latency["p99"] != 2*time.Second || *s.MinRateRatio != 0.95 {
		t.Errorf("shiftstart slo %+v", s)
	}
	golive, _ := f.Plan("golive")
	if golive.Agents != 1000 || len(golive.Stages) != 2 || golive.Stages[0].Rate != 100 || golive.Stages[0].Duration != time.Minute ||
		golive.Stages[1].Rate != 500 || golive.Stages[1].Duration != 5*time.Minute {
		t.Errorf("golive %+v differs from docs/load-plans.md", golive)
	}
}

// TestRepoMockOptions: the mock's commented-out settings in targets.yaml
// are valid once uncommented.
func TestRepoMockOptions(t *testing.T) {
	data, err := os.ReadFile(repoTargets)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^      # ([a-z_]+: )`)
	text := re.ReplaceAllString(string(data), "      $1")
	if n := len(re.FindAllString(string(data), -1)); n != 8 {
		t.Fatalf("%d commented mock settings, want 8 (guid_interval, guid_timeout, guid_timeout_from, idle_timeout, poll_wait, password, faults, defects)", n)
	}
	f, err := Parse(repoTargets, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	m := f.Targets["mock"].Mock
	if m.GuidInterval != gateway.DefaultGuidInterval || m.GuidTimeout != gateway.DefaultGuidTimeout || m.IdleTimeout != gateway.DefaultIdleTimeout ||
		m.PollWait != gateway.DefaultPollWait || m.Faults.RetcodeRate != 0.01 || m.Faults.Retcode != "100-007" ||
		m.Faults.LatencyFixed != 2*time.Millisecond || len(m.Defects) != 1 {
		t.Errorf("mock %+v", m)
	}
}

// uncomment strips one level of "# " from every line from the one holding
// start up to the next line at column 0.
func uncomment(text, start string) string {
	lines := strings.Split(text, "\n")
	re := regexp.MustCompile(`^(\s*)# ?`)
	in := false
	for i, l := range lines {
		if strings.Contains(l, start) {
			in = true
		} else if in && l != "" && l[0] != ' ' {
			break
		}
		if in {
			lines[i] = re.ReplaceAllString(l, "$1")
		}
	}
	return strings.Join(lines, "\n")
}

// TestRepoStagingExample: the commented real target in targets.yaml is
// valid once uncommented (with and without its expect overrides) and says
// what docs/gateway.md documents; resolving it wants its password and CA file.
func TestRepoStagingExample(t *testing.T) {
	data, err := os.ReadFile(repoTargets)
	if err != nil {
		t.Fatal(err)
	}
	once := uncomment(string(data), "# staging:")
	twice := uncomment(once, "staging:")
	if once == string(data) || twice == once {
		t.Fatal("the staging example or its expect block is no longer commented out as the test expects")
	}
	for _, text := range []string{once, twice} {
		f, err := Parse(repoTargets, []byte(text))
		if err != nil {
			t.Fatalf("uncommented staging example: %v", err)
		}
		s := f.Targets["staging"]
		if s == nil {
			t.Fatal("no staging target after uncommenting")
		}
		if s.URL != "https://gw.staging.example:8043" || s.TLS.CAFile != filepath.Join("..", "certs", "staging-ca.pem") || s.TLS.InsecureSkipVerify ||
			s.AuthMode != gateway.AuthDynamic || s.GuidInterval != time.Minute || s.GuidTimeout != 2*time.Minute || s.IdleTimeout != 2*time.Minute ||
			s.AgentIDRange != gateway.DefaultIDRange || FormatIDs(s.Agents.IDs) != "1001-1200" || s.Agents.PhonenumPrefix != "7" ||
			s.Agents.PasswordEnv != "CCGW_AGENT_PASSWORD" || !s.AllowLoad || s.MaxRate != 500 || s.Production {
			t.Errorf("staging %+v", s)
		}
		t.Setenv("CCGW_AGENT_PASSWORD", "")
		os.Unsetenv("CCGW_AGENT_PASSWORD")
		_, err = f.Target("staging")
		for _, want := range []string{"targets.staging.tls.ca_file: CA file", "targets.staging.agents.password_env: environment variable CCGW_AGENT_PASSWORD is unset"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("resolving staging: %v, want %q", err, want)
			}
		}
	}
	f, _ := Parse(repoTargets, []byte(twice))
	if e := f.Targets["staging"].Expect; e.WrongMethod.Status != 404 || e.WrongMethod.Allow != "" || e.BadAgentID.Retcode != "000-003" {
		t.Errorf("expect overrides %+v", e)
	}
}
