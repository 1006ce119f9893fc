package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/internal/testscale"
)

// probe is a client of a mock gateway, signing in agents with the
// password of loadEnv.
type probe struct {
	c  *gateway.Client
	pw string
}

// newProbe returns a probe of the mock at url, trusting the PEM (nil:
// trusting any certificate, for the embedded mock of a ccgw load, whose
// certificate the test does not have).
func newProbe(url string, pem []byte, pw string) (*probe, error) {
	tc := gateway.TLSConfig{CAPEM: pem, InsecureSkipVerify: pem == nil}
	c, err := gateway.NewClient(url, gateway.WithTLS(tc))
	if err != nil {
		return nil, err
	}
	return &probe{c: c, pw: pw}, nil
}

func (p *probe) signIn(ctx context.Context, id int) (*gateway.Session, error) {
	return p.c.SignIn(ctx, id, gateway.SignInRequest{Password: p.pw, PhoneNum: fmt.Sprintf("7%d", id)})
}

// loginInfoWith asks for agent s's token with the Guid guid and returns
// the error ("" when it got one).
func (p *probe) loginInfoWith(ctx context.Context, s *gateway.Session, guid string) string {
	if _, err := p.c.LoginInfo(ctx, gateway.NewSession(s.AgentID, s.PhoneNum, guid)); err != nil {
		return err.Error()
	}
	return ""
}

// sleepUntil waits until t: these probes let a gateway's timeout run out,
// the behaviour under test (not a synchronisation).
func sleepUntil(t time.Time) { time.Sleep(time.Until(t)) }

// rotatedOutLives reports whether a rotated-out Guid still works after its
// guid_timeout T (4s) since its issue, though within T since its rotation:
// sign in, rotate the Guid (updateGuid) 2.5s later, try the old one 4.3s
// after the sign-in. Issue-based, it is dead; rotation-based, it lives
// until 6.5s (2.2s of slack for a loaded machine).
func (p *probe) rotatedOutLives(ctx context.Context, id int) (bool, error) {
	s, err := p.signIn(ctx, id)
	if err != nil {
		return false, err
	}
	signedIn := time.Now()
	old := s.Guid()
	sleepUntil(signedIn.Add(2500 * time.Millisecond))
	if _, err := p.c.UpdateGuid(ctx, s); err != nil {
		return false, err
	}
	sleepUntil(signedIn.Add(4300 * time.Millisecond))
	switch e := p.loginInfoWith(ctx, s, old); {
	case e == "":
		return true, nil
	case strings.Contains(e, gateway.RetNotSignedIn):
		return false, nil
	default:
		return false, errors.New(e)
	}
}

// timeoutFromMock are the mock settings of the guid_timeout_from probes:
// no rotation is due before updateGuid, and a Guid lives 4s.
const timeoutFromMock = "auth_mode: dynamic, guid_interval: 4s, guid_timeout: 4s"

