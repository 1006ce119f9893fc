package render

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"ccgw-harness/gateway"
	"ccgw-harness/internal/human"
	"ccgw-harness/reports"
	"ccgw-harness/results"
)

// The view of a run's Report: its sections, the per-call and journey
// parts, the parts of a distributed run, and report.html's cards and
// charts.

// runView is a run's Report as summary.txt, report.md and report.html show
// it.
func runView(r *reports.Report) view {
	v := view{title: fmt.Sprintf("ccgw load report: target %s, plan %s", orDash(r.Target), orDash(r.Plan)),
		state: human.YesNo(r.Pass, "pass", "fail")}
	v.alerts = alerts(r)
	v.sections = []section{overview(r)}
	if hasJourneys(r) {
		v.sections = append(v.sections, journeySection(r), journeyFailSection(r))
	}
	v.sections = append(v.sections, callSection(r),
		latencySection(r), statusSection(r), retcodeSection(r), classSection(r),
		errorSection(r), contractSection(r), agentSection(r), nodeSection(r), saturationSection(r), sloSection(r),
	)
	v.sections = withShardSection(v.sections, r)
	v.verdict = verdictLine(r)
	v.cards = runCards(r)
	v.charts = append(charts(r), journeyCharts(r)...)
	return v
}

// runCards are the figures at the top of report.html.
func runCards(r *reports.Report) []card {
	cs := []card{
		{"requests", u(r.Requests)},
		{"error rate", human.Pct(r.ErrorRate)},
		{"achieved rate", human.Rate(r.Rate.Achieved)},
		{"p50", human.MS(r.LatencyMS.P50)},
		{"p99", human.MS(r.LatencyMS.P99)},
		{"p99.9", human.MS(r.LatencyMS.P999)},
		{"max", human.MS(r.LatencyMS.Max)},
		{"contract violations", u(r.ContractViolations)},
	}
	if hasJourneys(r) {
		cs = append(cs,
			card{"journeys started", u(r.Journeys.Started)},
			card{"journeys failed", u(r.Journeys.Failed)},
			card{"ready p50", human.MS(r.Journeys.ReadyMS.P50)},
			card{"ready p99", human.MS(r.Journeys.ReadyMS.P99)})
	}
	return cs
}

func alerts(r *reports.Report) []alert {
	var as []alert
	if r.Saturation.Saturated && r.LatencyFromPlanned {
		as = append(as, alert{"GENERATOR BEHIND SCHEDULE",
			"GENERATOR BEHIND SCHEDULE: the generator could not keep the schedule (" + r.Saturation.Reason +
				"). Latencies here count from each request's planned send time, so they include that lag: " +
				"a slow gateway cannot hide behind it, but the lag may be the generator's, not the gateway's."})
	} else if r.Saturation.Saturated {
		as = append(as, alert{"LATENCIES UNDERSTATED",
			"LATENCIES UNDERSTATED: the generator could not keep the schedule (" + r.Saturation.Reason +
				"). Requests waited in the generator, so measured latencies are lower than users would see " +
				"(coordinated omission). Lower the rate or add connections or generators, and run again."})
	}
	if r.Requests == 0 {
		as = append(as, alert{"NO RESULTS", "NO RESULTS: nothing was measured."})
	}
	as = append(as, shardAlerts(r)...)
	if r.Interrupted {
		as = append(as, alert{"INTERRUPTED", "INTERRUPTED: the run was stopped before its planned end."})
	}
	for _, w := range r.Warnings {
		as = append(as, alert{"WARNING", "WARNING: " + w})
	}
	return as
}

