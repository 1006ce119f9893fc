package gateway

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Session is one signed-in agent: its ID, the phone number it signed in
// with, its current Guid and the cookies the gateway set for it (NSLB sticky
// routing). It is safe for concurrent use: the Guid switches atomically, so
// calls in flight while an event poll rotates it send either the old or the
// new value, never a mix. Each session keeps its own cookies; agents never
// share them.
type Session struct {
	// AgentID is the agent's ID (the path segment of every call).
	AgentID int
	// PhoneNum is the softphone number the agent signed in with; logininfo
	// must return it.
	PhoneNum string

	mu      sync.RWMutex
	guid    string
	cookies []sessionCookie // in the order first set; names unique
}

type sessionCookie struct{ name, value string }

// NewSession returns a session for an agent already signed in with guid (for
// example one restored from elsewhere, or a probe with a made-up Guid).
func NewSession(agentID int, phoneNum, guid string) *Session {
	return &Session{AgentID: agentID, PhoneNum: phoneNum, guid: guid}
}

// Guid returns the session's current Guid, the value of the Guid header.
func (s *Session) Guid() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.guid
}

// SetGuid switches the session to a new Guid.
func (s *Session) SetGuid(guid string) {
	s.mu.Lock()
	s.guid = guid
	s.mu.Unlock()
}

// FollowSetGuid applies the Set-GUID header of an event-poll answer, as a
// client must (PollEvents does it for its own answers): an HTTP 200 answer
// whose Set-GUID holds a valid Guid switches the session to it, whatever
// the retcode; rotated says whether it differs from sent, the Guid the
// request carried. A malformed Set-GUID leaves the Guid as it was and is
// returned as the *ParseError (its input masked).
func (s *Session) FollowSetGuid(sent string, status int, h http.Header) (rotated bool, err error) {
	if status != http.StatusOK {
		return false, nil
	}
	hv := h.Get(HeaderSetGuid)
	if hv == "" {
		return false, nil
	}
	sg, err := ParseSetGuid(hv)
	if err != nil {
		return false, err
	}
	s.SetGuid(sg.Guid)
	return sg.Guid != sent, nil
}

// StoreCookies records the Set-Cookie values of an answer to one of the
// session's calls, as every call of Client does (see storeCookies).
func (s *Session) StoreCookies(h http.Header) {
	if len(h["Set-Cookie"]) > 0 {
		s.storeCookies(h, time.Now())
	}
}

// Node returns the gateway node that issued the current Guid (N of its
// `.AgentGateway<N>` suffix), or 0 when it names none.
func (s *Session) Node() int { return GuidNode(s.Guid()) }

// CookieHeader returns the Cookie header value for the cookies the gateway
// set for this session ("name=value; name2=value2" in the order they were
// first set), or "" when it set none.
func (s *Session) CookieHeader() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.cookies) == 0 {
		return ""
	}
	var b strings.Builder
	for i, c := range s.cookies {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(c.name)
		b.WriteByte('=')
		b.WriteString(c.value)
	}
	return b.String()
}

// String identifies the session without revealing its Guid:
// "agent 1001 guid abcd…way1" (see Mask).
func (s *Session) String() string {
	return "agent " + strconv.Itoa(s.AgentID) + " guid " + Mask(s.Guid())
}

// storeCookies records the Set-Cookie values of a response: a cookie
// replaces the one of the same name, and one that is expired (Max-Age <= 0
// or an Expires in the past) removes it. Path, domain and other attributes
// are ignored: a session talks to one gateway address.
func (s *Session) storeCookies(h http.Header, now time.Time) {
	set := (&http.Response{Header: h}).Cookies()
	if len(set) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range set {
		expired := c.MaxAge < 0 || (!c.Expires.IsZero() && !c.Expires.After(now))
		value := c.Value
		if c.Quoted {
			value = `"` + value + `"`
		}
		i := s.cookieIndex(c.Name)
		switch {
		case expired && i >= 0:
			s.cookies = append(s.cookies[:i], s.cookies[i+1:]...)
		case expired:
		case i >= 0:
			s.cookies[i].value = value
		default:
			s.cookies = append(s.cookies, sessionCookie{name: c.Name, value: value})
		}
	}
}

func (s *Session) cookieIndex(name string) int {
	for i, c := range s.cookies {
		if c.name == name {
			return i
		}
	}
	return -1
}
