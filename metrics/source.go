package metrics

import (
	"sort"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Source is what a running job tells its metrics at each scrape: the
// figures it keeps anyway (the pool's, the keep-alive's, the attack's), so
// that none of them costs anything between scrapes. A nil func reads as 0.
// Every func must be safe to call from any goroutine at any time until the
// source is detached.
type Source struct {
	// Agents is the number of agents of the plan.
	Agents int
	// PlannedRate is the rate the plan asks for now (requests/s).
	PlannedRate func() float64
	// AchievedRate is the completed responses per second lately.
	AchievedRate func() float64
	// InFlight is the number of requests sent and not answered yet.
	InFlight func() int64
	// SignedIn returns the agents with a valid session by gateway node (0:
	// none named).
	SignedIn func() map[int]int
	// The counts of the run so far (monotonic while attached): first
	// sign-ins finished and failed, re-sign-ins and their failures, Guid
	// rotations followed, event polls and failed polls.
	SignInAttempts, SignInFailures func() int64
	ReSignIns, ReSignInFailures    func() int64
	Rotations, Polls, PollFailures func() int64
}

// The counters of a Source, in the order of sources.counters.
const (
	cSignInAttempts = iota
	cSignInFailures
	cReSignIns
	cReSignInFailures
	cRotations
	cPolls
	cPollFailures
	nCounters
)

func (s *Source) counter(i int) func() int64 {
	switch i {
	case cSignInAttempts:
		return s.SignInAttempts
	case cSignInFailures:
		return s.SignInFailures
	case cReSignIns:
		return s.ReSignIns
	case cReSignInFailures:
		return s.ReSignInFailures
	case cRotations:
		return s.Rotations
	case cPolls:
		return s.Polls
	case cPollFailures:
		return s.PollFailures
	}
	return nil
}

// sources is the collector of the attached Sources: gauges sum over them,
// and counters add the final counts of detached ones, so they never go
// back when one run ends and the next begins.
type sources struct {
	limits *limits

	mu       sync.Mutex
	attached []*Source
	base     [nCounters]float64
	agents   int             // of the last detached source, while none is attached
	nodes    map[string]bool // node labels NameAgentsSignedIn has shown (kept at 0 once empty)

	counters                                     [nCounters]*prometheus.Desc
	agentsD, signedIn, planned, achieved, flight *prometheus.Desc
}

func newSources(l *limits, consts prometheus.Labels) *sources {
	s := &sources{limits: l, nodes: map[string]bool{}}
	help := [nCounters][2]string{
		cSignInAttempts:   {NameSignInAttempts, "Agents' first sign-ins finished, successful or not."},
		cSignInFailures:   {NameSignInFailures, "Agents' first sign-ins that failed."},
		cReSignIns:        {NameReSignIns, "Sessions re-established after the gateway lost them (100-006)."},
		cReSignInFailures: {NameReSignInFailures, "Re-sign-in attempts that failed."},
		cRotations:        {NameRotations, "Guid rotations followed (Set-GUID on an event poll)."},
		cPolls:            {NamePolls, "Event polls made by the keep-alive."},
		cPollFailures:     {NamePollFailures, "Event polls that failed."},
	}
	for i, h := range help {
		s.counters[i] = prometheus.NewDesc(h[0], h[1], nil, consts)
	}
	s.agentsD = prometheus.NewDesc(NameAgents, "Agents of the plan.", nil, consts)
	s.signedIn = prometheus.NewDesc(NameAgentsSignedIn, "Agents with a session believed valid, by gateway node.", []string{LabelNode}, consts)
	s.planned = prometheus.NewDesc(NamePlannedRate, "Rate the plan asks for now, requests per second (0 outside the measured attack).", nil, consts)
	s.achieved = prometheus.NewDesc(NameAchievedRate, "Completed responses per second over the last seconds.", nil, consts)
	s.flight = prometheus.NewDesc(NameInFlight, "The attack's requests sent and not answered yet.", nil, consts)
	return s
}

// Attach makes src part of m's figures until the returned detach is
// called (once the run has stopped changing them: detach reads the final
// counts). Several sources may be attached at once; their figures add up.
func (m *Metrics) Attach(src Source) (detach func()) {
	if m == nil {
		return func() {}
	}
	s := m.src
	p := &src
	s.mu.Lock()
	s.attached = append(s.attached, p)
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			for i := range nCounters {
				s.base[i] += float64(read(p.counter(i)))
			}
			for i, a := range s.attached {
				if a == p {
					s.attached = append(s.attached[:i], s.attached[i+1:]...)
					break
				}
			}
			if len(s.attached) == 0 {
				s.agents = p.Agents
			}
		})
	}
}

func read(f func() int64) int64 {
	if f == nil {
		return 0
	}
	return max(f(), 0)
}

func readF(f func() float64) float64 {
	if f == nil {
		return 0
	}
	return f()
}

// Describe implements prometheus.Collector.
func (s *sources) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range s.counters {
		ch <- d
	}
	for _, d := range []*prometheus.Desc{s.agentsD, s.signedIn, s.planned, s.achieved, s.flight} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (s *sources) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, d := range s.counters {
		v := s.base[i]
		for _, a := range s.attached {
			v += float64(read(a.counter(i)))
		}
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	agents, planned, achieved, flight := 0, 0.0, 0.0, int64(0)
	byNode := map[string]int{}
	for _, a := range s.attached {
		agents += a.Agents
		planned += readF(a.PlannedRate)
		achieved += readF(a.AchievedRate)
		flight += read(a.InFlight)
		if a.SignedIn != nil {
			for n, c := range a.SignedIn() {
				byNode[s.limits.node(n)] += c
			}
		}
	}
	if len(s.attached) == 0 {
		agents = s.agents
	}
	ch <- prometheus.MustNewConstMetric(s.agentsD, prometheus.GaugeValue, float64(agents))
	ch <- prometheus.MustNewConstMetric(s.planned, prometheus.GaugeValue, planned)
	ch <- prometheus.MustNewConstMetric(s.achieved, prometheus.GaugeValue, achieved)
	ch <- prometheus.MustNewConstMetric(s.flight, prometheus.GaugeValue, float64(flight))
	for n := range byNode {
		s.nodes[n] = true
	}
	if len(s.nodes) == 0 {
		s.nodes[s.limits.node(0)] = true
	}
	nodes := make([]string, 0, len(s.nodes))
	for n := range s.nodes {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	for _, n := range nodes {
		ch <- prometheus.MustNewConstMetric(s.signedIn, prometheus.GaugeValue, float64(byNode[n]), n)
	}
}
