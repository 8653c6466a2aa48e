package console

import (
	"fmt"
	"html/template"
	"net/http"
	"time"

	"higate/registry"
)

// chartSpan is how far back the charts look.
const chartSpan = 24 * time.Hour

// chartsView is the charts page's data.
type chartsView struct {
	Traffic, Queue template.HTML
	TrafficSummary string
	QueueSummary   string
	Hours          []hourRow // the traffic chart as a table, for reading off numbers
	Totals         hourRow
}

// hourRow is one hour's totals.
type hourRow struct {
	Hour                              time.Time
	Accepted, Sent, Delivered, Failed int
	MaxDepth                          int
	Sampled                           bool
}

// serveCharts draws the last 24 hours: sends accepted and delivered per
// minute, and the queue depth sampled each minute. It reads the 1,440
// per-minute records of the registry's stats, nothing else.
func (h *Handler) serveCharts(w http.ResponseWriter, r *http.Request) {
	now := h.Store.Now().UTC().Truncate(time.Minute)
	start := now.Add(-chartSpan + time.Minute)
	minutes, err := h.Store.Stats(start, now)
	if err != nil {
		h.Logger.Error("charts page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	v := buildCharts(start, now, minutes)
	h.render(w, http.StatusOK, "charts.html", h.view(w, r, "Charts", "/console/charts", v))
}

// buildCharts lays the recorded minutes from start to end out as charts,
// their summaries and an hourly table.
func buildCharts(start, end time.Time, minutes []registry.Minute) chartsView {
	n := int(end.Sub(start)/time.Minute) + 1
	accepted, delivered, failed, depth := make([]int, n), make([]int, n), make([]int, n), make([]int, n)
	for i := range depth {
		depth[i] = -1 // not sampled
	}
	var v chartsView
	hours := map[time.Time]*hourRow{}
	for t := start.Truncate(time.Hour); !t.After(end); t = t.Add(time.Hour) {
		v.Hours = append(v.Hours, hourRow{Hour: t})
	}
	for i := range v.Hours {
		hours[v.Hours[i].Hour] = &v.Hours[i]
	}
	busiest, busiestAt := 0, time.Time{}
	deepest, deepestAt := -1, time.Time{}
	lastDepth, lastDepthAt := -1, time.Time{}
	for _, m := range minutes {
		i := int(m.At.Sub(start) / time.Minute)
		if i < 0 || i >= n {
			continue
		}
		accepted[i], delivered[i], failed[i] = m.Accepted, m.Delivered, m.Failed
		row := hours[m.At.Truncate(time.Hour)]
		row.Accepted += m.Accepted
		row.Sent += m.Sent
		row.Delivered += m.Delivered
		row.Failed += m.Failed
		v.Totals.Accepted += m.Accepted
		v.Totals.Sent += m.Sent
		v.Totals.Delivered += m.Delivered
		v.Totals.Failed += m.Failed
		if m.Accepted > busiest {
			busiest, busiestAt = m.Accepted, m.At
		}
		if m.Sampled {
			depth[i] = m.Depth
			row.MaxDepth, row.Sampled = max(row.MaxDepth, m.Depth), true
			if m.Depth > deepest {
				deepest, deepestAt = m.Depth, m.At
			}
			lastDepth, lastDepthAt = m.Depth, m.At
		}
	}

	if v.Totals.Accepted+v.Totals.Delivered+v.Totals.Failed == 0 {
		v.TrafficSummary = "No sends were accepted, delivered or failed in the last 24 hours."
	} else {
		v.TrafficSummary = fmt.Sprintf("In the last 24 hours: %s accepted, %s sent, %s delivered, %s failed.",
			formatInt(v.Totals.Accepted), formatInt(v.Totals.Sent), formatInt(v.Totals.Delivered), formatInt(v.Totals.Failed))
		if busiest > 0 {
			v.TrafficSummary += fmt.Sprintf(" The busiest minute was %s UTC, with %s accepted.", busiestAt.Format("15:04"), formatInt(busiest))
		}
	}
	if lastDepth < 0 {
		v.QueueSummary = "The queue depth has not been sampled in the last 24 hours (the gateway samples it once a minute)."
	} else {
		v.QueueSummary = fmt.Sprintf("%s jobs were waiting at %s UTC, the latest sample; the most in the last 24 hours was %s, at %s UTC.",
			formatInt(lastDepth), lastDepthAt.Format("15:04"), formatInt(deepest), deepestAt.Format("15:04"))
	}
	v.Traffic = chart{ID: "traffic", Title: "Sends per minute, last 24 hours", Summary: v.TrafficSummary, Start: start, Step: time.Minute,
		Series: []series{{Name: "accepted", Class: "series-a", Values: accepted}, {Name: "delivered", Class: "series-b", Values: delivered},
			{Name: "failed", Class: "series-c", Values: failed}}}.SVG()
	v.Queue = chart{ID: "queue", Title: "Queue depth, last 24 hours", Summary: v.QueueSummary, Start: start, Step: time.Minute,
		Series: []series{{Name: "jobs waiting", Class: "series-a", Values: depth}}}.SVG()
	// Newest hour first in the table, as on the other pages.
	for i, j := 0, len(v.Hours)-1; i < j; i, j = i+1, j-1 {
		v.Hours[i], v.Hours[j] = v.Hours[j], v.Hours[i]
	}
	return v
}