func overview(r *reports.Report) section {
	t := &table{head: []string{"what", "value"}}
	add := func(k, v string) { t.rows = append(t.rows, []string{k, v}) }
	add("target / plan", orDash(r.Target)+" / "+orDash(r.Plan))
	shardOverview(r, add)
	if r.Profile != "" {
		add("profile", r.Profile)
	}
	if r.PlannedDurationS > 0 {
		add("planned duration", strconv.FormatFloat(r.PlannedDurationS, 'f', -1, 64)+" s")
	}
	if r.Agents > 0 || r.AgentsFailed > 0 {
		add("agents", fmt.Sprintf("%d (%d failed to sign in, %d re-sign-ins)%s", r.Agents, r.AgentsFailed, r.ReSignIns,
			human.YesNo(r.NoPassword, ", signing in with an empty password (agents without one)", "")))
	}
	if r.Connections > 0 {
		add("connections", fmt.Sprintf("%d, %s, TLS %s", r.Connections, human.YesNo(r.HTTP2, "HTTP/2", "HTTP/1.1"),
			human.YesNo(r.TLSVerify, "verified", "NOT verified")))
	}
	add("started", fmtTime(r.Earliest))
	add("duration", fmt.Sprintf("%.3f s (first send to last response)", r.DurationS))
	add(human.YesNo(hasJourneys(r), "logininfo requests", "requests"), fmt.Sprintf("%d: %d ok, %d errors (error rate %s)", r.Requests, r.Success, r.Requests-r.Success, human.Pct(r.ErrorRate)))
	rr := "requested " + human.YesNo(r.Rate.Requested > 0, human.Rate(r.Rate.Requested), "-") + ", achieved " + human.Rate(r.Rate.Achieved)
	if p := r.Saturation.RateRatio; p != nil && !hasJourneys(r) {
		rr += " (" + human.Pct(*p) + " of requested)"
	}
	add("rate", rr)
	add("throughput", human.Rate(r.Throughput)+" successful")
	if r.Partial {
		add("results", "PARTIAL: a results file was truncated")
	}
	return section{id: "overview", title: "Run", table: t}
}

func latencySection(r *reports.Report) section {
	l := r.LatencyMS
	t := &table{head: []string{"min", "mean", "p50", "p90", "p95", "p99", "p99.9", "max"},
		right: []bool{true, true, true, true, true, true, true, true}}
	t.rows = [][]string{{human.MS(l.Min), human.MS(l.Mean), human.MS(l.P50), human.MS(l.P90), human.MS(l.P95), human.MS(l.P99), human.MS(l.P999), human.MS(l.Max)}}
	lines := []string{fmt.Sprintf("Percentiles: %s; %d results. Min, mean and max are exact.", reports.HistogramNote, r.Requests)}
	if r.LatencyFromPlanned {
		lines = append(lines, "Measured from each request's planned send time: its lag behind the schedule plus its response time (no coordinated omission).")
	}
	return section{id: "latency", title: "Latency", lines: lines, table: t}
}

func statusSection(r *reports.Report) section {
	t := &table{head: []string{"HTTP status", "count", "share"}, right: []bool{false, true, true}}
	codes := make([]string, 0, len(r.StatusCodes))
	for c := range r.StatusCodes {
		codes = append(codes, c)
	}
	slices.SortFunc(codes, func(a, b string) int {
		x, errA := strconv.Atoi(a)
		y, errB := strconv.Atoi(b)
		if errA != nil || errB != nil {
			return strings.Compare(a, b)
		}
		return x - y
	})
	for _, c := range codes {
		name := c
		if c == "0" {
			name = "0 (no HTTP answer)"
		}
		t.rows = append(t.rows, []string{name, u(r.StatusCodes[c]), share(r.StatusCodes[c], r.Requests)})
	}
	return section{id: "status", title: "HTTP status codes", table: t}
}

func retcodeSection(r *reports.Report) section {
	t := &table{head: []string{"retcode", "count", "share", "meaning"}, right: []bool{false, true, true, false}}
	for _, c := range human.ByCount(r.Retcodes) {
		t.rows = append(t.rows, []string{c, u(r.Retcodes[c]), share(r.Retcodes[c], r.Requests), retcodeMeaning(c)})
	}
	s := section{id: "retcodes", title: "Retcodes", table: t}
	var total uint64
	for _, n := range r.Retcodes {
		total += n
	}
	if total < r.Requests {
		s.lines = []string{fmt.Sprintf("%d results carried no envelope (transport, timeout, HTTP or envelope errors).", r.Requests-total)}
	}
	return s
}

func classSection(r *reports.Report) section {
	t := &table{head: []string{"outcome class", "count", "share"}, right: []bool{false, true, true}}
	for _, c := range human.ByCount(r.Classes) {
		t.rows = append(t.rows, []string{c, u(r.Classes[c]), share(r.Classes[c], r.Requests)})
	}
	return section{id: "classes", title: "Outcomes by class", table: t}
}