// TestMockFlagEffects: each setting flag of `ccgw mock` changes how the
// mock answers a client: rotation, the life of a rotated-out Guid, idle
// sign-out, how long a poll is held, nodes, password, defects.
func TestMockFlagEffects(t *testing.T) {
	t.Parallel()
	pw := strings.TrimPrefix(loadEnv[0], pwEnv+"=")
	type mockCase struct {
		name  string
		flags []string
		pw    string // the password the probe signs in with
		probe func(ctx context.Context, p *probe) error
	}
	// polled signs agent 1001 in and polls once: whether the poll rotated
	// the Guid, and how long the mock held it.
	polled := func(ctx context.Context, p *probe) (bool, time.Duration, error) {
		s, err := p.signIn(ctx, 1001)
		if err != nil {
			return false, 0, err
		}
		start := time.Now()
		r, err := p.c.PollEvents(ctx, s)
		return r.Rotated, time.Since(start), err
	}
	rotates := func(want bool) func(ctx context.Context, p *probe) error {
		return func(ctx context.Context, p *probe) error {
			rotated, _, err := polled(ctx, p)
			if err == nil && rotated != want {
				err = fmt.Errorf("the poll rotated the Guid: %v, want %v", rotated, want)
			}
			return err
		}
	}
	// oldGuid signs agent 1002 in, has a poll rotate its Guid, waits 60ms
	// and returns what logininfo with the old Guid gets.
	oldGuid := func(ctx context.Context, p *probe) (string, error) {
		s, err := p.signIn(ctx, 1002)
		if err != nil {
			return "", err
		}
		signedIn, old := time.Now(), s.Guid()
		if r, err := p.c.PollEvents(ctx, s); err != nil || !r.Rotated {
			return "", fmt.Errorf("the poll did not rotate the Guid (%v)", err)
		}
		sleepUntil(signedIn.Add(60 * time.Millisecond))
		return p.loginInfoWith(ctx, s, old), nil
	}
	// idle signs agent 1003 in, polls never, and returns what logininfo
	// gets 400ms later.
	idle := func(ctx context.Context, p *probe) (string, error) {
		s, err := p.signIn(ctx, 1003)
		if err != nil {
			return "", err
		}
		sleepUntil(time.Now().Add(400 * time.Millisecond))
		return p.loginInfoWith(ctx, s, s.Guid()), nil
	}
	want := func(got string, err error, refusedWith string) error {
		switch {
		case err != nil:
			return err
		case refusedWith == "" && got != "":
			return fmt.Errorf("logininfo failed: %s; want a token", got)
		case refusedWith != "" && !strings.Contains(got, refusedWith):
			return fmt.Errorf("logininfo got %q; want it refused with %s", got, refusedWith)
		}
		return nil
	}
	cases := []mockCase{
		{"auth-mode static, poll-wait", []string{"--password-env", pwEnv, "--auth-mode", "static", "--poll-wait", "300ms"}, pw,
			func(ctx context.Context, p *probe) error {
				rotated, held, err := polled(ctx, p)
				if err == nil && (rotated || held < 300*time.Millisecond) {
					err = fmt.Errorf("the poll rotated %v, held %s; want no rotation, held the 300ms poll wait", rotated, held)
				}
				return err
			}},
		{"auth-mode dynamic, guid-interval", []string{"--password-env", pwEnv, "--auth-mode", "dynamic", "--guid-interval", "1ms", "--guid-timeout", "1h"}, pw, rotates(true)},
		{"guid-interval left out", []string{"--password-env", pwEnv, "--auth-mode", "dynamic", "--poll-wait", "100ms"}, pw, rotates(false)},
		{"guid-timeout", []string{"--password-env", pwEnv, "--guid-interval", "1ms", "--guid-timeout", "50ms"}, pw,
			func(ctx context.Context, p *probe) error {
				got, err := oldGuid(ctx, p)
				return want(got, err, gateway.RetNotSignedIn)
			}},
		{"guid-timeout long", []string{"--password-env", pwEnv, "--guid-interval", "1ms", "--guid-timeout", "1h"}, pw,
			func(ctx context.Context, p *probe) error {
				got, err := oldGuid(ctx, p)
				return want(got, err, "")
			}},
		{"guid-timeout-from rotation", []string{"--password-env", pwEnv, "--guid-interval", "4s", "--guid-timeout", "4s", "--guid-timeout-from", "rotation"}, pw,
			func(ctx context.Context, p *probe) error {
				lives, err := p.rotatedOutLives(ctx, 1004)
				if err == nil && !lives {
					err = errors.New("the rotated-out Guid died 4s after its issue, 1.8s after its rotation")
				}
				return err
			}},
		{"guid-timeout-from issue", []string{"--password-env", pwEnv, "--guid-interval", "4s", "--guid-timeout", "4s", "--guid-timeout-from", "issue"}, pw,
			func(ctx context.Context, p *probe) error {
				lives, err := p.rotatedOutLives(ctx, 1004)
				if err == nil && lives {
					err = errors.New("the rotated-out Guid still works 4.3s after its issue")
				}
				return err
			}},
		{"idle-timeout", []string{"--password-env", pwEnv, "--idle-timeout", "300ms"}, pw,
			func(ctx context.Context, p *probe) error {
				got, err := idle(ctx, p)
				return want(got, err, gateway.RetNotSignedIn)
			}},
		{"idle-timeout left out", []string{"--password-env", pwEnv}, pw,
			func(ctx context.Context, p *probe) error {
				got, err := idle(ctx, p)
				return want(got, err, "")
			}},
		{"nodes", []string{"--password-env", pwEnv, "--nodes", "3"}, pw,
			func(ctx context.Context, p *probe) error {
				nodes := map[int]bool{}
				for id := 1001; id <= 1003; id++ {
					s, err := p.signIn(ctx, id)
					if err != nil {
						return err
					}
					nodes[s.Node()] = true
				}
				if len(nodes) != 3 {
					return fmt.Errorf("3 sign-ins on a 3-node mock landed on nodes %v; want one each, in turn", nodes)
				}
				return nil
			}},
		{"password", []string{"--password", "flag-pw-1"}, "flag-pw-1",
			func(ctx context.Context, p *probe) error {
				if _, err := p.signIn(ctx, 1001); err != nil {
					return err
				}
				_, err := p.c.SignIn(ctx, 1002, gateway.SignInRequest{Password: pw, PhoneNum: "71002"})
				if err == nil || !strings.Contains(err.Error(), gateway.RetWrongPassword) {
					return fmt.Errorf("another password: %v, want %s", err, gateway.RetWrongPassword)
				}
				return nil
			}},
		{"password empty", []string{"--password", ""}, "",
			func(ctx context.Context, p *probe) error {
				_, err := p.signIn(ctx, 1001)
				return err
			}},
		{"defect", []string{"--password-env", pwEnv, "--defect", "any-method"}, pw,
			func(ctx context.Context, p *probe) error {
				s, err := p.signIn(ctx, 1001)
				if err != nil {
					return err
				}
				r, err := p.c.Do(ctx, http.MethodGet, gateway.LoginInfoPath(1001), s, nil, nil)
				if err == nil && r.Status != http.StatusOK {
					err = fmt.Errorf("GET logininfo: HTTP %d; want 200, as POST (the any-method defect)", r.Status)
				}
				return err
			}},
		{"defect left out", []string{"--password-env", pwEnv}, pw,
			func(ctx context.Context, p *probe) error {
				s, err := p.signIn(ctx, 1001)
				if err != nil {
					return err
				}
				r, err := p.c.Do(ctx, http.MethodGet, gateway.LoginInfoPath(1001), s, nil, nil)
				if err == nil && r.Status != http.StatusMethodNotAllowed {
					err = fmt.Errorf("GET logininfo: HTTP %d; want 405", r.Status)
				}
				return err
			}},
	}
	errs := make([]error, len(cases))
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := launchMock(t, c.flags...)
			if err != nil {
				errs[i] = err
				return
			}
			p, err := newProbe(m.url, readPEMOr(m.cert), c.pw)
			if err != nil {
				errs[i] = err
				return
			}
			defer p.c.HTTPClient().CloseIdleConnections()
			ctx, cancel := context.WithTimeout(context.Background(), testscale.D(time.Minute))
			defer cancel()
			errs[i] = c.probe(ctx, p)
		}()
	}
	wg.Wait()
	for i, c := range cases {
		if errs[i] != nil {
			t.Errorf("ccgw mock %s: %v", strings.Join(c.flags, " "), errs[i])
		}
	}
	// Static mode has no Guid timings to take.
	for _, flag := range []string{"--guid-interval=1s", "--guid-timeout=1s", "--guid-timeout-from=rotation"} {
		name, _, _ := strings.Cut(flag, "=")
		code, stdout, stderr := runCCGW(t, loadEnv, "mock", "--addr", "127.0.0.1:0", "--auth-mode", "static", flag)
		if code != exitHarness || !strings.Contains(stderr, name+" does not apply with --auth-mode static") || strings.Contains(stdout, "listening on") {
			t.Errorf("ccgw mock --auth-mode static %s: exit %d, stderr %q; want it refused, naming %s", flag, code, stderr, name)
		}
	}
}

