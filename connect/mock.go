package connect

import (
	"fmt"

	"ccgw-harness/config"
	"ccgw-harness/mockgw"
)

// MockOptions translates a mock target's configuration into mock gateway
// options: auth mode and timings, agent-ID range, the agents' password,
// cluster size, capacity, faults and defects.
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
	if m.Nodes > 0 {
		opts = append(opts, mockgw.WithNodes(m.Nodes))
	}
	if m.Capacity > 0 {
		opts = append(opts, mockgw.WithCapacity(m.Capacity))
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
