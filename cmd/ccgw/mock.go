package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/mockgw"
)

const mockUsage = `Usage: ccgw mock [flags]

Serves the mock CC-Gateway over HTTPS until SIGINT or SIGTERM. When it is
ready it prints one line: listening on https://HOST:PORT (the real port when
--addr asked for port 0). Admin endpoints (stats, faults, defects, restart)
are under /ccgw-admin/.

Examples:
  ccgw mock --addr 127.0.0.1:8043 --cert-out out/mock.pem
  ccgw mock --addr 127.0.0.1:0 --auth-mode dynamic --guid-interval 2s --guid-timeout 4s
  ccgw mock --guid-timeout-from rotation --password ''   # agents without a password
  ccgw mock --nodes 3 --retcode-rate 0.01 --retcode 100-007 --latency-fixed 5ms
  curl --cacert out/mock.pem https://127.0.0.1:8043/ccgw-admin/stats

Flags:
`

// mockFlags is the parsed command line of `ccgw mock`.
type mockFlags struct {
	addr, certOut, authMode, idRange, password, passwordEnv string
	guidTimeoutFrom                                         string
	noPassword                                              bool // --password '' (or an empty --password-env variable): agents have none
	guidInterval, guidTimeout, idleTimeout, pollWait        time.Duration
	nodes                                                   int
	defects                                                 []string
	faults                                                  mockgw.Faults
}

