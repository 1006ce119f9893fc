package render

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// Inline SVG line charts for report.html, generated here so the page needs
// no script and no network.

const (
	chartW, chartH                        = 960, 320
	padL, padR, padT, padB                = 70, 20, 30, 46
	plotW, plotH                          = chartW - padL - padR, chartH - padT - padB
	maxTicks                              = 6
	colorP50, colorP99, colorOK, colorErr = "#1f77b4", "#d62728", "#2ca02c", "#d62728"
	colorPlan, colorCurve                 = "#7f7f7f", "#9467bd"
)

// line is one series of a chart. NaN values break the line.
type line struct {
	name    string
	color   string
	dashed  bool
	markers bool // a dot at every point
	xs, ys  []float64
}

// tick is an axis tick at a data value.
type tick struct {
	v     float64
	label string
}

// chart is a line chart; with logX or logY, that axis is log10 (values
// <= 0 are then left out).
type chart struct {
	id, title, xLabel, yLabel string
	logX, logY                bool
	xTicks                    []tick // nil: automatic
	lines                     []line
}

// svg renders the chart as an inline <svg> element.
func (c chart) svg() string {
	xmin, xmax := math.Inf(1), math.Inf(-1)
	ymax, yminPos := 0.0, math.Inf(1)
	for _, l := range c.lines {
		for i, x := range l.xs {
			if math.IsNaN(l.ys[i]) || (c.logY && l.ys[i] <= 0) {
				continue
			}
			yminPos = math.Min(yminPos, l.ys[i])
			if c.logX {
				x = math.Log10(x)
			}
			xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
			ymax = math.Max(ymax, l.ys[i])
		}
	}
	if math.IsInf(xmin, 0) {
		xmin, xmax = 0, 1
	}
	if xmax <= xmin {
		xmax = xmin + 1
	}
	yTicks := niceTicks(ymax)
	ybot, ytop := 0.0, yTicks[len(yTicks)-1].v
	if c.logY {
		yTicks = logTicks(yminPos, ymax)
		ybot, ytop = math.Log10(yTicks[0].v), math.Log10(yTicks[len(yTicks)-1].v)
	}
	px := func(x float64) float64 {
		if c.logX {
			x = math.Log10(x)
		}
		return padL + (x-xmin)/(xmax-xmin)*plotW
	}
	py := func(y float64) float64 {
		if c.logY {
			if y <= 0 {
				return math.NaN()
			}
			y = math.Log10(y)
		}
		return padT + plotH - (y-ybot)/(ytop-ybot)*plotH
	}

	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="%s" class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		c.id, chartW, chartH, html.EscapeString(c.title))
	fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(c.title))
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" class="plot"/>`, padL, padT, plotW, plotH)
	for _, t := range yTicks {
		y := py(t.v)
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="grid"/>`, padL, padL+plotW, y, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" class="tick" text-anchor="end">%s</text>`, padL-6, y+4, html.EscapeString(t.label))
	}
	xTicks := c.xTicks
	if xTicks == nil {
		xTicks = linearTicks(xmin, xmax)
	}
	for _, t := range xTicks {
		x := px(t.v)
		if x < padL-0.5 || x > padL+plotW+0.5 {
			continue
		}
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" class="grid"/>`, x, x, padT, padT+plotH)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="tick" text-anchor="middle">%s</text>`, x, padT+plotH+16, html.EscapeString(t.label))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" class="axis" text-anchor="middle">%s</text>`, padL+plotW/2, chartH-6, html.EscapeString(c.xLabel))
	fmt.Fprintf(&b, `<text x="14" y="%d" class="axis" text-anchor="middle" transform="rotate(-90 14 %d)">%s</text>`,
		padT+plotH/2, padT+plotH/2, html.EscapeString(c.yLabel))
	for _, l := range c.lines {
		d := pathData(l, px, py)
		if d == "" {
			continue
		}
		dash := ""
		if l.dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		fmt.Fprintf(&b, `<path class="series" d="%s" stroke="%s"%s fill="none" stroke-width="1.6"><title>%s</title></path>`,
			d, l.color, dash, html.EscapeString(l.name))
		if l.markers {
			for i, x := range l.xs {
				if y := py(l.ys[i]); !math.IsNaN(y) && !math.IsInf(y, 0) {
					fmt.Fprintf(&b, `<circle class="marker" cx="%.1f" cy="%.1f" r="3" fill="%s"/>`, px(x), y, l.color)
				}
			}
		}
	}
	// Legend, top right inside the plot.
	lx := float64(padL + plotW - 10)
	for i := len(c.lines) - 1; i >= 0; i-- {
		l := c.lines[i]
		w := 7*float64(len(l.name)) + 30
		lx -= w
		fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="14" height="4" fill="%s"/>`, lx, padT-15, l.color)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="legend">%s</text>`, lx+18, padT-10, html.EscapeString(l.name))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// pathData returns the SVG path of a line, starting a new sub-path after
// every NaN gap.
func pathData(l line, px, py func(float64) float64) string {
	var b strings.Builder
	pen := false
	for i, x := range l.xs {
		y := py(l.ys[i])
		if math.IsNaN(y) || math.IsInf(y, 0) {
			pen = false
			continue
		}
		if pen {
			b.WriteByte('L')
		} else {
			b.WriteByte('M')
			pen = true
		}
		b.WriteString(strconv.FormatFloat(px(x), 'f', 1, 64))
		b.WriteByte(' ')
		b.WriteString(strconv.FormatFloat(y, 'f', 1, 64))
	}
	return b.String()
}

// niceTicks returns 0..top in round steps with top >= max.
func niceTicks(maxV float64) []tick {
	if maxV <= 0 || math.IsNaN(maxV) {
		maxV = 1
	}
	step := niceStep(maxV / (maxTicks - 1))
	var ts []tick
	for v := 0.0; ; v += step {
		ts = append(ts, tick{v, fmtTick(v, step)})
		if v >= maxV*0.999999 || len(ts) > 20 {
			break
		}
	}
	return ts
}

// logTicks returns decade ticks (with 2 and 5 between when the range is
// narrow) from below lo to above hi.
func logTicks(lo, hi float64) []tick {
	if math.IsInf(lo, 0) || lo <= 0 || hi <= 0 {
		lo, hi = 1, 10
	}
	a, b := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if b <= a {
		b = a + 1
	}
	mults := []float64{1}
	if b-a <= 3 {
		mults = []float64{1, 2, 5}
	}
	var ts []tick
	for e := a; e <= b; e++ {
		for _, m := range mults {
			v := m * math.Pow10(int(e))
			if e == b && m > 1 {
				break
			}
			ts = append(ts, tick{v, strconv.FormatFloat(v, 'g', -1, 64)})
		}
	}
	return ts
}

// linearTicks returns round ticks within [lo, hi].
func linearTicks(lo, hi float64) []tick {
	step := niceStep((hi - lo) / (maxTicks + 2))
	var ts []tick
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9 && len(ts) < 30; v += step {
		ts = append(ts, tick{v, fmtTick(v, step)})
	}
	return ts
}

// niceStep rounds a raw step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 || math.IsNaN(raw) || math.IsInf(raw, 0) {
		return 1
	}
	p := math.Pow10(int(math.Floor(math.Log10(raw))))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

func fmtTick(v, step float64) string {
	dec := 0
	if step < 1 {
		dec = int(math.Ceil(-math.Log10(step)))
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// percentileTicks labels a 1/(1-q) axis: 0%, 90%, 99%, 99.9%...
func percentileAxisTicks(maxInv float64) []tick {
	ts := []tick{{1, "0%"}}
	for k := 1; k <= 7; k++ {
		inv := math.Pow10(k)
		if inv > maxInv*1.0001 {
			break
		}
		q := 100 - 100/inv
		ts = append(ts, tick{inv, strconv.FormatFloat(q, 'f', -1, 64) + "%"})
	}
	return ts
}
