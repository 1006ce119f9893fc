// Package capacity finds the highest logininfo rate a gateway sustains
// within its objectives: a search over constant-rate steps on one load
// session (agents signed in and warmed up once), each step judged on its
// own results with latency counted from each request's planned send time.
// Which rate comes next is a pure function of the steps so far (nextStep):
// geometric growth until a step fails, bisection down to the plan's
// precision, a confirmation, and a retry of a step the generator could not
// drive. A failed gate is the gateway's only when the generator kept its
// schedule and could not explain it (judgeStep); otherwise the step is
// invalid and the answer says limited_by generator. Between two steps the
// gateway is drained: single probes until it answers as fast as when idle.
//
// A Search (New) is checked before any network, like a load.Job, with its
// own options; Search.Run writes capacity.json (rewritten after every
// step), its summaries, each step's directory and the merged results.
//
//	s, err := capacity.New(target, plan, "out/cap", capacity.WithSLO(objs))
//	out, err := s.Run(ctx, client, target)
//	fmt.Println(out.Capacity.Answer)
package capacity
