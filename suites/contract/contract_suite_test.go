// Package contract_test is the Ginkgo contract suite of the CC-Gateway's
// `POST .../onlineagent/{agentid}/logininfo`: method restriction, header
// requirements, agent-ID bounds, envelope shape, session rules and
// concurrency, against the embedded mock or a real gateway named in
// targets.yaml. Exact rejection answers come from the target's expectation
// profile (targets.<name>.expect); the invariant (refused, and never a
// token) holds everywhere.
//
//	go tool ginkgo ./suites/contract -- --targets=targets.yaml --target=mock
package contract_test

import (
	"context"
	"fmt"
	"testing"

	"ccgw-harness/config"
	"ccgw-harness/connect"
	"ccgw-harness/gateway"
	"ccgw-harness/mockgw"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// settings are read from the flags and the targets file before RunSpecs.
var settings *Settings

// settingsErr is why the settings could not be read; BeforeSuite reports it
// as the run's one failure, so that it reaches the JUnit and JSON reports.
var settingsErr error

// suiteState is what BeforeSuite sets up for the specs.
type suiteState struct {
	// Target is the running target (embedded mock or real gateway).
	Target *connect.Target
	// Client talks to it.
	Client *gateway.Client
	// Config is the target's configuration as connected (for an embedded
	// mock, with the run's generated password).
	Config *config.Target
	// Pool holds the suite's signed-in agents.
	Pool *agentPool
	// Secrets records what the suite sees for the teeth test (nil = off).
	Secrets *secretRecorder
}

var suite suiteState

// TestContract loads and validates the configuration, then runs the specs.
// A bad targets file, an unknown target or bad flags are found here, before
// any spec runs; BeforeSuite then fails the run with that one message (which
// says what to fix), so that the reports carry it too.
func TestContract(t *testing.T) {
	RegisterFailHandler(Fail)
	settings, settingsErr = loadSettings()
	RunSpecs(t, "CC-Gateway logininfo contract")
}

var _ = BeforeSuite(func(ctx SpecContext) {
	if settingsErr != nil {
		AbortSuite("contract suite configuration: " + settingsErr.Error())
	}
	s := settings
	t := s.Target

	var rec *secretRecorder
	if s.SecretsFile != "" {
		var err error
		rec, err = newSecretRecorder(s.SecretsFile)
		if err != nil {
			AbortSuite(err.Error())
		}
		DeferCleanup(func() {
			Expect(rec.Close()).To(Succeed(), "the secrets record for the teeth test must be complete")
		})
	}

	setup, cancel := context.WithTimeout(ctx, s.Timeouts.Setup)
	defer cancel()

	By(fmt.Sprintf("connecting to target %s", t.Name))
	opts := []connect.Option{connect.WithTimeout(s.Timeouts.Poll)}
	if len(s.Defects) > 0 {
		opts = append(opts, connect.WithMockOptions(mockgw.WithDefects(s.Defects...)))
	}
	rt, err := connect.Open(setup, t, opts...)
	if err != nil {
		AbortSuite(err.Error())
	}
	DeferCleanup(rt.Close)
	rec.Wrap(rt.Client.HTTPClient())

	agents, err := rt.Config.AgentList(NumAgents)
	if err != nil {
		AbortSuite(fmt.Sprintf("target %s (%s): %v", t.Name, rt.URL(), err))
	}
	for _, ag := range agents {
		rec.Add(ag.Password)
	}
	pool := newAgentPool(rt.Client, rt.Config, s.Timeouts, agents)
	suite = suiteState{Target: rt, Client: rt.Client, Config: rt.Config, Pool: pool, Secrets: rec}
	AddReportEntry("target", targetSummary(rt, s))

	DeferCleanup(func() {
		By(fmt.Sprintf("signing out the %d agents the suite signed in", len(pool.All)))
		cctx, cancel := context.WithTimeout(context.Background(), s.Timeouts.Cleanup)
		defer cancel()
		Expect(pool.SignOutAll(cctx)).To(Succeed(), "every agent the suite signed in must be signed out at the end")
	})

	By(fmt.Sprintf("signing in %d agents of target %s (%s)", len(agents), t.Name, config.FormatIDs(agentIDs(agents))))
	if err := pool.SignInAll(setup); err != nil {
		AbortSuite(fmt.Sprintf("target %s (%s): %v", t.Name, rt.URL(), err))
	}
})

// targetSummary describes the target for the report (no secrets).
func targetSummary(rt *connect.Target, s *Settings) string {
	t := rt.Config
	kind := "real gateway"
	if rt.Mock != nil {
		kind = "embedded mock"
		if len(s.Defects) > 0 {
			kind += fmt.Sprintf(" with defects %v", s.Defects)
		}
	}
	return fmt.Sprintf("%s: %s at %s, auth_mode %s, guid_interval %v, guid_timeout %v, idle_timeout %v, poll_wait %v, agent_id_range %s, TLS verified %v",
		t.Name, kind, rt.URL(), t.AuthMode, t.GuidInterval, t.GuidTimeout, t.IdleTimeout, t.PollWait, t.AgentIDRange, rt.TLSVerified)
}

func agentIDs(agents []config.Agent) []int {
	ids := make([]int, len(agents))
	for i, a := range agents {
		ids[i] = a.ID
	}
	return ids
}

// probeAgent returns probe agent i's live session; the probe agents stay
// signed in for the whole run.
func probeAgent(i int) *gateway.Session {
	GinkgoHelper()
	s := suite.Pool.Probe[i].Session()
	Expect(s).NotTo(BeNil(), "probe agent %d must be signed in (BeforeSuite signs it in)", suite.Pool.Probe[i].Agent.ID)
	return s
}

// takeSessionAgent hands session agent i to the calling spec: its keeper
// stops, and after the spec the agent is signed in afresh with a keeper.
func takeSessionAgent(i int) (*agentSlot, *gateway.Session) {
	GinkgoHelper()
	a := suite.Pool.Session[i]
	s := suite.Pool.Release(a)
	DeferCleanup(func(ctx SpecContext) {
		Expect(suite.Pool.Reinstate(ctx, a)).To(Succeed(), "agent %d must be signed in again after the spec", a.Agent.ID)
	})
	Expect(s).NotTo(BeNil(), "session agent %d must be signed in when a spec takes it", a.Agent.ID)
	return a, s
}
