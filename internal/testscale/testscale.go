// Package testscale stretches the deadlines of the project's tests on a slow
// or busy machine. A test deadline is how long a test waits for something
// that normally happens much sooner (an eventually loop, a process to exit,
// a run to finish); on a shared CI machine, or under the race detector
// while another job keeps a core busy, everything is slower, so every such
// deadline goes through D:
//
//	ctx, cancel := context.WithTimeout(ctx, testscale.D(10*time.Second))
//
// The factor comes from the environment variable CCGW_TEST_TIMEOUT_SCALE
// (a positive number, default 1), e.g. CCGW_TEST_TIMEOUT_SCALE=3 make test.
// Only deadlines are scaled: durations that are part of the behaviour under
// test (a plan's request timeout, an injected delay, a Guid interval) and
// lower bounds that physics guarantees (an injected 20 ms delay means at
// least 20 ms) are not. Only tests import this package.
package testscale

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// EnvVar is the environment variable that holds the factor.
const EnvVar = "CCGW_TEST_TIMEOUT_SCALE"

var (
	once   sync.Once
	factor float64
)

// Factor returns the scale factor read from EnvVar: 1 when the variable is
// unset or empty. A value that is not a positive finite number panics with
// a message naming the variable, on the first call: a test run with a
// mistyped scale must not silently use another one.
func Factor() float64 {
	once.Do(func() {
		f, err := Parse(os.Getenv(EnvVar))
		if err != nil {
			panic(err.Error())
		}
		factor = f
	})
	return factor
}

// Parse reads a factor as EnvVar holds it: "" is 1, otherwise a positive
// finite decimal number ("2", "1.5"). The error names EnvVar.
func Parse(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 1, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive number such as 2 or 1.5 (the factor applied to every test deadline; unset means 1)", EnvVar, s)
	}
	return f, nil
}

// D returns the deadline d multiplied by Factor (rounded to the
// nanosecond, saturating at the largest Duration).
func D(d time.Duration) time.Duration { return Scale(d, Factor()) }

// Scale returns d multiplied by f, rounded to the nanosecond and saturating
// at the largest Duration; it is D with an explicit factor.
func Scale(d time.Duration, f float64) time.Duration {
	x := math.Round(float64(d) * f)
	switch {
	case x >= math.MaxInt64:
		return time.Duration(math.MaxInt64)
	case x <= math.MinInt64:
		return time.Duration(math.MinInt64)
	}
	return time.Duration(x)
}
