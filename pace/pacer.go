package pace

import (
	"fmt"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Pacer is what an attack needs of a pace: a vegeta.Pacer (when to send the
// next hit, the planned rate) that stops by itself after Duration, so the
// attack gives vegeta no duration of its own. A *Schedule (open model) or a
// *Closed (closed model).
type Pacer interface {
	vegeta.Pacer
	// Duration is how long the pace lasts.
	Duration() time.Duration
}

// MeanRate is the rate p requests on average: a schedule's planned hits
// over its duration, 0 for the closed model (which requests no rate).
func MeanRate(p Pacer) float64 {
	if s, ok := p.(*Schedule); ok {
		return s.MeanRate()
	}
	return 0
}

// Warmup returns the pace of an unmeasured warm-up of length d that loads
// the gateway as p does on average: a schedule's mean rate (a shard's part
// of the plan's warm-up), or the closed model's concurrency and cap.
func Warmup(p Pacer, d time.Duration) (Pacer, error) {
	switch p := p.(type) {
	case *Schedule:
		return p.warmup(d)
	case *Closed:
		return p.warmup(d)
	}
	return nil, fmt.Errorf("pace %v has no warm-up", p)
}

// formatRate prints a rate without needless decimals (200, 0.5, 12.25).
func formatRate(r float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", r), "0"), ".")
}