func errorSection(r *reports.Report) section {
	s := section{id: "errors", title: "Errors by kind"}
	if len(r.Errors) == 0 {
		s.lines = []string{"No errors."}
		return s
	}
	t := &table{head: []string{"error", "count", "share"}, right: []bool{false, true, true}}
	for _, k := range human.ByCount(r.Errors) {
		t.rows = append(t.rows, []string{k, u(r.Errors[k]), share(r.Errors[k], r.Requests)})
	}
	s.table = t
	return s
}

func contractSection(r *reports.Report) section {
	s := section{id: "contract", title: "Contract violations"}
	if r.ContractViolations == 0 {
		s.lines = []string{"Contract violations: 0."}
		return s
	}
	s.lines = []string{fmt.Sprintf("Contract violations: %d (retcode 0 answers that break the contract).", r.ContractViolations)}
	t := &table{head: []string{"violation", "count"}, right: []bool{false, true}}
	for _, k := range human.ByCount(r.Violations) {
		t.rows = append(t.rows, []string{k, u(r.Violations[k])})
	}
	s.table = t
	return s
}

func agentSection(r *reports.Report) section {
	s := section{id: "agents", title: "Worst agents",
		lines: []string{fmt.Sprintf("By error rate, then p99, of %d agents (per-agent p99 within 10 %%).", r.AgentsSeen)}}
	if len(r.WorstAgents) == 0 {
		s.lines = []string{"No agent IDs in the results."}
		return s
	}
	t := &table{head: []string{"agent", "requests", "errors", "error rate", "p99"}, right: []bool{false, true, true, true, true}}
	for _, a := range r.WorstAgents {
		t.rows = append(t.rows, []string{a.Agent, u(a.Requests), u(a.Errors), human.Pct(a.ErrorRate), human.MS(a.P99MS)})
	}
	s.table = t
	return s
}

func nodeSection(r *reports.Report) section {
	s := section{id: "nodes", title: "Gateway nodes"}
	t := &table{head: []string{"node", "requests", "errors", "error rate", "p50", "p99"}, right: []bool{false, true, true, true, true, true}}
	for _, n := range r.Nodes {
		t.rows = append(t.rows, []string{n.Node, u(n.Requests), u(n.Errors), human.Pct(n.ErrorRate), human.MS(n.P50MS), human.MS(n.P99MS)})
	}
	s.table = t
	return s
}

func saturationSection(r *reports.Report) section {
	sat := r.Saturation
	line := fmt.Sprintf("Schedule: %d of %d requests sent more than %s late (%s); max lag %s; %d results carried a lag.",
		sat.LateRequests, r.Requests, human.MS(sat.LateThresholdMS), human.Pct(sat.LateRatio), human.MS(sat.MaxLagMS), sat.LagSamples)
	if hasJourneys(r) {
		line = fmt.Sprintf("Schedule: %d of %d journeys started more than %s after their planned arrival (%s); max lag %s.",
			sat.LateRequests, r.Journeys.Started, human.MS(sat.LateThresholdMS), human.Pct(sat.LateRatio), human.MS(sat.MaxLagMS))
	}
	if sat.RateRatio != nil {
		line += fmt.Sprintf(" Achieved/requested rate: %.4f.", *sat.RateRatio)
	}
	state := "The generator kept its schedule."
	if sat.Saturated {
		state = "SATURATED: " + sat.Reason + "."
	}
	return section{id: "saturation", title: "Generator saturation", lines: []string{line, state}}
}

func sloSection(r *reports.Report) section {
	t := &table{head: []string{"gate", "threshold", "actual", "result", "detail"}, right: []bool{false, true, true, false, false}}
	for _, g := range r.SLO {
		th := g.Op + " " + gateValue(g, g.Threshold)
		if g.Unit == "bool" {
			th = gateValue(g, g.Threshold)
		}
		actual, result := gateValue(g, g.Actual), human.YesNo(g.Pass, "pass", "FAIL")
		if g.Skipped {
			actual, result = "-", "skipped"
		}
		t.rows = append(t.rows, []string{g.Name, th, actual, result, g.Detail})
	}
	return section{id: "slo", title: "SLO gates", table: t, first: true}
}

func verdictLine(r *reports.Report) string {
	var failed []string
	for _, g := range r.SLO {
		if !g.Pass {
			failed = append(failed, g.Name)
		}
	}
	if r.Pass {
		return fmt.Sprintf("PASS: all %d SLO gates hold", len(r.SLO))
	}
	return fmt.Sprintf("FAIL: %d of %d SLO gates breached (%s)", len(failed), len(r.SLO), strings.Join(failed, ", "))
}

