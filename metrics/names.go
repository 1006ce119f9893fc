package metrics

// Metric names: a stable interface once released (docs/metrics.md;
// deploy/grafana/ccgw-load.json queries them). Histograms expose the
// usual _bucket, _sum and _count series.
const (
	// NameRequests counts recorded results by call, class, detail,
	// retcode and node.
	NameRequests = "ccgw_requests_total"
	// NameRequestDuration is the latency histogram of recorded results in
	// seconds, by call and node.
	NameRequestDuration = "ccgw_request_duration_seconds"
	// NameInFlight is the number of the attack's requests sent and not
	// answered yet.
	NameInFlight = "ccgw_in_flight_requests"
	// NamePlannedRate is the rate the plan asks for now (requests/s; 0
	// outside the measured attack and for a closed model without a cap).
	NamePlannedRate = "ccgw_planned_requests_per_second"
	// NameAchievedRate is the rate of completed responses over the last
	// seconds, as the progress line shows it (responses/s).
	NameAchievedRate = "ccgw_achieved_requests_per_second"
	// NameScheduleLag is the histogram of how late requests were sent
	// against their planned time, in seconds (open model only).
	NameScheduleLag = "ccgw_schedule_lag_seconds"
	// NameLastScheduleLag is the lag of the last recorded request that
	// had one, in seconds.
	NameLastScheduleLag = "ccgw_last_schedule_lag_seconds"
	// NameAgents is the number of agents of the plan.
	NameAgents = "ccgw_agents"
	// NameAgentsSignedIn is the number of agents with a session believed
	// valid, by gateway node.
	NameAgentsSignedIn = "ccgw_agents_signed_in"
	// NameSignInAttempts counts the agents' first sign-ins finished
	// (successful or not).
	NameSignInAttempts = "ccgw_agent_signin_attempts_total"
	// NameSignInFailures counts the first sign-ins that failed.
	NameSignInFailures = "ccgw_agent_signin_failures_total"
	// NameReSignIns counts sessions re-established after the gateway lost
	// them (100-006).
	NameReSignIns = "ccgw_agent_resignins_total"
	// NameReSignInFailures counts re-sign-in attempts that failed.
	NameReSignInFailures = "ccgw_agent_resignin_failures_total"
	// NameRotations counts the Guid rotations followed (Set-GUID on an
	// event poll).
	NameRotations = "ccgw_guid_rotations_total"
	// NamePolls counts the keep-alive's event polls.
	NamePolls = "ccgw_event_polls_total"
	// NamePollFailures counts the event polls that failed.
	NamePollFailures = "ccgw_event_poll_failures_total"
	// NameJourneyReady is the histogram of journeys' time from the start
	// of sign-in to softphone-ready (the first logininfo success), in
	// seconds.
	NameJourneyReady = "ccgw_journey_ready_seconds"
	// NameJourneys counts finished journeys by outcome (OutcomeCompleted,
	// OutcomeFailed).
	NameJourneys = "ccgw_journeys_total"
	// NameStage is 1 for the run's current stage and 0 for the others,
	// by stage (the Stage* names).
	NameStage = "ccgw_run_stage"
)

// Label names. Target, plan and shard are constant labels of every ccgw_
// metric, present when set (WithTarget, WithPlan, WithShard).
const (
	LabelCall    = "call"    // gateway.Call: signin, forcelogin, logininfo, poll, logout, updateguid, other
	LabelClass   = "class"   // gateway.Class: ok, transport, timeout, http, envelope, retcode, contract
	LabelDetail  = "detail"  // the verdict's detail: transport kind, HTTP status, envelope kind, retcode, violation
	LabelRetcode = "retcode" // the envelope's retcode ("0" for ok and contract), empty when none was read
	LabelNode    = "node"    // the gateway node N of .AgentGateway<N>; "0" when the Guid names none
	LabelStage   = "stage"   // a Stage* name
	LabelOutcome = "outcome" // OutcomeCompleted or OutcomeFailed
	LabelTarget  = "target"  // the target's name
	LabelPlan    = "plan"    // the plan's name
	LabelShard   = "shard"   // the shard of a distributed run
)

// The stages of a run (values of LabelStage), in order.
const (
	StageOpen    = "open"    // the metrics are served; nothing is signed in yet
	StageSignIn  = "signin"  // the agents sign in
	StageWarmUp  = "warmup"  // connections are warmed, the unmeasured warm-up runs
	StageMeasure = "measure" // the measured attack
	StageFinish  = "finish"  // agents sign out, the reports are written
	StageDone    = "done"    // the run is over (the linger)
)

// Stages lists the stages in order.
var Stages = []string{StageOpen, StageSignIn, StageWarmUp, StageMeasure, StageFinish, StageDone}

// Journey outcomes (values of LabelOutcome).
const (
	OutcomeCompleted = "completed"
	OutcomeFailed    = "failed"
)

// OtherValue stands for every value of a label beyond its bound
// (DefaultMaxLabelValues), so a misbehaving gateway cannot explode the
// number of series.
const OtherValue = "other"
