package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"ccgw-harness/internal/errext"
	"ccgw-harness/reports"
	"ccgw-harness/reports/render"
	"ccgw-harness/results"
	"ccgw-harness/slo"
)

// parseSLOFlag reads --slo KEY=DURATION into extra.
func parseSLOFlag(extra map[string]time.Duration) func(string) error {
	return func(v string) error {
		k, d, ok := strings.Cut(v, "=")
		if !ok {
			return fmt.Errorf("want KEY=DURATION, e.g. p99.9=800ms, ready_p99=5s or calls.signin.p99=2s")
		}
		k = strings.TrimSpace(k)
		if _, _, _, err := slo.SplitBoundKey(k); err != nil {
			return err
		}
		dur, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil || dur <= 0 {
			return fmt.Errorf("%q: want a positive duration, e.g. 800ms", d)
		}
		extra[k] = dur
		return nil
	}
}

// parseCallErrorRateFlag reads --slo-call-error-rate CALL=RATIO into rates.
func parseCallErrorRateFlag(rates map[string]float64) func(string) error {
	return func(v string) error {
		call, r, ok := strings.Cut(v, "=")
		if !ok || !slo.IsGatedCall(strings.TrimSpace(call)) {
			return fmt.Errorf("want CALL=RATIO with CALL one of %s, e.g. signin=0.01", strings.Join(slo.GatedCalls(), ", "))
		}
		x, err := strconv.ParseFloat(strings.TrimSpace(r), 64)
		if err != nil || !(x >= 0 && x <= 1) {
			return fmt.Errorf("%q: want a ratio from 0 to 1, e.g. 0.01", r)
		}
		rates[strings.TrimSpace(call)] = x
		return nil
	}
}

// reportFlags is the parsed command line of `ccgw report`.
type reportFlags struct {
	out, metaPath, target, plan *string
	reqRate, errRate, minRatio  *float64
	lateRatio                   *float64
	quiet, fromPlanned          *bool
	saturation                  *bool
	maxCV                       *int
	latency                     map[string]*time.Duration
	extra                       map[string]time.Duration
	callErrors                  map[string]float64
	allowMissing                *bool
}

