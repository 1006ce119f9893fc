package connect_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"

	"ccgw-harness/config"
	"ccgw-harness/connect"
	"ccgw-harness/gateway"
	"ccgw-harness/mockgw"
)

func target(t *testing.T, yaml, name string) *config.Target {
	t.Helper()
	f, err := config.Parse("targets.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	tg, err := f.Target(name)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

const mockYAML = `
targets:
  mock:
    mock:
      nodes: 2
      auth_mode: static
      faults: {wrong_phone_rate: 1}
      defects: [no-allow-header]
      capacity: 5000
    agent_id_range: [101, 59999]
    agents: {ids: "1001-1002", phonenum_prefix: "7"}
`

// TestOpenStartsTheEmbeddedMockAsConfigured checks that a mock target means
// the same gateway everywhere: its nodes, auth mode, ID range, capacity,
// faults and defects reach the mock, and the agents' generated password signs them in.
func TestOpenStartsTheEmbeddedMockAsConfigured(t *testing.T) {
	cfg := target(t, mockYAML, "mock")
	rt, err := connect.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	if rt.Mock == nil || !rt.TLSVerified {
		t.Fatalf("a mock target must start the embedded mock with verified TLS (mock %v, verified %v)", rt.Mock != nil, rt.TLSVerified)
	}
	if cfg.Agents.Password != "" {
		t.Error("Open must not write the generated password into the caller's configuration")
	}
	if rt.Config.Agents.Password == "" {
		t.Fatal("a mock target without password_env needs a generated password")
	}
	agents, err := rt.Config.AgentList(1)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := rt.Client.SignIn(ctx, agents[0].ID, gateway.SignInRequest{Password: agents[0].Password, PhoneNum: agents[0].PhoneNum})
	if err != nil {
		t.Fatalf("the agents' password must be the mock's: %v", err)
	}
	if n := s.Node(); n < 1 || n > 2 {
		t.Errorf("nodes: 2 must reach the mock: node %d", n)
	}
	if _, err := rt.Client.LoginInfo(ctx, s); err == nil || !strings.Contains(err.Error(), gateway.ViolationWrongPhone) {
		t.Errorf("faults must reach the mock (wrong_phone_rate 1): got %v", err)
	}
	resp, err := rt.Client.Do(ctx, "GET", gateway.LoginInfoPath(agents[0].ID), s, nil, nil)
	if err != nil || resp.Status != 405 || resp.Header.Get("Allow") != "" {
		t.Errorf("defects must reach the mock (no-allow-header): status %d, Allow %q, err %v", resp.Status, resp.Header.Get("Allow"), err)
	}
	if c := rt.Mock.Capacity(); c != 5000 {
		t.Errorf("capacity must reach the mock: %v, want 5000", c)
	}
	if st := rt.Mock.Stats(); st.Calls[mockgw.CallLoginInfo].Requests == 0 {
		t.Error("the probe and calls must reach the mock")
	}
}

// TestOpenFailsFastOnAnUnreachableGateway checks the one message a user
// sees: the target, its URL, the cause and what to check.
func TestOpenFailsFastOnAnUnreachableGateway(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	t.Setenv("CCGW_CONNECT_TEST_PW", "not-used")
	cfg := target(t, `
targets:
  dead:
    url: https://`+addr+`
    agents: {ids: "1001", phonenum_prefix: "7", password_env: CCGW_CONNECT_TEST_PW}
`, "dead")
	_, err = connect.Open(context.Background(), cfg)
	if err == nil {
		t.Fatal("Open must fail when nothing listens")
	}
	msg := err.Error()
	for _, want := range []string{"target dead", "https://" + addr, "connection refused", "unreachable"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q must name %q", msg, want)
		}
	}
	if strings.Contains(msg, "/logininfo") {
		t.Errorf("message %q should give the cause, not the probe's request line", msg)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("the error must keep its cause (connection refused) for errors.Is: %#v", err)
	}
}

func TestMockOptionsRejectsUnknownDefect(t *testing.T) {
	cfg := target(t, strings.Replace(mockYAML, "no-allow-header", "no-such-defect", 1), "mock")
	if _, err := connect.MockOptions(cfg); err == nil || !strings.Contains(err.Error(), "no-such-defect") {
		t.Errorf("an unknown defect must be an error naming it, got %v", err)
	}
}

// TestOpenAgentsWithoutPassword: a mock target with password: "", or whose
// password_env is set and empty, starts a mock whose agents have none, and
// its agents sign in with an empty password; the Guid timeout reading
// reaches the mock.
func TestOpenAgentsWithoutPassword(t *testing.T) {
	t.Setenv("CCGW_CONNECT_EMPTY_PW", "")
	for name, y := range map[string]string{
		"mock password": `
targets:
  mock:
    mock: {password: "", guid_timeout_from: rotation}
    agents: {ids: "1001-1002", phonenum_prefix: "7"}
`,
		"empty password_env": `
targets:
  mock:
    mock: {}
    agents: {ids: "1001-1002", phonenum_prefix: "7", password_env: CCGW_CONNECT_EMPTY_PW}
`,
	} {
		t.Run(name, func(t *testing.T) {
			cfg := target(t, y, "mock")
			rt, err := connect.Open(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer rt.Close()
			if rt.Config.Agents.Password != "" || !rt.Config.Agents.NoPassword || !connect.NoPassword(rt.Config) {
				t.Fatalf("agents without a password: password set %v, NoPassword %v", rt.Config.Agents.Password != "", rt.Config.Agents.NoPassword)
			}
			agents, _ := rt.Config.AgentList(2)
			ctx := context.Background()
			if _, err := rt.Client.SignIn(ctx, agents[0].ID, gateway.SignInRequest{Password: "", PhoneNum: agents[0].PhoneNum}); err != nil {
				t.Errorf("sign-in with an empty password: %v", err)
			}
			if _, err := rt.Client.SignIn(ctx, agents[1].ID, gateway.SignInRequest{Password: "guess", PhoneNum: agents[1].PhoneNum}); err == nil || !strings.Contains(err.Error(), gateway.RetWrongPassword) {
				t.Errorf("sign-in with a password on a mock without: %v, want %s", err, gateway.RetWrongPassword)
			}
		})
	}
}
