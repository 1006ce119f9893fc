package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/gateway"
	"ccgw-harness/reports"
)

// Bounds of an Observer's caches; beyond them results are still counted,
// only resolved the slow way.
const (
	// maxCached bounds the resolved series of combinations other than
	// success.
	maxCached = 1024
	// maxCachedURLs bounds the URLs whose call is remembered (one per
	// agent and call).
	maxCachedURLs = 1 << 16
	// fastNodes is how many nodes (0 included) have their success series
	// in an array.
	fastNodes = 65
)

// Observer feeds a Metrics with the results a run records. It is used from
// one goroutine (the run's recorder) and keeps what it resolved: the call
// of each URL, and the series of each combination of call, outcome and
// node, so that a result costs no label lookup, only the updates of its
// counter and histograms. The methods of a nil *Observer do nothing.
type Observer struct {
	m     *Metrics
	urls  map[string]urlCall
	ok    [][fastNodes]*obsEntry // success series by call index and node
	cache map[obsKey]*obsEntry   // other combinations
}

// urlCall is the call of a URL with the method it was seen with.
type urlCall struct {
	method string
	call   int // index in gateway.Calls
}

// obsKey is a combination as the result states it (before bounding).
type obsKey struct {
	call   int
	class  gateway.Class
	detail string
	node   int
}

type obsEntry struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// Observer returns a new Observer of m (nil when m is nil).
func (m *Metrics) Observer() *Observer {
	if m == nil {
		return nil
	}
	return &Observer{m: m, urls: make(map[string]urlCall), ok: make([][fastNodes]*obsEntry, len(gateway.Calls)),
		cache: make(map[obsKey]*obsEntry)}
}

// Observe counts one recorded result as the reports count it
// (reports.FactsOf): its call (gateway.CallOf of its method and URL), its
// outcome and node in NameRequests and NameRequestDuration, and its lag, if
// it has one, in NameScheduleLag. It keeps no reference to r.
func (o *Observer) Observe(r *vegeta.Result) {
	if o == nil {
		return
	}
	f := reports.FactsOf(r)
	call := o.call(r.Method, r.URL)
	var e *obsEntry
	if f.Verdict.OK() && f.Node < fastNodes {
		if e = o.ok[call][f.Node]; e == nil {
			e = o.entry(obsKey{call: call, class: gateway.ClassOK, node: f.Node}, f.Verdict)
			o.ok[call][f.Node] = e
		}
	} else {
		k := obsKey{call: call, class: f.Verdict.Class, detail: f.Verdict.Detail, node: f.Node}
		if f.Verdict.OK() {
			k.class, k.detail = gateway.ClassOK, ""
		}
		if e = o.cache[k]; e == nil {
			e = o.entry(k, f.Verdict)
			if len(o.cache) < maxCached {
				o.cache[k] = e
			}
		}
	}
	e.requests.Inc()
	e.duration.Observe(max(r.Latency, 0).Seconds())
	if f.HasLag {
		s := f.Lag.Seconds()
		o.m.lag.Observe(s)
		o.m.lastLag.Set(s)
	}
}

// call returns the index in gateway.Calls of the call of method and url.
func (o *Observer) call(method, url string) int {
	if c, ok := o.urls[url]; ok && c.method == method {
		return c.call
	}
	name := gateway.CallOf(method, url)
	i := len(gateway.Calls) - 1 // CallOther
	for j, c := range gateway.Calls {
		if c == name {
			i = j
			break
		}
	}
	if len(o.urls) < maxCachedURLs {
		o.urls[url] = urlCall{method: method, call: i}
	}
	return i
}

// entry resolves the series of combination k, bounding the label values
// that come from the gateway's answers.
func (o *Observer) entry(k obsKey, v gateway.Verdict) *obsEntry {
	m := o.m
	call := gateway.Calls[k.call]
	node := m.limits.node(k.node)
	detail := ""
	if k.detail != "" {
		detail = m.limits.value(LabelDetail+"/"+string(k.class), k.detail)
	}
	rc := v.Retcode()
	if rc != "" {
		rc = m.limits.value(LabelRetcode, rc)
	}
	return &obsEntry{
		requests: m.requests.WithLabelValues(call, string(k.class), detail, rc, node),
		duration: m.duration.WithLabelValues(call, node),
	}
}
