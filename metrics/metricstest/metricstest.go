// Package metricstest reads Prometheus expositions for tests: a scrape over
// HTTP (or a registry's gather) parsed into metric families, and sums of
// series by label. Only tests import it.
package metricstest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// Exposition is one scrape: its raw text and its parsed families.
type Exposition struct {
	Text     []byte
	Families map[string]*dto.MetricFamily
}

// Scrape gets url (a /metrics endpoint) in the text format and parses it.
func Scrape(ctx context.Context, hc *http.Client, url string) (*Exposition, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", url, resp.Status, b)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		return nil, fmt.Errorf("GET %s: Content-Type %q, want the text format", url, ct)
	}
	return Parse(b)
}

// Parse parses an exposition in the text format.
func Parse(b []byte) (*Exposition, error) {
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("parsing the exposition: %w", err)
	}
	return &Exposition{Text: b, Families: fams}, nil
}

// Gather encodes what g gathers in the text format and parses it back, as
// a scrape would see it.
func Gather(g prometheus.Gatherer) (*Exposition, error) {
	fams, err := g.Gather()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range fams {
		if err := enc.Encode(f); err != nil {
			return nil, err
		}
	}
	return Parse(buf.Bytes())
}

// Labels of a series as a map.
func Labels(m *dto.Metric) map[string]string {
	out := make(map[string]string, len(m.GetLabel()))
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// matches reports whether the series has every label of want.
func matches(m *dto.Metric, want map[string]string) bool {
	have := Labels(m)
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// Value returns a counter's, gauge's or untyped series' value, or a
// histogram's sample count.
func Value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Histogram != nil:
		return float64(m.GetHistogram().GetSampleCount())
	case m.Untyped != nil:
		return m.GetUntyped().GetValue()
	}
	return 0
}

// Sum adds Value over the series of family name that have every label of
// want (nil: all); ok is false when the family is absent.
func (e *Exposition) Sum(name string, want map[string]string) (sum float64, ok bool) {
	f, ok := e.Families[name]
	if !ok {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		if matches(m, want) {
			sum += Value(m)
		}
	}
	return sum, true
}

// By sums Value over family name's series by the value of label (series
// having every label of want).
func (e *Exposition) By(name, label string, want map[string]string) map[string]float64 {
	out := map[string]float64{}
	f, ok := e.Families[name]
	if !ok {
		return out
	}
	for _, m := range f.GetMetric() {
		if matches(m, want) {
			out[Labels(m)[label]] += Value(m)
		}
	}
	return out
}

// LabelValues returns every label name=value pair of every series, sorted
// and without duplicates (the le and quantile bounds of histograms are not
// labels of the parsed series).
func (e *Exposition) LabelValues() []string {
	seen := map[string]bool{}
	for _, f := range e.Families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				seen[l.GetName()+"="+l.GetValue()] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
