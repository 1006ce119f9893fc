package pace

import (
	"fmt"

	"ccgw-harness/config"
)

// ForPlan builds the pace of a plan, capped at maxRate requests per second
// (the target's max_rate; 0 = no cap). The warnings say when the cap cut
// the plan.
func ForPlan(p *config.Plan, maxRate float64) (Pacer, []string, error) {
	var warnings []string
	if p.Concurrency > 0 && len(p.Stages) == 0 && p.Sine == nil {
		c, err := NewClosed(p.Concurrency, p.Duration, maxRate)
		if err != nil {
			return nil, nil, fmt.Errorf("plan %s: %w", p.Name, err)
		}
		if maxRate > 0 {
			warnings = append(warnings, fmt.Sprintf("closed-model plan %s is capped at the target's max_rate %s/s", p.Name, formatRate(maxRate)))
		}
		return c, warnings, nil
	}
	var s *Schedule
	var err error
	switch {
	case len(p.Stages) > 0:
		st := make([]Stage, len(p.Stages))
		for i, g := range p.Stages {
			st[i] = Stage{Rate: g.Rate, Duration: g.Duration, Ramp: g.Ramp}
		}
		s, err = Stages(st...)
	case p.Sine != nil:
		s, err = Sine(p.Sine.Mean, p.Sine.Amplitude, p.Sine.Period, p.Duration)
	default:
		s, err = Constant(p.Rate, p.Duration)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("plan %s: %w", p.Name, err)
	}
	peak := s.PeakRate()
	c, cut, err := s.Capped(maxRate)
	if err != nil {
		return nil, nil, fmt.Errorf("plan %s: %w", p.Name, err)
	}
	if cut {
		warnings = append(warnings, fmt.Sprintf("plan %s peaks at %s/s, above the target's max_rate: capped at %s/s", p.Name, formatRate(peak), formatRate(maxRate)))
	}
	return c, warnings, nil
}
