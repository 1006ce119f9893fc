package gateway

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSessionGuidAndNode(t *testing.T) {
	s := NewSession(1001, testPhone, testGuid)
	if s.AgentID != 1001 || s.PhoneNum != testPhone || s.Guid() != testGuid || s.Node() != 1 {
		t.Fatalf("NewSession: agent %d phone %s guid %s node %d", s.AgentID, s.PhoneNum, Mask(s.Guid()), s.Node())
	}
	s.SetGuid(testGuid2)
	if s.Guid() != testGuid2 || s.Node() != 2 {
		t.Errorf("after SetGuid: %s node %d", Mask(s.Guid()), s.Node())
	}
	s.SetGuid("no-suffix")
	if s.Node() != 0 {
		t.Errorf("a Guid without suffix has node %d", s.Node())
	}
}

func TestSessionStringIsMasked(t *testing.T) {
	s := NewSession(1001, testPhone, testGuid)
	if got, want := s.String(), "agent 1001 guid 3f2b…way1"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	assertNoSecrets(t, "Session.String", s.String())
	s.SetGuid("short")
	if got := s.String(); strings.Contains(got, "short") || got != "agent 1001 guid <5 chars>" {
		t.Errorf("String() with a short Guid = %q", got)
	}
}

func TestSessionConcurrentGuidSwitch(t *testing.T) {
	a := strings.Repeat("a", 40)
	b := strings.Repeat("b", 40)
	s := NewSession(1001, testPhone, a)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	torn := make(chan string, 1)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if g := s.Guid(); g != a && g != b {
					select {
					case torn <- g:
					default:
					}
					return
				}
				_ = s.CookieHeader()
				_ = s.String()
			}
		}()
	}
	for i := 0; i < 2000; i++ {
		if i%2 == 0 {
			s.SetGuid(b)
		} else {
			s.SetGuid(a)
		}
		h := http.Header{}
		h.Add("Set-Cookie", "NSLB=n"+string(rune('0'+i%10)))
		s.storeCookies(h, time.Now())
	}
	close(stop)
	wg.Wait()
	select {
	case g := <-torn:
		t.Errorf("a reader saw a torn Guid of %d chars", len(g))
	default:
	}
}

func TestSessionCookies(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := NewSession(1001, testPhone, testGuid)
	if s.CookieHeader() != "" {
		t.Fatal("a new session has cookies")
	}
	h := http.Header{}
	h.Add("Set-Cookie", "NSLB=a; Path=/; Secure; HttpOnly")
	h.Add("Set-Cookie", "ROUTE=r1")
	h.Add("Set-Cookie", "Q=\"quoted\"")
	h.Add("Set-Cookie", "GONE=x; Expires="+now.Add(-time.Second).Format(http.TimeFormat))
	h.Add("Set-Cookie", "not a cookie")
	s.storeCookies(h, now)
	if got := s.CookieHeader(); got != `NSLB=a; ROUTE=r1; Q="quoted"` {
		t.Errorf("CookieHeader %q", got)
	}
	h = http.Header{}
	h.Add("Set-Cookie", "NSLB=b")
	h.Add("Set-Cookie", "ROUTE=; Max-Age=0")
	h.Add("Set-Cookie", "LATER=l; Expires="+now.Add(time.Hour).Format(http.TimeFormat))
	s.storeCookies(h, now)
	if got := s.CookieHeader(); got != `NSLB=b; Q="quoted"; LATER=l` {
		t.Errorf("after update and deletion: %q", got)
	}
	other := NewSession(1002, "71002", testGuid2)
	if other.CookieHeader() != "" {
		t.Error("cookies leaked into another session")
	}
}
