package main

import (
	"bytes"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"ccgw-harness/config"
)

// The project's rule: a setting that changes nothing is a defect. Every key
// a targets.yaml may hold (config.KeyPaths) and every flag of every
// command (the command table's flag builders) must have a test that shows
// its effect through the CLI: a run of ccgw (or of the contract suite, for
// the expect profile) whose exit code, report or refusal changes with it.
// keyProofs and flagProofs name those tests; TestEverySettingProven fails
// when a key or flag has no row, a row names a test that does not exist,
// or a row names a key or flag that no longer exists.
//
// A proof is a test function of this package ("TestPlanKeyEffects"), or of
// another one, by its directory from the module root
// ("suites/teeth.TestExpectProfileDecidesTheVerdict").

// keyProofs maps every key path of targets.yaml to the tests that show its
// effect.
var keyProofs = map[string][]string{
	"targets":                            {"TestLoadBadInput", "TestTargetKeyEffects"},
	"targets.*.url":                      {"TestTargetKeyEffects", "TestLoadSafetyRails"},
	"targets.*.tls":                      {"TestTargetKeyEffects", "TestLoadSafetyRails"},
	"targets.*.tls.ca_file":              {"TestTargetKeyEffects"},
	"targets.*.tls.insecure_skip_verify": {"TestLoadSafetyRails"},
	"targets.*.tls.server_name":          {"TestTargetKeyEffects"},
	"targets.*.auth_mode":                {"TestTargetKeyEffects"},
	"targets.*.guid_interval":            {"TestTargetKeyEffects"},
	"targets.*.guid_timeout":             {"TestTargetKeyEffects"},
	"targets.*.idle_timeout":             {"TestTargetKeyEffects"},
	"targets.*.poll_wait":                {"TestTargetKeyEffects"},
	"targets.*.agent_id_range":           {"TestTargetKeyEffects"},
	"targets.*.agents":                   {"TestTargetKeyEffects"},
	"targets.*.agents.ids":               {"TestTargetKeyEffects"},
	"targets.*.agents.phonenum_prefix":   {"TestPlanKeysReachTheGateway"},
	"targets.*.agents.password_env":      {"TestTargetKeyEffects"},
	"targets.*.agents.file":              {"TestTargetKeyEffects"},
	"targets.*.allow_load":               {"TestLoadSafetyRails", "TestCapacityBadInput"},
	"targets.*.max_rate":                 {"TestLoadSafetyRails"},
	"targets.*.production":               {"TestLoadSafetyRails", "TestCapacityEffects", "TestShardsFlagEffects"},
	"targets.*.force_login":              {"TestTargetKeyEffects"},

	"targets.*.mock":                   {"TestMockKeyEffects", "TestShardsEmbeddedMock"},
	"targets.*.mock.nodes":             {"TestMockKeyEffects"},
	"targets.*.mock.auth_mode":         {"TestMockKeyEffects", "TestSettingsThatChangeNothingAreRefused"},
	"targets.*.mock.guid_interval":     {"TestMockKeyEffects"},
	"targets.*.mock.guid_timeout":      {"TestMockKeyEffects"},
	"targets.*.mock.guid_timeout_from": {"TestMockGuidTimeoutFromKey"},
	"targets.*.mock.idle_timeout":      {"TestMockKeyEffects"},
	"targets.*.mock.poll_wait":         {"TestMockKeyEffects"},
	"targets.*.mock.password":          {"TestMockKeyEffects"},
	"targets.*.mock.defects":           {"TestMockKeyEffects"},
	"targets.*.mock.capacity":          {"TestMockKeyEffects"},
	"targets.*.mock.faults":            {"TestMockFaultKeyEffects"},

	"targets.*.mock.faults.latency_fixed":     {"TestMockFaultKeyEffects"},
	"targets.*.mock.faults.latency_jitter":    {"TestMockFaultKeyEffects", "TestSettingsThatChangeNothingAreRefused"},
	"targets.*.mock.faults.latency_dist":      {"TestMockFaultKeyEffects", "TestSettingsThatChangeNothingAreRefused"},
	"targets.*.mock.faults.latency_mean":      {"TestMockFaultKeyEffects", "TestSettingsThatChangeNothingAreRefused"},
	"targets.*.mock.faults.retcode_rate":      {"TestMockFaultKeyEffects"},
	"targets.*.mock.faults.retcode":           {"TestMockFaultKeyEffects", "TestSettingsThatChangeNothingAreRefused"},
	"targets.*.mock.faults.http_error_rate":   {"TestMockFaultKeyEffects"},
	"targets.*.mock.faults.http_status":       {"TestMockFaultKeyEffects", "TestSettingsThatChangeNothingAreRefused"},
	"targets.*.mock.faults.reset_rate":        {"TestMockFaultKeyEffects"},
	"targets.*.mock.faults.malformed_rate":    {"TestMockFaultKeyEffects"},
	"targets.*.mock.faults.truncated_rate":    {"TestMockFaultKeyEffects"},
	"targets.*.mock.faults.stall_rate":        {"TestMockFaultKeyEffects"},
	"targets.*.mock.faults.stall_for":         {"TestMockFaultKeyEffects", "TestSettingsThatChangeNothingAreRefused"},
	"targets.*.mock.faults.slow_body_rate":    {"TestMockFaultKeyEffects"},
	"targets.*.mock.faults.slow_body_for":     {"TestMockFaultKeyEffects", "TestSettingsThatChangeNothingAreRefused"},
	"targets.*.mock.faults.wrong_phone_rate":  {"TestMockFaultKeyEffects"},
	"targets.*.mock.faults.sign_in_fail_rate": {"TestMockFaultKeyEffects"},
	"targets.*.mock.faults.sign_in_latency":   {"TestMockFaultKeyEffects"},
	"targets.*.mock.faults.rotate_every_poll": {"TestMockFaultKeyEffects", "TestSettingsThatChangeNothingAreRefused"},
	"targets.*.mock.faults.tls_fail_rate":     {"TestMockFaultKeyEffects"},

	"targets.*.expect":                          {teethExpect},
	"targets.*.expect.content_types":            {teethExpect},
	"targets.*.expect.wrong_method":             {teethExpect},
	"targets.*.expect.wrong_method.status":      {teethExpect},
	"targets.*.expect.wrong_method.retcode":     {teethExpect},
	"targets.*.expect.wrong_method.allow":       {teethExpect},
	"targets.*.expect.missing_guid":             {teethExpect},
	"targets.*.expect.missing_guid.status":      {teethExpect},
	"targets.*.expect.missing_guid.retcode":     {teethExpect},
	"targets.*.expect.missing_guid.allow":       {teethExpect},
	"targets.*.expect.empty_guid":               {teethExpect},
	"targets.*.expect.empty_guid.status":        {teethExpect},
	"targets.*.expect.empty_guid.retcode":       {teethExpect},
	"targets.*.expect.empty_guid.allow":         {teethExpect},
	"targets.*.expect.malformed_guid":           {teethExpect},
	"targets.*.expect.malformed_guid.status":    {teethExpect},
	"targets.*.expect.malformed_guid.retcode":   {teethExpect},
	"targets.*.expect.malformed_guid.allow":     {teethExpect},
	"targets.*.expect.unknown_guid":             {teethExpect},
	"targets.*.expect.unknown_guid.status":      {teethExpect},
	"targets.*.expect.unknown_guid.retcode":     {teethExpect},
	"targets.*.expect.unknown_guid.allow":       {teethExpect},
	"targets.*.expect.other_agent_guid":         {teethExpect},
	"targets.*.expect.other_agent_guid.status":  {teethExpect},
	"targets.*.expect.other_agent_guid.retcode": {teethExpect},
	"targets.*.expect.other_agent_guid.allow":   {teethExpect},
	"targets.*.expect.signed_out_guid":          {teethExpect},
	"targets.*.expect.signed_out_guid.status":   {teethExpect},
	"targets.*.expect.signed_out_guid.retcode":  {teethExpect},
	"targets.*.expect.signed_out_guid.allow":    {teethExpect},
	"targets.*.expect.replaced_guid":            {teethExpect},
	"targets.*.expect.replaced_guid.status":     {teethExpect},
	"targets.*.expect.replaced_guid.retcode":    {teethExpect},
	"targets.*.expect.replaced_guid.allow":      {teethExpect},
	"targets.*.expect.bad_agent_id":             {teethExpect},
	"targets.*.expect.bad_agent_id.status":      {teethExpect},
	"targets.*.expect.bad_agent_id.retcode":     {teethExpect},
	"targets.*.expect.bad_agent_id.allow":       {teethExpect},

	"plans":                         {"TestLoadBadInput", "TestPlanKeyEffects"},
	"plans.*.agents":                {"TestPlanKeyEffects"},
	"plans.*.rate":                  {"TestPlanKeyEffects"},
	"plans.*.duration":              {"TestPlanKeyEffects"},
	"plans.*.stages":                {"TestPlanKeyEffects"},
	"plans.*.stages[].rate":         {"TestPlanKeyEffects"},
	"plans.*.stages[].duration":     {"TestPlanKeyEffects"},
	"plans.*.stages[].ramp":         {"TestPlanKeyEffects"},
	"plans.*.sine":                  {"TestPlanKeyEffects"},
	"plans.*.sine.mean":             {"TestPlanKeyEffects"},
	"plans.*.sine.amplitude":        {"TestPlanKeyEffects"},
	"plans.*.sine.period":           {"TestPlanKeyEffects"},
	"plans.*.concurrency":           {"TestPlanKeyEffects"},
	"plans.*.connections":           {"TestPlanKeyEffects", "TestSettingsThatChangeNothingAreRefused"},
	"plans.*.http2":                 {"TestPlanKeysReachTheGateway"},
	"plans.*.order":                 {"TestPlanKeyEffects", "TestSettingsThatChangeNothingAreRefused"},
	"plans.*.warmup":                {"TestPlanKeysReachTheGateway"},
	"plans.*.timeout":               {"TestPlanKeyEffects"},
	"plans.*.max_signin_failures":   {"TestPlanKeyEffects", "TestSettingsThatChangeNothingAreRefused"},
	"plans.*.signin_concurrency":    {"TestPlanKeyEffects", "TestSettingsThatChangeNothingAreRefused"},
	"plans.*.slo":                   {"TestPlanKeyEffects"},
	"plans.*.capacity":              {"TestCapacityBadInput", "TestCapacityRequireAndReport"},
	"plans.*.capacity.start":        {"TestCapacityEffects", "TestCapacityRequireAndReport"},
	"plans.*.capacity.max":          {"TestCapacityEffects"},
	"plans.*.capacity.step":         {"TestCapacitySIGINT"},
	"plans.*.capacity.precision":    {"TestCapacityEffects"},
	"plans.*.capacity.growth":       {"TestCapacityEffects"},
	"plans.*.journey":               {"TestJourneyRunAndReport", "TestSettingsThatChangeNothingAreRefused"},
	"plans.*.journey.hold":          {"TestJourneyRunAndReport"},
	"plans.*.journey.repeat":        {"TestJourneyRunAndReport"},
	"plans.*.signin":                {"TestPlanKeysReachTheGateway"},
	"plans.*.abort_when":            {"TestLoadAbortWhen", "TestDistAbortWhen"},
	"plans.*.abort_when.error_rate": {"TestLoadAbortWhen", "TestDistAbortWhen"},
	"plans.*.abort_when.p99":        {"TestLoadAbortWhenP99"},
	"plans.*.abort_when.window":     {"TestLoadAbortWhenP99", "TestLoadAbortWhen"},
	"plans.*.signin.status":         {"TestPlanKeysReachTheGateway"},
	"plans.*.signin.autoanswer":     {"TestPlanKeysReachTheGateway"},
	"plans.*.signin.autoenteridle":  {"TestPlanKeysReachTheGateway"},
	"plans.*.signin.releasephone":   {"TestPlanKeysReachTheGateway"},
	"plans.*.signin.agenttype":      {"TestPlanKeysReachTheGateway"},
	"plans.*.signin.ip":             {"TestPlanKeysReachTheGateway"},

	"slo":                         {"TestSLOKeyEffects"},
	"slo.<latency>":               {"TestSLOKeyEffects"},
	"slo.error_rate":              {"TestSLOKeyEffects"},
	"slo.min_rate_ratio":          {"TestSLOKeyEffects"},
	"slo.max_contract_violations": {"TestSLOKeyEffects"},
	"slo.max_late_ratio":          {"TestSLOKeyEffects"},
	"slo.saturation":              {"TestSLOKeyEffects"},
	"slo.ready_<latency>":         {"TestLoadGatesEveryObjective", "TestShardsGateEveryObjective"},
	"slo.calls":                   {"TestLoadGatesEveryObjective", "TestLoadCallObjectivesEveryCall"},
	"slo.calls.signin":            {"TestLoadCallObjectivesEveryCall"},
	"slo.calls.forcelogin":        {"TestLoadCallObjectivesEveryCall"},
	"slo.calls.logininfo":         {"TestLoadCallObjectivesEveryCall"},
	"slo.calls.poll":              {"TestLoadCallObjectivesEveryCall"},
	"slo.calls.logout":            {"TestLoadCallObjectivesEveryCall"},
	"slo.calls.updateguid":        {"TestLoadCallObjectivesEveryCall"},
	"slo.calls.*.<latency>":       {"TestLoadCallObjectivesEveryCall"},
	"slo.calls.*.error_rate":      {"TestLoadCallObjectivesEveryCall", "TestLoadGatesEveryObjective"},
}

