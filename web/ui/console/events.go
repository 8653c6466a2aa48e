package console

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"higate/registry"
)

// eventsPerPage is how many events one page shows.
const eventsPerPage = 50

// eventFilter is a choice of the events page's kind filter.
type eventFilter struct {
	Key, Label string
	Kinds      []string // the event kinds it shows
	Prefix     string   // or every kind with this prefix
}

func (f eventFilter) match(e registry.Event) bool {
	return slices.Contains(f.Kinds, e.Kind) || (f.Prefix != "" && strings.HasPrefix(e.Kind, f.Prefix))
}

// eventFilters are the kinds an operator looks for. The gateway records
// number_<state> for every state change, failover, instance_down and
// rotation; the webhook sender webhook_deactivated; plan changes
// enterprise_account and account_moved.
var eventFilters = []eventFilter{
	{Key: "", Label: "All events"},
	{Key: "bans", Label: "Bans", Kinds: []string{"number_banned", "number_temp_banned"}},
	{Key: "failovers", Label: "Failovers and instances down", Kinds: []string{"failover", "instance_down"}},
	{Key: "rotations", Label: "Rotations", Kinds: []string{"rotation"}},
	{Key: "alerts", Label: "Alerts (need an operator)", Kinds: []string{"number_banned", "number_temp_banned",
		"number_logged_out", "number_stopped", "failover", "instance_down", "webhook_deactivated"}},
	{Key: "webhooks", Label: "Webhook deactivations", Kinds: []string{"webhook_deactivated"}},
	{Key: "numbers", Label: "Number states", Prefix: "number_"},
	{Key: "accounts", Label: "Accounts", Kinds: []string{"enterprise_account", "account_moved"}},
}

// eventRow is one event as the page shows it.
type eventRow struct {
	ID       uint64
	At       time.Time
	Now      time.Time
	Kind     string // as recorded
	What     string // in words
	Class    string // badge class
	Instance uint64
	Number   string
	Href     string // the number's page
	Detail   string
}

// eventsView is the events page's data.
type eventsView struct {
	Filters  []eventFilter
	Kind     string
	Instance string
	Events   []eventRow
	Next     string // older events' URL, if any
	First    string // the newest events' URL, when this page is not them
	Scanned  int    // events read for this page
	Partial  bool   // the page stopped reading before it was full: older events may match
}

// describe puts an event kind in words and picks its badge.
func describe(kind string) (what, class string) {
	switch kind {
	case "failover":
		return "failover", "badge warn"
	case "instance_down":
		return "instance down", "badge state-down"
	case "rotation":
		return "rotation", "badge good"
	case "webhook_deactivated":
		return "webhook deactivated", "badge bad"
	case "enterprise_account":
		return "dedicated instance", "badge"
	case "account_moved":
		return "account moved", "badge"
	}
	if state, ok := strings.CutPrefix(kind, "number_"); ok {
		return strings.ReplaceAll(state, "_", " "), "badge state-" + state
	}
	return strings.ReplaceAll(kind, "_", " "), "badge"
}

// serveEvents lists operator events, newest first, filtered by kind and
// instance, a page at a time. Each page reads a bounded number of events,
// however rare the kind asked for.
func (h *Handler) serveEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := eventsView{Filters: eventFilters, Kind: q.Get("kind"), Instance: strings.TrimSpace(q.Get("instance"))}
	var filter *eventFilter
	for i := range eventFilters {
		if eventFilters[i].Key == v.Kind && v.Kind != "" {
			filter = &eventFilters[i]
		}
	}
	instance, instErr := strconv.ParseUint(v.Instance, 10, 64)
	page := h.view(w, r, "Events", "/console/events", &v)
	if v.Instance != "" && instErr != nil {
		page.Error = "The instance filter takes an instance number, like 0 or 12."
		v.Instance = ""
	}
	before, _ := strconv.ParseUint(q.Get("before"), 10, 64)
	res, err := h.Store.FindEvents(registry.EventQuery{Before: before, Limit: eventsPerPage, Match: func(e registry.Event) bool {
		return (filter == nil || filter.match(e)) && (v.Instance == "" || e.Instance == instance)
	}})
	if err != nil {
		h.Logger.Error("events page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	now := h.Store.Now()
	for _, e := range res.Events {
		row := eventRow{ID: e.ID, At: e.At, Now: now, Kind: e.Kind, Instance: e.Instance, Number: e.Number, Detail: e.Detail}
		row.What, row.Class = describe(e.Kind)
		if e.Number != "" {
			row.Href = numberHref(e.Number)
		}
		v.Events = append(v.Events, row)
	}
	v.Scanned, v.Partial = res.Scanned, res.Next != 0 && len(res.Events) < eventsPerPage
	filters := url.Values{}
	if v.Kind != "" {
		filters.Set("kind", v.Kind)
	}
	if v.Instance != "" {
		filters.Set("instance", v.Instance)
	}
	if res.Next != 0 {
		next := url.Values{"before": {strconv.FormatUint(res.Next, 10)}}
		for k, vs := range filters {
			next[k] = vs
		}
		v.Next = "/console/events?" + next.Encode()
	}
	if before != 0 {
		v.First = "/console/events?" + filters.Encode()
	}
	h.render(w, http.StatusOK, "events.html", page)
}
