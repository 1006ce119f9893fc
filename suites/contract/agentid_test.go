package contract_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"ccgw-harness/gateway"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// badID is an agent-ID path segment the gateway must refuse.
type badID struct {
	seg  string // as sent in the path (percent-encoded where needed)
	what string
}

// badAgentIDs lists the IDs outside the target's agent_id_range or not of
// the documented form (digits only), built around the range's edges and
// the probe agent's own ID (so that a gateway that trims or truncates would
// hand out that agent's token).
func badAgentIDs(own int) []badID {
	r := suite.Config.AgentIDRange
	id := strconv.Itoa(own)
	ids := []badID{
		{strconv.Itoa(r.Max + 1), fmt.Sprintf("max+1 (%d)", r.Max+1)},
		{"0", "0"},
		{"-1", "-1"},
		{"-" + id, "the agent's ID negated"},
		{"abc", "non-numeric"},
		{id + "x", "the agent's ID with a letter appended"},
		{strings.Repeat("9", 40), "40 digits"},
		{strings.Repeat("1", 12), "12 digits (beyond 32 bits)"},
		{"%20" + id, "the agent's ID after a space"},
		{id + "%20", "the agent's ID before a space"},
	}
	if r.Min-1 > 0 {
		ids = append([]badID{{strconv.Itoa(r.Min - 1), fmt.Sprintf("min-1 (%d)", r.Min-1)}}, ids...)
	}
	return ids
}

// onlineAgentPath is the sign-in path for a raw agent-ID segment.
func onlineAgentPath(seg string) string { return gateway.PathPrefix + "/onlineagent/" + seg }

var _ = Describe("The agent ID in logininfo's path", Label("agentid"), func() {
	It("is refused outside agent_id_range or when not plain digits, as the profile's bad_agent_id, with no token", Label("prod-safe"), func(ctx SpecContext) {
		sess := probeAgent(0)
		exp := suite.Config.Expect.BadAgentID
		for _, b := range badAgentIDs(sess.AgentID) {
			By(fmt.Sprintf("POST logininfo for agent ID %s with agent %d's live Guid", b.what, sess.AgentID))
			refusedWith(ctx, call{path: gateway.LoginInfoPathRaw(b.seg), session: sess}, exp,
				fmt.Sprintf("logininfo for agent ID %s", b.what))
		}
	})

	It("is accepted at both edges of agent_id_range: another agent's Guid there is refused as other_agent_guid, not as a bad ID", Label("prod-safe"), func(ctx SpecContext) {
		r := suite.Config.AgentIDRange
		for _, edge := range []int{r.Min, r.Max} {
			sess := probeAgent(0)
			if sess.AgentID == edge {
				sess = probeAgent(1)
			}
			By(fmt.Sprintf("POST logininfo for agent ID %d (a range edge) with agent %d's live Guid", edge, sess.AgentID))
			refusedWith(ctx, call{path: gateway.LoginInfoPath(edge), session: sess}, suite.Config.Expect.OtherAgentGuid,
				fmt.Sprintf("logininfo for edge agent ID %d with agent %d's Guid", edge, sess.AgentID))
		}
	})
})

var _ = Describe("Sign-in", Label("agentid"), func() {
	It("refuses agent IDs outside agent_id_range or not plain digits, as the profile's bad_agent_id, and issues no Guid", func(ctx SpecContext) {
		if suite.Config.Production {
			Skip(fmt.Sprintf("target %s is marked production: sign-in attempts for agent IDs that are not the suite's run only against non-production targets", suite.Config.Name))
		}
		own := suite.Pool.Probe[0].Agent
		body, err := json.Marshal(signInRequest(own))
		Expect(err).To(Succeed(), "the sign-in body must encode")
		exp := suite.Config.Expect.BadAgentID
		for _, b := range badAgentIDs(own.ID) {
			By(fmt.Sprintf("PUT sign-in for agent ID %s with valid credentials", b.what))
			r, err := do(ctx, call{method: http.MethodPut, path: onlineAgentPath(b.seg), body: body})
			Expect(err).To(Succeed(), "the gateway must answer a sign-in for agent ID %s", b.what)
			issued := r.Header.Get(gateway.HeaderSetGuid)
			sg, perr := gateway.ParseSetGuid(issued)
			if perr == nil {
				seg := b.seg
				DeferCleanup(func(ctx SpecContext) {
					By(fmt.Sprintf("signing out the session the gateway wrongly created for agent ID %s", b.what))
					_, _ = do(ctx, call{method: http.MethodDelete, path: onlineAgentPath(seg) + "/logout", header: withGuid(sg.Guid)})
				})
			}
			Expect(issued == "").To(BeTrue(), "a sign-in for agent ID %s must not issue a Guid, but Set-GUID carries %s", b.what, gateway.Mask(sg.Guid))
			Expect(checkRejected(r, exp, fmt.Sprintf("sign-in for agent ID %s", b.what))).To(Succeed(),
				"a sign-in for agent ID %s must be refused with %s", b.what, describeExpect(exp))
		}
	})
})
