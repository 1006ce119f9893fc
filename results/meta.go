package results

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"time"

	"ccgw-harness/internal/atomicfile"
	"ccgw-harness/slo"
)

// ProfileClosed is meta.json's profile of a closed-model run (a
// concurrency, no requested rate): config.ProfileClosed, the name the
// loader gives such a plan (load's tests hold the two equal).
const ProfileClosed = "closed"

// Meta is what a load run knows that its results do not: the plan, the
// requested rate, the pool and connection settings, and how the run ended.
// The load engine writes it to meta.json beside results.bin and calls.bin
// (before the attack, and again at its end); `ccgw report` reads it back.
type Meta struct {
	Target string // target name from targets.yaml
	Plan   string // plan name
	// Profile names the rate profile (e.g. "constant", "stages").
	Profile string
	// RequestedRate is the mean planned request rate in requests per second
	// (0 when unknown: no rate-ratio check).
	RequestedRate float64
	// PlannedDuration is the planned length of the measured attack.
	PlannedDuration time.Duration
	Agents          int  // agents asked for
	AgentsFailed    int  // agents that could not sign in
	Connections     int  // connection cap
	HTTP2           bool // whether HTTP/2 was used
	TLSVerify       bool // whether the gateway's certificate was verified
	ReSignIns       int  // sessions re-established during the run
	Interrupted     bool // the run was stopped before its planned end
	Warnings        []string
	// Started is when the attack started (from the load engine's clock).
	Started time.Time
	// SLO holds every objective the live run was judged by (ready and
	// per-call ones included), so that `ccgw report` re-evaluates the same
	// gates; nil when unknown.
	SLO *slo.Objectives

	// RunID names the distributed run a shard belongs to, alike for all its
	// shards ("" for a run of one process without one).
	RunID string
	// Shard says which part of a distributed run this is (nil: the whole
	// plan ran in one process).
	Shard *ShardInfo
	// Sent and Recorded count the measured requests the generator sent and
	// the results it recorded of them (results.bin's; equal unless writing
	// failed).
	Sent, Recorded uint64
	// Aborted says why the run stopped before its plan ended: its
	// abort_when rule broke, its shards never all got ready, its
	// coordinator was lost; "" when it did not. AbortedBy says which (an
	// Aborted* value).
	Aborted, AbortedBy string
	// Shards describes the shards a merged report covers (nil unless the
	// report merges a distributed run).
	Shards *MergedShards
	// LatencyFromPlanned says the run measured latency from each request's
	// planned send time (lag + response time; see
	// reports.WithLatencyFromPlanned), so that `ccgw report` measures it the
	// same way.
	LatencyFromPlanned bool
	// NoPassword is set when the agents sign in with an empty password
	// (password_env set and empty, or a mock whose agents have none).
	NoPassword bool
	// Journeys, JourneyRate, JourneyHold and JourneyRepeat describe a
	// journey plan: the journeys it schedules, their mean arrival rate
	// (journeys started per second; RequestedRate is then 0: no logininfo
	// rate is planned), and its hold and repeat.
	Journeys                   int
	JourneyRate                float64
	JourneyHold, JourneyRepeat time.Duration
}

// ShardInfo is a shard's place in a distributed run (meta.json key shard).
type ShardInfo struct {
	Index int `json:"index"` // 0-based
	Count int `json:"count"` // shards in the run
	// Share is the fraction of the plan this shard carries: its planned
	// requests over the plan's (open model) or its concurrency over the
	// plan's (closed model).
	Share float64 `json:"share"`
	// PlanRequestedRate is the plan's requested rate, all shards together
	// (0 for the closed model).
	PlanRequestedRate float64 `json:"plan_requested_rate"`
	// PlanAgents is the plan's agents, all shards together.
	PlanAgents int `json:"plan_agents"`
}

