package connect

import (
	"fmt"

	"ccgw-harness/config"
	"ccgw-harness/mockgw"
)

// MockOptions translates a mock target's configuration into mock gateway
// options: auth mode and timings, agent-ID range, the agents' password,
// cluster size, faults and defects.
func MockOptions(t *config.Target) ([]mockgw.Option, error) {
	m := t.Mock
	if m == nil {
		return nil, fmt.Errorf("target %s has no mock block", t.Name)
	}
	opts := []mockgw.Option{
		mockgw.WithAuthMode(t.AuthMode),
		mockgw.WithGuidInterval(t.GuidInterval),
		mockgw.WithGuidTimeout(t.GuidTimeout),
		mockgw.WithIdleTimeout(t.IdleTimeout),
		mockgw.WithPollWait(t.PollWait),
		mockgw.WithIDRange(t.AgentIDRange),
		mockgw.WithPassword(t.Agents.Password),
	}
	if from := m.GuidTimeoutFrom; from != "" {
		opts = append(opts, mockgw.WithGuidTimeoutFrom(from))
	}
	if NoPassword(t) {
		opts = append(opts, mockgw.WithNoPassword())
	}
	if m.Nodes > 0 {
		opts = append(opts, mockgw.WithNodes(m.Nodes))
	}
	f := Faults(m.Faults)
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("mock faults: %w", err)
	}
	opts = append(opts, mockgw.WithFaults(f))
	var defects []mockgw.Defect
	for _, name := range m.Defects {
		d, err := mockgw.ParseDefect(name)
		if err != nil {
			return nil, fmt.Errorf("mock defects: %w", err)
		}
		defects = append(defects, d)
	}
	if len(defects) > 0 {
		opts = append(opts, mockgw.WithDefects(defects...))
	}
	return opts, nil
}

// NoPassword reports whether target t's agents have no password: its
// password_env is set and empty, or it is a mock with password: "".
func NoPassword(t *config.Target) bool {
	return t.Agents.NoPassword || (t.Mock != nil && t.Mock.NoPassword)
}

// Faults converts the configuration's fault settings into the mock's.
func Faults(f config.MockFaults) mockgw.Faults {
	return mockgw.Faults{
		LatencyFixed:    f.LatencyFixed,
		LatencyJitter:   f.LatencyJitter,
		LatencyDist:     f.LatencyDist,
		LatencyMean:     f.LatencyMean,
		RetcodeRate:     f.RetcodeRate,
		Retcode:         f.Retcode,
		HTTPErrorRate:   f.HTTPErrorRate,
		HTTPStatus:      f.HTTPStatus,
		ResetRate:       f.ResetRate,
		MalformedRate:   f.MalformedRate,
		TruncatedRate:   f.TruncatedRate,
		StallRate:       f.StallRate,
		StallFor:        f.StallFor,
		SlowBodyRate:    f.SlowBodyRate,
		SlowBodyFor:     f.SlowBodyFor,
		WrongPhoneRate:  f.WrongPhoneRate,
		SignInFailRate:  f.SignInFailRate,
		SignInLatency:   f.SignInLatency,
		RotateEveryPoll: f.RotateEveryPoll,
		TLSFailRate:     f.TLSFailRate,
	}
}