// teethExpect is the contract suite's proof of the expect profile.
const teethExpect = "suites/teeth.TestExpectProfileDecidesTheVerdict"

// flagProofs maps every "command --flag" to the tests that show its effect.
var flagProofs = map[string][]string{
	"mock --addr":              {"TestMockCommandServesUntilSignal"},
	"mock --cert-out":          {"TestMockCommandServesUntilSignal"},
	"mock --agent-id-range":    {"TestMockCommandServesUntilSignal"},
	"mock --password-env":      {"TestMockCommandServesUntilSignal"},
	"mock --auth-mode":         {"TestMockFlagEffects"},
	"mock --guid-interval":     {"TestMockFlagEffects"},
	"mock --guid-timeout":      {"TestMockFlagEffects"},
	"mock --guid-timeout-from": {"TestMockFlagEffects"},
	"mock --idle-timeout":      {"TestMockFlagEffects"},
	"mock --poll-wait":         {"TestMockFlagEffects"},
	"mock --nodes":             {"TestMockFlagEffects"},
	"mock --password":          {"TestMockFlagEffects"},
	"mock --defect":            {"TestMockFlagEffects"},
	"mock --capacity":          {"TestCapacityRequireAndReport"},
	"mock --latency-fixed":     {"TestMockFaultFlagEffects"},
	"mock --latency-jitter":    {"TestMockFaultFlagEffects", "TestSettingsThatChangeNothingAreRefused"},
	"mock --latency-dist":      {"TestMockFaultFlagEffects", "TestSettingsThatChangeNothingAreRefused"},
	"mock --latency-mean":      {"TestMockFaultFlagEffects", "TestSettingsThatChangeNothingAreRefused"},
	"mock --retcode-rate":      {"TestMockFaultFlagEffects"},
	"mock --retcode":           {"TestMockFaultFlagEffects", "TestSettingsThatChangeNothingAreRefused"},
	"mock --http-error-rate":   {"TestMockFaultFlagEffects"},
	"mock --http-status":       {"TestMockFaultFlagEffects", "TestSettingsThatChangeNothingAreRefused"},
	"mock --reset-rate":        {"TestMockFaultFlagEffects"},
	"mock --malformed-rate":    {"TestMockFaultFlagEffects"},
	"mock --truncated-rate":    {"TestMockFaultFlagEffects"},
	"mock --stall-rate":        {"TestMockFaultFlagEffects"},
	"mock --stall-for":         {"TestMockFaultFlagEffects", "TestSettingsThatChangeNothingAreRefused"},
	"mock --slow-body-rate":    {"TestMockFaultFlagEffects"},
	"mock --slow-body-for":     {"TestMockFaultFlagEffects", "TestSettingsThatChangeNothingAreRefused"},
	"mock --wrong-phone-rate":  {"TestMockFaultFlagEffects"},
	"mock --sign-in-fail-rate": {"TestMockFaultFlagEffects"},
	"mock --sign-in-latency":   {"TestMockFaultFlagEffects"},
	"mock --rotate-every-poll": {"TestMockFaultFlagEffects", "TestSettingsThatChangeNothingAreRefused"},
	"mock --tls-fail-rate":     {"TestMockFaultFlagEffects"},

	"load --targets":              {"TestLoadBadInput", "TestLoadSIGINT"},
	"load --target":               {"TestLoadBadInput", "TestLoadSafetyRails"},
	"load --plan":                 {"TestLoadBadInput", "TestLoadSIGINT"},
	"load --out":                  {"TestLoadRefusesUnwritableOut", "TestLoadSIGINT"},
	"load --confirm":              {"TestLoadSafetyRails"},
	"load --rate":                 {"TestLoadFlagEffects"},
	"load --duration":             {"TestLoadFlagEffects"},
	"load --quiet":                {"TestLoadFlagEffects", "TestLoadSIGINT"},
	"load --shard":                {"TestLoadFlagEffects", "TestDistAcceptance"},
	"load --run-id":               {"TestDistAcceptance"},
	"load --barrier-timeout":      {"TestShardNeverArrives"},
	"load --coordinator":          {"TestDistAcceptance", "TestDistNetworkCut"},
	"load --heartbeat-timeout":    {"TestDistNetworkCut"},
	"load --allow-missing-shards": {"TestDistAllowMissingShards"},
	"load --collect-results":      {"TestDistAcceptance"},
	"load --metrics-addr":         {"TestLoadMetricsGrow", "TestLoadMetricsBadAddr"},
	"load --metrics-linger":       {"TestLoadMetricsLinger"},

	"capacity --targets":        {"TestCapacityRequireAndReport", "TestCapacityBadInput"},
	"capacity --target":         {"TestCapacityBadInput"},
	"capacity --plan":           {"TestCapacityBadInput"},
	"capacity --out":            {"TestCapacityRequireAndReport"},
	"capacity --confirm":        {"TestCapacityEffects"},
	"capacity --require":        {"TestCapacityRequireAndReport"},
	"capacity --quiet":          {"TestCapacityEffects"},
	"capacity --metrics-addr":   {"TestCapacityMetrics"},
	"capacity --metrics-linger": {"TestCapacityMetrics"},

	"report --out":                         {"TestReportFlagEffects", "TestReportEqualsLiveRun"},
	"report --meta":                        {"TestReportFlagEffects"},
	"report --target":                      {"TestReportFlagEffects"},
	"report --plan":                        {"TestReportFlagEffects"},
	"report --rate":                        {"TestReportFlagEffects"},
	"report --quiet":                       {"TestReportFlagEffects"},
	"report --latency-from-planned":        {"TestReportFlagEffects"},
	"report --slo-p50":                     {"TestReportFlagEffects"},
	"report --slo-p90":                     {"TestReportFlagEffects"},
	"report --slo-p95":                     {"TestReportFlagEffects"},
	"report --slo-p99":                     {"TestReportFlagEffects"},
	"report --slo-p999":                    {"TestReportFlagEffects"},
	"report --slo-max":                     {"TestReportFlagEffects"},
	"report --slo-mean":                    {"TestReportFlagEffects"},
	"report --slo":                         {"TestReportFlagEffects", "TestJourneyRunAndReport"},
	"report --slo-call-error-rate":         {"TestJourneyRunAndReport"},
	"report --slo-error-rate":              {"TestReportFlagEffects"},
	"report --slo-min-rate-ratio":          {"TestReportFlagEffects"},
	"report --slo-max-contract-violations": {"TestReportFlagEffects"},
	"report --slo-max-late-ratio":          {"TestReportFlagEffects"},
	"report --slo-saturation":              {"TestReportFlagEffects"},
	"report --allow-missing-shards":        {"TestReportMergesShards"},

	"compare --format":                  {"TestCompareCommand"},
	"compare --out":                     {"TestCompareCommand"},
	"compare --max-latency-regression":  {"TestCompareCommand"},
	"compare --min-latency-delta":       {"TestCompareCommand"},
	"compare --max-error-rate-increase": {"TestCompareCommand"},
	"compare --max-throughput-drop":     {"TestCompareCommand"},
	"compare --no-gates":                {"TestCompareCommand"},
	"compare --strict":                  {"TestCompareCommand"},

	"shards --shards":               {"TestShardsEmbeddedMock", "TestShardsEmbeddedMock"},
	"shards --targets":              {"TestShardsEmbeddedMock"},
	"shards --target":               {"TestShardsEmbeddedMock"},
	"shards --plan":                 {"TestShardsEmbeddedMock"},
	"shards --out":                  {"TestShardsEmbeddedMock", "TestShardsEmbeddedMock"},
	"shards --confirm":              {"TestShardsFlagEffects"},
	"shards --run-id":               {"TestShardsFlagEffects"},
	"shards --rate":                 {"TestShardsFlagEffects"},
	"shards --duration":             {"TestShardsFlagEffects"},
	"shards --barrier-timeout":      {"TestShardsFlagEffects"},
	"shards --quiet":                {"TestShardsFlagEffects"},
	"shards --metrics-addr":         {"TestShardsPassesRunFlags"},
	"shards --collect-results":      {"TestShardsPassesRunFlags"},
	"shards --allow-missing-shards": {"TestShardsPassesRunFlags"},
}

