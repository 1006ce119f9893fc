package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
	"ccgw-harness/internal/errext"
	"ccgw-harness/mockgw"
	"ccgw-harness/mockgw/faultset"
)

// mockFlags is the parsed command line of `ccgw mock`.
type mockFlags struct {
	addr, certOut, authMode, idRange, password, passwordEnv string
	guidTimeoutFrom                                         string
	noPassword                                              bool // --password '' (or an empty --password-env variable): agents have none
	guidInterval, guidTimeout, idleTimeout, pollWait        time.Duration
	nodes                                                   int
	capacity                                                float64
	defects                                                 []string
	faults                                                  faultset.Faults
}

// newMockFlags returns the flag set of `ccgw mock`, parsing into f; its
// errors and -h go to stderr.
func newMockFlags(f *mockFlags, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("ccgw mock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { printUsage(stderr, fs, "mock") }
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
	fs.Float64Var(&f.capacity, "capacity", 0, "complete at most `N` logininfo calls per second, in arrival order (latency grows without bound above N); 0: no limit")
	fs.Func("defect", "inject a contract defect `NAME` (repeatable or comma-separated; see mockgw.AllDefects: "+defectNames()+")", func(s string) error {
		for _, d := range strings.Split(s, ",") {
			if _, err := mockgw.ParseDefect(strings.TrimSpace(d)); err != nil {
				return err
			}
			f.defects = append(f.defects, strings.TrimSpace(d))
		}
		return nil
	})
	faultFlags(fs, &f.faults)
	return fs
}

// parseMockFlags parses the command line of ccgw mock; errors name the
// flag (the flag package's own, and -h, go to stderr).
func parseMockFlags(args []string, stderr io.Writer) (*mockFlags, error) {
	f := &mockFlags{}
	fs := newMockFlags(f, stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, errext.WithExitCode(nil, exitHarness) // the flag package printed the message and the usage
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (flags only; see ccgw mock -h)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if set["password"] && set["password-env"] {
		return nil, errors.New("--password and --password-env exclude each other")
	}
	f.noPassword = set["password"] && f.password == ""
	if f.passwordEnv != "" {
		v, ok := os.LookupEnv(f.passwordEnv)
		if !ok {
			return nil, fmt.Errorf("--password-env %s: the variable is unset (set it empty for agents without a password)", f.passwordEnv)
		}
		f.password, f.noPassword = v, v == ""
	}
	if _, err := gateway.ParseGuidTimeoutFrom(f.guidTimeoutFrom); err != nil {
		return nil, fmt.Errorf("--guid-timeout-from %q: want issue or rotation", f.guidTimeoutFrom)
	}
	if f.nodes < 1 {
		return nil, fmt.Errorf("--nodes %d: want 1 or more", f.nodes)
	}
	if math.IsNaN(f.capacity) || f.capacity < 0 || f.capacity > mockgw.MaxCapacity {
		return nil, fmt.Errorf("--capacity %v: want logininfo answers per second, 0 (no limit) up to %g", f.capacity, float64(mockgw.MaxCapacity))
	}
	if err := f.faults.Validate(); err != nil {
		return nil, fmt.Errorf("%w (flag --%s)", err, faultFlag(err))
	}
	if u, ok := config.UnusedFault(f.faults); ok {
		return nil, fmt.Errorf("--%s changes nothing unless --%s is %s: %s", flagName(u.Key), flagName(u.Needs), u.NeedsValue, u.Why)
	}
	if f.authMode == string(gateway.AuthStatic) {
		for _, name := range []string{"guid-interval", "guid-timeout", "guid-timeout-from", "rotate-every-poll"} {
			if set[name] {
				return nil, fmt.Errorf("--%s does not apply with --auth-mode static: the Guid never rotates", name)
			}
		}
	}
	return f, nil
}

// flagName is the flag of a faultset key: reset_rate -> reset-rate.
func flagName(key string) string { return strings.ReplaceAll(key, "_", "-") }

// faultFlags defines one flag per field of faultset's table (reset_rate:
// --reset-rate), each setting that field of ft.
func faultFlags(fs *flag.FlagSet, ft *faultset.Faults) {
	for _, fd := range faultset.Fields() {
		usage := "fault: " + fd.Usage
		switch p := fd.Ptr(ft).(type) {
		case *float64:
			fs.Float64Var(p, fd.Flag(), 0, usage)
		case *time.Duration:
			fs.DurationVar(p, fd.Flag(), 0, usage)
		case *string:
			fs.StringVar(p, fd.Flag(), "", usage)
		case *int:
			fs.IntVar(p, fd.Flag(), 0, usage)
		case *bool:
			fs.BoolVar(p, fd.Flag(), false, usage)
		default:
			panic(fmt.Sprintf("ccgw mock: fault %s has no flag type", fd.Key))
		}
	}
}

// faultFlag names the flag behind a Faults validation error.
func faultFlag(err error) string {
	var fe *faultset.FieldError
	if errors.As(err, &fe) {
		if fd, ok := faultset.Lookup(fe.Field); ok {
			return fd.Flag()
		}
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
		return nil, fmt.Errorf("--auth-mode: %w", err)
	}
	r, err := gateway.ParseIDRange(f.idRange)
	if err != nil {
		return nil, fmt.Errorf("--agent-id-range: %w", err)
	}
	for name, d := range map[string]time.Duration{"guid-interval": f.guidInterval, "guid-timeout": f.guidTimeout, "idle-timeout": f.idleTimeout, "poll-wait": f.pollWait} {
		if d <= 0 {
			return nil, fmt.Errorf("--%s %s: want a positive duration", name, d)
		}
	}
	if f.guidTimeout < f.guidInterval {
		return nil, fmt.Errorf("--guid-timeout %s is shorter than --guid-interval %s: a Guid would die before it rotates", f.guidTimeout, f.guidInterval)
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
		mockgw.WithFaults(f.faults), mockgw.WithDefects(defects...), mockgw.WithCapacity(f.capacity),
	}
	if f.noPassword {
		opts = append(opts, mockgw.WithNoPassword())
	}
	return opts, nil
}

func runMock(args []string, stdout, stderr io.Writer) error {
	f, err := parseMockFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	opts, err := f.options()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveMock(ctx, f.certOut, opts, stdout, stderr)
}

// serveMock runs the mock until ctx ends.
func serveMock(ctx context.Context, certOut string, opts []mockgw.Option, stdout, stderr io.Writer) error {
	srv, err := mockgw.New(opts...)
	if err != nil {
		return err
	}
	defer srv.Close()
	if certOut != "" {
		if err := os.WriteFile(certOut, srv.CertPEM(), 0o644); err != nil {
			return fmt.Errorf("--cert-out: %v", err)
		}
	}
	fmt.Fprintf(stdout, "listening on %s\n", srv.URL())
	if fl, ok := stdout.(interface{ Sync() error }); ok {
		_ = fl.Sync()
	}
	<-ctx.Done()
	fmt.Fprintln(stderr, "ccgw mock: stopping")
	return nil
}
