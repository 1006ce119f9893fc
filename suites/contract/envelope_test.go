package contract_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"

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

// envelopeOf decodes an answer's envelope members, or explains why not.
func envelopeOf(r *gateway.Response) (map[string]json.RawMessage, error) {
	m, err := jsonMembers(r.Body)
	if err != nil {
		return nil, &contractError{msg: fmt.Sprintf("the body of the HTTP %d answer is %v", r.Status, err)}
	}
	return m, nil
}

// checkKinds holds members to the documented JSON types. want maps a member
// name to its type; absent members are problems too.
func checkKinds(what string, members map[string]json.RawMessage, want map[string]string) error {
	f := newFindings("%s", what)
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		raw, ok := members[n]
		switch {
		case !ok:
			f.add("no %q member (want a %s)", n, want[n])
		case rawKind(raw) != want[n]:
			f.add("%q is a %s, want a %s", n, rawKind(raw), want[n])
		}
	}
	return f.err()
}

// stringMember decodes a string member ("" when absent or not a string).
func stringMember(m map[string]json.RawMessage, name string) string {
	var s string
	if rawKind(m[name]) == "string" {
		_ = json.Unmarshal(m[name], &s)
	}
	return s
}

var _ = Describe("A successful logininfo answer", Label("envelope", "prod-safe"), func() {
	It("comes with HTTP 200 and Content-Type application/json", func(ctx SpecContext) {
		r := answerOf(ctx, probeAgent(0))
		Expect(r.Status).To(Equal(http.StatusOK), "a successful logininfo answers HTTP 200")
		ct := r.Header.Get(gateway.HeaderContentType)
		Expect(isJSONContentType(ct)).To(BeTrue(), "the answer must be labelled application/json, got Content-Type %q", ct)
	})

	It("is one JSON object with the members message, retcode and result", func(ctx SpecContext) {
		r := answerOf(ctx, probeAgent(0))
		env, err := envelopeOf(r)
		Expect(err).To(Succeed(), "every gateway body is the envelope {message, retcode, result}")
		for _, name := range []string{"message", "retcode", "result"} {
			_, ok := env[name]
			Expect(ok).To(BeTrue(), "the envelope must have a %q member", name)
		}
		_, err = gateway.DecodeEnvelope(r.Body)
		Expect(safe(err)).To(Succeed(), "the envelope must pass the harness's strict decoder (the load engine reads answers with it)")
	})

	It("carries retcode as the string \"0\", not a number", func(ctx SpecContext) {
		env, err := envelopeOf(answerOf(ctx, probeAgent(0)))
		Expect(err).To(Succeed(), "the body must be an envelope")
		Expect(checkKinds("the envelope", env, map[string]string{"retcode": "string"})).To(Succeed(), "retcode is documented as a string")
		rc := stringMember(env, "retcode")
		Expect(rc).To(Equal(gateway.RetOK), "success is retcode \"0\" (got %s: %s)", showRetcode(rc), gateway.RetcodeMeaning(rc))
	})

	It("uses only the documented JSON types: message and retcode strings, result an object of strings", func(ctx SpecContext) {
		env, err := envelopeOf(answerOf(ctx, probeAgent(0)))
		Expect(err).To(Succeed(), "the body must be an envelope")
		Expect(checkKinds("the envelope", env, map[string]string{"message": "string", "retcode": "string", "result": "object"})).To(Succeed(),
			"the envelope's members have documented types")
		res, err := jsonMembers(env["result"])
		Expect(err).To(Succeed(), "result must be a JSON object")
		Expect(checkKinds("the result", res, map[string]string{"phonetoken": "string", "phonenum": "string"})).To(Succeed(),
			"phonetoken and phonenum are documented as strings")
	})

	It("carries a non-empty phonetoken string", func(ctx SpecContext) {
		env, err := envelopeOf(answerOf(ctx, probeAgent(0)))
		Expect(err).To(Succeed(), "the body must be an envelope")
		res, err := jsonMembers(env["result"])
		Expect(err).To(Succeed(), "result must be a JSON object")
		Expect(checkKinds("the result", res, map[string]string{"phonetoken": "string"})).To(Succeed(), "phonetoken is a string")
		Expect(len(stringMember(res, "phonetoken"))).To(BeNumerically(">", 0), "the softphone needs a non-empty phonetoken")
	})

	It("carries, as phonenum, the number the agent signed in with", func(ctx SpecContext) {
		sess := probeAgent(0)
		env, err := envelopeOf(answerOf(ctx, sess))
		Expect(err).To(Succeed(), "the body must be an envelope")
		res, err := jsonMembers(env["result"])
		Expect(err).To(Succeed(), "result must be a JSON object")
		Expect(checkKinds("the result", res, map[string]string{"phonenum": "string"})).To(Succeed(), "phonenum is a string")
		Expect(stringMember(res, "phonenum")).To(Equal(sess.PhoneNum), "logininfo returns the phonenum agent %d signed in with", sess.AgentID)
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
		Expect(isJSONContentType(ct)).To(BeTrue(), "the error answer must be labelled application/json, got Content-Type %q", ct)
		env, err := envelopeOf(r)
		Expect(err).To(Succeed(), "an HTTP 200 error answer is still the envelope")
		Expect(checkKinds("the error envelope", env, map[string]string{"message": "string", "retcode": "string"})).To(Succeed(),
			"message and retcode are strings in error answers too")
		Expect(stringMember(env, "retcode")).NotTo(Equal(gateway.RetOK), "a refused call must not say retcode \"0\"")
		if res, ok := env["result"]; ok {
			Expect(rawKind(res)).To(BeElementOf("object", "null"), "result, when present, is an object or null")
		}
	})
})