// allFlags lists every flag of every command as "command --flag", from
// the command table's flag builders.
func allFlags() []string {
	var out []string
	for name, c := range commands {
		if c.flags == nil {
			continue
		}
		c.flags().VisitAll(func(f *flag.Flag) { out = append(out, name+" --"+f.Name) })
	}
	sort.Strings(out)
	return out
}

// testFuncs returns the Test functions declared in the _test.go files of
// the package in dir.
func testFuncs(t *testing.T, dir string) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files in %s (%v)", dir, err)
	}
	out := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && strings.HasPrefix(fd.Name.Name, "Test") {
				out[fd.Name.Name] = true
			}
		}
	}
	return out
}

// checkProofs checks one table against the settings that exist (what: "key"
// or "flag"; how: how to show such a setting's effect).
func checkProofs(t *testing.T, what, how, table string, settings []string, proofs map[string][]string, exists func(string) bool) {
	t.Helper()
	for _, s := range settings {
		if len(proofs[s]) == 0 {
			t.Errorf("%s %s has no test that shows its effect: write one that %s and asserts on what changes (the exit code, report.json, the refusal message), then add the row %q: {\"TestYours\"} to %s in cmd/ccgw/keys_test.go",
				what, s, how, s, table)
		}
	}
	for s, tests := range proofs {
		if !slices.Contains(settings, s) {
			t.Errorf("%s: row %q names a %s that no longer exists: remove the row (and the test's case, if it had one)", table, s, what)
			continue
		}
		for _, name := range tests {
			if !exists(name) {
				t.Errorf("%s: row %q names test %s, which does not exist", table, s, name)
			}
		}
	}
}

