package config

import (
	"os"
	"strings"
	"testing"
	"time"
)

// FuzzParse: no input makes Parse (or resolving what it accepts) panic,
// every error message is one line starting with the file name, and the mock
// accepts every mock.faults that Parse accepts. Seeds:
// testdata/fuzz/FuzzParse (the repo's targets.yaml among them) and the
// documents below.
func FuzzParse(f *testing.F) {
	for _, path := range []string{repoTargets, "testdata/full.yaml", "testdata/csv.yaml", "testdata/bad_csv.yaml"} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("targets: {m: {mock: {}}}\nplans: {p: {agents: 1, stages: [{rate: 1, duration: 1s, ramp: 1s}]}}\n"))
	f.Add([]byte("targets:\n  a: &t {mock: {faults: {retcode_rate: \"1%\"}}, agents: {ids: [1001, \"1002-1010\"]}}\n  b: *t\n"))
	f.Add([]byte("targets: {m: {mock: {faults: {latency_dist: exponential, latency_mean: 1ms, retcode: \"000-003\", http_status: 599}}}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.yaml"
		file, err := Parse(name, data)
		if err != nil {
			if file != nil {
				t.Errorf("Parse returned a File with an error")
			}
			for _, msg := range errLines(err) {
				if !strings.HasPrefix(msg, name+":") || strings.ContainsAny(msg, "\n\r") {
					t.Fatalf("bad error message %q", msg)
				}
			}
			return
		}
		// What Parse accepts must resolve without panicking. The targets'
		// files (agents.file, tls.ca_file) resolve relative to this
		// package's directory; errors there are fine.
		for _, n := range file.TargetNames() {
			tg, err := file.Target(n)
			if err != nil {
				for _, msg := range errLines(err) {
					if !strings.HasPrefix(msg, name+":") || strings.ContainsAny(msg, "\n\r") {
						t.Fatalf("bad error message %q", msg)
					}
				}
				continue
			}
			if _, err := tg.AgentList(0); err != nil {
				t.Errorf("AgentList(0) of resolved target %s: %v", n, err)
			}
			if tg.Mock != nil {
				if err := tg.Mock.Faults.Validate(); err != nil {
					t.Errorf("target %s: Parse accepted faults the mock refuses: %v", n, err)
				}
			}
		}
		for _, n := range file.PlanNames() {
			p, err := file.Plan(n)
			if err != nil {
				t.Fatal(err)
			}
			if p.Total() <= 0 || p.Total() > MaxPlanDuration || p.Agents < 1 {
				t.Errorf("plan %s accepted with Total %v agents %d", n, p.Total(), p.Agents)
			}
			for _, at := range []float64{0, 0.25, 0.5, 0.99} {
				if r := p.RateAt(fracOf(p, at)); r < 0 || r != r {
					t.Errorf("plan %s RateAt = %v", n, r)
				}
			}
			file.SLOFor(p)
		}
	})
}

// fracOf is the point frac of the way through p.
func fracOf(p *Plan, frac float64) time.Duration { return time.Duration(float64(p.Total()) * frac) }
