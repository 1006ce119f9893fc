package config

import (
	"time"

	"go.yaml.in/yaml/v3"
)

// Capacity-search defaults and bounds (plan key capacity).
const (
	ProfileCapacity = "capacity" // Plan.Profile of a capacity plan

	DefaultCapacityPrecision = 0.05 // capacity.precision default: 5 %
	MinCapacityPrecision     = 0.01 // lowest capacity.precision: 1 % (rates are searched to 3 significant digits)
	MaxCapacityPrecision     = 0.5  // highest capacity.precision: 50 %
	DefaultCapacityGrowth    = 2.0  // capacity.growth default: each step doubles the rate until one fails
	MaxCapacityGrowth        = 10.0 // highest capacity.growth
)

// Capacity is a plan's capacity search (key capacity; run by `ccgw
// capacity`): steps at constant rates, growing geometrically from Start
// until a step fails or Max is reached, then bisecting between the last
// passing and the first failing rate until they are within Precision, and
// one more step at the answer to confirm it. A capacity plan has no rate
// shape of its own (rate, stages, sine, concurrency, duration).
type Capacity struct {
	Start     float64       // key start: the first step's rate, requests/s
	Max       float64       // key max: the highest rate a step may run, requests/s (at least start)
	Step      time.Duration // key step: how long each step runs
	Precision float64       // key precision: bisect until the failing rate is at most this ratio above the passing one ("5%" or 0.05); default DefaultCapacityPrecision
	Growth    float64       // key growth: the factor between two growing steps (above 1); default DefaultCapacityGrowth
}

// capacity reads a plan's capacity: block.
func (p *parser) capacity(n *yaml.Node, path string) *Capacity {
	m, ok := p.mapping(n, path, capacityKeys)
	if !ok {
		return nil
	}
	c := &Capacity{Precision: DefaultCapacityPrecision, Growth: DefaultCapacityGrowth}
	for _, k := range []string{"start", "max", "step"} {
		if _, ok := m.get(k); !ok {
			p.errf(m.node, path, "missing key %q (want {start, max, step, precision}, e.g. {start: 100, max: 3000, step: 30s, precision: \"5%%\"})", k)
		}
	}
	if e, ok := m.get("start"); ok {
		c.Start, _ = p.rate(e.val, join(path, "start"))
	}
	if e, ok := m.get("max"); ok {
		if v, ok := p.rate(e.val, join(path, "max")); ok {
			if c.Start > 0 && v < c.Start {
				p.errf(e.val, join(path, "max"), "max %g is below start %g: the search runs from start up to max", v, c.Start)
			} else {
				c.Max = v
			}
		}
	}
	if e, ok := m.get("step"); ok {
		c.Step, _ = p.planDuration(e.val, join(path, "step"), false)
	}
	if e, ok := m.get("precision"); ok {
		if v, ok := p.fraction(e.val, join(path, "precision")); ok {
			if v < MinCapacityPrecision || v > MaxCapacityPrecision {
				p.errf(e.val, join(path, "precision"), "precision %s is out of range: want %g%% to %g%% (e.g. \"5%%\")",
					quote(deref(e.val).Value), MinCapacityPrecision*100, MaxCapacityPrecision*100)
			} else {
				c.Precision = v
			}
		}
	}
	if e, ok := m.get("growth"); ok {
		if v, ok := p.number(e.val, join(path, "growth")); ok {
			if v <= 1 || v > MaxCapacityGrowth {
				p.errf(e.val, join(path, "growth"), "growth %s is out of range: want a factor above 1 and at most %g (e.g. 2: each step doubles the rate)",
					quote(deref(e.val).Value), MaxCapacityGrowth)
			} else {
				c.Growth = v
			}
		}
	}
	return c
}
