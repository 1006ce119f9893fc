package metrics_test

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	"go.yaml.in/yaml/v3"

	"ccgw-harness/gateway"
	"ccgw-harness/metrics"
	"ccgw-harness/metrics/metricstest"
	"ccgw-harness/reports/reportstest"
)

// dashboardFile is the Grafana dashboard of the repository.
const dashboardFile = "../deploy/grafana/ccgw-load.json"

// populated returns the exposition of a Metrics in which every family has
// series: results of every class on several nodes and calls, a journey of
// each outcome, an attached source with agents on two nodes.
func populated(t *testing.T) *metricstest.Exposition {
	t.Helper()
	m := newMetrics(t, metrics.WithTarget("mock"), metrics.WithPlan("smoke"), metrics.WithShard("0"))
	o := m.Observer()
	reportstest.DefaultSpec(2000).Each(o.Observe)
	o.Observe(&vegeta.Result{Method: http.MethodPut, URL: "https://gw" + gateway.PathPrefix + "/onlineagent/1001", Code: 200})
	m.ObserveReady(time.Second)
	m.JourneyDone(true)
	m.JourneyDone(false)
	m.Attach(metrics.Source{Agents: 2, SignedIn: func() map[int]int { return map[int]int{1: 1, 2: 1} }})
	return gather(t, m)
}

// dashboard is the part of a Grafana dashboard the test reads.
type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name  string          `json:"name"`
			Type  string          `json:"type"`
			Query json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	GridPos *struct{ H, W, X, Y int } `json:"gridPos"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

var (
	metricName = regexp.MustCompile(`\b(?:ccgw|process|go)_[a-z0-9_]+`)
	matcher    = regexp.MustCompile(`([a-z_]+)\s*(?:=~|!~|!=|=)\s*"`)
	grouping   = regexp.MustCompile(`\b(?:by|ignoring|on)\s*\(([^)]*)\)`)
)

// TestDashboard checks deploy/grafana/ccgw-load.json: valid JSON of a
// dashboard whose panels all have an id, a place and the datasource
// variable; every query's parentheses and braces balance, every metric it
// names is one the metrics export (histogram series by their family), and
// every label it matches or groups by is a label of those metrics. The
// panels the issue asks for are there.
func TestDashboard(t *testing.T) {
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	if d.UID == "" || d.Title == "" || d.SchemaVersion < 30 {
		t.Errorf("uid %q title %q schemaVersion %d: want a titled dashboard of a current schema", d.UID, d.Title, d.SchemaVersion)
	}
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
	}
	for _, v := range []string{"datasource", "job", "target", "plan", "shard"} {
		if !vars[v] {
			t.Errorf("no $%s variable", v)
		}
	}

	e := populated(t)
	labels := map[string]map[string]bool{} // family -> label names
	for name, f := range e.Families {
		labels[name] = map[string]bool{}
		for _, s := range f.GetMetric() {
			for k := range metricstest.Labels(s) {
				labels[name][k] = true
			}
		}
	}
	family := func(name string) (string, bool) {
		if _, ok := e.Families[name]; ok {
			return name, true
		}
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(name, suf); ok {
				if f, ok := e.Families[base]; ok && f.GetType().String() == "HISTOGRAM" {
					return base, true
				}
			}
		}
		return "", false
	}

	ids := map[int]bool{}
	var titles []string
	var walk func(ps []panel)
	queried := map[string]bool{}
	walk = func(ps []panel) {
		for _, p := range ps {
			if ids[p.ID] || p.ID == 0 {
				t.Errorf("panel %q: id %d missing or used twice", p.Title, p.ID)
			}
			ids[p.ID] = true
			if p.GridPos == nil || p.GridPos.W == 0 || p.GridPos.H == 0 || p.GridPos.X+p.GridPos.W > 24 {
				t.Errorf("panel %q: gridPos %+v", p.Title, p.GridPos)
			}
			titles = append(titles, p.Title)
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if p.Datasource == nil || p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 {
				t.Errorf("panel %q: want queries on the ${datasource} variable", p.Title)
			}
			for _, q := range p.Targets {
				checkExpr(t, p.Title, q.Expr, family, labels, queried)
			}
		}
	}
	walk(d.Panels)
	for _, want := range []string{"Request rate", "Errors by class and retcode", "Latency p50 / p99", "by node", "Agents signed in", "Schedule lag", "Time to softphone-ready"} {
		if !slices.ContainsFunc(titles, func(s string) bool { return strings.Contains(s, want) }) {
			t.Errorf("no panel %q among %q", want, titles)
		}
	}
	// Every ccgw_ family is on the dashboard.
	for name := range e.Families {
		if strings.HasPrefix(name, "ccgw_") && !queried[name] {
			t.Errorf("%s is on no panel", name)
		}
	}
}

