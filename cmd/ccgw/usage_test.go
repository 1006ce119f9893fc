package main

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"
)

// TestUsageFiles: usage/ holds ccgw's -h text and one for each command
// with flags, no other; a command's -h is its text with the flags after
// its "Flags:" line.
func TestUsageFiles(t *testing.T) {
	ents, err := usageFiles.ReadDir("usage")
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	want = append(want, "ccgw.txt")
	for name, c := range commands {
		if c.flags != nil {
			want = append(want, name+".txt")
		}
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("usage/ holds %v, want %v", got, want)
	}
	for name, c := range commands {
		if c.flags == nil {
			continue
		}
		before, after := usageText(name, "Flags:")
		var help bytes.Buffer
		run([]string{name, "-h"}, io.Discard, &help)
		h := help.String()
		if !strings.HasPrefix(before, "Usage: ccgw "+name+" ") || !strings.HasPrefix(h, before) || !strings.HasSuffix(h, after) ||
			!flagLineRe.MatchString(strings.TrimSuffix(strings.TrimPrefix(h, before), after)) {
			t.Errorf("ccgw %s -h is not usage/%s.txt with the flags after its Flags: line:\n%s", name, name, h)
		}
	}
}
