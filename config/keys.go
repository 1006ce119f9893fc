package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"ccgw-harness/mockgw/faultset"
	"ccgw-harness/slo"
)

// The keys of every mapping of a targets.yaml, as the parser checks them:
// mapping refuses a key not listed here, and every mapping it reads with a
// list of keys must be a row of schema (see checkSchema), so that a key the
// parser accepts is a key KeyPaths lists.
var (
	topKeys      = []string{"targets", "plans", "slo"}
	targetKeys   = []string{"url", "mock", "tls", "auth_mode", "guid_interval", "guid_timeout", "idle_timeout", "poll_wait", "agent_id_range", "agents", "allow_load", "max_rate", "production", "force_login", "expect"}
	tlsKeys      = []string{"ca_file", "insecure_skip_verify", "server_name"}
	mockKeys     = []string{"nodes", "auth_mode", "guid_interval", "guid_timeout", "guid_timeout_from", "idle_timeout", "poll_wait", "password", "faults", "defects", "capacity"}
	agentsKeys   = []string{"ids", "phonenum_prefix", "password_env", "file"}
	planKeys     = []string{"agents", "rate", "duration", "stages", "sine", "concurrency", "connections", "http2", "order", "warmup", "timeout", "max_signin_failures", "signin_concurrency", "slo", "capacity", "journey", "signin", "abort_when"}
	stageKeys    = []string{"rate", "duration", "ramp"}
	sineKeys     = []string{"mean", "amplitude", "period"}
	capacityKeys = []string{"start", "max", "step", "precision", "growth"}
	journeyKeys  = []string{"hold", "repeat"}
	signInKeys   = []string{"status", "autoanswer", "autoenteridle", "releasephone", "agenttype", "ip"}
	// expectSubKeys are the keys of each expect case (wrong_method, ...).
	expectSubKeys = []string{"status", "retcode", "allow"}
)

// Placeholders of KeyPaths for keys that are patterns, not names.
const (
	// LatencyKey stands for any latency statistic an SLO accepts: p50, p90,
	// p99.9 (or p999), any pNN or pNN.N, mean, max.
	LatencyKey = "<latency>"
	// AnyName stands for a name the user chooses (a target, a plan) or one
	// of a closed set of names (a call under slo.calls).
	AnyName = "*"
	// EachItem marks a list whose every item is a mapping (plans.*.stages[]).
	EachItem = "[]"
)

// schemaRow is one mapping of the schema: where it is (a path pattern, see
// pattern) and the keys it accepts.
type schemaRow struct {
	path string
	keys func() []string
}

// keysOf returns a fixed list.
func keysOf(l []string) func() []string { return func() []string { return l } }

// schema lists every mapping of a targets.yaml with fixed keys. The
// mappings of user-chosen names (targets, plans) are not rows: their keys
// are AnyName. plans.*.slo is the slo row (see pattern).
var schema = func() []schemaRow {
	rows := []schemaRow{
		{"", keysOf(topKeys)},
		{"targets.*", keysOf(targetKeys)},
		{"targets.*.tls", keysOf(tlsKeys)},
		{"targets.*.mock", keysOf(mockKeys)},
		{"targets.*.mock.faults", faultset.Keys},
		{"targets.*.agents", keysOf(agentsKeys)},
		{"targets.*.expect", expectKeys},
		{"plans.*", keysOf(planKeys)},
		{"plans.*.stages[]", keysOf(stageKeys)},
		{"plans.*.sine", keysOf(sineKeys)},
		{"plans.*.capacity", keysOf(capacityKeys)},
		{"plans.*.journey", keysOf(journeyKeys)},
		{"plans.*.signin", keysOf(signInKeys)},
		{"plans.*.abort_when", keysOf(abortKeys)},
		{"slo", func() []string { return append([]string{LatencyKey, slo.ReadyPrefix + LatencyKey}, slo.Keys...) }},
		{"slo.calls", slo.GatedCalls},
		{"slo.calls.*", func() []string { return []string{LatencyKey, slo.KeyErrorRate} }},
	}
	for _, k := range expectCases() {
		rows = append(rows, schemaRow{"targets.*.expect." + k, keysOf(expectSubKeys)})
	}
	return rows
}()

// schemaKeys returns the keys of the mapping at pattern p, and whether
// the schema has that mapping.
func schemaKeys(p string) ([]string, bool) {
	for _, r := range schema {
		if r.path == p {
			return r.keys(), true
		}
	}
	return nil, false
}

// KeyPaths returns the path of every key a targets.yaml may hold, sorted:
// "targets", "targets.*.mock.auth_mode", "plans.*.stages[].ramp",
// "slo.<latency>", "slo.ready_<latency>", "slo.calls.*.error_rate"... A
// user-chosen name is AnyName, every item of a list EachItem, any latency
// statistic LatencyKey. A plan's own slo (plans.*.slo) takes the keys of
// slo, listed once under slo.
func KeyPaths() []string {
	var out []string
	for _, r := range schema {
		for _, k := range r.keys() {
			if r.path == "" {
				out = append(out, k)
			} else {
				out = append(out, r.path+"."+k)
			}
		}
	}
	slices.Sort(out)
	return out
}

var itemIndexRe = regexp.MustCompile(`\[\d+\]`)

// pattern turns the path of a mapping in a document into its schema
// pattern: "targets.gw.mock" -> "targets.*.mock", "plans.p.stages[2]" ->
// "plans.*.stages[]", "plans.p.slo.calls" -> "slo.calls" (a plan's slo has
// the keys of slo), "slo.calls.signin" -> "slo.calls.*".
func pattern(path string) string {
	segs := strings.Split(itemIndexRe.ReplaceAllString(path, EachItem), ".")
	if len(segs) > 1 && (segs[0] == "targets" || segs[0] == "plans") {
		segs[1] = AnyName
	}
	if len(segs) > 2 && segs[0] == "plans" && segs[2] == "slo" {
		segs = segs[2:]
	}
	if len(segs) > 2 && segs[0] == "slo" && segs[1] == "calls" {
		segs[2] = AnyName
	}
	return strings.Join(segs, ".")
}

// checkSchema panics unless the mapping at path, read with the keys
// allowed, is the schema's row for that place with those keys: a mapping
// the parser reads must be in the one table KeyPaths derives from.
func checkSchema(path string, allowed []string) {
	p := pattern(path)
	want, ok := schemaKeys(p)
	switch {
	case !ok:
		panic(fmt.Sprintf("config: the parser reads the mapping %s (keys %s), which is no row of the schema table in config/keys.go: add it there", p, strings.Join(allowed, ", ")))
	case !slices.Equal(want, allowed):
		panic(fmt.Sprintf("config: the parser reads the mapping %s with keys %s, the schema table in config/keys.go says %s: read them from the table", p, strings.Join(allowed, ", "), strings.Join(want, ", ")))
	}
}
