package reportstest

import (
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/gateway"
)

// Result headers of journey runs (the values of results.HeaderJourney,
// HeaderJourneyEnd and HeaderReadyUs; reportstest cannot import results).
const (
	headerJourney    = "X-Ccgw-Journey"
	headerJourneyEnd = "X-Ccgw-Journey-End"
	headerReadyUs    = "X-Ccgw-Ready-Us"
	headerLagUs      = "X-Ccgw-Lag-Us"
	headerNode       = "X-Ccgw-Node"
)

// JourneySpec describes a generated journey run: agents arriving at Rate
// per second, each signing in, asking for its token, polling events every
// PollWait (+ a 300 ms pause) for Hold, asking again every Repeat, then
// signing out. Every FailSignInEvery-th journey is refused at sign-in
// (100-004), every ForceEvery-th needs a forced sign-in (100-002 first),
// every FailLoginInfoEvery-th gets a timeout on its first logininfo (then
// signs out) and every LostEvery-th loses its session on a poll (100-006);
// 0 switches a case off.
type JourneySpec struct {
	Journeys         int
	Start            time.Time
	Rate             float64
	Hold, Repeat     time.Duration
	PollWait         time.Duration
	SignInLatency    time.Duration
	LoginInfoLatency time.Duration
	Agents           int
	FirstAgent       int
	Seed             uint64
	Attack, BaseURL  string

	FailSignInEvery, ForceEvery, FailLoginInfoEvery, LostEvery int
}

// DefaultJourneySpec is the journey golden run: n journeys at 10/s, hold 4 s,
// repeat 1.5 s, polls held 1 s.
func DefaultJourneySpec(n int) JourneySpec {
	return JourneySpec{
		Journeys: n, Start: time.Date(2025, 3, 4, 8, 0, 0, 0, time.UTC), Rate: 10,
		Hold: 4 * time.Second, Repeat: 1500 * time.Millisecond, PollWait: time.Second,
		SignInLatency: 30 * time.Millisecond, LoginInfoLatency: 5 * time.Millisecond,
		Agents: 100, FirstAgent: 1001, Seed: 7, Attack: "mock/shiftstart", BaseURL: "https://127.0.0.1:8043",
		FailSignInEvery: 25, ForceEvery: 10, FailLoginInfoEvery: 40, LostEvery: 33,
	}
}

// JourneyOutcomes counts what the spec makes of its journeys.
type JourneyOutcomes struct {
	Completed, Failed, Ready      int
	SignIns, ForceLogins, Logouts int
	LoginInfos, Polls             int
	FailedBy                      map[string]int
}

