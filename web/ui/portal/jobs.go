package portal

import (
	"net/http"
	"net/url"
	"strconv"

	"higate/registry"
	"higate/web/ui"
)

// jobStates are the states the jobs page filters by, in the order of a
// job's life.
var jobStates = []registry.JobState{registry.JobScheduled, registry.JobQueued, registry.JobSent, registry.JobDelivered,
	registry.JobRead, registry.JobFailed, registry.JobExpired, registry.JobCanceled}

// jobsView is the jobs page's data.
type jobsView struct {
	Jobs   []jobRow
	State  registry.JobState // the filter; "" for all
	States []registry.JobState
	Older  string // the next page's URL; "" on the last page
	Paged  bool   // this is not the first page
}

// jobRow is one job in the list.
type jobRow struct {
	registry.Job
	Shown registry.JobState // State, or sending while the gateway has it in hand
}

// To is who the job goes to: a number, or a group.
func (j jobRow) To() string { return destination(j.Job) }

// serveJobs lists the account's jobs, newest first, a page at a time, from
// the account's job index.
func (h *Handler) serveJobs(w http.ResponseWriter, r *http.Request, a registry.Account) {
	q := r.URL.Query()
	v := jobsView{States: jobStates}
	page := ui.Page{Data: &v}
	filter := registry.JobFilter{Limit: 50}
	if s := registry.JobState(q.Get("status")); s != "" {
		if !validState(s) {
			page.Error = "There is no job status " + strconv.Quote(string(s)) + "; showing every job."
		} else {
			filter.State, v.State = s, s
		}
	}
	if b := q.Get("before"); b != "" {
		n, err := strconv.ParseUint(b, 10, 64)
		if err != nil {
			page.Error = "That page link is broken; showing the newest jobs."
		}
		filter.Before, v.Paged = n, err == nil
	}
	jobs, next, err := h.Store.JobsOf(a.ClientID, filter)
	if err != nil {
		h.Logger.Error("portal: jobs", "err", err)
		h.fail(w, r)
		return
	}
	for _, j := range jobs {
		v.Jobs = append(v.Jobs, jobRow{Job: j, Shown: h.shownState(j)})
	}
	if next != 0 {
		older := url.Values{"before": {strconv.FormatUint(next, 10)}}
		if v.State != "" {
			older.Set("status", string(v.State))
		}
		v.Older = "/portal/jobs?" + older.Encode()
	}
	h.render(w, r, http.StatusOK, "jobs.html", "Jobs", "/portal/jobs", page)
}

func validState(s registry.JobState) bool {
	for _, st := range jobStates {
		if s == st {
			return true
		}
	}
	return false
}

// shownState is the job's state as the API shows it: a queued job the
// gateway is sending right now is sending.
func (h *Handler) shownState(j registry.Job) registry.JobState {
	if h.Gateway != nil && h.Gateway.Sending(j) {
		return registry.JobSending
	}
	return j.State
}

// destination is who a job goes to: a number, or a group and its admin.
func destination(j registry.Job) string {
	if j.GroupName == "" {
		return j.To
	}
	if j.GroupAdmin != "" {
		return "group " + j.GroupName + " (" + j.GroupAdmin + ")"
	}
	return "group " + j.GroupName
}
