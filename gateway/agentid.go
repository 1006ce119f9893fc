package gateway

import (
	"fmt"
	"strconv"
	"strings"
)

// IDRange is an inclusive range of valid agent IDs. The bounds differ by
// gateway release, so each target names its own.
type IDRange struct {
	Min, Max int
}

// Documented agent-ID ranges.
var (
	// DefaultIDRange is the 2025 reference's range.
	DefaultIDRange = IDRange{Min: 101, Max: 999999}
	// LegacyIDRange is older releases' range.
	LegacyIDRange = IDRange{Min: 101, Max: 59999}
)

// Contains reports whether id is within the range.
func (r IDRange) Contains(id int) bool { return id >= r.Min && id <= r.Max }

// String formats the range as "MIN-MAX", the form ParseIDRange reads.
func (r IDRange) String() string { return fmt.Sprintf("%d-%d", r.Min, r.Max) }

// Valid reports whether the range is non-empty and positive.
func (r IDRange) Valid() bool { return r.Min > 0 && r.Min <= r.Max }

// ParseIDRange reads "MIN-MAX" (e.g. "101-999999").
func ParseIDRange(s string) (IDRange, error) {
	lo, hi, ok := strings.Cut(s, "-")
	if !ok {
		return IDRange{}, &ParseError{What: "agent-ID range", Input: s, Allowed: "MIN-MAX, e.g. 101-999999"}
	}
	min, err1 := parseDigits(lo)
	max, err2 := parseDigits(hi)
	r := IDRange{Min: min, Max: max}
	if err1 != nil || err2 != nil || !r.Valid() {
		return IDRange{}, &ParseError{What: "agent-ID range", Input: s, Allowed: "MIN-MAX with 0 < MIN <= MAX, e.g. 101-999999"}
	}
	return r, nil
}

// ParseAgentID reads an agent ID the way the gateway's path segment must
// carry it: ASCII digits only (no sign, space or leading zero), within r.
func ParseAgentID(s string, r IDRange) (int, error) {
	id, err := parseDigits(s)
	if err != nil || (len(s) > 1 && s[0] == '0') {
		return 0, &ParseError{What: "agent ID", Input: s, Allowed: "digits " + r.String()}
	}
	if !r.Contains(id) {
		return 0, &ParseError{What: "agent ID", Input: s, Allowed: r.String()}
	}
	return id, nil
}

// parseDigits accepts 1 to 9 ASCII digits (fits any documented range and
// cannot overflow).
func parseDigits(s string) (int, error) {
	if len(s) == 0 || len(s) > 9 {
		return 0, strconv.ErrRange
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, strconv.ErrSyntax
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}