// readPEMOr reads a certificate file, nil when it cannot.
func readPEMOr(path string) []byte {
	b, _ := os.ReadFile(path)
	return b
}

// embeddedMockLine is ccgw load's line naming its embedded mock's URL.
var embeddedMockLine = regexp.MustCompile(`^target m: embedded mock gateway at (https://\S+)$`)

// TestMockGuidTimeoutFromKey: mock.guid_timeout_from changes the embedded
// mock of `ccgw load`: during a run, a rotated-out Guid of the mock lives
// guid_timeout after its rotation, or (by default) after its issue.
func TestMockGuidTimeoutFromKey(t *testing.T) {
	t.Parallel()
	pw := strings.TrimPrefix(loadEnv[0], pwEnv+"=")
	for _, c := range []struct {
		from  string
		lives bool
	}{{"rotation", true}, {"", false}} {
		t.Run(cmp.Or(c.from, "default"), func(t *testing.T) {
			t.Parallel()
			mock := "{" + timeoutFromMock + ", poll_wait: 200ms}"
			if c.from != "" {
				mock = "{" + timeoutFromMock + ", poll_wait: 200ms, guid_timeout_from: " + c.from + "}"
			}
			dir := t.TempDir()
			targets := filepath.Join(dir, "targets.yaml")
			if err := os.WriteFile(targets, []byte(embedded(mock, "", "{agents: 1, rate: 1, duration: 60s}")["targets.yaml"]), 0o600); err != nil {
				t.Fatal(err)
			}
			p := startLoad(t, "load", "--targets", targets, "--target", "m", "--plan", "p", "--out", filepath.Join(dir, "out"), "--quiet")
			url := embeddedMockLine.FindStringSubmatch(p.waitFor(t, embeddedMockLine, time.Minute))[1]
			pr, err := newProbe(url, nil, pw)
			if err != nil {
				t.Fatal(err)
			}
			defer pr.c.HTTPClient().CloseIdleConnections()
			ctx, cancel := context.WithTimeout(context.Background(), testscale.D(time.Minute))
			defer cancel()
			lives, err := pr.rotatedOutLives(ctx, 3000) // not an agent of the plan
			if err != nil {
				t.Fatal(err)
			}
			if lives != c.lives {
				t.Errorf("guid_timeout_from %q: a Guid rotated out 2.5s after its issue works 4.3s after its issue: %v, want %v", c.from, lives, c.lives)
			}
			p.signal(t, os.Interrupt)
			if code := p.wait(t, time.Minute); code != exitInterrupted {
				t.Errorf("exit %d after SIGINT, want %d\nstderr:\n%s", code, exitInterrupted, p.stderr)
			}
		})
	}
}