func parseMockFlags(args []string, stderr io.Writer) (*mockFlags, error) {
	f := &mockFlags{}
	fs := flag.NewFlagSet("ccgw mock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, mockUsage); fs.PrintDefaults() }
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8043", "`HOST:PORT` to listen on (port 0 picks a free port)")
	fs.StringVar(&f.certOut, "cert-out", "", "write the server certificate (PEM, for clients to trust) to `FILE`")
	fs.StringVar(&f.authMode, "auth-mode", string(gateway.AuthDynamic), "authentication mode: static or dynamic")
	fs.DurationVar(&f.guidInterval, "guid-interval", gateway.DefaultGuidInterval, "dynamic mode: rotate the Guid after this long (GUIDINTERVAL)")
	fs.DurationVar(&f.guidTimeout, "guid-timeout", gateway.DefaultGuidTimeout, "dynamic mode: a rotated-out Guid dies this long after it was issued, or rotated (GUIDTIMEOUT; see --guid-timeout-from)")
	fs.StringVar(&f.guidTimeoutFrom, "guid-timeout-from", string(gateway.GuidTimeoutFromIssue), "when --guid-timeout counts for a rotated-out Guid: issue or rotation (the vendor text allows both)")
	fs.DurationVar(&f.idleTimeout, "idle-timeout", gateway.DefaultIdleTimeout, "sign an agent out after this long without an event poll")
	fs.DurationVar(&f.pollWait, "poll-wait", gateway.DefaultPollWait, "how long an idle event long-poll is held")
	fs.StringVar(&f.idRange, "agent-id-range", gateway.DefaultIDRange.String(), "valid agent IDs, `MIN-MAX`")
	fs.StringVar(&f.password, "password", "", "the agents' password (default: any non-empty password; --password '' makes agents without one); prefer --password-env")
	fs.StringVar(&f.passwordEnv, "password-env", "", "read the agents' password from environment variable `NAME` (set and empty: agents without one)")
	fs.IntVar(&f.nodes, "nodes", 1, "cluster nodes behind the one address (sticky cookie NSLBROUTE)")
	fs.Func("defect", "inject a contract defect `NAME` (repeatable or comma-separated; see mockgw.AllDefects: "+defectNames()+")", func(s string) error {
		for _, d := range strings.Split(s, ",") {
			if _, err := mockgw.ParseDefect(strings.TrimSpace(d)); err != nil {
				return err
			}
			f.defects = append(f.defects, strings.TrimSpace(d))
		}
		return nil
	})
	ft := &f.faults
	fs.DurationVar(&ft.LatencyFixed, "latency-fixed", 0, "fault: delay every logininfo answer by this much")
	fs.DurationVar(&ft.LatencyJitter, "latency-jitter", 0, "fault: add a uniform 0..D delay")
	fs.StringVar(&ft.LatencyDist, "latency-dist", "", "fault: extra delay distribution: uniform (with --latency-jitter) or exponential (with --latency-mean)")
	fs.DurationVar(&ft.LatencyMean, "latency-mean", 0, "fault: mean of the exponential extra delay")
	fs.Float64Var(&ft.RetcodeRate, "retcode-rate", 0, "fault: share of logininfo calls answered with --retcode")
	fs.StringVar(&ft.Retcode, "retcode", "", "fault: the retcode of --retcode-rate (default "+mockgw.DefaultFaultRetcode+")")
	fs.Float64Var(&ft.HTTPErrorRate, "http-error-rate", 0, "fault: share answered with HTTP --http-status")
	fs.IntVar(&ft.HTTPStatus, "http-status", 0, "fault: the status of --http-error-rate (default 503)")
	fs.Float64Var(&ft.ResetRate, "reset-rate", 0, "fault: share whose connection is reset (TCP RST)")
	fs.Float64Var(&ft.MalformedRate, "malformed-rate", 0, "fault: share answered with a body that is not JSON")
	fs.Float64Var(&ft.TruncatedRate, "truncated-rate", 0, "fault: share answered with a truncated envelope")
	fs.Float64Var(&ft.StallRate, "stall-rate", 0, "fault: share that get no answer for --stall-for, then a closed connection")
	fs.DurationVar(&ft.StallFor, "stall-for", 0, "fault: length of a stall (default 30s)")
	fs.Float64Var(&ft.SlowBodyRate, "slow-body-rate", 0, "fault: share whose body is trickled over --slow-body-for")
	fs.DurationVar(&ft.SlowBodyFor, "slow-body-for", 0, "fault: length of a slow body (default 2s)")
	fs.Float64Var(&ft.WrongPhoneRate, "wrong-phone-rate", 0, "fault: share answered with another agent's phonenum")
	fs.Float64Var(&ft.SignInFailRate, "sign-in-fail-rate", 0, "fault: share of agents whose sign-in always fails (100-007)")
	fs.DurationVar(&ft.SignInLatency, "sign-in-latency", 0, "fault: sign-in and sign-out take this long")
	fs.BoolVar(&ft.RotateEveryPoll, "rotate-every-poll", false, "fault: dynamic mode rotates the Guid on every event poll")
	fs.Float64Var(&ft.TLSFailRate, "tls-fail-rate", 0, "fault: share of TLS handshakes refused")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("ccgw mock: unexpected argument %q (flags only; see ccgw mock -h)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if set["password"] && set["password-env"] {
		return nil, errors.New("ccgw mock: --password and --password-env exclude each other")
	}
	f.noPassword = set["password"] && f.password == ""
	if f.passwordEnv != "" {
		v, ok := os.LookupEnv(f.passwordEnv)
		if !ok {
			return nil, fmt.Errorf("ccgw mock: --password-env %s: the variable is unset (set it empty for agents without a password)", f.passwordEnv)
		}
		f.password, f.noPassword = v, v == ""
	}
	if _, err := gateway.ParseGuidTimeoutFrom(f.guidTimeoutFrom); err != nil {
		return nil, fmt.Errorf("ccgw mock: --guid-timeout-from %q: want issue or rotation", f.guidTimeoutFrom)
	}
	if f.nodes < 1 {
		return nil, fmt.Errorf("ccgw mock: --nodes %d: want 1 or more", f.nodes)
	}
	if err := f.faults.Validate(); err != nil {
		return nil, fmt.Errorf("ccgw mock: %w (flag --%s)", err, faultFlag(err))
	}
	return f, nil
}

// faultFlag names the flag behind a Faults validation error.
func faultFlag(err error) string {
	var fe *mockgw.FieldError
	if errors.As(err, &fe) {
		return strings.ReplaceAll(fe.Field, "_", "-")
	}
	return "?"
}

func defectNames() string {
	var names []string
	for _, d := range mockgw.AllDefects() {
		names = append(names, string(d))
	}
	return strings.Join(names, ", ")
}

// options turns the flags into mock options; errors name the flag.
func (f *mockFlags) options() ([]mockgw.Option, error) {
	mode, err := gateway.ParseAuthMode(f.authMode)
	if err != nil {
		return nil, fmt.Errorf("ccgw mock: --auth-mode: %w", err)
	}
	r, err := gateway.ParseIDRange(f.idRange)
	if err != nil {
		return nil, fmt.Errorf("ccgw mock: --agent-id-range: %w", err)
	}
	for name, d := range map[string]time.Duration{"guid-interval": f.guidInterval, "guid-timeout": f.guidTimeout, "idle-timeout": f.idleTimeout, "poll-wait": f.pollWait} {
		if d <= 0 {
			return nil, fmt.Errorf("ccgw mock: --%s %s: want a positive duration", name, d)
		}
	}
	if f.guidTimeout < f.guidInterval {
		return nil, fmt.Errorf("ccgw mock: --guid-timeout %s is shorter than --guid-interval %s: a Guid would die before it rotates", f.guidTimeout, f.guidInterval)
	}
	var defects []mockgw.Defect
	for _, n := range f.defects {
		d, _ := mockgw.ParseDefect(n) // checked while parsing
		defects = append(defects, d)
	}
	opts := []mockgw.Option{
		mockgw.WithAddr(f.addr), mockgw.WithAuthMode(mode), mockgw.WithGuidInterval(f.guidInterval),
		mockgw.WithGuidTimeout(f.guidTimeout), mockgw.WithGuidTimeoutFrom(gateway.GuidTimeoutFrom(f.guidTimeoutFrom)),
		mockgw.WithIdleTimeout(f.idleTimeout), mockgw.WithPollWait(f.pollWait),
		mockgw.WithIDRange(r), mockgw.WithPassword(f.password), mockgw.WithNodes(f.nodes),
		mockgw.WithFaults(f.faults), mockgw.WithDefects(defects...),
	}
	if f.noPassword {
		opts = append(opts, mockgw.WithNoPassword())
	}
	return opts, nil
}

func runMock(args []string, stdout, stderr io.Writer) int {
	f, err := parseMockFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitHarness
	}
	opts, err := f.options()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitHarness
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveMock(ctx, f.certOut, opts, stdout, stderr)
}

// serveMock runs the mock until ctx ends.
func serveMock(ctx context.Context, certOut string, opts []mockgw.Option, stdout, stderr io.Writer) int {
	srv, err := mockgw.New(opts...)
	if err != nil {
		fmt.Fprintf(stderr, "ccgw mock: %v\n", err)
		return exitHarness
	}
	defer srv.Close()
	if certOut != "" {
		if err := os.WriteFile(certOut, srv.CertPEM(), 0o644); err != nil {
			fmt.Fprintf(stderr, "ccgw mock: --cert-out: %v\n", err)
			return exitHarness
		}
	}
	fmt.Fprintf(stdout, "listening on %s\n", srv.URL())
	if fl, ok := stdout.(interface{ Sync() error }); ok {
		_ = fl.Sync()
	}
	<-ctx.Done()
	fmt.Fprintln(stderr, "ccgw mock: stopping")
	return exitOK
}
