package render

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"ccgw-harness/internal/testscale"
	"ccgw-harness/reports"
	"ccgw-harness/reports/goldentest"
)

const chromiumPath = "/usr/bin/chromium"

// goldenHTML writes the golden run's report.html into dir.
func goldenHTML(t *testing.T, dir string) (string, []byte) {
	t.Helper()
	r := aggregate(goldentest.Spec().Results()).Report(goldentest.Meta(), goldentest.SLO())
	var buf bytes.Buffer
	if err := RunHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, reports.HTMLFile)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p, buf.Bytes()
}

var chartIDs = []string{"chart-latency", "chart-percentiles", "chart-throughput"}

// chartHasPath reports whether the chart's <svg> holds a series path with
// at least two points.
func chartHasPath(doc []byte, id string) bool {
	i := bytes.Index(doc, []byte(`<svg id="`+id+`"`))
	if i < 0 {
		return false
	}
	end := bytes.Index(doc[i:], []byte("</svg>"))
	if end < 0 {
		return false
	}
	return regexp.MustCompile(`<path class="series" d="M[0-9.]+ [0-9.]+L[0-9.]+ [0-9.]+`).Match(doc[i : i+end])
}

// TestHTMLSelfContained: one file, nothing fetched, every chart drawn.
func TestHTMLSelfContained(t *testing.T) {
	_, doc := goldenHTML(t, t.TempDir())
	for _, bad := range []string{"src=", "href=", "@import", "url(", "<link", "<iframe"} {
		if bytes.Contains(doc, []byte(bad)) {
			t.Errorf("report.html contains %q: it must not load anything", bad)
		}
	}
	// The only URL is the SVG namespace, which is not fetched.
	if n, ns := strings.Count(string(doc), "://"), strings.Count(string(doc), `xmlns="http://www.w3.org/2000/svg"`); n != ns {
		t.Errorf("report.html has %d URLs beyond the %d SVG namespaces", n-ns, ns)
	}
	for _, id := range chartIDs {
		if !chartHasPath(doc, id) {
			t.Errorf("chart %s has no drawn series", id)
		}
	}
	for _, want := range []string{"LATENCIES UNDERSTATED", "Retcodes", "SLO gates", "100-007", "internal error", "FAIL: 4 of 7"} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}

// TestHTMLInChromium renders report.html in headless Chromium: no script
// error, the charts are in the DOM with drawn paths, and the screenshot is
// not blank. The screenshot stays in <repo>/out/report-screenshot.png.
func TestHTMLInChromium(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing (CI installs it: apt-get install -y chromium)", chromiumPath)
		}
		t.Skipf("%s is missing (apt-get install -y chromium)", chromiumPath)
	}
	dir := t.TempDir()
	page, _ := goldenHTML(t, dir)
	repoOut, err := filepath.Abs(filepath.Join("..", "..", "out"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(repoOut, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(repoOut, "report-screenshot.png")
	os.Remove(shot)

	chromium := func(extra ...string) (stdout, stderr []byte) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), testscale.D(90*time.Second))
		defer cancel()
		args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--user-data-dir=" + filepath.Join(dir, "profile")}, extra...)
		args = append(args, "file://"+page)
		cmd := exec.CommandContext(ctx, chromiumPath, args...)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium %v: %v\n%s", extra, err, e.Bytes())
		}
		return o.Bytes(), e.Bytes()
	}

	dom, logs := chromium("--dump-dom", "--enable-logging=stderr", "--v=0")
	for _, l := range strings.Split(string(logs), "\n") {
		if strings.Contains(l, "Uncaught") || strings.Contains(l, ":CONSOLE") {
			t.Errorf("browser console: %s", l)
		}
	}
	for _, id := range chartIDs {
		if !chartHasPath(dom, id) {
			t.Errorf("rendered DOM: chart %s missing or without a drawn path", id)
		}
	}

	chromium("--screenshot="+shot, "--window-size=1400,2400")
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if nonWhite, total := countNonWhite(img); nonWhite < total/50 {
		t.Errorf("screenshot %s looks blank: %d of %d pixels are not white", shot, nonWhite, total)
	} else {
		t.Logf("screenshot %s: %d of %d pixels not white", shot, nonWhite, total)
	}
}

func countNonWhite(img image.Image) (n, total int) {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				n++
			}
			total++
		}
	}
	return n, total
}
