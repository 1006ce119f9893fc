// Command genresults writes a deterministic vegeta gob results file shaped
// like a logininfo load run, for benchmarks (scripts/bench-report.sh).
//
//	go run ./scripts/genresults -n 1000000 -out out/bench/results-1000000.bin
package main

import (
	"flag"
	"fmt"
	"os"

	"ccgw-harness/reports/reportstest"
)

func main() {
	n := flag.Int("n", 1_000_000, "number of results")
	rate := flag.Float64("rate", 1000, "planned requests per second (send timestamps)")
	agents := flag.Int("agents", 1000, "number of agents")
	nodes := flag.Int("nodes", 3, "number of gateway nodes")
	seed := flag.Uint64("seed", 42, "random seed")
	out := flag.String("out", "", "output file (required)")
	flag.Parse()
	if *out == "" || *n <= 0 || *rate <= 0 || *agents <= 0 || *nodes <= 0 {
		fmt.Fprintln(os.Stderr, "genresults: -out FILE is required; -n, -rate, -agents and -nodes must be positive")
		flag.Usage()
		os.Exit(2)
	}
	s := reportstest.DefaultSpec(*n)
	s.Rate, s.Agents, s.Nodes, s.Seed = *rate, *agents, *nodes, *seed
	s.WorstAgent = s.FirstAgent + 12
	if err := s.WriteFile(*out); err != nil {
		fmt.Fprintln(os.Stderr, "genresults:", err)
		os.Exit(2)
	}
}
