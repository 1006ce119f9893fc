package gateway

import (
	"fmt"
	"strconv"
)

// ParseError reports input that does not have the documented form. Input is
// quoted (and shortened) in the message, so it must never be a secret.
type ParseError struct {
	What    string // what was parsed, e.g. "agent ID"
	Input   string // what was given
	Allowed string // what would have been accepted
}

// Error implements error.
func (e *ParseError) Error() string {
	in := e.Input
	if len(in) > 64 {
		in = in[:64] + "..."
	}
	return fmt.Sprintf("invalid %s %s: want %s", e.What, strconv.Quote(in), e.Allowed)
}

// Error is a gateway answer that was not success: an HTTP status other than
// 200, or an envelope whose retcode is not RetOK. It never holds a Guid,
// password or token.
type Error struct {
	Op      string // the call, e.g. "logininfo"
	AgentID int
	Status  int    // HTTP status
	Retcode string // envelope retcode; empty when the body was no envelope
	Message string // envelope message
}

// Error implements error: "OP agent N: retcode R (meaning): "message"" for
// an error envelope (prefixed by "HTTP S, " when the status was not 200),
// else "OP agent N: HTTP S" followed by ": message" when there is one.
func (e *Error) Error() string {
	if e.Retcode != "" {
		status := ""
		if e.Status != 200 {
			status = fmt.Sprintf("HTTP %d, ", e.Status)
		}
		return fmt.Sprintf("%s agent %d: %sretcode %s (%s): %q", e.Op, e.AgentID, status, sanitizeRetcode(e.Retcode), RetcodeMeaning(e.Retcode), e.Message)
	}
	if e.Message != "" {
		return fmt.Sprintf("%s agent %d: HTTP %d: %s", e.Op, e.AgentID, e.Status, e.Message)
	}
	return fmt.Sprintf("%s agent %d: HTTP %d", e.Op, e.AgentID, e.Status)
}

// Mask shows a secret in a form that identifies it without revealing it: the
// first and last 4 characters of a long value, only its length otherwise.
func Mask(secret string) string {
	if len(secret) >= 16 {
		return secret[:4] + "…" + secret[len(secret)-4:]
	}
	return fmt.Sprintf("<%d chars>", len(secret))
}
