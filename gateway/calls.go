package gateway

import "strings"

// Call names one kind of agent-interface call. The names are the keys of
// every per-call figure (report.json `calls`, the mock's stats, metric
// labels), so they are part of the stable interface.
type Call = string

// The calls of the agent interface.
const (
	CallSignIn     Call = "signin"     // PUT .../onlineagent/{agentid}
	CallForceLogin Call = "forcelogin" // PUT .../onlineagent/{agentid}/forcelogin
	CallLoginInfo  Call = "logininfo"  // POST .../onlineagent/{agentid}/logininfo
	CallLogout     Call = "logout"     // DELETE .../onlineagent/{agentid}/logout
	CallPoll       Call = "poll"       // GET .../agentevent/{agentid}
	CallUpdateGuid Call = "updateguid" // PUT .../onlineagent/{agentid}/updateGuid
	// CallOther is any other method or path.
	CallOther Call = "other"
)

// Calls lists the calls in the order reports show them (CallOther last).
var Calls = []Call{CallSignIn, CallForceLogin, CallLoginInfo, CallPoll, CallLogout, CallUpdateGuid, CallOther}

// CallOf names the call of a request from its method and its URL (or path):
// the path after PathPrefix decides, a query or fragment is ignored, and a
// method that the call does not take makes it CallOther. The agent-ID
// segment is not checked.
func CallOf(method, url string) Call {
	i := strings.Index(url, PathPrefix+"/")
	if i < 0 {
		return CallOther
	}
	rest := url[i+len(PathPrefix)+1:]
	if j := strings.IndexAny(rest, "?#"); j >= 0 {
		rest = rest[:j]
	}
	kind, rest, _ := strings.Cut(rest, "/")
	id, sub, _ := strings.Cut(rest, "/")
	if id == "" {
		return CallOther
	}
	want := func(m string, c Call) Call {
		if method == m {
			return c
		}
		return CallOther
	}
	switch kind {
	case "agentevent":
		if sub == "" {
			return want("GET", CallPoll)
		}
	case "onlineagent":
		switch sub {
		case "":
			return want("PUT", CallSignIn)
		case "forcelogin":
			return want("PUT", CallForceLogin)
		case "logininfo":
			return want("POST", CallLoginInfo)
		case "logout":
			return want("DELETE", CallLogout)
		case "updateGuid":
			return want("PUT", CallUpdateGuid)
		}
	}
	return CallOther
}
