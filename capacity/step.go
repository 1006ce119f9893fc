package capacity

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/internal/human"
	"ccgw-harness/load"
	"ccgw-harness/pace"
	"ccgw-harness/reports"
	"ccgw-harness/reports/render"
	"ccgw-harness/results"
	"ccgw-harness/slo"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// stepBound is how long a step of length d may send before it is cut: d
// plus max(stepGraceMin, d/2). A generator that has not sent its planned
// requests by then has fallen behind, and the step is invalid anyway; the
// bound keeps a step that asks more than the generator can give from
// running for ever.
func stepBound(d time.Duration) time.Duration { return d + max(stepGraceMin, d/2) }

// stepDirName is a step's directory: its number and rate, "03-400".
func stepDirName(n int, rate float64) string { return fmt.Sprintf("%02d-%s", n, formatRate(rate)) }

// runStep runs step n of the search: rate for the step's length, every
// result judged and written to the step's own results file (and the
// merged one), the step's reports written into its directory, and its
// verdict. An interrupted step is returned with Interrupted set.
func (cr *run) runStep(ctx context.Context, n int, rate float64, phase searchPhase) (reports.CapacityStep, stepOutcome, error) {
	name := stepDirName(n, rate)
	rel := filepath.Join(stepsDir, name)
	dir := filepath.Join(cr.sr.dir, rel)
	st := reports.CapacityStep{Step: n, Phase: string(phase), Rate: rate, Dir: rel}
	fail := func(err error) (reports.CapacityStep, stepOutcome, error) {
		return st, stepOutcome{}, fmt.Errorf("output directory %s: %w", cr.sr.dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(err)
	}
	pacer, err := pace.Constant(rate, cr.sr.step)
	if err != nil {
		return st, stepOutcome{}, err
	}
	planned := reports.NewAggregator(reports.WithLatencyFromPlanned(true))
	response := reports.NewAggregator()
	objs := cr.sr.slo.Clone()
	base := cr.sess.Meta()
	meta := results.Meta{
		Target: cr.sr.target, Plan: cr.sr.plan.Name, Profile: config.ProfileConstant,
		RequestedRate: pacer.MeanRate(), PlannedDuration: pacer.Duration(),
		Agents: base.Agents, AgentsFailed: base.AgentsFailed, Connections: cr.sess.Connections(),
		HTTP2: cr.sr.plan.HTTP2, TLSVerify: base.TLSVerify, SLO: &objs, LatencyFromPlanned: true,
	}
	metaPath := filepath.Join(dir, load.MetaFile)
	if err := results.WriteMeta(metaPath, meta); err != nil {
		return fail(err)
	}

	cr.log.Logf("step %d (%s): %s/s for %s", n, phase, formatRate(rate), cr.sr.step)
	reSignIns := cr.sess.ReSignIns()
	cpu0 := processCPU()
	stall0, stallOK := cpuStall()
	stepCtx, cancel := context.WithTimeout(ctx, stepBound(cr.sr.step))
	defer cancel()
	// The gateway's own response time counts only the requests sent on
	// time (see onTimeLag).
	var onTime uint64
	onTimeUS := onTimeLag(objs).Microseconds()
	a, err := cr.sess.Attack(stepCtx, pacer, load.Tap{
		Dir: dir, Agg: planned, Status: fmt.Sprintf("step %d %s/s: ", n, formatRate(rate)),
		Each: func(r *vegeta.Result) {
			if lag, ok := lagUS(r); !ok || lag <= onTimeUS {
				response.Add(r)
				onTime++
			}
		},
	})
	if err != nil {
		return fail(err) // the step's results file (the agents' calls span the steps: merged/calls.bin)
	}
	if cr.started.IsZero() {
		cr.started = a.Start
	}
	meta.Started = a.Start
	wall := a.Took
	// Cut: the time bound stopped the attack with planned requests unsent.
	cut := ctx.Err() == nil && a.Sent < pacer.Hits()
	cancel()
	cr.ran += cr.sr.step

	st.Started = a.Start
	st.Interrupted = ctx.Err() != nil
	meta.Interrupted = st.Interrupted
	meta.ReSignIns = cr.sess.ReSignIns() - reSignIns
	if cut {
		meta.Warnings = append(meta.Warnings, fmt.Sprintf("the step was stopped %s after its start, its planned requests not all sent: the generator fell behind", stepBound(cr.sr.step)))
	}
	if a.DirErr != nil {
		meta.Warnings = append(meta.Warnings, fmt.Sprintf("the step's results file is incomplete: %v", a.DirErr))
	}
	if err := results.WriteMeta(metaPath, meta); err != nil {
		return fail(err)
	}
	rep := planned.Report(meta, objs)
	resp := response.Report(meta, objs)
	if err := render.WriteRun(dir, rep, planned); err != nil {
		return fail(fmt.Errorf("step %d: writing reports: %w", n, err))
	}
	if a.DirErr != nil {
		return fail(a.DirErr)
	}

	gen := reports.CapacityGenerator{
		RateRatio: rep.Saturation.RateRatio, LateRatio: rep.Saturation.LateRatio, MaxLagMS: rep.Saturation.MaxLagMS,
		MaxInFlight: a.MaxInFlight, Workers: cr.sess.Workers(),
	}
	if wall > 0 {
		gen.CPU = round3(float64(processCPU()-cpu0) / float64(wall) / float64(runtime.NumCPU()))
		if stall1, ok := cpuStall(); ok && stallOK {
			p := round3(min(max(float64(stall1-stall0)/float64(wall), 0), 1))
			gen.CPUPressure = &p
		}
	}
	v := judgeStep(rep, resp, gen, cut)
	st.Achieved, st.Throughput = rep.Rate.Achieved, rep.Throughput
	st.Requests, st.Success = rep.Requests, rep.Success
	st.LatencyMS, st.ResponseLatencyMS, st.ResponseRequests = rep.LatencyMS, resp.LatencyMS, onTime
	st.ErrorRate, st.ContractViolations = rep.ErrorRate, rep.ContractViolations
	st.Gates, st.Generator = rep.SLO, gen
	st.Pass, st.Valid, st.FailingGates, st.LimitedBy, st.Reason = v.pass, v.valid, v.failing, v.limitedBy, v.reason
	if st.Interrupted {
		st.Pass, st.Valid, st.LimitedBy = false, false, ""
		st.Reason = "interrupted before the step's end"
	}
	pressure := ""
	if p := gen.CPUPressure; p != nil {
		pressure = fmt.Sprintf(", machine CPU pressure %.0f%%", *p*100)
	}
	cr.log.Logf("step %d (%s) %s/s: %s: sent %.1f/s, p50 %s, p99 %s (response p99 %s), errors %.2f%%%s%s",
		n, phase, formatRate(rate), stepWord(st), st.Achieved, fmtMSText(st.LatencyMS.P50), fmtMSText(st.LatencyMS.P99),
		fmtMSText(st.ResponseLatencyMS.P99), st.ErrorRate*100, pressure, reasonSuffix(st.Reason))
	return st, stepOutcome{Rate: rate, Phase: phase, Pass: st.Pass, Valid: st.Valid, LimitedBy: st.LimitedBy}, nil
}

// onTimeFraction: a capacity step judges the gateway's own response
// time on the requests sent at most max(reports.DefaultLateFloor, this
// fraction of the tightest latency gate) after their planned time. A
// request the generator sent later (it was descheduled, or out of
// connections) may have waited behind the generator's own burst of late
// requests: its response time is not the gateway's evidence.
const onTimeFraction = 0.1

// onTimeLag is the lag up to which a request counts as sent on time.
func onTimeLag(s slo.Objectives) time.Duration {
	lim := 10 * reports.DefaultLateFloor
	for _, d := range s.Latency {
		lim = min(lim, time.Duration(onTimeFraction*float64(d)))
	}
	return max(lim, reports.DefaultLateFloor)
}

// lagUS reads a judged result's lag (X-Ccgw-Lag-Us).
func lagUS(r *vegeta.Result) (int64, bool) {
	vs := r.Headers[results.HeaderLagUs]
	if len(vs) == 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(vs[0], 10, 64)
	return n, err == nil
}

func stepWord(st reports.CapacityStep) string {
	switch {
	case st.Interrupted:
		return "interrupted"
	case st.Pass:
		return "PASS"
	case !st.Valid:
		return "INVALID"
	}
	return "FAIL " + strings.Join(st.FailingGates, ", ")
}

func reasonSuffix(r string) string {
	if r == "" {
		return ""
	}
	return " (" + r + ")"
}

// stepVerdict is judgeStep's decision.
type stepVerdict struct {
	pass, valid bool
	failing     []string
	limitedBy   string
	reason      string
}

// stepCPULimit is the share of the machine's cores above which a
// capacity step names the generator's CPU as a likely cause of an invalid
// step.
const stepCPULimit = 0.9

// stallFactor bounds how much a generator's own stall can delay the
// gateway's answers. A generator held up for S (its largest lag) sends the
// requests it owes at once, and a gateway near its capacity answers them,
// and the requests behind them, up to about S late. So a latency gate that
// fails on the response time is the gateway's only when that response time
// is more than stallFactor × S, or when the generator had no
// connection to spare (all its requests in flight were taken: then its lag
// is the gateway's doing, and bounds nothing) on a machine that was not
// CPU-contended (see cpuPressureLimit). Otherwise the step is
// invalid: its failure may be the generator's.
const stallFactor = 2.0

// cpuPressureLimit: a machine whose runnable tasks waited for a CPU
// during more than this share of a step was contended: the response times
// measured there are not the gateway's alone (the generator read its
// answers late, and an embedded mock shares the starved machine), so a
// generator out of connections there does not make a latency failure the
// gateway's. A shared machine often runs at 50-90 % (this project's 2-core
// machine did, with six engineers on it) and still measures a gateway's
// overload; at 93-100 % it answered 100 requests/s in seconds.
const cpuPressureLimit = 0.9

// judgeStep decides a capacity step from the report of its results with
// latency measured from the planned send time (planned: the gates the step
// is judged by) and the report of the results the generator sent on time,
// measured from the actual send (response: the gateway's own response
// time; see onTimeLag):
//
//   - A failing error_rate or contract_violations gate is the gateway's;
//     so is a latency gate that fails on the response time alone, unless
//     the generator's own stall or a contended machine can explain it (see
//     stallFactor). Any of them fails the step (valid: the
//     generator's lag, if any, did not decide it), limited by the first
//     such gate.
//   - Otherwise the step is invalid, not failed, when the generator did not
//     keep the schedule: it sent less than reports.DefaultMinScheduleRatio
//     of its planned requests (the rate-ratio test of reports' saturation
//     check), the min_rate_ratio gate failed, the step was cut at its time
//     bound, there are no results, or a latency gate failed only once the
//     generator's lag was added.
//   - Otherwise it passes.
//
// Late sends that do not break a gate do not invalidate a step: their lag
// is in the judged latency already.
func judgeStep(planned, response *reports.Report, gen reports.CapacityGenerator, cut bool) stepVerdict {
	var v stepVerdict
	respGate := map[string]reports.Gate{}
	for _, g := range response.SLO {
		respGate[g.Name] = g
	}
	var gateway, generator []string
	contended := gen.CPUPressure != nil && *gen.CPUPressure > cpuPressureLimit
	capped := gen.Workers > 0 && gen.MaxInFlight >= gen.Workers
	for _, g := range planned.SLO {
		if g.Pass {
			continue
		}
		v.failing = append(v.failing, g.Name)
		switch g.Name {
		case slo.GateErrorRate:
			gateway = append(gateway, fmt.Sprintf("error rate %s > %s", pctText(g.Actual), pctText(g.Threshold)))
			v.setLimit(g.Name)
		case slo.GateContractViolations:
			gateway = append(gateway, fmt.Sprintf("%d contract violations (%s)", int(g.Actual), g.Detail))
			v.setLimit(g.Name)
		case slo.GateRequests:
			generator = append(generator, "no results: nothing was measured")
		case slo.GateMinRateRatio:
			generator = append(generator, fmt.Sprintf("min_rate_ratio: sent %.4f of the offered rate", g.Actual))
		case slo.GateSaturation:
			generator = append(generator, "saturated: "+g.Detail)
		default: // a latency gate
			rg, ok := respGate[g.Name]
			onResponse := ok && !rg.Pass && response.Requests > 0
			switch {
			case onResponse && !capped && rg.Actual <= stallFactor*gen.MaxLagMS:
				generator = append(generator, fmt.Sprintf("%s %s > %s, but the generator itself stalled for up to %s and sent what it owed at once: response times up to %s (here %s) may be that burst's queue",
					g.Name, fmtMSText(g.Actual), fmtMSText(g.Threshold), fmtMSText(gen.MaxLagMS), fmtMSText(stallFactor*gen.MaxLagMS), fmtMSText(rg.Actual)))
			case onResponse && capped && contended:
				generator = append(generator, fmt.Sprintf("%s %s > %s while the machine's CPU was contended (tasks waited for a CPU %.0f%% of the step) and the generator had no connection to spare: the response times are not the gateway's alone",
					g.Name, fmtMSText(g.Actual), fmtMSText(g.Threshold), *gen.CPUPressure*100))
			case onResponse:
				gateway = append(gateway, fmt.Sprintf("%s %s > %s on the response time alone (%s)", g.Name, fmtMSText(g.Actual), fmtMSText(g.Threshold), fmtMSText(rg.Actual)))
				v.setLimit(g.Name)
			default:
				generator = append(generator, fmt.Sprintf("%s %s > %s only with the generator's lag (response time alone %s)", g.Name, fmtMSText(g.Actual), fmtMSText(g.Threshold), fmtMSText(rg.Actual)))
			}
		}
	}
	if rr := planned.Saturation.RateRatio; rr != nil && *rr < reports.DefaultMinScheduleRatio {
		generator = append(generator, fmt.Sprintf("sent at %.1f%% of the planned rate (below %.0f%%)", *rr*100, reports.DefaultMinScheduleRatio*100))
	}
	if cut {
		generator = append(generator, "cut at its time bound with planned requests unsent")
	}
	switch {
	case len(gateway) > 0:
		v.valid = true
		v.reason = "the gateway's: " + strings.Join(gateway, "; ")
	case len(generator) > 0:
		v.limitedBy = limitedByGenerator
		v.reason = "the generator could not keep the schedule: " + strings.Join(append(generator, generatorCauses(gen)...), "; ")
	default:
		v.pass, v.valid = true, true
	}
	return v
}

// setLimit records the first gateway gate that failed.
func (v *stepVerdict) setLimit(gate string) {
	if v.limitedBy == "" {
		v.limitedBy = limitedBySLO(gate)
	}
}

// generatorCauses names what likely held the generator back.
func generatorCauses(g reports.CapacityGenerator) []string {
	var cs []string
	if g.Workers > 0 && g.MaxInFlight >= g.Workers {
		cs = append(cs, fmt.Sprintf("all %d of the attack's requests in flight were taken (connection cap: raise connections)", g.Workers))
	}
	if g.CPU >= stepCPULimit {
		cs = append(cs, fmt.Sprintf("the harness used %.0f%% of the machine's CPU", g.CPU*100))
	}
	return cs
}

func pctText(x float64) string { return fmt.Sprintf("%.2f%%", x*100) }

// fmtMSText formats milliseconds: "412 ms", "3.21 ms".
func fmtMSText(ms float64) string {
	return human.Latency(time.Duration(ms * float64(time.Millisecond)))
}
