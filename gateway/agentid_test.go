package gateway

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestParseAgentID(t *testing.T) {
	r := DefaultIDRange
	cases := []struct {
		in   string
		want int // 0: rejected
	}{
		{strconv.Itoa(r.Min - 1), 0},
		{strconv.Itoa(r.Min), r.Min},
		{"1001", 1001},
		{strconv.Itoa(r.Max), r.Max},
		{strconv.Itoa(r.Max + 1), 0},
		{"0", 0},
		{"-5", 0},
		{"+101", 0},
		{" 101", 0},
		{"101 ", 0},
		{"0101", 0},
		{"00", 0},
		{"12345678901234567890", 0},
		{"abc", 0},
		{"10a1", 0},
		{"", 0},
		{"１０１", 0}, // full-width digits
	}
	for _, tc := range cases {
		id, err := ParseAgentID(tc.in, r)
		if tc.want == 0 {
			var pe *ParseError
			if !errors.As(err, &pe) || id != 0 {
				t.Errorf("ParseAgentID(%q) = %d, %v; want a *ParseError", tc.in, id, err)
				continue
			}
			if pe.What != "agent ID" || pe.Input != tc.in || !strings.Contains(err.Error(), r.String()) {
				t.Errorf("ParseAgentID(%q) error %q should name the input and the range", tc.in, err)
			}
			continue
		}
		if err != nil || id != tc.want {
			t.Errorf("ParseAgentID(%q) = %d, %v; want %d", tc.in, id, err, tc.want)
		}
	}
	if _, err := ParseAgentID("60000", LegacyIDRange); err == nil {
		t.Error("60000 is outside the legacy range")
	}
	if id, err := ParseAgentID("59999", LegacyIDRange); err != nil || id != 59999 {
		t.Errorf("59999 in the legacy range: %d, %v", id, err)
	}
}

func TestParseIDRange(t *testing.T) {
	good := map[string]IDRange{
		"101-999999": DefaultIDRange,
		"101-59999":  LegacyIDRange,
		"5-5":        {5, 5},
		"1-2":        {1, 2},
	}
	for in, want := range good {
		r, err := ParseIDRange(in)
		if err != nil || r != want {
			t.Errorf("ParseIDRange(%q) = %v, %v; want %v", in, r, err, want)
		}
		if again, err := ParseIDRange(r.String()); err != nil || again != r {
			t.Errorf("String does not round-trip %v", r)
		}
		if !r.Valid() || !r.Contains(r.Min) || !r.Contains(r.Max) || r.Contains(r.Min-1) || r.Contains(r.Max+1) {
			t.Errorf("%v: Valid/Contains wrong at the bounds", r)
		}
	}
	for _, in := range []string{"", "101", "-", "101-", "-999999", "0-10", "10-5", "abc-def", "1-2-3", " 101-200", "101-200 ", "+1-5", "1-1234567890"} {
		r, err := ParseIDRange(in)
		var pe *ParseError
		if !errors.As(err, &pe) || r != (IDRange{}) {
			t.Errorf("ParseIDRange(%q) = %v, %v; want a *ParseError", in, r, err)
		}
	}
	if (IDRange{Min: 0, Max: 5}).Valid() || (IDRange{Min: 6, Max: 5}).Valid() {
		t.Error("Valid accepts an empty or non-positive range")
	}
}
