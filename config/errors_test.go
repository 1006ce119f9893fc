package config

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// doc joins lines into a YAML document, so that a test can count lines.
func doc(lines ...string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }

// base is a minimal valid targets block (2 lines); plan tests start at line 3.
var base = []string{"targets:", "  m: {mock: {}}"}

func withBase(lines ...string) []byte {
	return doc(append(append([]string(nil), base...), lines...)...)
}

// errLines splits a joined error into its messages.
func errLines(err error) []string {
	var j interface{ Unwrap() []error }
	if errors.As(err, &j) {
		var out []string
		for _, e := range j.Unwrap() {
			out = append(out, e.Error())
		}
		return out
	}
	return []string{err.Error()}
}

// TestParseErrors: one case per kind of mistake, each asserting the exact
// "file:line: field: message" a user reads.
func TestParseErrors(t *testing.T) {
	cases := []struct {
		name string
		yaml []byte
		want string // the whole error: exactly one message
	}{
		{"empty file", []byte("\n  \n"),
			`targets.yaml:1: document: file is empty: want a mapping with keys targets, plans, slo`},
		{"only comments", []byte("# nothing here\n"),
			`targets.yaml:1: document: file is empty: want a mapping with keys targets, plans, slo`},
		{"document is a list", doc("- a", "- b"),
			`targets.yaml:1: document: want a mapping with keys targets, plans, slo, got a list`},
		{"document is a scalar", doc("hello"),
			`targets.yaml:1: document: want a mapping with keys targets, plans, slo, got string "hello"`},
		{"second document", doc("targets:", "  m: {mock: {}}", "---", "plans: {}"),
			`targets.yaml:3: document: a second YAML document starts here: put everything in one mapping`},
		{"syntax error: parser", doc("targets:", "  m: {mock: {}}", "  bad: [unclosed"),
			`targets.yaml:3: bad YAML: did not find expected ',' or ']' (in the block that starts on this line)`},
		{"syntax error: scanner", doc("targets:", "  m: {mock: {}}", "  bad: a: b"),
			`targets.yaml:3: bad YAML: mapping values are not allowed in this context`},
		{"syntax error: first line", doc("targets: a: b"),
			`targets.yaml:1: bad YAML: mapping values are not allowed in this context`},
		{"syntax error: control character", []byte("targets:\n  m: {mock: {}}\nplans: {}\x01\n"),
			`targets.yaml:3: bad YAML: control characters are not allowed`},
		{"syntax error: unknown anchor", doc("targets:", "  m: {mock: {}}", "  n: *nope"),
			`targets.yaml:3: bad YAML: unknown anchor 'nope' referenced`},
		{"missing targets", doc("plans: {}"),
			`targets.yaml:1: document: missing key "targets": define at least one target`},
		{"no targets", doc("targets: {}"),
			`targets.yaml:1: targets: no targets: define at least one (e.g. mock: {mock: {}})`},
		{"unknown top-level key", withBase("slos: {p99: 1s}"),
			`targets.yaml:3: unknown key "slos" (allowed: targets, plans, slo)`},
		{"unknown target key", doc("targets:", "  m:", "    mock: {}", "    tsl: {}"),
			`targets.yaml:4: targets.m: unknown key "tsl" (allowed: url, mock, tls, auth_mode, guid_interval, guid_timeout, idle_timeout, poll_wait, agent_id_range, agents, allow_load, max_rate, production, force_login, expect)`},
		{"unknown nested key", doc("targets:", "  m:", "    mock: {nodes: 1, fault: {}}"),
			`targets.yaml:3: targets.m.mock: unknown key "fault" (allowed: nodes, auth_mode, guid_interval, guid_timeout, guid_timeout_from, idle_timeout, poll_wait, password, faults, defects, capacity)`},
		{"unknown fault key", doc("targets:", "  m:", "    mock:", "      faults: {reset: 0.1}"),
			`targets.yaml:4: targets.m.mock.faults: unknown key "reset" (allowed: latency_fixed, latency_jitter, latency_dist, latency_mean, retcode_rate, retcode, http_error_rate, http_status, reset_rate, malformed_rate, truncated_rate, stall_rate, stall_for, slow_body_rate, slow_body_for, wrong_phone_rate, sign_in_fail_rate, sign_in_latency, rotate_every_poll, tls_fail_rate)`},
		{"duplicate key", doc("targets:", "  m:", "    mock: {}", "    max_rate: 10", "    max_rate: 20"),
			`targets.yaml:5: targets.m: duplicate key "max_rate" (first at line 4)`},
		{"duplicate target", doc("targets:", "  m: {mock: {}}", "  m: {mock: {}}"),
			`targets.yaml:3: targets: duplicate key "m" (first at line 2)`},
		{"bad target name", doc("targets:", "  m: {mock: {}}", "  my/target: {mock: {}}"),
			`targets.yaml:3: targets: bad name "my/target": want letters, digits, '_' or '-' (at most 64, starting with a letter or digit)`},
		{"merge key", doc("targets:", "  m: &m {mock: {}}", "  n:", "    <<: *m"),
			"targets.yaml:3: targets.n: missing url or mock: a target is a real gateway (url: https://host:8043) or the embedded mock (mock: {})\n" +
				`targets.yaml:4: targets.n: merge keys (<<) are not supported; write the keys out (a whole value may still be an *alias)`},
		{"wrong type: string for integer", withBase("plans:", "  p: {agents: fifty, rate: 1, duration: 1s}"),
			`targets.yaml:4: plans.p.agents: want an integer, got string "fifty"`},
		{"wrong type: list for mapping", doc("targets:", "  m:", "    mock: [1, 2]"),
			`targets.yaml:3: targets.m.mock: want a mapping with keys nodes, auth_mode, guid_interval, guid_timeout, guid_timeout_from, idle_timeout, poll_wait, password, faults, defects, capacity, got a list`},
		{"wrong type: quoted bool", doc("targets:", "  m:", "    mock: {}", "    allow_load: \"yes\""),
			`targets.yaml:4: targets.m.allow_load: want true or false, got string "yes"`},
		{"bad duration", withBase("plans:", "  p: {agents: 1, rate: 1, duration: 15x}"),
			`targets.yaml:4: plans.p.duration: bad duration "15x": want e.g. 500ms, 15s or 5m`},
		{"duration without unit", withBase("plans:", "  p: {agents: 1, rate: 1, duration: 15}"),
			`targets.yaml:4: plans.p.duration: duration "15" has no unit: want e.g. 500ms, 15s or 5m`},
		{"negative duration", withBase("plans:", "  p: {agents: 1, rate: 1, duration: 1s, warmup: -5s}"),
			`targets.yaml:4: plans.p.warmup: duration "-5s" is negative`},
		{"zero duration", withBase("plans:", "  p: {agents: 1, rate: 1, duration: 0s}"),
			`targets.yaml:4: plans.p.duration: duration must be above 0`},
		{"rate zero", withBase("plans:", "  p: {agents: 1, rate: 0, duration: 1s}"),
			`targets.yaml:4: plans.p.rate: rate "0" is out of range: want requests/s above 0 and at most 1e+06`},
		{"rate negative", withBase("plans:", "  p:", "    agents: 1", "    stages: [{rate: 5, duration: 1s}, {rate: -1, duration: 1s}]"),
			`targets.yaml:6: plans.p.stages[1].rate: rate "-1" is out of range: want requests/s above 0 and at most 1e+06`},
		{"rate NaN", withBase("plans:", "  p: {agents: 1, rate: .nan, duration: 1s}"),
			`targets.yaml:4: plans.p.rate: ".nan" is not a finite number`},
		{"max_rate zero", doc("targets:", "  m: {mock: {}, max_rate: 0}"),
			`targets.yaml:2: targets.m.max_rate: rate "0" is out of range: want requests/s above 0 and at most 1e+06`},
		{"fraction above 1", withBase("slo: {error_rate: 1.5}"),
			`targets.yaml:3: slo.error_rate: "1.5" is outside 0..1: want a fraction (0.01) or a percentage ("1%")`},
		{"percentage above 100", doc("targets:", "  m:", "    mock: {faults: {reset_rate: \"150%\"}}"),
			`targets.yaml:3: targets.m.mock.faults.reset_rate: "150%" is outside 0..1: want a fraction (0.01) or a percentage ("1%")`},
		{"url scheme http", doc("targets:", "  gw:", "    url: http://gw.example:8043", "    agents: {ids: \"1001\", password_env: PW}"),
			`targets.yaml:3: targets.gw.url: bad url "http://gw.example:8043": scheme must be https (want https://host:port, e.g. https://gw.example:8043)`},
		{"url without host", doc("targets:", "  gw:", "    url: https:///x", "    agents: {ids: \"1001\", password_env: PW}"),
			`targets.yaml:3: targets.gw.url: bad url "https:///x": no host (want https://host:port, e.g. https://gw.example:8043)`},
		{"url with path", doc("targets:", "  gw:", "    url: https://gw.example/agentgateway/resource", "    agents: {ids: \"1001\", password_env: PW}"),
			`targets.yaml:3: targets.gw.url: bad url "https://gw.example/agentgateway/resource": no path allowed: the harness appends /agentgateway/resource/... (want https://host:port, e.g. https://gw.example:8043)`},
		{"url with user info is not echoed", doc("targets:", "  gw:", "    url: https://admin:hunter2@gw.example", "    agents: {ids: \"1001\", password_env: PW}"),
			`targets.yaml:3: targets.gw.url: bad url (not shown: it holds user info): user info is not allowed (secrets come from the environment) (want https://host:port, e.g. https://gw.example:8043)`},
		{"url and mock", doc("targets:", "  gw:", "    mock: {}", "    url: https://gw.example"),
			`targets.yaml:4: targets.gw: url and mock are exclusive: a target is a real gateway (url) or the embedded mock (mock)`},
		{"neither url nor mock", doc("targets:", "  gw:", "    max_rate: 10"),
			`targets.yaml:2: targets.gw: missing url or mock: a target is a real gateway (url: https://host:8043) or the embedded mock (mock: {})`},
		{"real target without agents", doc("targets:", "  gw: {url: https://gw.example}"),
			`targets.yaml:2: targets.gw: missing key "agents": a real gateway needs its test agents (agents: {ids: "1001-1200", password_env: VAR})`},
		{"real target without password_env", doc("targets:", "  gw:", "    url: https://gw.example", "    agents: {ids: \"1001\"}"),
			`targets.yaml:4: targets.gw.agents: missing key "password_env": a real gateway needs the agents' password (from an environment variable, never from YAML)`},
		{"password in password_env is not echoed", doc("targets:", "  gw:", "    url: https://gw.example", "    agents: {ids: \"1001\", password_env: \"S3cret!pw\"}"),
			`targets.yaml:4: targets.gw.agents.password_env: want the name of an environment variable (letters, digits, '_'), not a password; the value is not shown`},
		{"agents without ids or file", doc("targets:", "  m:", "    mock: {}", "    agents: {phonenum_prefix: \"7\"}"),
			`targets.yaml:4: targets.m.agents: missing key "ids" or "file": name the test agents (ids: "1001-1200")`},
		{"auth_mode", doc("targets:", "  m:", "    mock: {auth_mode: rotating}"),
			`targets.yaml:3: targets.m.mock.auth_mode: bad auth_mode "rotating": want static or dynamic`},
		{"auth_mode on a mock target", doc("targets:", "  m:", "    mock: {}", "    auth_mode: static"),
			`targets.yaml:4: targets.m: auth_mode of a mock target goes inside its mock block (mock: {auth_mode: ...})`},
		{"tls on a mock target", doc("targets:", "  m:", "    mock: {}", "    tls: {insecure_skip_verify: true}"),
			`targets.yaml:4: targets.m: tls does not apply to a mock target: the embedded mock serves its own certificate and the harness trusts it`},
		{"guid_timeout below guid_interval", doc("targets:", "  gw:", "    url: https://gw.example", "    guid_interval: 60s", "    guid_timeout: 30s", "    agents: {ids: \"1001\", password_env: PW}"),
			`targets.yaml:5: targets.gw.guid_timeout: guid_timeout 30s is shorter than guid_interval 1m0s: the Guid would die before it is rotated`},
		{"mock guid_interval above default timeout", doc("targets:", "  m:", "    mock: {guid_interval: 5m}"),
			`targets.yaml:3: targets.m.mock.guid_interval: guid_timeout 2m0s is shorter than guid_interval 5m0s: the Guid would die before it is rotated`},
		{"agent outside agent_id_range", doc(
			"targets:", "  staging:", "    url: https://gw.staging.example:8043", "    agent_id_range: [101, 999999]",
			"    agents: {ids: \"50,1001-1200\", phonenum_prefix: \"7\", password_env: CCGW_AGENT_PASSWORD}"),
			`targets.yaml:5: targets.staging.agents.ids: agent 50 is outside agent_id_range [101, 999999]`},
		{"range end outside a legacy agent_id_range", doc("targets:", "  m:", "    mock: {}", "    agent_id_range: \"101-59999\"", "    agents:", "      ids: [1001, \"59990-60010\"]"),
			`targets.yaml:6: targets.m.agents.ids[1]: agent 60010 is outside agent_id_range [101, 59999]`},
		{"default mock agents outside agent_id_range", doc("targets:", "  m:", "    mock: {}", "    agent_id_range: [101, 999]"),
			`targets.yaml:2: targets.m.agents: agent 1001 is outside agent_id_range [101, 999]`},
		{"malformed id range", doc("targets:", "  m:", "    mock: {}", "    agents: {ids: \"1001-,1300\"}"),
			`targets.yaml:4: targets.m.agents.ids: malformed id range "1001-": want N or N-M (digits, no leading zero), e.g. "1001-1200,1300"`},
		{"id range start above end", doc("targets:", "  m:", "    mock: {}", "    agents: {ids: \"1200-1001\"}"),
			`targets.yaml:4: targets.m.agents.ids: id range "1200-1001": start is above end`},
		{"agent_id_range min above max", doc("targets:", "  m:", "    mock: {}", "    agent_id_range: [999, 101]", "    agents: {ids: \"500\"}"),
			`targets.yaml:4: targets.m.agent_id_range: agent_id_range [999, 101]: min is above max`},
		{"agent listed twice", doc("targets:", "  m:", "    mock: {}", "    agents: {ids: \"1001-1200,1100\"}"),
			`targets.yaml:4: targets.m.agents.ids: agent 1100 is listed twice`},
		{"too many agents", doc("targets:", "  m:", "    mock: {}", "    agents: {ids: \"101-999999\"}"),
			`targets.yaml:4: targets.m.agents.ids: more than 100000 agents`},
		{"phonenum_prefix not digits", doc("targets:", "  m:", "    mock: {}", "    agents: {ids: \"1001\", phonenum_prefix: \"+49\"}"),
			`targets.yaml:4: targets.m.agents.phonenum_prefix: phonenum_prefix "+49": want digits only`},
		{"phonenum longer than 24 digits", doc("targets:", "  m:", "    mock: {}", "    agents:", "      ids: \"1001-1002,999999\"", "      phonenum_prefix: \"1234567890123456789\""),
			`targets.yaml:6: targets.m.agents.phonenum_prefix: phonenum_prefix "1234567890123456789" plus agent ID 999999 makes a 25-digit phonenum: the gateway allows at most 24`},
		{"plan agents below 1", withBase("plans:", "  p: {agents: 0, rate: 1, duration: 1s}"),
			`targets.yaml:4: plans.p.agents: "0" is out of range: want 1 to 100000`},
		{"plan without agents", withBase("plans:", "  p: {rate: 1, duration: 1s}"),
			`targets.yaml:4: plans.p: missing key "agents": how many agents sign in and share the load`},
		{"plan without shape", withBase("plans:", "  p: {agents: 1, duration: 1s}"),
			`targets.yaml:4: plans.p: no load shape: set one of rate+duration, stages, sine+duration or concurrency+duration`},
		{"plan with two shapes", withBase("plans:", "  p:", "    agents: 1", "    rate: 5", "    duration: 1s", "    concurrency: 4"),
			`targets.yaml:8: plans.p: rate and concurrency are exclusive: a plan has exactly one shape (rate+duration, stages, sine+duration or concurrency+duration)`},
		{"rate without duration", withBase("plans:", "  p:", "    agents: 1", "    rate: 5"),
			`targets.yaml:6: plans.p: rate needs duration (e.g. duration: 5m)`},
		{"stages with duration", withBase("plans:", "  p:", "    agents: 1", "    stages: [{rate: 5, duration: 1s}]", "    duration: 1s"),
			`targets.yaml:7: plans.p.duration: stages carry their own durations: remove duration`},
		{"stage without duration", withBase("plans:", "  p:", "    agents: 1", "    stages:", "      - {rate: 5}"),
			`targets.yaml:7: plans.p.stages[0]: missing key "duration"`},
		{"ramp longer than stage", withBase("plans:", "  p:", "    agents: 1", "    stages:", "      - {rate: 5, duration: 10s}", "      - {rate: 9, duration: 10s, ramp: 20s}"),
			`targets.yaml:8: plans.p.stages[1].ramp: ramp 20s is longer than the stage's duration 10s`},
		{"sine amplitude not below mean", withBase("plans:", "  p:", "    agents: 1", "    duration: 1m", "    sine: {mean: 10, amplitude: 10, period: 10s}"),
			`targets.yaml:7: plans.p.sine.amplitude: amplitude 10 is out of range: want 0 <= amplitude < mean (10), so the rate stays above 0`},
		{"sine without period", withBase("plans:", "  p:", "    agents: 1", "    duration: 1m", "    sine: {mean: 10, amplitude: 5}"),
			`targets.yaml:7: plans.p.sine: missing key "period" (want {mean, amplitude, period})`},
		{"bad order", withBase("plans:", "  p: {agents: 1, rate: 1, duration: 1s, order: random}"),
			`targets.yaml:4: plans.p.order: bad order "random": want round-robin or shuffle`},
		{"bad max_signin_failures", withBase("plans:", "  p: {agents: 1, rate: 1, duration: 1s, max_signin_failures: \"100%\"}"),
			`targets.yaml:4: plans.p.max_signin_failures: bad max_signin_failures "100%": want a count (3) or a ratio below 100% ("5%", 0.05)`},
		{"plan too long", withBase("plans:", "  p: {agents: 1, rate: 1, duration: 200h}"),
			`targets.yaml:4: plans.p.duration: duration 200h0m0s is longer than 168h0m0s`},
		{"unknown SLO key", withBase("slo: {p99: 1s, p100: 2s}"),
			`targets.yaml:3: slo: unknown SLO key "p100" (allowed: p50, p90, p95, p99, p99.9 (or p999), any pNN or pNN.N, mean, max, the same with ready_ (ready_p99...), error_rate, min_rate_ratio, max_contract_violations, max_late_ratio, saturation, calls)`},
		{"SLO percentile written twice", withBase("plans:", "  p:", "    agents: 1", "    rate: 1", "    duration: 1s", "    slo: {p99.9: 1s, p999: 2s}"),
			`targets.yaml:8: plans.p.slo: "p999" is the same statistic as "p99.9" (line 8): keep one`},
		{"SLO latency without unit", withBase("slo: {p99: 500}"),
			`targets.yaml:3: slo.p99: duration "500" has no unit: want e.g. 500ms, 15s or 5m`},
		{"expect status", doc("targets:", "  m:", "    mock: {}", "    expect: {wrong_method: {status: 42}}"),
			`targets.yaml:4: targets.m.expect.wrong_method.status: status 42: want an HTTP status (100..599) or 0 for any rejection`},
		{"expect success retcode", doc("targets:", "  m:", "    mock: {}", "    expect:", "      unknown_guid: {retcode: \"0\"}"),
			`targets.yaml:5: targets.m.expect.unknown_guid.retcode: retcode "0" is success, not a rejection: want e.g. "100-006"`},
		{"unknown expect key", doc("targets:", "  m:", "    mock: {}", "    expect: {wrong_guid: {status: 200}}"),
			`targets.yaml:4: targets.m.expect: unknown key "wrong_guid" (allowed: wrong_method, missing_guid, empty_guid, malformed_guid, unknown_guid, other_agent_guid, signed_out_guid, replaced_guid, bad_agent_id, content_types)`},
		{"fault retcode shape", doc("targets:", "  m:", "    mock: {faults: {retcode: \"E42\"}}"),
			`targets.yaml:3: targets.m.mock.faults.retcode: bad retcode "E42": want "0" or NNN-NNN, e.g. "100-006"`},
		{"fault latency_dist", doc("targets:", "  m:", "    mock: {faults: {latency_dist: normal}}"),
			`targets.yaml:3: targets.m.mock.faults.latency_dist: bad latency_dist "normal": want uniform or exponential`},
		{"fault http_status", doc("targets:", "  m:", "    mock: {faults: {http_status: 200}}"),
			`targets.yaml:3: targets.m.mock.faults.http_status: "200" is out of range: want 400 to 599`},
		{"fault retcode 0 is no fault", doc("targets:", "  m:", "    mock: {faults: {retcode_rate: 1, retcode: \"0\"}}"),
			`targets.yaml:3: targets.m.mock.faults.retcode: "0": want an error retcode such as 100-007`},
		{"exponential latency without a mean", doc("targets:", "  m:", "    mock:", "      faults:", "        latency_dist: exponential"),
			`targets.yaml:5: targets.m.mock.faults.latency_mean: must be > 0 with latency_dist exponential`},
		{"mock nodes", doc("targets:", "  m:", "    mock: {nodes: 0}"),
			`targets.yaml:3: targets.m.mock.nodes: "0" is out of range: want 1 to 64`},
		{"defect listed twice", doc("targets:", "  m:", "    mock:", "      defects: [no-allow, no-allow]"),
			`targets.yaml:4: targets.m.mock.defects[1]: "no-allow" is listed twice`},
		{"mock password not empty", doc("targets:", "  m:", "    mock: {password: hunter2-secret}"),
			`targets.yaml:3: targets.m.mock.password: only "" is allowed here (a mock whose agents have no password; the value is not shown): passwords never go in YAML, the mock's agents get a generated one, or use agents.password_env`},
		{"mock password not a string", doc("targets:", "  m:", "    mock: {password: 1234}"),
			`targets.yaml:3: targets.m.mock.password: want "" (agents without a password), got integer (value not shown)`},
		{"guid_timeout_from", doc("targets:", "  m:", "    mock: {guid_timeout_from: later}"),
			`targets.yaml:3: targets.m.mock.guid_timeout_from: bad guid_timeout_from "later": want issue (a rotated-out Guid dies guid_timeout after it was issued) or rotation (guid_timeout after it was replaced)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Parse("targets.yaml", c.yaml)
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", f)
			}
			if f != nil {
				t.Errorf("Parse returned a File with its error")
			}
			if got := err.Error(); got != c.want {
				t.Errorf("error:\n got %s\nwant %s", got, c.want)
			}
		})
	}
}

// TestParseCollectsAllErrors: a user fixes every mistake in one pass, so
// Parse reports them all, in line order, each one a *FieldError.
func TestParseCollectsAllErrors(t *testing.T) {
	_, err := Parse("conf/t.yaml", doc(
		"plans:", // 1: plans before targets: errors still come out sorted by line
		"  p: {agents: 0, rate: 1, duration: 1s}",
		"targets:",
		"  m:",
		"    mock: {nodes: 99}",
		"    max_rate: -1",
		"slo: {error_rate: 2}",
	))
	if err == nil {
		t.Fatal("Parse accepted three mistakes")
	}
	got := errLines(err)
	want := []string{
		`conf/t.yaml:2: plans.p.agents: "0" is out of range: want 1 to 100000`,
		`conf/t.yaml:5: targets.m.mock.nodes: "99" is out of range: want 1 to 64`,
		`conf/t.yaml:6: targets.m.max_rate: rate "-1" is out of range: want requests/s above 0 and at most 1e+06`,
		`conf/t.yaml:7: slo.error_rate: "2" is outside 0..1: want a fraction (0.01) or a percentage ("1%")`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.File != "conf/t.yaml" || fe.Line != 2 || fe.Field != "plans.p.agents" {
		t.Errorf("first error as *FieldError = %+v", fe)
	}
}

// TestParseCapsErrors: a badly broken file yields MaxErrors messages and a
// count of the rest, not a flood.
func TestParseCapsErrors(t *testing.T) {
	lines := []string{"targets:", "  m: {mock: {}}", "plans:"}
	for i := 0; i < MaxErrors+7; i++ {
		lines = append(lines, "  p"+strings.Repeat("x", i)+": {agents: 0, rate: 1, duration: 1s}")
	}
	_, err := Parse("targets.yaml", doc(lines...))
	got := errLines(err)
	if len(got) != MaxErrors+1 || got[MaxErrors] != "targets.yaml: 7 more errors not shown" {
		t.Fatalf("%d messages, last %q", len(got), got[len(got)-1])
	}
}

// TestRateAboveMaxRateLoads: a plan faster than a target's max_rate is not a
// load-time error; the load engine caps it per target.
func TestRateAboveMaxRateLoads(t *testing.T) {
	f, err := Parse("targets.yaml", doc("targets:", "  m: {mock: {}, max_rate: 10}", "plans:", "  fast: {agents: 1, rate: 500, duration: 1s}"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Plans["fast"].Rate != 500 || f.Targets["m"].MaxRate != 10 {
		t.Errorf("rate %v max_rate %v", f.Plans["fast"].Rate, f.Targets["m"].MaxRate)
	}
}

// TestLoadKeepsTheCause: a file that cannot be read is a *FieldError naming
// the file, and errors.Is still finds why.
func TestLoadKeepsTheCause(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.yaml")
	_, err := Load(path)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.File != path || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load of a missing file: %v, want a FieldError for %s wrapping fs.ErrNotExist", err, path)
	}
	if want := path + ": open: no such file or directory"; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}
