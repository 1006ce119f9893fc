package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"ccgw-harness/internal/errext"
	"ccgw-harness/reports"
	"ccgw-harness/reports/render"
)

// Compare output formats.
var compareFormats = map[string]func(io.Writer, *reports.Comparison) error{
	"text":     render.ComparisonText,
	"md":       render.ComparisonMarkdown,
	"markdown": render.ComparisonMarkdown,
	"json":     render.ComparisonJSON,
}

// pctFlag is a flag holding a fraction, written as a percentage: "10%" is
// 0.10. hi bounds it, in percent.
type pctFlag struct {
	v  *float64
	hi float64
}

func (p pctFlag) String() string {
	if p.v == nil {
		return ""
	}
	return strconv.FormatFloat(*p.v*100, 'f', -1, 64) + "%"
}

func (p pctFlag) Set(s string) error {
	num, ok := strings.CutSuffix(strings.TrimSpace(s), "%")
	bad := fmt.Errorf("want a percentage from 0%% to %g%%, such as 10%% or 0.5%%", p.hi)
	if !ok && num != "0" {
		return bad
	}
	x, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsNaN(x) || x < 0 || x > p.hi {
		return bad
	}
	*p.v = x / 100
	return nil
}

// newCompareFlags returns the flag set of `ccgw compare`, parsing the
// thresholds into th; it prints nothing (errors are reported once, by the
// caller, naming the flag).
func newCompareFlags(th *reports.Thresholds) (fset *flag.FlagSet, format, out *string) {
	fset = flag.NewFlagSet("ccgw compare", flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	format = fset.String("format", "text", "output `FORMAT`: text, md (Markdown) or json")
	out = fset.String("out", "", "also write compare.txt, compare.json, compare.md and compare-junit.xml into `DIR`")
	fset.Var(pctFlag{&th.MaxLatencyRegression, 1000}, "max-latency-regression",
		"gate: largest allowed relative increase of p50, p90, p95, p99 and p99.9, a `PERCENT`")
	fset.DurationVar(&th.MinLatencyDelta, "min-latency-delta", th.MinLatencyDelta,
		"gate: a latency increase must also exceed this `DURATION` to count as a regression")
	fset.Var(pctFlag{&th.MaxErrorRateIncrease, 100}, "max-error-rate-increase",
		"gate: largest allowed increase of the error rate in percentage points, a `PERCENT`")
	fset.Var(pctFlag{&th.MaxThroughputDrop, 100}, "max-throughput-drop",
		"gate: largest allowed relative drop of throughput, a `PERCENT`")
	fset.BoolVar(&th.NoGates, "no-gates", false, "report only: no gate fails the comparison")
	fset.BoolVar(&th.Strict, "strict", false, "fail when the runs are not comparable (plan, profile, rate, connections, protocol)")
	return fset, format, out
}

// runCompare is `ccgw compare`: exitOK when no gate regressed,
// exitGateFailed on a regression (or non-comparable runs under --strict),
// exitHarness on a bad flag or an unreadable or wrong input.
func runCompare(args []string, stdout, stderr io.Writer) error {
	th := reports.DefaultThresholds()
	fset, format, out := newCompareFlags(&th)
	const seeHelp = "\nRun 'ccgw compare -h' for the flags."

	// Flags may come before, between or after BASELINE and CURRENT.
	var pos []string
	rest := args
	for {
		if err := fset.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				printUsage(stderr, fset, "compare")
				return nil
			}
			//lint:ignore ST1005 the message ccgw compare has always printed, a hint line after it
			return fmt.Errorf("%v"+seeHelp, err)
		}
		left := fset.Args()
		if consumed := len(rest) - len(left); consumed > 0 && rest[consumed-1] == "--" {
			pos = append(pos, left...)
			break
		}
		if len(left) == 0 {
			break
		}
		pos, rest = append(pos, left[0]), left[1:]
	}
	if len(pos) != 2 {
		//lint:ignore ST1005 the message ccgw compare has always printed, a hint line after it
		return fmt.Errorf("want BASELINE and CURRENT (two run directories or report.json files), got %d argument(s)"+seeHelp, len(pos))
	}
	write, ok := compareFormats[*format]
	if !ok {
		return fmt.Errorf("--format %q: want text, md or json", *format)
	}
	if th.MinLatencyDelta < 0 {
		return fmt.Errorf("--min-latency-delta %s: want a duration >= 0, such as 1ms", th.MinLatencyDelta)
	}
	if err := th.Validate(); err != nil {
		return err
	}

	var rs [2]*reports.Report
	var paths [2]string
	for i, role := range []string{"baseline", "current"} {
		r, p, err := reports.ReadReportFile(pos[i])
		if err != nil {
			return fmt.Errorf("%s %v", role, err)
		}
		rs[i], paths[i] = r, p
	}
	c := reports.Compare(rs[0], rs[1], th)
	c.Baseline.Source, c.Current.Source = paths[0], paths[1]

	if !c.Comparable {
		fmt.Fprintf(stderr, "ccgw compare: warning: the runs are not comparable: %s\n", strings.Join(c.Mismatches, "; "))
	}
	if err := write(stdout, c); err != nil {
		return err
	}
	if *out != "" {
		if err := render.WriteComparison(*out, c); err != nil {
			return fmt.Errorf("--out %s: %v", *out, err)
		}
		fmt.Fprintf(stderr, "ccgw compare: wrote %s, %s, %s and %s into %s\n", reports.CompareTextFile,
			reports.CompareJSONFile, reports.CompareMarkdownFile, reports.CompareJUnitFile, *out)
	}
	if !c.Pass {
		return errext.WithExitCode(nil, exitGateFailed)
	}
	return nil
}