// newReportFlags returns the flag set of `ccgw report` and the flags it
// parses into; its errors and -h go to stderr.
func newReportFlags(stderr io.Writer) (*flag.FlagSet, *reportFlags) {
	fset := flag.NewFlagSet("ccgw report", flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.Usage = func() { printUsage(fset.Output(), fset, "report") } // to the flag set's output
	rf := &reportFlags{latency: map[string]*time.Duration{}, extra: map[string]time.Duration{}, callErrors: map[string]float64{}}
	rf.out = fset.String("out", "", "directory for the reports (default: the first FILE's directory)")
	rf.metaPath = fset.String("meta", "", "run metadata file (default: meta.json beside the first FILE, if present)")
	rf.target = fset.String("target", "", "target name for the report (overrides meta.json)")
	rf.plan = fset.String("plan", "", "plan name for the report (overrides meta.json)")
	rf.reqRate = fset.Float64("rate", 0, "requested rate in req/s, for the rate ratio and saturation check (overrides meta.json)")
	rf.quiet = fset.Bool("quiet", false, "do not print the summary")
	rf.fromPlanned = fset.Bool("latency-from-planned", false, "count latency from each request's planned send time (lag + response time), as ccgw capacity does (default: as meta.json says)")
	for _, k := range []string{"p50", "p90", "p95", "p99", "p999", "max", "mean"} {
		rf.latency[k] = fset.Duration("slo-"+k, 0, "gate: highest allowed "+k+" latency, e.g. 500ms")
	}
	fset.Func("slo", "gate: `KEY=DURATION` for any latency key (pNN, pNN.N, mean, max), time to ready (ready_p99) or a call's (calls.signin.p99); repeatable", parseSLOFlag(rf.extra))
	fset.Func("slo-call-error-rate", "gate: `CALL=RATIO`, the highest allowed error rate of one call (signin, forcelogin, logininfo, poll, logout, updateguid); repeatable", parseCallErrorRateFlag(rf.callErrors))
	rf.errRate = fset.Float64("slo-error-rate", 0, "gate: highest allowed error rate (0..1), e.g. 0.01")
	rf.minRatio = fset.Float64("slo-min-rate-ratio", 0, "gate: lowest allowed achieved/requested rate ratio, e.g. 0.98")
	rf.maxCV = fset.Int("slo-max-contract-violations", 0, "gate: highest allowed number of contract violations (default gate: 0)")
	rf.lateRatio = fset.Float64("slo-max-late-ratio", 0, "saturation: highest allowed share of late requests (default 0.01)")
	rf.saturation = fset.Bool("slo-saturation", true, "gate on generator saturation")
	rf.allowMissing = fset.Bool("allow-missing-shards", false, "merge the shards there are when some of the run's are missing (a warning, the report marked partial) instead of refusing")
	return fset, rf
}

// runReport is `ccgw report`: exitOK when every SLO gate passes,
// exitGateFailed on a breach, exitHarness on a bad flag or unreadable file.
func runReport(args []string, stdout, stderr io.Writer) error {
	fset, rf := newReportFlags(stderr)
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errext.WithExitCode(nil, exitHarness) // flag printed the message naming the flag, and the usage
	}
	files := fset.Args()
	if len(files) == 0 {
		var usage strings.Builder
		fset.SetOutput(&usage)
		fset.Usage()
		return fmt.Errorf("no run DIR or results FILE given\n%s", strings.TrimSuffix(usage.String(), "\n"))
	}
	for _, f := range files {
		if strings.HasPrefix(f, "-") && f != "-" {
			//lint:ignore ST1005 the message ccgw report has always printed (FILE... as in its usage)
			return fmt.Errorf("flag %s after the files: put flags before FILE...", f)
		}
	}
	set := map[string]bool{}
	fset.Visit(func(f *flag.Flag) { set[f.Name] = true })

	files, err := results.ExpandResults(files)
	if err != nil {
		return err
	}
	shards, err := results.FindShards(files)
	if err != nil {
		return err
	}
	notWhole := "" // a run that is not whole: exit 2 once the reports are written

	// Run metadata.
	var meta results.Meta
	mp := *rf.metaPath
	if shards != nil {
		if mp != "" {
			return errors.New("--meta: not with the shards of a distributed run (their meta.json files are merged)")
		}
		if meta, notWhole, err = reports.MergeShardRun(shards, *rf.allowMissing); err != nil {
			return err
		}
	} else if mp == "" {
		mp = filepath.Join(filepath.Dir(files[0]), results.MetaFile)
		if _, err := os.Stat(mp); errors.Is(err, fs.ErrNotExist) {
			mp = ""
		}
	}
	if mp != "" {
		if meta, err = results.ReadMeta(mp); err != nil {
			return fmt.Errorf("--meta: %v", err)
		}
	}
	if set["target"] {
		meta.Target = *rf.target
	}
	if set["plan"] {
		meta.Plan = *rf.plan
	}
	if set["rate"] {
		if *rf.reqRate < 0 {
			return fmt.Errorf("--rate %g: want a rate >= 0", *rf.reqRate)
		}
		meta.RequestedRate = *rf.reqRate
	}
	objs, err := rf.objectives(meta.SLO, set)
	if err != nil {
		return err
	}

	if set["latency-from-planned"] {
		meta.LatencyFromPlanned = *rf.fromPlanned
	}
	a := reports.NewAggregator(reports.WithLatencyFromPlanned(meta.LatencyFromPlanned))
	var n int
	var partial bool
	if shards != nil {
		n, partial, err = reports.ReadShards(a, &meta, shards)
	} else {
		n, partial, err = results.ReadFiles(a, files...)
	}
	if err != nil {
		return err
	}
	if partial {
		fmt.Fprintf(stderr, "ccgw report: warning: a results file was truncated; read %d whole results\n", n)
	}
	r := a.Report(meta, objs)
	if w := reports.KilledWarning(r, meta); w != "" && !partial {
		fmt.Fprintf(stderr, "ccgw report: warning: %s\n", w)
		meta.Warnings = append(append([]string{}, meta.Warnings...), w)
		a.MarkPartial()
		r = a.Report(meta, objs)
	}

	dir := *rf.out
	if dir == "" {
		dir = filepath.Dir(files[0])
	}
	if shards != nil {
		if dir, err = reports.MergedDir(*rf.out, shards); err != nil {
			return fmt.Errorf("--out: %v", err)
		}
	}
	if err := render.WriteRun(dir, r, a); err != nil {
		return fmt.Errorf("--out %s: %v", dir, err)
	}
	if !*rf.quiet {
		if err := render.RunText(stdout, r); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "ccgw report: %d results; reports in %s\n", n, dir)
	if r.Shards != nil {
		fmt.Fprintf(stderr, "ccgw report: merged %d shards of run %s; their first measured sends span %s\n", len(r.Shards.List), r.RunID, r.Shards.StartSkew().Round(time.Millisecond))
	}
	if notWhole != "" {
		fmt.Fprintf(stderr, "ccgw report: %s\n", notWhole)
		return errors.New("not a whole run: exit 2 (the reports were written)")
	}
	if !r.Pass {
		return errext.WithExitCode(nil, exitGateFailed)
	}
	return nil
}

// objectives are the objectives the run is judged by: those it recorded,
// every key an SLO flag sets (set) taking precedence.
func (rf *reportFlags) objectives(recorded *slo.Objectives, set map[string]bool) (slo.Objectives, error) {
	var flags slo.Objectives
	for k, d := range rf.latency {
		if set["slo-"+k] {
			if *d <= 0 {
				return slo.Objectives{}, fmt.Errorf("--slo-%s %s: want a positive duration", k, *d)
			}
			_ = flags.SetBound(k, *d)
		}
	}
	for k, d := range rf.extra {
		_ = flags.SetBound(k, d) // checked while parsing
	}
	for call, r := range rf.callErrors {
		_ = flags.SetCallErrorRate(call, r) // checked while parsing
	}
	if set["slo-error-rate"] {
		flags.ErrorRate = rf.errRate
	}
	if set["slo-min-rate-ratio"] {
		flags.MinRateRatio = rf.minRatio
	}
	if set["slo-max-contract-violations"] {
		flags.MaxContractViolations = rf.maxCV
	}
	if set["slo-max-late-ratio"] {
		flags.MaxLateRatio = rf.lateRatio
	}
	if set["slo-saturation"] {
		flags.Saturation = rf.saturation
	}
	objs, err := slo.Reapply(recorded, flags)
	if oe := (*slo.OverrideError)(nil); errors.As(err, &oe) {
		return slo.Objectives{}, fmt.Errorf("the --slo flags: %v", oe.Err)
	}
	return objs, err
}