// TestEverySettingProven: every key of targets.yaml and every flag of
// every command has a row naming the tests that show its effect, and every
// row names tests and settings that exist.
func TestEverySettingProven(t *testing.T) {
	dirs := map[string]map[string]bool{}
	exists := func(name string) bool {
		dir, fn := ".", name
		if i := strings.LastIndex(name, "."); i >= 0 {
			dir, fn = filepath.Join("..", "..", filepath.FromSlash(name[:i])), name[i+1:]
		}
		if dirs[dir] == nil {
			dirs[dir] = testFuncs(t, dir)
		}
		return dirs[dir][fn]
	}
	checkProofs(t, "targets.yaml key", "runs ccgw with a targets file using it", "keyProofs", config.KeyPaths(), keyProofs, exists)
	checkProofs(t, "flag", "runs the command with it", "flagProofs", allFlags(), flagProofs, exists)
}

// TestFlagBuildersAreTheCommands: the flags each command's builder lists
// are the flags its -h lists, so allFlags misses none.
func TestFlagBuildersAreTheCommands(t *testing.T) {
	for name, c := range commands {
		var help bytes.Buffer
		run([]string{name, "-h"}, io.Discard, &help)
		var listed []string
		for _, m := range flagLineRe.FindAllStringSubmatch(help.String(), -1) {
			listed = append(listed, m[1])
		}
		var built []string
		if c.flags != nil {
			c.flags().VisitAll(func(f *flag.Flag) { built = append(built, f.Name) })
		}
		slices.Sort(listed)
		listed = slices.Compact(listed)
		if !slices.Equal(listed, built) {
			t.Errorf("ccgw %s: -h lists the flags %v, its flag builder %v", name, listed, built)
		}
	}
}