// orderedCalls returns the calls of r in gateway.Calls order.
func orderedCalls(r *reports.Report) []string {
	var out []string
	for _, c := range gateway.Calls {
		if _, ok := r.Calls[c]; ok {
			out = append(out, c)
		}
	}
	return out
}

func callSection(r *reports.Report) section {
	s := section{id: "calls", title: "Calls",
		lines: []string{"Every call the run made, by call; the latency, status, retcode and error tables below are logininfo's. A poll's latency is how long the gateway held the long poll: about its poll wait when the agent had no event."}}
	t := &table{head: []string{"call", "requests", "errors", "error rate", "p50", "p90", "p99", "max", "retcodes"},
		right: []bool{false, true, true, true, true, true, true, true, false}}
	for _, name := range orderedCalls(r) {
		c := r.Calls[name]
		if c.Requests == 0 {
			t.rows = append(t.rows, []string{name, "0", "0", "-", "-", "-", "-", "-", "-"})
			continue
		}
		l := c.LatencyMS
		t.rows = append(t.rows, []string{name, u(c.Requests), u(c.Errors), human.Pct(c.ErrorRate),
			human.MS(l.P50), human.MS(l.P90), human.MS(l.P99), human.MS(l.Max), human.Counts(c.Retcodes)})
	}
	s.table = t
	return s
}

// hasJourneys reports whether r is a journey run.
func hasJourneys(r *reports.Report) bool { return r.Journeys.Planned > 0 || r.Journeys.Started > 0 }

func journeySection(r *reports.Report) section {
	j := r.Journeys
	s := section{id: "journeys", title: "Journeys (time to softphone-ready)"}
	repeat := "no repeat"
	if j.RepeatS > 0 {
		repeat = "logininfo again every " + strconv.FormatFloat(j.RepeatS, 'f', -1, 64) + " s"
	}
	s.lines = []string{
		fmt.Sprintf("%d planned, %d started, %d completed, %d failed, %d interrupted; hold %s s, %s.",
			j.Planned, j.Started, j.Completed, j.Failed, j.Interrupted, strconv.FormatFloat(j.HoldS, 'f', -1, 64), repeat),
		fmt.Sprintf("Journeys started per second: requested %s, achieved %s%s.", human.YesNo(j.Rate.Requested > 0, human.Rate(j.Rate.Requested), "-"), human.Rate(j.Rate.Achieved), ratioText(r.Saturation.RateRatio)),
		fmt.Sprintf("Time to softphone-ready (sign-in sent to first valid token) of the %d journeys that got a token:", j.Ready),
	}
	l := j.ReadyMS
	s.table = &table{head: []string{"min", "mean", "p50", "p90", "p95", "p99", "p99.9", "max"},
		right: []bool{true, true, true, true, true, true, true, true},
		rows:  [][]string{{human.MS(l.Min), human.MS(l.Mean), human.MS(l.P50), human.MS(l.P90), human.MS(l.P95), human.MS(l.P99), human.MS(l.P999), human.MS(l.Max)}}}
	if j.Ready == 0 {
		s.table = nil
		s.lines[2] = "No journey got a valid token."
	}
	return s
}

func journeyFailSection(r *reports.Report) section {
	s := section{id: "journey-failures", title: "Failed journeys by step"}
	if len(r.Journeys.FailedBy) == 0 {
		s.lines = []string{"No journey failed."}
		return s
	}
	t := &table{head: []string{"step and verdict", "journeys", "share of started"}, right: []bool{false, true, true}}
	for _, k := range human.ByCount(r.Journeys.FailedBy) {
		t.rows = append(t.rows, []string{k, u(r.Journeys.FailedBy[k]), share(r.Journeys.FailedBy[k], r.Journeys.Started)})
	}
	s.table = t
	return s
}

// ratioText is " (N% of requested)" for a known rate ratio.
func ratioText(p *float64) string {
	if p == nil {
		return ""
	}
	return " (" + human.Pct(*p) + " of requested)"
}

// shardAlerts are the loud lines of a run stopped early.
func shardAlerts(r *reports.Report) []alert {
	switch {
	case r.Aborted == "":
		return nil
	case r.AbortedBy == results.AbortedByRule:
		return []alert{{"ABORTED", "ABORTED by abort_when: " + r.Aborted}}
	case r.AbortedBy == results.AbortedByCoordinator:
		return []alert{{"ABORTED", "ABORTED: the shard lost its coordinator: " + r.Aborted}}
	}
	return []alert{{"ABORTED", "ABORTED: the run gave up before its measured attack: " + r.Aborted}}
}

