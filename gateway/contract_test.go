package gateway

import "testing"

func TestParseAuthMode(t *testing.T) {
	cases := map[string]AuthMode{"static": AuthStatic, "1": AuthStatic, "dynamic": AuthDynamic, "2": AuthDynamic}
	for in, want := range cases {
		if got, err := ParseAuthMode(in); err != nil || got != want {
			t.Errorf("ParseAuthMode(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "Static", "3", "dyn"} {
		if _, err := ParseAuthMode(in); err == nil {
			t.Errorf("ParseAuthMode(%q) accepted it", in)
		}
	}
}

func TestPaths(t *testing.T) {
	cases := map[string]string{
		SignInPath(1001):         "/agentgateway/resource/onlineagent/1001",
		ForceLoginPath(1001):     "/agentgateway/resource/onlineagent/1001/forcelogin",
		LoginInfoPath(1001):      "/agentgateway/resource/onlineagent/1001/logininfo",
		LoginInfoPathRaw("+101"): "/agentgateway/resource/onlineagent/+101/logininfo",
		LogoutPath(1001):         "/agentgateway/resource/onlineagent/1001/logout",
		UpdateGuidPath(1001):     "/agentgateway/resource/onlineagent/1001/updateGuid",
		EventPath(1001):          "/agentgateway/resource/agentevent/1001",
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("path %q, want %q", got, want)
		}
	}
}
