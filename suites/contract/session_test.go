package contract_test

import (
	"context"
	"fmt"

	"ccgw-harness/gateway"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("Distinct agents", Label("session", "prod-safe"), func() {
	It("never receive each other's phonenum or the same phonetoken", func(ctx SpecContext) {
		slots := append(append([]*agentSlot{}, suite.Pool.Probe...), suite.Pool.Crowd...)
		owner := map[string]int{} // phonetoken -> agent ID
		f := newFindings("logininfo of %d agents, one after another", len(slots))
		By(fmt.Sprintf("asking %d signed-in agents for their logininfo, one after another", len(slots)))
		for _, a := range slots {
			sess := a.Session()
			Expect(sess).NotTo(BeNil(), "agent %d must be signed in", a.Agent.ID)
			li, err := loginInfoOf(ctx, sess, fmt.Sprintf("agent %d", sess.AgentID))
			if err != nil {
				f.add("%v", err)
				continue
			}
			if prev, dup := owner[li.PhoneToken]; dup {
				f.add("agents %d and %d received the same phonetoken (%s)", prev, sess.AgentID, gateway.Mask(li.PhoneToken))
				continue
			}
			owner[li.PhoneToken] = sess.AgentID
		}
		Expect(f.err()).To(Succeed(), "each agent gets its own phonenum and a phonetoken no other agent has")
	})
})

var _ = Describe("Sign-out", Label("session", "headers", "prod-safe"), func() {
	It("kills the Guid: logininfo with a signed-out agent's Guid is refused as the profile's signed_out_guid", func(ctx SpecContext) {
		_, sess := takeSessionAgent(0)
		By(fmt.Sprintf("signing agent %d out", sess.AgentID))
		sctx, cancel := context.WithTimeout(ctx, settings.Timeouts.Call)
		defer cancel()
		Expect(safe(suite.Client.SignOut(sctx, sess))).To(Succeed(), "a signed-in agent must be able to sign out")

		By("POST logininfo with the Guid it had")
		refusedWith(ctx, call{path: gateway.LoginInfoPath(sess.AgentID), session: sess}, suite.Config.Expect.SignedOutGuid,
			fmt.Sprintf("logininfo for agent %d with its signed-out Guid", sess.AgentID))
	})
})

var _ = Describe("Forced sign-in", Label("session", "headers", "prod-safe"), func() {
	It("replaces the Guid: the old one is refused as the profile's replaced_guid and the new one gets a token", func(ctx SpecContext) {
		if !suite.Config.ForceLogin {
			Skip(fmt.Sprintf("target %s sets force_login: false", suite.Config.Name))
		}
		slot, sess := takeSessionAgent(0)
		old := sess.Guid()

		By(fmt.Sprintf("signing agent %d in again with forcelogin", sess.AgentID))
		sctx, cancel := context.WithTimeout(ctx, settings.Timeouts.Call)
		defer cancel()
		fresh, err := suite.Client.ForceSignIn(sctx, sess.AgentID, signInRequest(slot.Agent))
		Expect(safe(err)).To(Succeed(), "a signed-in agent must be able to force a new sign-in")
		slot.setSession(fresh)
		Expect(fresh.Guid() != old).To(BeTrue(), "forcelogin must issue a new Guid, not %s again", gateway.Mask(old))

		By("POST logininfo with the replaced Guid")
		refusedWith(ctx, call{path: gateway.LoginInfoPath(sess.AgentID), session: fresh, header: withGuid(old)}, suite.Config.Expect.ReplacedGuid,
			fmt.Sprintf("logininfo for agent %d with the Guid forcelogin replaced", sess.AgentID))

		By("POST logininfo with the new Guid")
		_, err = loginInfoOf(ctx, fresh, "logininfo with the Guid forcelogin issued")
		Expect(err).To(Succeed(), "the Guid forcelogin issued must work")
	})
})

var _ = Describe("Guid rotation", Label("session", "slow", "prod-safe"), func() {
	It("hands out a new Guid on an event poll that works at once, while the previous one stops working within guid_timeout", func(ctx SpecContext) {
		if ok, why := settings.RotationFits(); !ok {
			Skip(why)
		}
		to := settings.Timeouts
		slot, sess := takeSessionAgent(1)
		old := sess.Guid()

		By(fmt.Sprintf("polling agent %d's events until a Set-GUID header rotates its Guid (within %v)", sess.AgentID, to.Rotation))
		Eventually(ctx, func(ctx context.Context) (bool, error) {
			pctx, cancel := context.WithTimeout(ctx, to.Poll)
			defer cancel()
			_, err := suite.Client.PollEvents(pctx, sess)
			return sess.Guid() != old, safe(err)
		}).WithTimeout(to.Rotation).WithPolling(to.Tick).Should(BeTrue(),
			"in dynamic auth mode an event poll hands out a new Guid once the current one is guid_interval (%v) old", suite.Config.GuidInterval)

		By("POST logininfo with the rotated Guid")
		_, err := loginInfoOf(ctx, sess, "logininfo with the rotated Guid")
		Expect(err).To(Succeed(), "the Guid from Set-GUID must work at once")

		By(fmt.Sprintf("polling on in the background and waiting for the previous Guid to stop working (within %v)", to.Expiry))
		suite.Pool.Keep(slot)
		probeOld := call{path: gateway.LoginInfoPath(sess.AgentID), session: sess, header: withGuid(old)}
		Eventually(ctx, func(ctx context.Context) error {
			r, err := do(ctx, probeOld)
			if err != nil {
				return err
			}
			if accepted(r) {
				return &contractError{msg: fmt.Sprintf("the previous Guid %s still gets a token", gateway.Mask(old))}
			}
			return nil
		}).WithTimeout(to.Expiry).WithPolling(to.Tick).Should(Succeed(),
			"a rotated-out Guid dies guid_timeout (%v) after it was issued, or after it was rotated out (the vendor text allows both; the wait covers the later)", suite.Config.GuidTimeout)
		refusedWith(ctx, probeOld, suite.Config.Expect.ReplacedGuid, "logininfo with the rotated-out Guid")

		By("POST logininfo with the session's current Guid")
		_, err = loginInfoOf(ctx, sess, "logininfo with the current Guid after the old one expired")
		Expect(err).To(Succeed(), "the session must still be alive: the old Guid died of its timeout, not with the session")
	})
})
