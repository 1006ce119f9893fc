package metrics

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// The metrics of a distributed run: every shard keeps a Metrics of its own
// (not served), and sends its Exposition to the run's coordinator, which
// serves the sum of the latest ones (a Merged) as the run's one scrape
// target. The metric names and labels are those of one run.

// expositionFormat is how an exposition travels: Prometheus' delimited
// protocol buffers (exact values, no text to parse).
var expositionFormat = expfmt.NewFormat(expfmt.TypeProtoDelim)

// Exposition returns the run's ccgw_ metrics (not the Go runtime's or the
// process's) as they would be scraped now, encoded for Merged.Set.
func (m *Metrics) Exposition() ([]byte, error) {
	if m == nil {
		return nil, nil
	}
	mfs, err := m.reg.Gather()
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expositionFormat)
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "ccgw_") {
			continue
		}
		if err := enc.Encode(mf); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	return buf.Bytes(), nil
}

// Merged serves the sum of several expositions (a distributed run's
// shards) as one set of metrics, with the serving process's own Go runtime
// and process metrics. Counters, histograms and gauges add up; the run's
// stage is the earliest stage of the shards still there. A shard that is
// gone keeps its counts (counters never go back) but no longer adds to the
// gauges. It is safe for concurrent use.
type Merged struct {
	reg     *prometheus.Registry
	handler http.Handler
	mu      sync.Mutex
	shards  map[int]mergedShard
}

type mergedShard struct {
	families []*dto.MetricFamily
	gone     bool
}

// NewMerged returns an empty Merged.
func NewMerged() (*Merged, error) {
	m := &Merged{reg: prometheus.NewRegistry(), shards: map[int]mergedShard{}}
	for _, c := range []prometheus.Collector{collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := m.reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	g := prometheus.Gatherers{m.reg, prometheus.GathererFunc(m.gather)}
	m.handler = promhttp.InstrumentMetricHandler(m.reg, promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: DefaultMaxScrapes,
		Timeout:             DefaultScrapeTimeout,
	}))
	return m, nil
}

// Handler serves the merged metrics in the Prometheus exposition format.
func (m *Merged) Handler() http.Handler { return m.handler }

// Set makes exposition (Metrics.Exposition of shard) the shard's latest;
// gone says the shard is lost or over (its gauges no longer count).
func (m *Merged) Set(shard int, exposition []byte, gone bool) error {
	var fams []*dto.MetricFamily
	dec := expfmt.NewDecoder(bytes.NewReader(exposition), expositionFormat)
	for {
		mf := &dto.MetricFamily{}
		err := dec.Decode(mf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("metrics: shard %d's exposition: %w", shard, err)
		}
		if !strings.HasPrefix(mf.GetName(), "ccgw_") {
			continue
		}
		fams = append(fams, mf)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.shards[shard] = mergedShard{families: fams, gone: gone}
	return nil
}

// Gone marks a shard lost or over, keeping its latest exposition.
func (m *Merged) Gone(shard int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.shards[shard]; ok {
		s.gone = true
		m.shards[shard] = s
	}
}

// gather is the sum of the shards' families.
func (m *Merged) gather() ([]*dto.MetricFamily, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := make([]int, 0, len(m.shards))
	for id := range m.shards {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	byName := map[string]*dto.MetricFamily{}
	series := map[string]*dto.Metric{} // family name + label set -> merged metric
	stage := -1                        // the earliest stage of a shard still there
	for _, id := range ids {
		s := m.shards[id]
		for _, mf := range s.families {
			name := mf.GetName()
			if name == NameStage {
				if !s.gone {
					if i := currentStage(mf); i >= 0 && (stage < 0 || i < stage) {
						stage = i
					}
				}
				continue
			}
			gauge := mf.GetType() == dto.MetricType_GAUGE
			if gauge && s.gone {
				continue
			}
			out, ok := byName[name]
			if !ok {
				out = &dto.MetricFamily{Name: mf.Name, Help: mf.Help, Type: mf.Type, Unit: mf.Unit}
				byName[name] = out
			}
			for _, mt := range mf.Metric {
				key := name + "\xff" + labelKey(mt.Label)
				into, ok := series[key]
				if !ok {
					into = cloneMetric(mt)
					series[key] = into
					out.Metric = append(out.Metric, into)
					continue
				}
				addMetric(into, mt)
			}
		}
	}
	if stage >= 0 {
		byName[NameStage] = stageFamily(stage)
	}
	out := make([]*dto.MetricFamily, 0, len(byName))
	for _, mf := range byName {
		sort.Slice(mf.Metric, func(i, j int) bool { return labelKey(mf.Metric[i].Label) < labelKey(mf.Metric[j].Label) })
		out = append(out, mf)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetName() < out[j].GetName() })
	return out, nil
}

// currentStage is the index in Stages of the stage a shard's stage gauge
// says (-1: none).
func currentStage(mf *dto.MetricFamily) int {
	for _, mt := range mf.Metric {
		if mt.GetGauge().GetValue() != 1 {
			continue
		}
		for _, l := range mt.Label {
			if l.GetName() == LabelStage {
				return slices.Index(Stages, l.GetValue())
			}
		}
	}
	return -1
}

// stageFamily is the stage gauge saying stage i.
func stageFamily(i int) *dto.MetricFamily {
	mf := &dto.MetricFamily{Name: ptr(NameStage), Help: ptr("1 for the run's current stage, 0 for the others."),
		Type: dto.MetricType_GAUGE.Enum()}
	for k, s := range Stages {
		v := 0.0
		if k == i {
			v = 1
		}
		mf.Metric = append(mf.Metric, &dto.Metric{Label: []*dto.LabelPair{{Name: ptr(LabelStage), Value: ptr(s)}},
			Gauge: &dto.Gauge{Value: ptr(v)}})
	}
	return mf
}

// labelKey identifies a label set.
func labelKey(ls []*dto.LabelPair) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = l.GetName() + "=" + l.GetValue()
	}
	sort.Strings(parts)
	return strings.Join(parts, "\xfe")
}

