package gateway

// GuidTimeoutFrom is when GUIDTIMEOUT starts counting for a Guid that was
// rotated out. The vendor text does not say: from the Guid's issue (the old
// Guid dies GUIDTIMEOUT after it was handed out) or from its rotation (it
// dies GUIDTIMEOUT after the next one replaced it). A client must work
// under both: it switches to a rotated Guid at once, and plans its polls
// for the shorter reading (issue).
type GuidTimeoutFrom string

// The two readings of GUIDTIMEOUT.
const (
	GuidTimeoutFromIssue    GuidTimeoutFrom = "issue"
	GuidTimeoutFromRotation GuidTimeoutFrom = "rotation"
)

// ParseGuidTimeoutFrom accepts "issue" or "rotation".
func ParseGuidTimeoutFrom(s string) (GuidTimeoutFrom, error) {
	switch GuidTimeoutFrom(s) {
	case GuidTimeoutFromIssue, GuidTimeoutFromRotation:
		return GuidTimeoutFrom(s), nil
	}
	return "", &ParseError{What: "guid_timeout_from", Input: s, Allowed: "issue or rotation"}
}
