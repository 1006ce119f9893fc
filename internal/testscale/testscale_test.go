package testscale

import (
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	good := map[string]float64{"": 1, "  ": 1, "1": 1, "2": 2, "1.5": 1.5, " 3 ": 3, "0.5": 0.5, "1e1": 10}
	for in, want := range good {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"0", "-1", "x", "2s", "NaN", "Inf", "-Inf", "1,5"} {
		_, err := Parse(in)
		if err == nil || !strings.Contains(err.Error(), EnvVar) || !strings.Contains(err.Error(), in) {
			t.Errorf("Parse(%q): error %v, want one naming %s and the value", in, err, EnvVar)
		}
	}
}

func TestScale(t *testing.T) {
	cases := []struct {
		d    time.Duration
		f    float64
		want time.Duration
	}{
		{10 * time.Second, 1, 10 * time.Second},
		{10 * time.Second, 2.5, 25 * time.Second},
		{3 * time.Nanosecond, 0.5, 2 * time.Nanosecond}, // rounded
		{time.Duration(math.MaxInt64 / 2), 4, time.Duration(math.MaxInt64)},
		{0, 3, 0},
	}
	for _, c := range cases {
		if got := Scale(c.d, c.f); got != c.want {
			t.Errorf("Scale(%v, %v) = %v, want %v", c.d, c.f, got, c.want)
		}
	}
}

// TestFactorFromEnvironment runs this test binary again with the variable
// set, since Factor reads it once per process: a good value scales D, a bad
// one panics naming the variable.
func TestFactorFromEnvironment(t *testing.T) {
	if os.Getenv("TESTSCALE_CHILD") == "1" {
		// In the child: print what D makes of 10 s (a bad value panics).
		os.Stdout.WriteString(D(10*time.Second).String() + "\n")
		return
	}
	run := func(value string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFactorFromEnvironment$", "-test.count=1")
		cmd.Env = append(os.Environ(), "TESTSCALE_CHILD=1", EnvVar+"="+value)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("3"); err != nil || !strings.Contains(out, "30s\n") {
		t.Errorf("%s=3: D(10s) printed %q (%v), want 30s", EnvVar, out, err)
	}
	if out, err := run(""); err != nil || !strings.Contains(out, "10s\n") {
		t.Errorf("%s empty: D(10s) printed %q (%v), want 10s", EnvVar, out, err)
	}
	out, err := run("fast")
	if err == nil || !strings.Contains(out, "panic") || !strings.Contains(out, EnvVar+`="fast"`) {
		t.Errorf("%s=fast: exit %v, output %q; want a panic naming the variable", EnvVar, err, out)
	}
}
