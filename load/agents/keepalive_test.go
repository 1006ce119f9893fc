package agents_test

import (
	"strings"
	"testing"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
	"ccgw-harness/load/agents"
)

// poolOf returns a pool of n agents for a gateway that is never called.
func poolOf(t *testing.T, n int) (*agents.Pool, *gateway.Client) {
	t.Helper()
	c, err := gateway.NewClient("https://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	list := make([]config.Agent, n)
	for i := range list {
		list[i] = config.Agent{ID: firstAgent + i, PhoneNum: "7", Password: "x"}
	}
	p, err := agents.NewPool(c, list)
	if err != nil {
		t.Fatal(err)
	}
	return p, c
}

func documentedTarget(mode gateway.AuthMode) *config.Target {
	return &config.Target{
		Name: "gw", AuthMode: mode,
		GuidInterval: gateway.DefaultGuidInterval, GuidTimeout: gateway.DefaultGuidTimeout,
		IdleTimeout: gateway.DefaultIdleTimeout, PollWait: gateway.DefaultPollWait,
	}
}

// TestKeepAlivePlan: the poll cap and pauses follow the target's timings.
func TestKeepAlivePlan(t *testing.T) {
	// A small pool on documented timings: every agent polls continuously,
	// 200-500 ms after each answer, like a real client.
	p, c := poolOf(t, 50)
	k, err := agents.NewKeepAlive(p, c, documentedTarget(gateway.AuthDynamic))
	if err != nil {
		t.Fatal(err)
	}
	if lo, hi := k.Pause(); k.Slots() != 50 || lo != 200*time.Millisecond || hi != 500*time.Millisecond || len(k.Warnings()) != 0 {
		t.Errorf("slots %d pause %s-%s warnings %q", k.Slots(), lo, hi, k.Warnings())
	}

	// 10,000 agents: the cap is raised so that every agent polls at least
	// twice within guid_timeout - guid_interval (60 s) with 10 s long polls.
	p, c = poolOf(t, 10000)
	k, err = agents.NewKeepAlive(p, c, documentedTarget(gateway.AuthDynamic))
	if err != nil {
		t.Fatal(err)
	}
	if s := k.Slots(); s < 3334 || s > 3400 {
		t.Errorf("slots for 10k list = %d, want about 3334", s)
	}
	if w := k.Warnings(); len(w) != 1 || !strings.Contains(w[0], "share") {
		t.Errorf("warnings %q", w)
	}
	// An explicit cap below what is needed is kept, with a warning.
	k, err = agents.NewKeepAlive(p, c, documentedTarget(gateway.AuthStatic), agents.WithMaxPolls(100))
	if err != nil {
		t.Fatal(err)
	}
	if w := k.Warnings(); k.Slots() != 100 || len(w) != 1 || !strings.Contains(w[0], "too few") {
		t.Errorf("slots %d warnings %q", k.Slots(), w)
	}

	// Millisecond rotation: the pauses shrink to fit guid_timeout -
	// guid_interval.
	fast := documentedTarget(gateway.AuthDynamic)
	fast.GuidInterval, fast.GuidTimeout, fast.IdleTimeout, fast.PollWait = 200*time.Millisecond, time.Second, 2*time.Second, 100*time.Millisecond
	if b := agents.SessionBudget(fast); b != 800*time.Millisecond {
		t.Errorf("budget %s, want 800ms", b)
	}
	k, err = agents.NewKeepAlive(p, c, fast)
	if err != nil {
		t.Fatal(err)
	}
	if lo, hi := k.Pause(); hi != 200*time.Millisecond || lo != 80*time.Millisecond {
		t.Errorf("pause %s-%s, want 80ms-200ms", lo, hi)
	}
	if b := agents.SessionBudget(documentedTarget(gateway.AuthStatic)); b != gateway.DefaultIdleTimeout {
		t.Errorf("static budget %s, want the idle timeout", b)
	}
}
