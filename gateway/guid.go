package gateway

import (
	"strconv"
	"strings"
)

// SetGuidPrefix is what a Set-GUID header value starts with.
const SetGuidPrefix = "JSESSIONID="

// nodeMarker separates a Guid's random part from the name of the cluster node
// that issued it: `<uuid>.AgentGateway<N>`.
const nodeMarker = ".AgentGateway"

// SetGuid is a parsed Set-GUID header.
type SetGuid struct {
	// Guid is the whole value after `JSESSIONID=`, node suffix included: it
	// is what the client sends back in the Guid header.
	Guid string
	// Node is N of a `.AgentGateway<N>` suffix, or 0 when there is none.
	Node int
}

// ParseSetGuid parses a Set-GUID header value `JSESSIONID=<guid>`. Attributes
// after a ';' (cookie style) are ignored. The Guid must be non-empty and
// printable ASCII without spaces, commas or quotes, so that it can be sent
// back verbatim as a header value. The header holds a secret, so an error's
// Input is only its Mask.
func ParseSetGuid(header string) (SetGuid, error) {
	sg, err := parseSetGuid(header)
	if pe, ok := err.(*ParseError); ok {
		pe.Input = Mask(header)
	}
	return sg, err
}

func parseSetGuid(header string) (SetGuid, error) {
	v := strings.TrimSpace(header)
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	if len(v) < len(SetGuidPrefix) || !strings.EqualFold(v[:len(SetGuidPrefix)], SetGuidPrefix) {
		return SetGuid{}, &ParseError{What: "Set-GUID header", Input: header, Allowed: "JSESSIONID=<guid>"}
	}
	g := v[len(SetGuidPrefix):]
	if g == "" {
		return SetGuid{}, &ParseError{What: "Set-GUID header", Input: header, Allowed: "a non-empty Guid after JSESSIONID="}
	}
	for i := 0; i < len(g); i++ {
		c := g[i]
		if c <= ' ' || c >= 0x7f || c == ',' || c == '"' || c == '\\' || c == '=' {
			return SetGuid{}, &ParseError{What: "Set-GUID header", Input: header, Allowed: "printable ASCII without spaces, commas, quotes or '='"}
		}
	}
	return SetGuid{Guid: g, Node: GuidNode(g)}, nil
}

// GuidNode returns N of a Guid's `.AgentGateway<N>` suffix, or 0 when the
// Guid has no well-formed suffix (1 to 9 ASCII digits, no sign).
func GuidNode(guid string) int {
	i := strings.LastIndex(guid, nodeMarker)
	if i < 0 {
		return 0
	}
	n, err := parseDigits(guid[i+len(nodeMarker):])
	if err != nil {
		return 0
	}
	return n
}

// FormatSetGuid returns the Set-GUID header value for a Guid.
func FormatSetGuid(guid string) string { return SetGuidPrefix + guid }

// NodeSuffix returns the `.AgentGateway<N>` suffix for node n.
func NodeSuffix(n int) string { return nodeMarker + strconv.Itoa(n) }