// Values of Meta.AbortedBy: what stopped a run before its plan ended.
const (
	// AbortedByRule: the plan's abort_when rule broke (the run's verdict is
	// a failed gate, exit 1).
	AbortedByRule = "abort_when"
	// AbortedByStart: the run was given up before its measured attack (a
	// shard never ready, failed or refused; exit 2).
	AbortedByStart = "start"
	// AbortedByCoordinator: a shard lost its coordinator (exit 2).
	AbortedByCoordinator = "coordinator"
)

// MergedShards is the `shards` of a merged report (report.json and
// meta.json): the run's shard count, the spread of the shards' first
// measured sends, the shards whose figures are missing, and each shard
// merged. Reports written before the object existed held only the list,
// as an array; UnmarshalJSON reads that too.
type MergedShards struct {
	Count int `json:"count"`
	// StartSkewMS is the time from the earliest to the latest first
	// measured send of the shards, in milliseconds.
	StartSkewMS float64 `json:"start_skew_ms"`
	// Missing lists the shards of the run that are not merged (lost, or
	// never started).
	Missing []int         `json:"missing"`
	List    []MergedShard `json:"list"`
}

// UnmarshalJSON reads the object, or the array of the shards' list that
// reports of earlier versions hold.
func (m *MergedShards) UnmarshalJSON(b []byte) error {
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '[' {
		var list []MergedShard
		if err := json.Unmarshal(t, &list); err != nil {
			return err
		}
		*m = MergedShards{Count: len(list), Missing: []int{}, List: list}
		return nil
	}
	type plain MergedShards
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*m = MergedShards(p)
	return nil
}

// StartSkew is the time between the earliest and the latest first send of
// the shards (0 with fewer than two shards that sent).
func (m *MergedShards) StartSkew() time.Duration {
	if m == nil {
		return 0
	}
	var lo, hi time.Time
	for _, s := range m.List {
		if s.FirstSend.IsZero() {
			continue
		}
		if lo.IsZero() || s.FirstSend.Before(lo) {
			lo = s.FirstSend
		}
		if s.FirstSend.After(hi) {
			hi = s.FirstSend
		}
	}
	return hi.Sub(lo)
}

// MergedShard is one shard of a merged report (report.json shards.list).
type MergedShard struct {
	Index         int     `json:"index"`
	Dir           string  `json:"dir"`      // the shard's output directory as given to ccgw report
	Requests      uint64  `json:"requests"` // results read from its results.bin: its measured requests
	Agents        int     `json:"agents"`
	RequestedRate float64 `json:"requested_rate"` // its share of the plan's rate
	// FirstSend is the shard's earliest measured send.
	FirstSend   time.Time `json:"first_send,omitzero"`
	Interrupted bool      `json:"interrupted"`
	Aborted     string    `json:"aborted,omitempty"`
	Partial     bool      `json:"partial"`
}

type metaJSON struct {
	Target          string          `json:"target"`
	Plan            string          `json:"plan"`
	Profile         string          `json:"profile,omitempty"`
	RequestedRate   float64         `json:"requested_rate"`
	PlannedDuration float64         `json:"planned_duration_s"`
	Agents          int             `json:"agents"`
	AgentsFailed    int             `json:"agents_failed"`
	Connections     int             `json:"connections"`
	HTTP2           bool            `json:"http2"`
	TLSVerify       bool            `json:"tls_verify"`
	ReSignIns       int             `json:"re_signins"`
	Interrupted     bool            `json:"interrupted"`
	Warnings        []string        `json:"warnings,omitempty"`
	Started         time.Time       `json:"started,omitzero"`
	SLO             *slo.Objectives `json:"slo,omitempty"`
	FromPlanned     bool            `json:"latency_from_planned,omitempty"`
	NoPassword      bool            `json:"agents_no_password,omitempty"`
	Journeys        int             `json:"journeys,omitempty"`
	JourneyRate     float64         `json:"journey_rate,omitempty"`
	JourneyHold     float64         `json:"journey_hold_s,omitempty"`
	JourneyRepeat   float64         `json:"journey_repeat_s,omitempty"`
	distributedJSON
}

