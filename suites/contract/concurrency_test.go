package contract_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"ccgw-harness/gateway"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// CrowdRounds is how many logininfo calls each crowd agent starts at once.
const CrowdRounds = 4

// warmConnections opens n keep-alive connections to the gateway with n
// concurrent refused probes (logininfo without a Guid), which the client
// then keeps idle for the calls that follow.
func warmConnections(ctx context.Context, sessions []*gateway.Session, n int) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		sess := sessions[i%len(sessions)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = do(ctx, call{path: gateway.LoginInfoPath(sess.AgentID), header: http.Header{gateway.HeaderGuid: {}}})
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

var _ = Describe("Many agents asking at once", Label("concurrency", "prod-safe"), func() {
	It("each get their own phonenum and a phonetoken no other agent got", func(ctx SpecContext) {
		type result struct {
			agent int
			li    gateway.LoginInfo
			err   error
		}
		crowd := suite.Pool.Crowd
		sessions := make([]*gateway.Session, len(crowd))
		for i, a := range crowd {
			sessions[i] = a.Session()
			Expect(sessions[i]).NotTo(BeNil(), "crowd agent %d must be signed in", a.Agent.ID)
		}
		results := make([]result, len(crowd)*CrowdRounds)
		By(fmt.Sprintf("opening %d connections first, so that the calls reach the gateway together rather than one TLS handshake apart", len(results)))
		Expect(safe(warmConnections(ctx, sessions, len(results)))).To(Succeed(), "the gateway must answer the warm-up requests")

		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range results {
			sess := sessions[i%len(sessions)]
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				li, err := loginInfoOf(ctx, sess, fmt.Sprintf("agent %d", sess.AgentID))
				results[i] = result{agent: sess.AgentID, li: li, err: err}
			}()
		}
		By(fmt.Sprintf("starting %d logininfo calls of %d agents at the same moment", len(results), len(crowd)))
		close(start)
		wg.Wait()

		f := newFindings("%d concurrent logininfo calls", len(results))
		owner := map[string]int{}
		for _, r := range results {
			if r.err != nil {
				f.add("%v", r.err)
				continue
			}
			if prev, ok := owner[r.li.PhoneToken]; ok && prev != r.agent {
				f.add("agents %d and %d received the same phonetoken (%s)", prev, r.agent, gateway.Mask(r.li.PhoneToken))
				continue
			}
			owner[r.li.PhoneToken] = r.agent
		}
		Expect(f.err()).To(Succeed(), "under concurrency every agent still gets its own phonenum and its own phonetoken")
	})
})
