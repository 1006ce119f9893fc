package contract_test

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"

	"ccgw-harness/config"
	"ccgw-harness/gateway"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// unknownGuid returns a Guid of the gateway's shape that no session has: a
// fresh random UUID with the node suffix of like (when it has one).
func unknownGuid(like string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	g := fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	if n := gateway.GuidNode(like); n > 0 {
		g += gateway.NodeSuffix(n)
	}
	return g
}

// malformedGuids are Guid header values of the wrong shape.
var malformedGuids = []string{"not-a-guid", "JSESSIONID=", "{guid}", strings.Repeat("f", 512)}

// refusedWith sends a logininfo request and holds its answer to the
// rejection invariant and to the profile's expectation exp.
func refusedWith(ctx SpecContext, c call, exp config.Expect, what string) {
	GinkgoHelper()
	r, err := do(ctx, c)
	Expect(err).To(Succeed(), "the gateway must answer %s", what)
	Expect(checkRejected(r, exp, what)).To(Succeed(),
		"%s must be refused with %s and carry no phonetoken", what, describeExpect(exp))
}

var _ = Describe("logininfo's Guid header", Label("headers", "prod-safe"), func() {
	It("is required: a request without it is refused as the profile's missing_guid", func(ctx SpecContext) {
		sess := probeAgent(0)
		By("POST on a signed-in agent's logininfo with no Guid header")
		refusedWith(ctx, call{path: gateway.LoginInfoPath(sess.AgentID), session: sess, header: http.Header{gateway.HeaderGuid: {}}},
			suite.Config.Expect.MissingGuid, "logininfo without a Guid header")
	})

	It("must not be empty: an empty Guid is refused as the profile's empty_guid", func(ctx SpecContext) {
		sess := probeAgent(0)
		By("POST on a signed-in agent's logininfo with an empty Guid header")
		refusedWith(ctx, call{path: gateway.LoginInfoPath(sess.AgentID), session: sess, header: withGuid("")},
			suite.Config.Expect.EmptyGuid, "logininfo with an empty Guid")
	})

	It("must have the Guid's shape: malformed values are refused as the profile's malformed_guid", func(ctx SpecContext) {
		sess := probeAgent(0)
		for i, g := range malformedGuids {
			By(fmt.Sprintf("POST on a signed-in agent's logininfo with malformed Guid #%d (%d chars)", i+1, len(g)))
			refusedWith(ctx, call{path: gateway.LoginInfoPath(sess.AgentID), session: sess, header: withGuid(g)},
				suite.Config.Expect.MalformedGuid, fmt.Sprintf("logininfo with malformed Guid #%d", i+1))
		}
	})

	It("must be a Guid the gateway issued: an unknown one of the right shape is refused as the profile's unknown_guid", func(ctx SpecContext) {
		sess := probeAgent(0)
		By("POST on a signed-in agent's logininfo with a made-up Guid of the gateway's shape")
		refusedWith(ctx, call{path: gateway.LoginInfoPath(sess.AgentID), session: sess, header: withGuid(unknownGuid(sess.Guid()))},
			suite.Config.Expect.UnknownGuid, "logininfo with an unknown Guid")
	})

	It("must be this agent's: another signed-in agent's live Guid is refused as the profile's other_agent_guid", func(ctx SpecContext) {
		victim, other := probeAgent(0), probeAgent(1)
		By(fmt.Sprintf("agent %d's session asking for agent %d's logininfo", other.AgentID, victim.AgentID))
		refusedWith(ctx, call{path: gateway.LoginInfoPath(victim.AgentID), session: other},
			suite.Config.Expect.OtherAgentGuid, fmt.Sprintf("agent %d's Guid on agent %d's logininfo", other.AgentID, victim.AgentID))

		By(fmt.Sprintf("agent %d's own logininfo still working with that Guid", other.AgentID))
		_, err := loginInfoOf(ctx, other, "the other agent's own logininfo")
		Expect(err).To(Succeed(), "the refusal must be about whose Guid it is: the Guid itself is live")
	})
})

var _ = Describe("logininfo's Content-Type header", Label("headers", "prod-safe"), func() {
	It("may be any variant the profile's content_types lists: each gets the agent its token", func(ctx SpecContext) {
		cts := suite.Config.Expect.ContentTypes
		if len(cts) == 0 {
			Skip(fmt.Sprintf("target %s lists no expect.content_types", suite.Config.Name))
		}
		sess := probeAgent(0)
		for _, ct := range cts {
			By(fmt.Sprintf("POST on logininfo with Content-Type %q", ct))
			r, err := do(ctx, call{path: gateway.LoginInfoPath(sess.AgentID), session: sess, header: http.Header{gateway.HeaderContentType: {ct}}})
			Expect(err).To(Succeed(), "the gateway must answer logininfo with Content-Type %q", ct)
			_, err = checkLoginInfo(r, sess.PhoneNum, fmt.Sprintf("logininfo with Content-Type %q", ct))
			Expect(err).To(Succeed(), "the profile says the gateway accepts Content-Type %q", ct)
		}
	})
})