// distributedJSON holds the meta.json keys of distributed runs.
type distributedJSON struct {
	RunID     string        `json:"run_id,omitempty"`
	Shard     *ShardInfo    `json:"shard,omitempty"`
	Sent      uint64        `json:"sent,omitempty"`
	Recorded  uint64        `json:"recorded,omitempty"`
	Aborted   string        `json:"aborted,omitempty"`
	AbortedBy string        `json:"aborted_by,omitempty"`
	Shards    *MergedShards `json:"shards,omitempty"`
}

// MarshalJSON writes the meta.json form (durations in seconds).
func (m Meta) MarshalJSON() ([]byte, error) {
	return json.Marshal(metaJSON{
		Target: m.Target, Plan: m.Plan, Profile: m.Profile,
		RequestedRate: m.RequestedRate, PlannedDuration: m.PlannedDuration.Seconds(),
		Agents: m.Agents, AgentsFailed: m.AgentsFailed, Connections: m.Connections,
		HTTP2: m.HTTP2, TLSVerify: m.TLSVerify, ReSignIns: m.ReSignIns,
		Interrupted: m.Interrupted, Warnings: m.Warnings, Started: m.Started, SLO: m.SLO,
		distributedJSON: distributedJSON{RunID: m.RunID, Shard: m.Shard, Sent: m.Sent, Recorded: m.Recorded, Aborted: m.Aborted, AbortedBy: m.AbortedBy, Shards: m.Shards},
		FromPlanned:     m.LatencyFromPlanned,
		NoPassword:      m.NoPassword, Journeys: m.Journeys, JourneyRate: m.JourneyRate,
		JourneyHold: m.JourneyHold.Seconds(), JourneyRepeat: m.JourneyRepeat.Seconds(),
	})
}

// UnmarshalJSON reads the meta.json form.
func (m *Meta) UnmarshalJSON(b []byte) error {
	var j metaJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if j.RequestedRate < 0 || math.IsInf(j.RequestedRate, 0) || j.PlannedDuration < 0 || j.PlannedDuration > 1e9 {
		return fmt.Errorf("requested_rate and planned_duration_s must be finite and not negative")
	}
	if j.JourneyRate < 0 || math.IsInf(j.JourneyRate, 0) || j.Journeys < 0 ||
		j.JourneyHold < 0 || j.JourneyHold > 1e9 || j.JourneyRepeat < 0 || j.JourneyRepeat > 1e9 {
		return fmt.Errorf("journeys, journey_rate, journey_hold_s and journey_repeat_s must be finite and not negative")
	}
	*m = Meta{
		Target: j.Target, Plan: j.Plan, Profile: j.Profile,
		RequestedRate: j.RequestedRate, PlannedDuration: time.Duration(math.Round(j.PlannedDuration * 1e9)),
		Agents: j.Agents, AgentsFailed: j.AgentsFailed, Connections: j.Connections,
		HTTP2: j.HTTP2, TLSVerify: j.TLSVerify, ReSignIns: j.ReSignIns,
		Interrupted: j.Interrupted, Warnings: j.Warnings, Started: j.Started, SLO: j.SLO,
		RunID: j.RunID, Shard: j.Shard, Sent: j.Sent, Recorded: j.Recorded, Aborted: j.Aborted, AbortedBy: j.AbortedBy, Shards: j.Shards,
		LatencyFromPlanned: j.FromPlanned,
		NoPassword:         j.NoPassword, Journeys: j.Journeys, JourneyRate: j.JourneyRate,
		JourneyHold:   time.Duration(math.Round(j.JourneyHold * 1e9)),
		JourneyRepeat: time.Duration(math.Round(j.JourneyRepeat * 1e9)),
	}
	return nil
}

// ReadMeta reads a meta.json file. Errors name the file.
func ReadMeta(path string) (Meta, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Meta{}, err
	}
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return Meta{}, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// WriteMeta writes m to path as indented JSON. It writes a temporary file
// and renames it, so a reader never sees half a file.
func WriteMeta(path string, m Meta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(b, '\n'))
}
