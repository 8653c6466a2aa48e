package console

import (
	"fmt"
	"html"
	"html/template"
	"strings"
	"time"
)

// chart is a line chart of per-minute values, drawn on the server as
// inline SVG: it needs no script, no image request and no style attribute
// (the colours are classes in style.css), and it says what it shows in
// words for those who cannot see it (a title, a description with the
// numbers that matter, axis labels as text).
type chart struct {
	ID      string    // unique on the page; the title's and description's IDs start with it
	Title   string    // the chart's accessible name
	Summary string    // its description: what a reader should take away, in a sentence or two
	Start   time.Time // the first value's minute
	Step    time.Duration
	Series  []series
}

// series is one line of a chart.
type series struct {
	Name   string
	Class  string // series-a, series-b or series-c
	Values []int  // one per Step from Start; negative: no value (a gap in the line)
}

// The chart's geometry, in viewBox units: the plot area sits inside the
// margins that hold the axis labels.
const (
	chartW, chartH             = 720.0, 240.0
	marginL, marginR           = 52.0, 14.0
	marginT, marginB           = 30.0, 30.0
	plotW, plotH               = chartW - marginL - marginR, chartH - marginT - marginB
	chartTickEvery             = 6 * time.Hour
	tickClear                  = 90.0 // room for the first and last labels
	legendGap, legendSwatchLen = 150.0, 18.0
)

// SVG draws the chart.
func (c chart) SVG() template.HTML {
	n := 0
	top := 0
	for _, s := range c.Series {
		n = max(n, len(s.Values))
		for _, v := range s.Values {
			top = max(top, v)
		}
	}
	yMax := niceCeil(top)
	x := func(i int) float64 {
		if n <= 1 {
			return marginL
		}
		return marginL + float64(i)*plotW/float64(n-1)
	}
	y := func(v int) float64 { return marginT + plotH - float64(v)*plotH/float64(yMax) }

	var b strings.Builder
	esc := html.EscapeString
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" role="img" aria-labelledby="%s-title %s-desc">`,
		chartW, chartH, esc(c.ID), esc(c.ID))
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, esc(c.ID), esc(c.Title), esc(c.ID), esc(c.Summary))

	// The y axis: zero, half and the top, with grid lines.
	b.WriteString(`<g class="grid">`)
	for _, v := range []int{0, yMax / 2, yMax} {
		fmt.Fprintf(&b, `<line class="axis" x1="%g" y1="%.1f" x2="%g" y2="%.1f"/>`, marginL, y(v), marginL+plotW, y(v))
		fmt.Fprintf(&b, `<text class="y-label" x="%g" y="%.1f" text-anchor="end">%s</text>`, marginL-6, y(v)+3.5, formatInt(v))
	}
	b.WriteString(`</g>`)

	// The x axis: a tick and label every six hours, on the hour, in UTC.
	b.WriteString(`<g class="x-axis">`)
	if n > 1 && c.Step > 0 {
		end := c.Start.Add(time.Duration(n-1) * c.Step)
		for t := c.Start.Truncate(chartTickEvery).Add(chartTickEvery); !t.After(end); t = t.Add(chartTickEvery) {
			i := int(t.Sub(c.Start) / c.Step)
			fmt.Fprintf(&b, `<line class="axis" x1="%.1f" y1="%g" x2="%.1f" y2="%g"/>`, x(i), marginT+plotH, x(i), marginT+plotH+4)
			if x(i)-marginL < tickClear || marginL+plotW-x(i) < tickClear {
				continue // the label would run into the start's or the end's
			}
			fmt.Fprintf(&b, `<text class="x-label" x="%.1f" y="%g" text-anchor="middle">%s</text>`, x(i), chartH-10, t.UTC().Format("15:04"))
		}
		fmt.Fprintf(&b, `<text class="x-label" x="%g" y="%g" text-anchor="start">%s</text>`, marginL, chartH-10, c.Start.UTC().Format("Jan 2 15:04"))
		fmt.Fprintf(&b, `<text class="x-label" x="%g" y="%g" text-anchor="end">%s UTC</text>`, marginL+plotW, chartH-10, end.UTC().Format("15:04"))
	}
	b.WriteString(`</g>`)

	// The lines, broken where a value is missing, then the legend.
	for _, s := range c.Series {
		fmt.Fprintf(&b, `<g class="%s"><title>%s</title>`, esc(s.Class), esc(s.Name))
		var pts [][2]float64
		flush := func() {
			switch len(pts) {
			case 0:
				return
			case 1: // a line of one point would not show
				fmt.Fprintf(&b, `<circle class="dot" cx="%.1f" cy="%.1f" r="2.5"/>`, pts[0][0], pts[0][1])
			default:
				b.WriteString(`<polyline class="line" points="`)
				for j, p := range pts {
					if j > 0 {
						b.WriteByte(' ')
					}
					fmt.Fprintf(&b, "%.1f,%.1f", p[0], p[1])
				}
				b.WriteString(`"/>`)
			}
			pts = pts[:0]
		}
		for i, v := range s.Values {
			if v < 0 {
				flush()
				continue
			}
			pts = append(pts, [2]float64{x(i), y(v)})
		}
		flush()
		b.WriteString(`</g>`)
	}
	b.WriteString(`<g class="legend">`)
	for i, s := range c.Series {
		lx := marginL + float64(i)*legendGap
		fmt.Fprintf(&b, `<line class="%s swatch" x1="%g" y1="12" x2="%g" y2="12"/>`, esc(s.Class), lx, lx+legendSwatchLen)
		fmt.Fprintf(&b, `<text x="%g" y="16">%s</text>`, lx+legendSwatchLen+6, esc(s.Name))
	}
	b.WriteString(`</g></svg>`)
	return template.HTML(b.String()) // every value written above is escaped or a number
}

// niceCeil is the y axis's top: the smallest 1, 2 or 5 times a power of
// ten that is at least v (at least 2, so half of it is a whole number).
func niceCeil(v int) int {
	if v <= 2 {
		return 2
	}
	for p := 1; ; p *= 10 {
		for _, m := range []int{1, 2, 5} {
			if m*p >= v && m*p >= 2 {
				return m * p
			}
		}
	}
}
