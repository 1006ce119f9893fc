package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// MaxErrors is how many errors Parse reports before it summarises the rest
// in one final "N more errors" line.
const MaxErrors = 50

// FieldError is one problem in a targets.yaml (or in a file it names). Its
// message reads "FILE:LINE: FIELD: MSG"; Line is 0 and Field empty when they
// do not apply. It never holds a secret.
type FieldError struct {
	File  string // the targets.yaml path as given to Load or Parse
	Line  int    // 1-based line in File; 0 when unknown
	Field string // dotted path, e.g. "targets.staging.agents.ids" or "plans.golive.stages[1].rate"
	Msg   string // what is wrong and what would be accepted
	Err   error  // the cause (a file's read error), or nil; Msg already says it
}

// Error implements error.
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the cause, if any.
func (e *FieldError) Unwrap() error { return e.Err }

// joinErrors sorts errs by line (keeping discovery order within a line),
// drops exact repeats (an aliased node is walked once per use), caps the
// list at MaxErrors and joins it; nil when errs is empty.
func joinErrors(file string, errs []*FieldError) error {
	if len(errs) == 0 {
		return nil
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
	out := make([]error, 0, len(errs))
	seen := make(map[string]bool, len(errs))
	dropped := 0
	for _, e := range errs {
		if seen[e.Error()] {
			continue
		}
		seen[e.Error()] = true
		if len(out) == MaxErrors {
			dropped++
			continue
		}
		out = append(out, e)
	}
	if dropped > 0 {
		out = append(out, &FieldError{File: file, Msg: fmt.Sprintf("%d more errors not shown", dropped)})
	}
	return errors.Join(out...)
}

// oneLine makes s safe for a one-line message: control characters (newlines
// included) become spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// quote quotes a user-written value for a message, shortened so that a
// stray paste cannot flood the output.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		s = s[:max] + "..."
	}
	return fmt.Sprintf("%q", s)
}
