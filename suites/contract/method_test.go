package contract_test

import (
	"net/http"

	"ccgw-harness/gateway"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// wrongMethods are the methods logininfo must refuse.
var wrongMethods = []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodHead, http.MethodOptions}

var _ = Describe("logininfo", Label("method", "prod-safe"), func() {
	for _, method := range wrongMethods {
		It("refuses "+method+" with a valid Guid, as the profile's wrong_method says, and hands out no token", func(ctx SpecContext) {
			exp := suite.Config.Expect.WrongMethod
			sess := probeAgent(0)

			By(method + " on the agent's own logininfo, with its live Guid")
			r, err := do(ctx, call{method: method, path: gateway.LoginInfoPath(sess.AgentID), session: sess})
			Expect(err).To(Succeed(), "the gateway must answer %s on logininfo", method)

			Expect(checkRejected(r, exp, method+" on logininfo")).To(Succeed(),
				"only POST may reach logininfo: %s must be refused with %s and carry no phonetoken", method, describeExpect(exp))
		})
	}

	It("answers POST with a valid Guid with a token, so refusing the other methods is about the method alone", func(ctx SpecContext) {
		sess := probeAgent(0)
		By("POST on the agent's own logininfo, with its live Guid")
		_, err := loginInfoOf(ctx, sess, "POST on logininfo")
		Expect(err).To(Succeed(), "POST with a live Guid is the documented call and must get a token")
	})
})
