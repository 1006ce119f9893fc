// Package human writes the reports' figures in words, the same way
// wherever they appear: in the judgement's own texts (gate details,
// saturation reasons, a comparison's mismatches, a capacity answer) and in
// the rendered documents (summary.txt, report.md, report.html, junit.xml).
// Milliseconds, percentages, rates and counts by kind each have one form.
package human

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MS formats milliseconds for people: "0.912 ms", "12.3 ms", "1.52 s".
func MS(ms float64) string {
	switch {
	case ms >= 10000:
		return strconv.FormatFloat(ms/1000, 'f', 1, 64) + " s"
	case ms >= 1000:
		return strconv.FormatFloat(ms/1000, 'f', 2, 64) + " s"
	case ms >= 100:
		return strconv.FormatFloat(ms, 'f', 0, 64) + " ms"
	case ms >= 10:
		return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
	}
	return strconv.FormatFloat(ms, 'f', 3, 64) + " ms"
}

// Pct formats a fraction as a percentage with two decimals ("1.25%"), or
// two significant digits below 0.01 % ("0.0012%").
func Pct(x float64) string {
	if x != 0 && x < 0.0001 {
		return strconv.FormatFloat(x*100, 'g', 2, 64) + "%"
	}
	return strconv.FormatFloat(x*100, 'f', 2, 64) + "%"
}

// SignedPct formats a percentage with its sign: "+12.3%", "-4.0%", "0.0%".
func SignedPct(p float64) string {
	s := strconv.FormatFloat(math.Abs(p), 'f', 1, 64) + "%"
	switch {
	case s == "0.0%":
		return s
	case p > 0:
		return "+" + s
	}
	return "-" + s
}

// FracPct formats a fraction as a percentage as short as it is: 0.1 →
// "10%".
func FracPct(x float64) string {
	return strconv.FormatFloat(math.Round(x*100*1e4)/1e4, 'f', -1, 64) + "%"
}

// Rate formats a rate with two decimals: "12.50/s".
func Rate(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) + "/s" }

// ReqRate formats a request rate as short as it is: "600 req/s", "612.5
// req/s".
func ReqRate(r float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", r), "0"), ".") + " req/s"
}

// Counts lists counts by key, largest first: "wrong_phonenum 3,
// empty_token 1".
func Counts(m map[string]uint64) string {
	var b strings.Builder
	for i, k := range ByCount(m) {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", k, m[k])
	}
	return b.String()
}

// ByCount returns the keys of m by descending count, then name.
func ByCount(m map[string]uint64) []string {
	ks := slices.Collect(maps.Keys(m))
	slices.SortFunc(ks, func(a, b string) int {
		if m[a] != m[b] {
			if m[a] > m[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	return ks
}

// YesNo is yes when b holds, else no.
func YesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

// Duration writes a duration for a log or a progress line in whole
// seconds: "3s", "1m05s", "2h00m10s".
func Duration(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
	if d < time.Hour {
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm%02ds", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
}

// Latency writes a latency with a precision that fits it: "-" for none,
// "850µs", "12.3ms", "11.2s".
func Latency(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/1e6)
	}
	return d.Round(100 * time.Millisecond).String()
}

// Shards names shards of a distributed run: "shard 2", "shards 1, 3".
func Shards(ids []int) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(id)
	}
	if len(ids) == 1 {
		return "shard " + s[0]
	}
	return "shards " + strings.Join(s, ", ")
}
