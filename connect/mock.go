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
	if from := m.GuidTimeoutFrom; from != "" {
		opts = append(opts, mockgw.WithGuidTimeoutFrom(from))
	}
	if NoPassword(t) {
		opts = append(opts, mockgw.WithNoPassword())
	}
	if m.Nodes > 0 {
		opts = append(opts, mockgw.WithNodes(m.Nodes))
	}
	if m.Capacity > 0 {
		opts = append(opts, mockgw.WithCapacity(m.Capacity))
	}
	// Parse has validated the faults, but a Target may also be built by hand.
	if err := m.Faults.Validate(); err != nil {
		return nil, fmt.Errorf("mock faults: %w", err)
	}
	opts = append(opts, mockgw.WithFaults(m.Faults))
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