// addMetric adds mt's values to into (one series of one family).
func addMetric(into, mt *dto.Metric) {
	switch {
	case into.Counter != nil && mt.Counter != nil:
		into.Counter.Value = ptr(into.Counter.GetValue() + mt.Counter.GetValue())
	case into.Gauge != nil && mt.Gauge != nil:
		into.Gauge.Value = ptr(into.Gauge.GetValue() + mt.Gauge.GetValue())
	case into.Untyped != nil && mt.Untyped != nil:
		into.Untyped.Value = ptr(into.Untyped.GetValue() + mt.Untyped.GetValue())
	case into.Histogram != nil && mt.Histogram != nil:
		h, o := into.Histogram, mt.Histogram
		h.SampleCount = ptr(h.GetSampleCount() + o.GetSampleCount())
		h.SampleSum = ptr(h.GetSampleSum() + o.GetSampleSum())
		h.CreatedTimestamp = nil
		for _, ob := range o.Bucket {
			found := false
			for _, b := range h.Bucket {
				if b.GetUpperBound() == ob.GetUpperBound() {
					b.CumulativeCount = ptr(b.GetCumulativeCount() + ob.GetCumulativeCount())
					b.Exemplar = nil
					found = true
					break
				}
			}
			if !found {
				h.Bucket = append(h.Bucket, &dto.Bucket{UpperBound: ptr(ob.GetUpperBound()), CumulativeCount: ptr(ob.GetCumulativeCount())})
			}
		}
		sort.Slice(h.Bucket, func(i, j int) bool { return h.Bucket[i].GetUpperBound() < h.Bucket[j].GetUpperBound() })
	}
}

func ptr[T any](v T) *T { return &v }

// cloneMetric copies a series' labels and values (counter, gauge,
// untyped, histogram: what a run's metrics hold), without timestamps or
// exemplars.
func cloneMetric(mt *dto.Metric) *dto.Metric {
	out := &dto.Metric{Label: append([]*dto.LabelPair(nil), mt.Label...)}
	switch {
	case mt.Counter != nil:
		out.Counter = &dto.Counter{Value: ptr(mt.Counter.GetValue())}
	case mt.Gauge != nil:
		out.Gauge = &dto.Gauge{Value: ptr(mt.Gauge.GetValue())}
	case mt.Untyped != nil:
		out.Untyped = &dto.Untyped{Value: ptr(mt.Untyped.GetValue())}
	case mt.Histogram != nil:
		h := &dto.Histogram{SampleCount: ptr(mt.Histogram.GetSampleCount()), SampleSum: ptr(mt.Histogram.GetSampleSum())}
		for _, b := range mt.Histogram.Bucket {
			h.Bucket = append(h.Bucket, &dto.Bucket{UpperBound: ptr(b.GetUpperBound()), CumulativeCount: ptr(b.GetCumulativeCount())})
		}
		out.Histogram = h
	}
	return out
}
