// Package config is targets.yaml as typed, validated values: the gateways
// the harness may talk to (a real gateway by URL, or the embedded mock), the
// load plans it may run, and the service-level objectives a run is gated
// on. A File that Load or Parse returns is the whole of what the harness
// may do; File.Target and File.Plan hand out one target or plan by name.
// The package describes targets and never contacts one: connect turns a
// Target into a running gateway, and the mock's fault keys are
// faultset.Faults, the mock's own vocabulary.
//
// Loading is strict. Unknown keys, duplicate keys, wrong YAML types and bad
// values are all errors, and every error names the file, the line and the
// field path, e.g.
//
//	targets.yaml:14: targets.staging.agents.ids: agent 50 is outside agent_id_range [101, 999999]
//
// Parse collects every error it finds (joined with errors.Join, sorted by
// line) rather than stopping at the first.
//
// Secrets come from the environment, never from YAML: a target's agent
// password is read from the variable named by agents.password_env when
// File.Target resolves the target, and it is never printed (Agents and
// Agent mask it in every fmt verb).
//
// The objectives (key slo) are read into slo.Objectives, the type every
// gate reads: File.SLOFor gives a plan's.
//
// The package imports gateway (for AuthMode, IDRange and the documented
// timings), slo, mockgw/faultset and go.yaml.in/yaml/v3 only.
package config