// checkExpr checks one PromQL query of panel title.
func checkExpr(t *testing.T, title, expr string, family func(string) (string, bool), labels map[string]map[string]bool, queried map[string]bool) {
	t.Helper()
	for _, pair := range [][2]byte{{'(', ')'}, {'{', '}'}, {'[', ']'}} {
		depth := 0
		for i := 0; i < len(expr); i++ {
			switch expr[i] {
			case pair[0]:
				depth++
			case pair[1]:
				depth--
			}
			if depth < 0 {
				break
			}
		}
		if depth != 0 {
			t.Errorf("panel %q: unbalanced %c%c in %s", title, pair[0], pair[1], expr)
		}
	}
	if strings.Contains(expr, "rate(") && !strings.Contains(expr, "[$__rate_interval]") {
		t.Errorf("panel %q: rate() without $__rate_interval: %s", title, expr)
	}
	have := map[string]bool{"le": strings.Contains(expr, "_bucket"), "job": true, "instance": true}
	var fams []string
	for _, n := range metricName.FindAllString(expr, -1) {
		f, ok := family(n)
		if !ok {
			t.Errorf("panel %q queries %s, which the metrics do not export", title, n)
			continue
		}
		queried[f] = true
		fams = append(fams, f)
		for l := range labels[f] {
			have[l] = true
		}
	}
	var used []string
	for _, m := range matcher.FindAllStringSubmatch(expr, -1) {
		used = append(used, m[1])
	}
	for _, g := range grouping.FindAllStringSubmatch(expr, -1) {
		for _, l := range strings.Split(g[1], ",") {
			if l = strings.TrimSpace(l); l != "" {
				used = append(used, l)
			}
		}
	}
	sort.Strings(fams)
	for _, l := range used {
		if !have[l] {
			t.Errorf("panel %q uses label %s, which %v do not have: %s", title, l, fams, expr)
		}
	}
}

// TestReadmeListsEveryMetric: the metric names are a stable interface, and
// docs/metrics.md documents each one.
func TestReadmeListsEveryMetric(t *testing.T) {
	b, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for name := range populated(t).Families {
		if strings.HasPrefix(name, "ccgw_") && !strings.Contains(readme, "`"+name+"`") {
			t.Errorf("docs/metrics.md does not document %s", name)
		}
	}
	for _, l := range []string{metrics.LabelCall, metrics.LabelClass, metrics.LabelDetail, metrics.LabelRetcode, metrics.LabelNode,
		metrics.LabelStage, metrics.LabelOutcome, metrics.LabelTarget, metrics.LabelPlan, metrics.LabelShard} {
		if !strings.Contains(readme, "`"+l+"`") {
			t.Errorf("docs/metrics.md does not document the label %s", l)
		}
	}
}

// TestScrapeConfigs: the Prometheus examples in deploy/prometheus parse and
// scrape the path the server serves.
func TestScrapeConfigs(t *testing.T) {
	var prom struct {
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			MetricsPath   string `yaml:"metrics_path"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	readYAML(t, "../deploy/prometheus/prometheus.yml", &prom)
	if len(prom.ScrapeConfigs) != 1 || prom.ScrapeConfigs[0].MetricsPath != metrics.Path ||
		len(prom.ScrapeConfigs[0].StaticConfigs) != 1 || metrics.CheckAddr(prom.ScrapeConfigs[0].StaticConfigs[0].Targets[0]) != nil {
		t.Errorf("prometheus.yml: %+v: want one job scraping HOST:PORT%s", prom, metrics.Path)
	}
	var pm struct {
		Kind string `yaml:"kind"`
		Spec struct {
			Selector struct {
				MatchLabels map[string]string `yaml:"matchLabels"`
			} `yaml:"selector"`
			Endpoints []struct {
				Port string `yaml:"port"`
				Path string `yaml:"path"`
			} `yaml:"podMetricsEndpoints"`
		} `yaml:"spec"`
	}
	readYAML(t, "../deploy/prometheus/podmonitor.yaml", &pm)
	if pm.Kind != "PodMonitor" || len(pm.Spec.Selector.MatchLabels) == 0 || len(pm.Spec.Endpoints) != 1 ||
		pm.Spec.Endpoints[0].Path != metrics.Path || pm.Spec.Endpoints[0].Port != "metrics" {
		t.Errorf("podmonitor.yaml: %+v: want a PodMonitor selecting pods, scraping port metrics at %s", pm, metrics.Path)
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(false)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
