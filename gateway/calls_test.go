package gateway

import "testing"

// TestCallOf: every documented call is named from its method and path, as
// the client builds them; anything else is CallOther.
func TestCallOf(t *testing.T) {
	base := "https://gw.example:8043"
	cases := []struct {
		method, url string
		want        Call
	}{
		{"PUT", base + SignInPath(1001), CallSignIn},
		{"PUT", base + ForceLoginPath(1001), CallForceLogin},
		{"POST", base + LoginInfoPath(1001), CallLoginInfo},
		{"DELETE", base + LogoutPath(1001), CallLogout},
		{"GET", base + EventPath(1001), CallPoll},
		{"PUT", base + UpdateGuidPath(1001), CallUpdateGuid},
		{"POST", LoginInfoPath(7) + "?x=1", CallLoginInfo},
		{"GET", base + LoginInfoPath(1001), CallOther},
		{"POST", base + SignInPath(1001), CallOther},
		{"POST", base + "/other/onlineagent/1/logininfo", CallOther},
		{"POST", base + PathPrefix + "/onlineagent//logininfo", CallOther},
		{"POST", base + LoginInfoPath(1) + "/x", CallOther},
		{"GET", base + EventPath(1) + "/x", CallOther},
		{"GET", "", CallOther},
	}
	for _, c := range cases {
		if got := CallOf(c.method, c.url); got != c.want {
			t.Errorf("CallOf(%s, %s) = %q, want %q", c.method, c.url, got, c.want)
		}
	}
}
