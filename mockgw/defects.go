package mockgw

import (
	"fmt"
	"strings"
)

// Defect is a contract bug that a faithful gateway does not have. Switching
// one on lets the contract suite prove that it notices. Its string form is
// the kebab-case name that ParseDefect, the CLI and the admin API use.
type Defect string

// The defects the mock can simulate.
const (
	// DefectAnyMethod: logininfo answers GET, PUT, DELETE... like POST
	// instead of 405.
	DefectAnyMethod Defect = "any-method"
	// DefectNoAllowHeader: the 405 for a wrong method lacks `Allow: POST`.
	DefectNoAllowHeader Defect = "no-allow-header"
	// DefectMissingGuidAccepted: logininfo without a Guid header succeeds
	// for a signed-in agent instead of 000-003.
	DefectMissingGuidAccepted Defect = "missing-guid-accepted"
	// DefectOtherAgentGuidAccepted: another agent's live Guid is accepted
	// instead of 000-003.
	DefectOtherAgentGuidAccepted Defect = "other-agent-guid-accepted"
	// DefectSignedOutGuidAccepted: sign-out does not kill the Guid.
	DefectSignedOutGuidAccepted Defect = "signed-out-guid-accepted"
	// DefectReplacedGuidAccepted: forced sign-in keeps the old Guid alive.
	DefectReplacedGuidAccepted Defect = "replaced-guid-accepted"
	// DefectNoIDRangeCheck: out-of-range agent IDs are accepted for sign-in
	// and logininfo.
	DefectNoIDRangeCheck Defect = "no-id-range-check"
	// DefectTokenOnError: logininfo error envelopes include a phonetoken.
	DefectTokenOnError Defect = "token-on-error"
	// DefectNumericRetcode: a successful logininfo carries retcode as the
	// JSON number 0.
	DefectNumericRetcode Defect = "numeric-retcode"
	// DefectTextContentType: a successful logininfo is labelled text/plain.
	DefectTextContentType Defect = "text-content-type"
	// DefectConstantToken: every agent gets the same phonetoken.
	DefectConstantToken Defect = "constant-token"
	// DefectPhonenumCrosstalk: logininfo returns the phonenum of whichever
	// agent was served just before (visible under concurrency).
	DefectPhonenumCrosstalk Defect = "phonenum-crosstalk"
	// DefectOldGuidNeverExpires: a rotated-out Guid stays valid forever.
	DefectOldGuidNeverExpires Defect = "old-guid-never-expires"
	// DefectWrongEnvelope: result.phonetoken is a JSON number.
	DefectWrongEnvelope Defect = "wrong-envelope"
)

// allDefects lists every defect; its index is the defect's bit.
var allDefects = []Defect{
	DefectAnyMethod, DefectNoAllowHeader, DefectMissingGuidAccepted,
	DefectOtherAgentGuidAccepted, DefectSignedOutGuidAccepted,
	DefectReplacedGuidAccepted, DefectNoIDRangeCheck, DefectTokenOnError,
	DefectNumericRetcode, DefectTextContentType, DefectConstantToken,
	DefectPhonenumCrosstalk, DefectOldGuidNeverExpires, DefectWrongEnvelope,
}

// AllDefects returns every defect the mock can simulate, in a fixed order.
func AllDefects() []Defect { return append([]Defect(nil), allDefects...) }

// String returns the defect's name.
func (d Defect) String() string { return string(d) }

// ParseDefect reads a defect name. Case, '_' for '-' and the Go-style
// CamelCase form ("AnyMethod") are accepted.
func ParseDefect(s string) (Defect, error) {
	norm := normDefect(s)
	for _, d := range allDefects {
		if normDefect(string(d)) == norm {
			return d, nil
		}
	}
	names := make([]string, len(allDefects))
	for i, d := range allDefects {
		names[i] = string(d)
	}
	return "", fmt.Errorf("mockgw: unknown defect %q: want one of %s", s, strings.Join(names, ", "))
}

// normDefect folds case and drops separators.
func normDefect(s string) string {
	var b strings.Builder
	for _, c := range strings.TrimSpace(s) {
		switch {
		case c == '-' || c == '_' || c == ' ':
		case c >= 'A' && c <= 'Z':
			b.WriteRune(c + 'a' - 'A')
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// defectSet is a bit set over allDefects.
type defectSet uint32

// The defects' bits, in allDefects order.
const (
	bitAnyMethod defectSet = 1 << iota
	bitNoAllowHeader
	bitMissingGuidAccepted
	bitOtherAgentGuidAccepted
	bitSignedOutGuidAccepted
	bitReplacedGuidAccepted
	bitNoIDRangeCheck
	bitTokenOnError
	bitNumericRetcode
	bitTextContentType
	bitConstantToken
	bitPhonenumCrosstalk
	bitOldGuidNeverExpires
	bitWrongEnvelope
)

// defectBit returns d's bit, or 0 for an unknown defect.
func defectBit(d Defect) defectSet {
	for i, x := range allDefects {
		if x == d {
			return 1 << i
		}
	}
	return 0
}

// list returns the set's defects in AllDefects order.
func (ds defectSet) list() []Defect {
	out := []Defect{}
	for i, d := range allDefects {
		if ds&(1<<i) != 0 {
			out = append(out, d)
		}
	}
	return out
}

// makeDefectSet builds a set; names are read with ParseDefect, and unknown
// ones are skipped.
func makeDefectSet(ds []Defect) defectSet {
	var set defectSet
	for _, d := range ds {
		if p, err := ParseDefect(string(d)); err == nil {
			set |= defectBit(p)
		}
	}
	return set
}
