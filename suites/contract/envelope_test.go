package contract_test

import (
	"fmt"
	"net/http"
	"strings"

	"ccgw-harness/gateway"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// answerOf fetches probe agent 0's logininfo answer (raw) and asserts the
// gateway answered.
func answerOf(ctx SpecContext, sess *gateway.Session) *gateway.Response {
	GinkgoHelper()
	By(fmt.Sprintf("POST logininfo for agent %d with its live Guid", sess.AgentID))
	r, err := do(ctx, call{path: gateway.LoginInfoPath(sess.AgentID), session: sess})
	Expect(err).To(Succeed(), "the gateway must answer logininfo")
	return r
}

// checkedAnswer fetches sess's logininfo answer (raw), asserts the gateway
// answered, and judges it by the contract oracle.
func checkedAnswer(ctx SpecContext, sess *gateway.Session) gateway.LoginInfoCheck {
	GinkgoHelper()
	r := answerOf(ctx, sess)
	return gateway.CheckLoginInfo(r.Status, r.Header.Get(gateway.HeaderContentType), r.Body, sess.PhoneNum)
}

// about is nil when the oracle found nothing wrong with parts of the answer
// (with shapeOnly: nothing about their presence or JSON type), else an
// error listing what it found. Each spec below looks at some parts; every
// finding the oracle can make is some spec's, so the specs all pass exactly
// when the oracle says success (status and Content-Type: the first spec,
// with the oracle's IsJSONContentType). Findings about the body as a whole
// (it is no JSON object) belong to every spec.
func about(c gateway.LoginInfoCheck, what string, shapeOnly bool, parts ...gateway.Part) error {
	found := c.About(shapeOnly, append(parts, gateway.PartBody)...)
	if len(found) == 0 {
		return nil
	}
	return &contractError{msg: what + ": " + strings.Join(found, "; ")}
}

var _ = Describe("A successful logininfo answer", Label("envelope", "prod-safe"), func() {
	It("comes with HTTP 200 and Content-Type application/json", func(ctx SpecContext) {
		r := answerOf(ctx, probeAgent(0))
		Expect(r.Status).To(Equal(http.StatusOK), "a successful logininfo answers HTTP 200")
		ct := r.Header.Get(gateway.HeaderContentType)
		Expect(gateway.IsJSONContentType(ct)).To(BeTrue(), "the answer must be labelled application/json (a well-formed media type), got Content-Type %q", ct)
	})

	It("is one JSON object with the members message, retcode and result", func(ctx SpecContext) {
		c := checkedAnswer(ctx, probeAgent(0))
		Expect(about(c, "the envelope", true, gateway.PartMessage, gateway.PartRetcode, gateway.PartResult)).To(Succeed(),
			"every gateway body is the envelope {message, retcode, result}, each member once")
	})

	It("carries retcode as the string \"0\", not a number", func(ctx SpecContext) {
		c := checkedAnswer(ctx, probeAgent(0))
		Expect(about(c, "the envelope", false, gateway.PartRetcode)).To(Succeed(), "retcode is documented as a string; success is \"0\"")
	})

	It("uses only the documented JSON types: message and retcode strings, result an object of strings", func(ctx SpecContext) {
		c := checkedAnswer(ctx, probeAgent(0))
		Expect(about(c, "the answer", true, gateway.PartMessage, gateway.PartRetcode, gateway.PartResult,
			gateway.PartPhoneToken, gateway.PartPhoneNum)).To(Succeed(),
			"the envelope's members and phonetoken and phonenum have documented types")
	})

	It("carries a non-empty phonetoken string", func(ctx SpecContext) {
		c := checkedAnswer(ctx, probeAgent(0))
		Expect(about(c, "the result", false, gateway.PartResult, gateway.PartPhoneToken)).To(Succeed(),
			"the softphone needs a non-empty phonetoken string")
	})

	It("carries, as phonenum, the number the agent signed in with", func(ctx SpecContext) {
		sess := probeAgent(0)
		c := checkedAnswer(ctx, sess)
		Expect(about(c, "the result", false, gateway.PartResult, gateway.PartPhoneNum)).To(Succeed(),
			"logininfo returns, as a string, the phonenum agent %d signed in with", sess.AgentID)
	})
})

var _ = Describe("An error answer of logininfo", Label("envelope", "prod-safe"), func() {
	It("is a JSON envelope with a string message, a non-zero string retcode and no phonetoken", func(ctx SpecContext) {
		sess := probeAgent(0)
		By(fmt.Sprintf("POST logininfo for agent %d without a Guid", sess.AgentID))
		r, err := do(ctx, call{path: gateway.LoginInfoPath(sess.AgentID), session: sess, header: http.Header{gateway.HeaderGuid: {}}})
		Expect(err).To(Succeed(), "the gateway must answer logininfo without a Guid")
		tok, carries := tokenIn(r.Body)
		Expect(carries).To(BeFalse(), "an error answer must carry no phonetoken (it carries %s)", tok)
		if r.Status < 200 || r.Status > 299 {
			By(fmt.Sprintf("the target refuses with HTTP %d: the envelope checks below apply to HTTP 2xx error answers only", r.Status))
			return
		}
		ct := r.Header.Get(gateway.HeaderContentType)
		Expect(gateway.IsJSONContentType(ct)).To(BeTrue(), "the error answer must be labelled application/json, got Content-Type %q", ct)
		env, err := gateway.DecodeEnvelope(r.Body)
		Expect(safe(err)).To(Succeed(), "an HTTP 200 error answer is still the envelope (a string retcode; result, when present, an object or null)")
		c := gateway.CheckLoginInfo(r.Status, ct, r.Body, sess.PhoneNum)
		Expect(about(c, "the error envelope", true, gateway.PartMessage)).To(Succeed(), "message is a string in error answers too")
		Expect(env.Retcode).NotTo(Equal(gateway.RetOK), "a refused call must not say retcode \"0\"")
	})
})