// shardOverview adds the run table's rows of a distributed run.
func shardOverview(r *reports.Report, add func(k, v string)) {
	switch {
	case r.Shard != nil:
		add("shard", fmt.Sprintf("%d of %d (0-based) of run %s: %s of the plan (plan: %s requested, %d agents); this report is a diagnostic, the run's verdict is the merged report's",
			r.Shard.Index, r.Shard.Count, orDash(r.RunID), human.Pct(r.Shard.Share), human.YesNo(r.Shard.PlanRequestedRate > 0, human.Rate(r.Shard.PlanRequestedRate), "-"), r.Shard.PlanAgents))
	case r.Shards != nil:
		v := fmt.Sprintf("%d of %d shards of run %s merged into one verdict", len(r.Shards.List), r.Shards.Count, orDash(r.RunID))
		if len(r.Shards.Missing) > 0 {
			v += fmt.Sprintf("; missing: %s", human.Shards(r.Shards.Missing))
		}
		add("distributed", v)
	}
}

// withShardSection inserts the shards table of a merged report after the
// run table.
func withShardSection(ss []section, r *reports.Report) []section {
	if r.Shards == nil {
		return ss
	}
	t := &table{head: []string{"shard", "requests", "agents", "requested", "first send", "state", "results"},
		right: []bool{true, true, true, true, false, false, false}}
	for _, s := range r.Shards.List {
		state := "complete"
		switch {
		case s.Aborted != "":
			state = "aborted: " + s.Aborted
		case s.Interrupted:
			state = "interrupted"
		case s.Partial:
			state = "partial"
		}
		t.rows = append(t.rows, []string{strconv.Itoa(s.Index), u(s.Requests), strconv.Itoa(s.Agents), human.Rate(s.RequestedRate), fmtTime(s.FirstSend), state, s.Dir})
	}
	for _, i := range r.Shards.Missing {
		t.rows = append(t.rows, []string{strconv.Itoa(i), "-", "-", "-", "-", "missing", "-"})
	}
	sec := section{id: "shards", title: "Shards", table: t,
		lines: []string{"Every figure of this report is computed over the results of all shards together, as one run; each shard's own report (in its directory) is a diagnostic."}}
	if len(r.Shards.List) > 1 {
		sec.lines = append(sec.lines, fmt.Sprintf("First measured sends of the shards span %s (start skew).", human.MS(r.Shards.StartSkewMS)))
	}
	if len(r.Shards.Missing) > 0 {
		sec.lines = append(sec.lines, fmt.Sprintf("%s of %d missing: the figures cover the other shards only.", human.Shards(r.Shards.Missing), r.Shards.Count))
	}
	out := make([]section, 0, len(ss)+1)
	out = append(out, ss[0], sec)
	return append(out, ss[1:]...)
}

// charts builds the report's charts from its time series and percentiles.
func charts(r *reports.Report) []chart {
	n := len(r.TimeSeries)
	ts := make([]float64, n)
	p50, p99 := make([]float64, n), make([]float64, n)
	okRate, errRate := make([]float64, n), make([]float64, n)
	step := r.TimeSeriesStep
	if step <= 0 {
		step = 1
	}
	for i, p := range r.TimeSeries {
		ts[i] = p.T
		p50[i], p99[i] = p.P50MS, p.P99MS
		if p.Requests == 0 {
			p50[i], p99[i] = math.NaN(), math.NaN() // no requests: a gap, not 0 ms
		}
		okRate[i] = float64(p.OK) / step
		errRate[i] = float64(p.Errors) / step
	}
	lat := chart{id: "chart-latency", title: "Latency over time (p50 and p99 per " + stepName(step) + ")",
		xLabel: "seconds since the first request", yLabel: "latency (ms, log scale)", logY: true,
		lines: []line{{name: "p50", color: colorP50, xs: ts, ys: p50}, {name: "p99", color: colorP99, xs: ts, ys: p99}}}
	thr := chart{id: "chart-throughput", title: "Throughput and errors over time",
		xLabel: "seconds since the first request", yLabel: "responses per second (by send time)",
		lines: []line{{name: "ok/s", color: colorOK, xs: ts, ys: okRate}, {name: "errors/s", color: colorErr, xs: ts, ys: errRate}}}
	if r.Rate.Requested > 0 && n > 0 {
		thr.lines = append(thr.lines, line{name: "requested", color: colorPlan, dashed: true,
			xs: []float64{ts[0], ts[n-1]}, ys: []float64{r.Rate.Requested, r.Rate.Requested}})
	}

	// Percentile curve on a log axis of 1/(1-q); the maximum sits at the
	// resolution of the data (1 in requests).
	maxInv := math.Max(float64(r.Requests), 10)
	var qx, qy []float64
	for _, p := range r.Percentiles {
		inv := maxInv
		if p.Q < 100 {
			inv = math.Min(1/(1-p.Q/100), maxInv)
		}
		qx, qy = append(qx, inv), append(qy, p.MS)
	}
	hdrc := chart{id: "chart-percentiles", title: "Latency by percentile (HdrHistogram, all results)",
		xLabel: "percentile", yLabel: "latency (ms, log scale)", logX: true, logY: true, xTicks: percentileAxisTicks(maxInv),
		lines: []line{{name: "latency", color: colorCurve, xs: qx, ys: qy}}}
	return []chart{lat, hdrc, thr}
}

