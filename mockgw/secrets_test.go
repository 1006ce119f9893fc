package mockgw

import (
	"net/http"
	"slices"
	"sync"
	"testing"

	"ccgw-harness/gateway"
	"ccgw-harness/mockgw/faultset"
)

// secretLog collects what a secret hook is told.
type secretLog struct {
	mu   sync.Mutex
	seen map[string][]string // kind -> values, in order
}

func (l *secretLog) hook(kind, value string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = map[string][]string{}
	}
	l.seen[kind] = append(l.seen[kind], value)
}

// values returns a copy of the values of one kind.
func (l *secretLog) values(kind string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.seen[kind])
}

// has reports whether value was told as kind.
func (l *secretLog) has(kind, value string) bool { return slices.Contains(l.values(kind), value) }

// TestSecretHookSeesEverySecret: the hook hears of every Guid the mock
// issues (sign-in, forced sign-in, rotation on a poll, updateGuid), every
// phonetoken it answers (also the one DefectTokenOnError puts in an error),
// and every password it accepts, but not a rejected password; and the Guid
// count matches the mock's own sign-in and rotation counters.
func TestSecretHookSeesEverySecret(t *testing.T) {
	var log secretLog
	srv := newServer(t, WithPassword("secret"), WithSecretHook(log.hook),
		WithFaults(faultset.Faults{RotateEveryPoll: true}))
	c := srv.Client()

	a := signIn(t, srv, c, 1001)
	if !log.has(SecretGuid, a.guid) {
		t.Error("the sign-in Guid was not reported")
	}
	if got := log.values(SecretPassword); !slices.Equal(got, []string{"secret"}) {
		t.Errorf("passwords reported after one sign-in: %d, want exactly the accepted one", len(got))
	}

	bad := mustDo(t, c, srv.URL(), req{method: http.MethodPut, path: gateway.SignInPath(1002), body: `{"password":"wrong-password","phonenum":"71002"}`})
	wantRetcode(t, bad, gateway.RetWrongPassword)
	if log.has(SecretPassword, "wrong-password") {
		t.Error("a rejected password was reported as accepted")
	}

	forced := signInPath(t, srv, c, 1001, gateway.ForceLoginPath(1001), nil)
	if forced.guid == a.guid || !log.has(SecretGuid, forced.guid) {
		t.Error("the forced sign-in Guid was not reported")
	}

	before := forced.guid
	wantRetcode(t, forced.poll(t, srv, c), gateway.RetOK)
	if forced.guid == before || !log.has(SecretGuid, forced.guid) {
		t.Error("the Guid rotated on the event poll was not reported")
	}

	rep := mustDo(t, c, srv.URL(), req{method: http.MethodPut, path: gateway.UpdateGuidPath(1001), guid: &forced.guid})
	wantRetcode(t, rep, gateway.RetOK)
	var ug gateway.UpdateGuidResult
	decodeJSON(t, rep.env.Result, &ug)
	if !log.has(SecretGuid, ug.Guid) {
		t.Error("the updateGuid Guid was not reported")
	}
	forced.guid = ug.Guid

	li := forced.loginInfo(t, srv, c)
	wantRetcode(t, li, gateway.RetOK)
	if tok := li.loginInfo(t).PhoneToken; tok == "" || !log.has(SecretToken, tok) {
		t.Error("the logininfo phonetoken was not reported")
	}

	srv.SetDefects(DefectTokenOnError)
	er := mustDo(t, c, srv.URL(), req{method: http.MethodPost, path: gateway.LoginInfoPath(1001), guid: ptr("unknown")})
	var res gateway.LoginInfo
	decodeJSON(t, er.env.Result, &res)
	if er.retcode() != gateway.RetNotSignedIn || res.PhoneToken == "" || !log.has(SecretToken, res.PhoneToken) {
		t.Errorf("the phonetoken of an error answer (retcode %q) was not reported", er.retcode())
	}

	st := srv.Stats()
	if n := uint64(len(log.values(SecretGuid))); n != st.SignIns+st.Rotations {
		t.Errorf("%d Guids reported, the mock issued %d (%d sign-ins + %d rotations)", n, st.SignIns+st.Rotations, st.SignIns, st.Rotations)
	}
	if n := len(log.values(SecretToken)); n != 2 {
		t.Errorf("%d phonetokens reported, 2 were answered", n)
	}
}
