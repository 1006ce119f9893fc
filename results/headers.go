package results

// Result headers the load engine writes: the only headers a result keeps
// (docs/results-files.md), none of them a secret.
const (
	// HeaderNode carries the gateway node N (of `.AgentGateway<N>`) of the
	// agent's session; absent or "0" when unknown.
	HeaderNode = "X-Ccgw-Node"
	// HeaderLagUs carries how many microseconds after its planned time the
	// request was sent (open model only).
	HeaderLagUs = "X-Ccgw-Lag-Us"
)

// Result headers of a journey run (docs/architecture.md). They identify
// journeys without any Guid or token: a journey is its sequence number, its
// outcome is written once, on the result that decided it, and its time to
// softphone-ready once, on its first valid logininfo.
const (
	// HeaderJourney carries the journey's sequence number (0-based, in
	// arrival order) on every result of the journey.
	HeaderJourney = "X-Ccgw-Journey"
	// HeaderJourneyEnd marks the result that decided a journey's outcome:
	// JourneyCompleted (its sign-out), JourneyFailed (the call that ended
	// it) or JourneyInterrupted (its last call when the run was stopped).
	HeaderJourneyEnd = "X-Ccgw-Journey-End"
	// HeaderReadyUs carries, on a journey's first valid logininfo, the
	// microseconds from sending its sign-in to receiving that token.
	HeaderReadyUs = "X-Ccgw-Ready-Us"
)

// Journey outcomes (values of HeaderJourneyEnd).
const (
	JourneyCompleted   = "completed"
	JourneyFailed      = "failed"
	JourneyInterrupted = "interrupted"
)
