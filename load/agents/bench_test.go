package agents_test

import (
	"context"
	"testing"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
	"ccgw-harness/load/agents"
	"ccgw-harness/mockgw"
)

// BenchmarkSignIn10k signs 10,000 agents in against the mock with the pool
// (issue #4: at most 10 s) and reports the seconds it took; the sign-out
// afterwards is not timed.
func BenchmarkSignIn10k(b *testing.B) {
	const n = 10000
	m, err := mockgw.New(mockgw.WithAuthMode(gateway.AuthStatic), mockgw.WithPassword(testPassword))
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	c, err := gateway.NewClient(m.URL(), gateway.WithTLS(gateway.TLSConfig{CAPEM: m.CertPEM()}))
	if err != nil {
		b.Fatal(err)
	}
	defer c.HTTPClient().CloseIdleConnections()
	list := make([]config.Agent, n)
	for i := range list {
		list[i] = config.Agent{ID: firstAgent + i, PhoneNum: "7" + string(rune('0'+i%10)), Password: testPassword}
	}
	var total time.Duration
	for b.Loop() {
		p, err := agents.NewPool(c, list, agents.WithSignInConcurrency(config.DefaultSignInConcurrency))
		if err != nil {
			b.Fatal(err)
		}
		sum, err := p.SignIn(context.Background())
		if err != nil || sum.SignedIn != n {
			b.Fatalf("signed in %d of %d: %v %s", sum.SignedIn, n, err, sum)
		}
		total += sum.Elapsed
		b.StopTimer()
		if out := p.SignOut(context.Background()); out.SignedOut != n {
			b.Fatalf("sign-out: %s", out)
		}
		b.StartTimer()
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/10k-signins")
}
