// Package errext gives an error the exit code of the process it ends, as
// k6's errext does: a command returns one error carrying its exit code,
// and main prints its one message and exits with its code.
package errext

import (
	"errors"
	"strconv"
)

// exitError is an error with an exit code; a nil err is a silent exit.
type exitError struct {
	code int
	err  error
}

// Error returns err's text, or "exit N" for a silent exit.
func (e *exitError) Error() string {
	if e.err == nil {
		return "exit " + strconv.Itoa(e.code)
	}
	return e.err.Error()
}

// Unwrap returns err.
func (e *exitError) Unwrap() error { return e.err }

// WithExitCode returns err carrying exit code code. A nil err makes a
// silent exit: the code, and no message (the command said what there was
// to say); code 0 with a nil err is nil.
func WithExitCode(err error, code int) error {
	if code == 0 && err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// ExitCode returns the exit code err carries (the outermost of its chain)
// and whether it carries one.
func ExitCode(err error) (int, bool) {
	var e *exitError
	if errors.As(err, &e) {
		return e.code, true
	}
	return 0, false
}

// Message returns the message to print for err: "" for nil and for a
// silent exit, else err's text.
func Message(err error) string {
	var e *exitError
	if err == nil || (errors.As(err, &e) && e.err == nil && error(e) == err) {
		return ""
	}
	return err.Error()
}

// Exit codes of every ccgw command and of a distributed run's shards;
// scripts and pipelines rely on them (ccgw capacity adds its own 3).
const (
	ExitOK          = 0   // success: every gate held
	ExitGateFailed  = 1   // the run worked but an SLO gate or the contract failed
	ExitHarness     = 2   // harness failure: bad flag or config, target unreachable, cannot write
	ExitInterrupted = 130 // stopped by SIGINT/SIGTERM (reports still written)
)
