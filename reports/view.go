package reports

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"ccgw-harness/slo"
)

// The summary, Markdown and HTML writers render the same content: a list of
// sections built here from a Report.

// section is one block of a rendered report.
type section struct {
	id    string // anchor / chart hook in HTML
	title string
	lines []string // paragraphs before the table
	table *table
}

// table is a rendered table; numeric columns are right-aligned.
type table struct {
	head  []string
	right []bool
	rows  [][]string
}

// alert is a loud warning shown before everything else.
type alert struct {
	title string
	text  string
}

// view is what every human-readable writer shows.
type view struct {
	title    string
	alerts   []alert
	sections []section
	verdict  string // "PASS: ..." or "FAIL: ..."
	pass     bool
}

func buildView(r *Report) view {
	v := view{title: fmt.Sprintf("ccgw load report: target %s, plan %s", orDash(r.Target), orDash(r.Plan)), pass: r.Pass}
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
	return v
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func alerts(r *Report) []alert {
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

func pct(x float64) string {
	if x != 0 && x < 0.0001 {
		return strconv.FormatFloat(x*100, 'g', 2, 64) + "%"
	}
	return strconv.FormatFloat(x*100, 'f', 2, 64) + "%"
}

func rate(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) + "/s" }

func u(n uint64) string { return strconv.FormatUint(n, 10) }

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05.000 UTC")
}

func overview(r *Report) section {
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
			yesNo(r.NoPassword, ", signing in with an empty password (agents without one)", "")))
	}
	if r.Connections > 0 {
		add("connections", fmt.Sprintf("%d, %s, TLS %s", r.Connections, yesNo(r.HTTP2, "HTTP/2", "HTTP/1.1"),
			yesNo(r.TLSVerify, "verified", "NOT verified")))
	}
	add("started", fmtTime(r.Earliest))
	add("duration", fmt.Sprintf("%.3f s (first send to last response)", r.DurationS))
	add(yesNo(hasJourneys(r), "logininfo requests", "requests"), fmt.Sprintf("%d: %d ok, %d errors (error rate %s)", r.Requests, r.Success, r.Requests-r.Success, pct(r.ErrorRate)))
	rr := "requested " + yesNo(r.Rate.Requested > 0, rate(r.Rate.Requested), "-") + ", achieved " + rate(r.Rate.Achieved)
	if p := r.Saturation.RateRatio; p != nil && !hasJourneys(r) {
		rr += " (" + pct(*p) + " of requested)"
	}
	add("rate", rr)
	add("throughput", rate(r.Throughput)+" successful")
	if r.Partial {
		add("results", "PARTIAL: a results file was truncated")
	}
	return section{id: "overview", title: "Run", table: t}
}

func latencySection(r *Report) section {
	l := r.LatencyMS
	t := &table{head: []string{"min", "mean", "p50", "p90", "p95", "p99", "p99.9", "max"},
		right: []bool{true, true, true, true, true, true, true, true}}
	t.rows = [][]string{{fmtMS(l.Min), fmtMS(l.Mean), fmtMS(l.P50), fmtMS(l.P90), fmtMS(l.P95), fmtMS(l.P99), fmtMS(l.P999), fmtMS(l.Max)}}
	lines := []string{fmt.Sprintf("Percentiles: %s; %d results. Min, mean and max are exact.", HistogramNote, r.Requests)}
	if r.LatencyFromPlanned {
		lines = append(lines, "Measured from each request's planned send time: its lag behind the schedule plus its response time (no coordinated omission).")
	}
	return section{id: "latency", title: "Latency", lines: lines, table: t}
}

