package reports

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"ccgw-harness/slo"
)

// WriteCapacitySummary writes a capacity search's summary.txt: the answer
// first, then the search's settings, the steps and how to read them. It
// ends with the CAPACITY line.
func WriteCapacitySummary(w io.Writer, c *Capacity) error {
	bw := bufio.NewWriter(w)
	title := capacityTitle(c)
	bw.WriteString(title + "\n" + strings.Repeat("=", len([]rune(title))) + "\n\n")
	for _, l := range capacityHead(c) {
		bw.WriteString(l + "\n")
	}
	for _, wn := range c.Warnings {
		bw.WriteString("\n!!! WARNING: " + wn + "\n")
	}
	bw.WriteString("\nSteps\n-----\n")
	writeTextTable(bw, capacityTable(c))
	for _, st := range c.Steps {
		if st.Reason != "" {
			fmt.Fprintf(bw, "step %d (%s): %s\n", st.Step, rateText(st.Rate), st.Reason)
		}
	}
	bw.WriteString("\nHow to read it\n--------------\n")
	for _, l := range capacityNotes(c) {
		bw.WriteString(l + "\n")
	}
	bw.WriteString("\n" + capacityVerdict(c) + "\n")
	return bw.Flush()
}

func capacityTitle(c *Capacity) string {
	return fmt.Sprintf("ccgw capacity: target %s, plan %s", orDash(c.Target), orDash(c.Plan))
}

// capacityHead is the answer and the search's settings, as lines.
func capacityHead(c *Capacity) []string {
	ls := []string{"Answer: " + c.Answer + " (limited_by " + c.LimitedBy + ")"}
	if c.Require != nil {
		state := "OPEN: the search stopped below it without the gateway failing"
		if c.RequireMet != nil {
			state = yesNo(*c.RequireMet, "met", "NOT MET")
		}
		ls = append(ls, fmt.Sprintf("Require: at least %s: %s", rateText(*c.Require), state))
	}
	s := c.Settings
	ls = append(ls, "",
		fmt.Sprintf("Search: from %s, growing ×%s up to %s, bisecting to %s; %s a step, warm-up %s.",
			rateText(s.Start), strconv.FormatFloat(s.Growth, 'f', -1, 64), rateText(s.Max), pct(s.Precision),
			secs(s.StepS), secs(s.WarmupS)),
		fmt.Sprintf("Ran %d steps (at most %d unless a confirmation fails; estimate %s) in %s.",
			len(c.Steps), s.MaxSteps, secs(s.EstimateS), secs(c.DurationS)),
		fmt.Sprintf("Agents %d, %d connections (%d requests in flight at most), %s, TLS %s.",
			c.Agents, c.Connections, c.Workers, yesNo(c.HTTP2, "HTTP/2", "HTTP/1.1"), yesNo(c.TLSVerify, "verified", "NOT verified")),
		"Gates, on each step alone: "+gatesText(c.SLO)+".")
	if c.Interrupted {
		ls = append(ls, "INTERRUPTED: the search was stopped before it ended; the steps done so far are below.")
	}
	return ls
}

// gatesText lists the SLO's gates: "p99 <= 100 ms, error_rate <= 1.00%, ...".
func gatesText(s *slo.Objectives) string {
	if s == nil {
		return "contract violations"
	}
	var out []string
	keys := make([]string, 0, len(s.Latency))
	for k := range s.Latency {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		out = append(out, k+" <= "+fmtMS(durMS(s.Latency[k])))
	}
	if s.ErrorRate != nil {
		out = append(out, "error_rate <= "+pct(*s.ErrorRate))
	}
	if s.MinRateRatio != nil {
		out = append(out, "min_rate_ratio >= "+strconv.FormatFloat(*s.MinRateRatio, 'f', -1, 64))
	}
	maxCV := 0
	if s.MaxContractViolations != nil {
		maxCV = *s.MaxContractViolations
	}
	out = append(out, fmt.Sprintf("contract_violations <= %d", maxCV))
	return strings.Join(out, ", ")
}

// capacityTable is the steps table of the summary and the page.
func capacityTable(c *Capacity) *table {
	t := &table{head: []string{"step", "phase", "rate", "achieved", "p50", "p99", "p99 response", "errors", "verdict"},
		right: []bool{true, false, true, true, true, true, true, true, false}}
	for _, st := range c.Steps {
		t.rows = append(t.rows, []string{strconv.Itoa(st.Step), st.Phase, rateNum(st.Rate), strconv.FormatFloat(st.Achieved, 'f', 1, 64) + "/s",
			fmtMS(st.LatencyMS.P50), fmtMS(st.LatencyMS.P99), fmtMS(st.ResponseLatencyMS.P99), pct(st.ErrorRate), stepVerdict(st)})
	}
	return t
}

func rateNum(r float64) string { return strconv.FormatFloat(r, 'f', -1, 64) + "/s" }

// stepVerdict is a step's verdict in a word or three.
func stepVerdict(st CapacityStep) string {
	switch {
	case st.Interrupted:
		return "interrupted"
	case st.Pass:
		return "pass"
	case !st.Valid:
		return "INVALID (generator)"
	}
	return "FAIL " + strings.Join(st.FailingGates, ", ")
}

// capacityNotes says how the search works and how to read it.
func capacityNotes(c *Capacity) []string {
	return []string{
		"Each step offers a constant rate for its length and is judged on its own results by every SLO gate.",
		"Latency counts from each request's planned send time (its lag behind the schedule plus its response",
		"time), so a generator that falls behind cannot hide a slow gateway; 'p99 response' is the gateway's",
		"own response time (from the actual send, over the requests the generator sent on time).",
		"A failed gate is the gateway's when error rate or contract violations fail, or a latency gate fails on",
		"the response time alone. A step is INVALID (the generator, not the gateway, stopped it) when it sent",
		"at less than 98% of the planned rate, when only the generator's lag broke a latency gate, or when the",
		"response time was within twice the generator's own largest stall (its burst may have queued them) or",
		"the generator ran out of connections on a CPU-contended machine.",
		"The search grows the rate until a step does not pass, bisects between the highest pass and the lowest",
		"non-pass to the precision, and confirms the answer with one more step. Between steps the gateway is",
		"drained: one request at a time until answers are as fast as on the idle gateway.",
		"Each step's results and reports are in its directory (ccgw report DIR/steps/NN-RATE reproduces",
		"them); merged/results.bin holds every step's results, merged/calls.bin the agents' own calls.",
	}
}

// capacityVerdict is the last line: the answer in one line.
func capacityVerdict(c *Capacity) string {
	switch {
	case c.Interrupted:
		return "CAPACITY INTERRUPTED: " + c.Answer
	case !c.Found():
		return "CAPACITY NONE: " + c.Answer
	case c.Require != nil && c.RequireMet != nil && !*c.RequireMet:
		return fmt.Sprintf("CAPACITY BELOW REQUIREMENT (%s): %s", rateText(*c.Require), c.Answer)
	}
	return "CAPACITY: " + c.Answer
}

// secs formats seconds for people: "10s", "2m03s", "1.5s".
func secs(s float64) string {
	d := time.Duration(s * float64(time.Second))
	if d < 10*time.Second {
		return strconv.FormatFloat(round(s, 1), 'f', -1, 64) + "s"
	}
	d = d.Round(time.Second)
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
	if d < time.Hour {
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}
