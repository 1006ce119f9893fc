package gateway

import (
	"errors"
	"strings"
	"testing"
)

func TestParseSetGuid(t *testing.T) {
	good := []struct {
		header, guid string
		node         int
	}{
		{"JSESSIONID=" + testGuid, testGuid, 1},
		{"JSESSIONID=" + testGuid2, testGuid2, 2},
		{"jsessionid=abc.AgentGateway12", "abc.AgentGateway12", 12},
		{"  JSESSIONID=abc  ", "abc", 0},
		{"JSESSIONID=abc.AgentGateway3; Path=/; Secure", "abc.AgentGateway3", 3},
		{"JSESSIONID=abc-def_0123", "abc-def_0123", 0},
	}
	for _, tc := range good {
		sg, err := ParseSetGuid(tc.header)
		if err != nil {
			t.Errorf("ParseSetGuid(%s): %v", Mask(tc.header), err)
			continue
		}
		if sg.Guid != tc.guid || sg.Node != tc.node {
			t.Errorf("ParseSetGuid(%s) = %s node %d, want %s node %d", Mask(tc.header), Mask(sg.Guid), sg.Node, Mask(tc.guid), tc.node)
		}
		again, err := ParseSetGuid(FormatSetGuid(sg.Guid))
		if err != nil || again != sg {
			t.Errorf("FormatSetGuid does not round-trip %s", Mask(sg.Guid))
		}
	}
	bad := []string{
		"",
		"JSESSIONID=",
		"JSESSIONID=;Path=/",
		testGuid,
		"SESSION=" + testGuid,
		"JSESSIONID=" + testGuid + " x",
		"JSESSIONID=" + testGuid + ",x",
		"JSESSIONID=\"" + testGuid + "\"",
		"JSESSIONID=" + testGuid + "=",
		"JSESSIONID=" + testGuid + "\\",
		"JSESSIONID=" + testGuid + "\x7f",
		"JSESSIONID=" + testGuid + "é",
		"JSESSIONID=\t" + testGuid,
	}
	for _, h := range bad {
		_, err := ParseSetGuid(h)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("ParseSetGuid(%s): want a *ParseError, got %v", Mask(h), err)
			continue
		}
		if pe.Input != Mask(h) {
			t.Errorf("ParseError.Input is not the masked header")
		}
		assertNoSecrets(t, "ParseSetGuid error", err.Error())
		if !strings.Contains(err.Error(), "Set-GUID") {
			t.Errorf("error %q does not say what was parsed", err)
		}
	}
}

func TestGuidNode(t *testing.T) {
	cases := map[string]int{
		testGuid:                          1,
		"x.AgentGateway0":                 0,
		"x.AgentGateway7":                 7,
		"x.AgentGateway42":                42,
		"x.AgentGateway1.AgentGateway2":   2,
		"x.AgentGateway":                  0,
		"x.AgentGateway+5":                0,
		"x.AgentGateway-5":                0,
		"x.AgentGateway 5":                0,
		"x.AgentGateway5x":                0,
		"x.AgentGateway99999999999999999": 0,
		"x.agentgateway5":                 0,
		"AgentGateway5":                   0,
		"":                                0,
	}
	for g, want := range cases {
		if got := GuidNode(g); got != want {
			t.Errorf("GuidNode(%q) = %d, want %d", g, got, want)
		}
	}
	for _, n := range []int{0, 1, 9, 10, 123456789} {
		if got := GuidNode("uuid" + NodeSuffix(n)); got != n {
			t.Errorf("GuidNode(uuid+NodeSuffix(%d)) = %d", n, got)
		}
	}
}