func statusSection(r *Report) section {
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

func share(n, total uint64) string {
	if total == 0 {
		return "-"
	}
	return pct(float64(n) / float64(total))
}

func retcodeSection(r *Report) section {
	t := &table{head: []string{"retcode", "count", "share", "meaning"}, right: []bool{false, true, true, false}}
	for _, c := range sortedByCount(r.Retcodes) {
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

func classSection(r *Report) section {
	t := &table{head: []string{"outcome class", "count", "share"}, right: []bool{false, true, true}}
	for _, c := range sortedByCount(r.Classes) {
		t.rows = append(t.rows, []string{c, u(r.Classes[c]), share(r.Classes[c], r.Requests)})
	}
	return section{id: "classes", title: "Outcomes by class", table: t}
}

func errorSection(r *Report) section {
	s := section{id: "errors", title: "Errors by kind"}
	if len(r.Errors) == 0 {
		s.lines = []string{"No errors."}
		return s
	}
	t := &table{head: []string{"error", "count", "share"}, right: []bool{false, true, true}}
	for _, k := range sortedByCount(r.Errors) {
		t.rows = append(t.rows, []string{k, u(r.Errors[k]), share(r.Errors[k], r.Requests)})
	}
	s.table = t
	return s
}

func contractSection(r *Report) section {
	s := section{id: "contract", title: "Contract violations"}
	if r.ContractViolations == 0 {
		s.lines = []string{"Contract violations: 0."}
		return s
	}
	s.lines = []string{fmt.Sprintf("Contract violations: %d (retcode 0 answers that break the contract).", r.ContractViolations)}
	t := &table{head: []string{"violation", "count"}, right: []bool{false, true}}
	for _, k := range sortedByCount(r.Violations) {
		t.rows = append(t.rows, []string{k, u(r.Violations[k])})
	}
	s.table = t
	return s
}

func agentSection(r *Report) section {
	s := section{id: "agents", title: "Worst agents",
		lines: []string{fmt.Sprintf("By error rate, then p99, of %d agents (per-agent p99 within 10 %%).", r.AgentsSeen)}}
	if len(r.WorstAgents) == 0 {
		s.lines = []string{"No agent IDs in the results."}
		return s
	}
	t := &table{head: []string{"agent", "requests", "errors", "error rate", "p99"}, right: []bool{false, true, true, true, true}}
	for _, a := range r.WorstAgents {
		t.rows = append(t.rows, []string{a.Agent, u(a.Requests), u(a.Errors), pct(a.ErrorRate), fmtMS(a.P99MS)})
	}
	s.table = t
	return s
}

func nodeSection(r *Report) section {
	s := section{id: "nodes", title: "Gateway nodes"}
	t := &table{head: []string{"node", "requests", "errors", "error rate", "p50", "p99"}, right: []bool{false, true, true, true, true, true}}
	for _, n := range r.Nodes {
		t.rows = append(t.rows, []string{n.Node, u(n.Requests), u(n.Errors), pct(n.ErrorRate), fmtMS(n.P50MS), fmtMS(n.P99MS)})
	}
	s.table = t
	return s
}

func saturationSection(r *Report) section {
	sat := r.Saturation
	line := fmt.Sprintf("Schedule: %d of %d requests sent more than %s late (%s); max lag %s; %d results carried a lag.",
		sat.LateRequests, r.Requests, fmtMS(sat.LateThresholdMS), pct(sat.LateRatio), fmtMS(sat.MaxLagMS), sat.LagSamples)
	if hasJourneys(r) {
		line = fmt.Sprintf("Schedule: %d of %d journeys started more than %s after their planned arrival (%s); max lag %s.",
			sat.LateRequests, r.Journeys.Started, fmtMS(sat.LateThresholdMS), pct(sat.LateRatio), fmtMS(sat.MaxLagMS))
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

func sloSection(r *Report) section {
	t := &table{head: []string{"gate", "threshold", "actual", "result", "detail"}, right: []bool{false, true, true, false, false}}
	for _, g := range r.SLO {
		th := g.Op + " " + gateValue(g, g.Threshold)
		if g.Unit == "bool" {
			th = gateValue(g, g.Threshold)
		}
		actual, result := gateValue(g, g.Actual), yesNo(g.Pass, "pass", "FAIL")
		if g.Skipped {
			actual, result = "-", "skipped"
		}
		t.rows = append(t.rows, []string{g.Name, th, actual, result, g.Detail})
	}
	return section{id: "slo", title: "SLO gates", table: t}
}

// gateValue formats a gate's threshold or actual value by its unit.
func gateValue(g Gate, x float64) string {
	switch g.Unit {
	case "ms":
		return fmtMS(x)
	case "ratio":
		if g.Name == slo.GateErrorRate || strings.HasSuffix(g.Name, "."+slo.GateErrorRate) {
			return pct(x)
		}
		return strconv.FormatFloat(x, 'f', 4, 64)
	case "bool":
		return yesNo(x != 0, "saturated", "not saturated")
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

func verdictLine(r *Report) string {
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