// Results returns the journeys' results in send order, and what they add
// up to.
func (s JourneySpec) Results() ([]vegeta.Result, JourneyOutcomes) {
	rng := rand.New(rand.NewPCG(s.Seed, s.Seed^0x51ed2701))
	var out []vegeta.Result
	o := JourneyOutcomes{FailedBy: map[string]int{}}
	every := func(k, n int) bool { return k > 0 && n%k == k-1 }
	jitter := func(d time.Duration) time.Duration {
		return d + time.Duration(rng.Int64N(int64(d)/5+1))
	}
	for n := range s.Journeys {
		agent := s.FirstAgent + n%s.Agents
		jn := strconv.Itoa(n)
		node := strconv.Itoa(1 + agent%2)
		base := s.BaseURL + gateway.PathPrefix + "/onlineagent/" + strconv.Itoa(agent)
		planned := s.Start.Add(time.Duration(float64(n) / s.Rate * 1e9))
		lag := time.Duration(rng.Int64N(300)) * time.Microsecond
		add := func(method, url string, at time.Time, lat time.Duration, verdict string, h http.Header) time.Time {
			if h == nil {
				h = http.Header{}
			}
			h[headerJourney] = []string{jn}
			code := 200
			switch {
			case verdict == "timeout":
				code = 0
			case len(verdict) > 5 && verdict[:5] == "http ":
				code, _ = strconv.Atoi(verdict[5:])
			}
			out = append(out, vegeta.Result{Attack: s.Attack, Code: uint16(code), Timestamp: at, Latency: lat,
				Error: verdict, Method: method, URL: url, Headers: h, BytesIn: 60})
			return at.Add(lat)
		}
		t0 := planned.Add(lag)
		signIn := http.Header{headerLagUs: {strconv.FormatInt(int64(lag/time.Microsecond), 10)}}
		o.SignIns++
		switch {
		case every(s.FailSignInEvery, n):
			signIn[headerJourneyEnd] = []string{"failed"}
			add(http.MethodPut, base, t0, jitter(s.SignInLatency), "retcode "+gateway.RetWrongPassword, signIn)
			o.Failed++
			o.FailedBy["signin retcode "+gateway.RetWrongPassword]++
			continue
		case every(s.ForceEvery, n):
			t := add(http.MethodPut, base, t0, jitter(s.SignInLatency), "retcode "+gateway.RetAlreadySignedIn, signIn)
			o.ForceLogins++
			add(http.MethodPut, base+"/forcelogin", t, jitter(s.SignInLatency), "", http.Header{headerNode: {node}})
		default:
			add(http.MethodPut, base, t0, jitter(s.SignInLatency), "", signIn)
		}
		signedIn := out[len(out)-1].Timestamp.Add(out[len(out)-1].Latency)
		o.LoginInfos++
		if every(s.FailLoginInfoEvery, n) {
			t := add(http.MethodPost, base+"/logininfo", signedIn, 5*time.Second, "timeout", http.Header{headerJourneyEnd: {"failed"}, headerNode: {node}})
			o.Failed++
			o.FailedBy["logininfo timeout"]++
			o.Logouts++
			add(http.MethodDelete, base+"/logout", t, jitter(s.SignInLatency), "", nil)
			continue
		}
		lat := jitter(s.LoginInfoLatency)
		ready := signedIn.Add(lat).Sub(t0)
		add(http.MethodPost, base+"/logininfo", signedIn, lat, "", http.Header{headerReadyUs: {strconv.FormatInt(int64(ready/time.Microsecond), 10)}, headerNode: {node}})
		o.Ready++
		// Repeats at k*Repeat after the sign-in, up to the hold.
		for k := 1; s.Repeat > 0 && time.Duration(k)*s.Repeat <= s.Hold; k++ {
			o.LoginInfos++
			add(http.MethodPost, base+"/logininfo", signedIn.Add(time.Duration(k)*s.Repeat), jitter(s.LoginInfoLatency), "", http.Header{headerNode: {node}})
		}
		// Polls until the hold has passed.
		end := signedIn.Add(s.Hold)
		lost := every(s.LostEvery, n)
		t, pollEnd := signedIn.Add(lat), end
		for i := 0; t.Before(end); i++ {
			o.Polls++
			if lost && i == 1 {
				add(http.MethodGet, s.BaseURL+gateway.EventPath(agent), t, 2*time.Millisecond, "retcode "+gateway.RetNotSignedIn, http.Header{headerJourneyEnd: {"failed"}})
				o.Failed++
				o.FailedBy["poll retcode "+gateway.RetNotSignedIn]++
				break
			}
			pollEnd = add(http.MethodGet, s.BaseURL+gateway.EventPath(agent), t, s.PollWait, "", nil)
			t = pollEnd.Add(300 * time.Millisecond)
		}
		if lost {
			continue
		}
		o.Logouts++
		o.Completed++
		add(http.MethodDelete, base+"/logout", maxTime(pollEnd, end), jitter(s.SignInLatency), "", http.Header{headerJourneyEnd: {"completed"}})
	}
	slices.SortStableFunc(out, func(a, b vegeta.Result) int { return a.Timestamp.Compare(b.Timestamp) })
	return out, o
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