// callColors are the lines of the per-call chart, in gateway.Calls order.
var callColors = map[string]string{
	gateway.CallSignIn: "#1f77b4", gateway.CallForceLogin: "#ff7f0e", gateway.CallLoginInfo: "#2ca02c",
	gateway.CallPoll: "#9467bd", gateway.CallLogout: "#8c564b", gateway.CallUpdateGuid: "#e377c2", gateway.CallOther: "#7f7f7f",
}

// callChart plots each call's latency percentiles (p50 to max) on the axis
// of the percentile curve.
func callChart(r *reports.Report) (chart, bool) {
	maxInv := 1000.0
	for _, c := range r.Calls {
		maxInv = math.Max(maxInv, float64(c.Requests))
	}
	c := chart{id: "chart-calls", title: "Latency by call (p50, p90, p95, p99, p99.9, max)",
		xLabel: "percentile", yLabel: "latency (ms, log scale)", logX: true, logY: true, xTicks: percentileAxisTicks(maxInv)}
	for _, name := range orderedCalls(r) {
		cr := r.Calls[name]
		if cr.Requests == 0 {
			continue
		}
		l := cr.LatencyMS
		qs := []float64{50, 90, 95, 99, 99.9}
		ys := []float64{l.P50, l.P90, l.P95, l.P99, l.P999, l.Max}
		var xs []float64
		for _, q := range qs {
			xs = append(xs, math.Min(1/(1-q/100), maxInv))
		}
		xs = append(xs, math.Max(float64(cr.Requests), xs[len(xs)-1]))
		c.lines = append(c.lines, line{name: name, color: callColors[name], xs: xs, ys: ys})
	}
	return c, len(c.lines) > 0
}

// readyChart plots time to ready over time (by the journeys' start).
func readyChart(r *reports.Report) (chart, bool) {
	pts := r.Journeys.ReadySeries
	if len(pts) == 0 {
		return chart{}, false
	}
	n := len(pts)
	ts, p50, p99 := make([]float64, n), make([]float64, n), make([]float64, n)
	for i, p := range pts {
		ts[i], p50[i], p99[i] = p.T, p.P50MS, p.P99MS
		if p.Journeys == 0 {
			p50[i], p99[i] = math.NaN(), math.NaN()
		}
	}
	step := r.Journeys.ReadySeriesStepS
	if step <= 0 {
		step = 1
	}
	return chart{id: "chart-ready", title: "Time to softphone-ready over time (p50 and p99 per " + stepName(step) + " of journey starts)",
		xLabel: "seconds since the first journey started", yLabel: "time to ready (ms, log scale)", logY: true,
		lines: []line{{name: "ready p50", color: colorP50, xs: ts, ys: p50}, {name: "ready p99", color: colorP99, xs: ts, ys: p99}}}, true
}

// journeyCharts are the charts the journeys and calls add to report.html.
func journeyCharts(r *reports.Report) []chart {
	var cs []chart
	if c, ok := callChart(r); ok {
		cs = append(cs, c)
	}
	if c, ok := readyChart(r); ok {
		cs = append(cs, c)
	}
	return slices.Clip(cs)
}
