package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"higate/registry"
	"higate/registry/phone"
)

// jobsPage is the answer of GET /v3/whatsapp/jobs.
type jobsPage struct {
	Jobs []jobView `json:"jobs"`
	Next string    `json:"next"` // the cursor of the next page; "" when there is none
}

// listStates are the status values GET /v3/whatsapp/jobs filters by.
var listStates = []registry.JobState{registry.JobScheduled, registry.JobQueued, registry.JobSending, registry.JobSent,
	registry.JobDelivered, registry.JobRead, registry.JobFailed, registry.JobExpired, registry.JobCanceled}

// handleJobs lists the caller's jobs, newest first, a page at a time, from
// the per-account job index (registry.Store.JobsOf): status, number,
// since and until (RFC 3339, of the job's creation) filter; limit (1-500,
// default 50) sizes the page; cursor is the next of the previous page. A
// page may hold fewer jobs than limit while next is not empty: one call
// reads a bounded part of the index, and next goes on from there.
func (s *server) handleJobs(w http.ResponseWriter, r *http.Request) error {
	acct, err := s.authenticate(r)
	if err != nil {
		return err
	}
	s.rateHeaders(w, acct)
	f, sending, err := jobFilter(r)
	if err != nil {
		return err
	}
	jobs, next, err := s.Store.JobsOf(acct.ClientID, f)
	if err != nil {
		return err
	}
	page := jobsPage{Jobs: make([]jobView, 0, len(jobs))}
	for _, j := range jobs {
		if s.Gateway.Sending(j) {
			j.State = registry.JobSending
		}
		if sending && j.State != registry.JobSending {
			continue
		}
		page.Jobs = append(page.Jobs, viewJob(j))
	}
	if next != 0 {
		page.Next = strconv.FormatUint(next, 10)
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// jobFilter reads the query of GET /v3/whatsapp/jobs. sending reports a
// status=sending filter: the registry has such jobs as queued, and only
// the gateway knows which of them are in hand.
func jobFilter(r *http.Request) (f registry.JobFilter, sending bool, err error) {
	q := r.URL.Query()
	if st := q.Get("status"); st != "" {
		known := false
		for _, s := range listStates {
			known = known || string(s) == st
		}
		if !known {
			return f, false, registry.Errorf(registry.CodeBadRequest,
				"use one of scheduled, queued, sending, sent, delivered, read, failed, expired, canceled", "status %q is not a job status", st)
		}
		f.State = registry.JobState(st)
		if f.State == registry.JobSending {
			f.State, sending = registry.JobQueued, true
		}
	}
	if n := q.Get("number"); n != "" {
		if f.Number, err = phone.Normalize(n); err != nil {
			return f, false, registry.Errorf(registry.CodeInvalidNumber, "include the country code, e.g. 4915112345678", "number %q is invalid", n)
		}
	}
	for _, p := range []struct {
		name string
		to   *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(p.name); v != "" {
			if *p.to, err = time.Parse(time.RFC3339, v); err != nil {
				return f, false, registry.Errorf(registry.CodeBadRequest, "give an RFC 3339 time, e.g. 2026-12-24T17:00:00Z",
					"%s %q is not an RFC 3339 time", p.name, v)
			}
		}
	}
	if v := q.Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > registry.MaxJobsLimit {
			return f, false, registry.Errorf(registry.CodeBadRequest, "use a limit from 1 to "+strconv.Itoa(registry.MaxJobsLimit),
				"limit %q is not a page size", v)
		}
	}
	if v := q.Get("cursor"); v != "" {
		if f.Before, err = strconv.ParseUint(v, 10, 64); err != nil || f.Before == 0 {
			return f, false, registry.Errorf(registry.CodeBadRequest, "pass the next of the previous page as it came, or leave cursor out for the first page",
				"cursor %q is not a cursor of this list", v)
		}
	}
	return f, sending, nil
}

// handleCancelJob cancels one of the caller's jobs that has not left:
// scheduled, queued or awaiting re-registration (gateway.Service.Cancel).
// It answers the canceled job; 409 for one that was sent, is being sent or
// has ended; 404 for another account's job or none.
func (s *server) handleCancelJob(w http.ResponseWriter, r *http.Request) error {
	acct, err := s.authenticate(r)
	if err != nil {
		return err
	}
	id, err := registry.ParseJobID(mux.Vars(r)["id"])
	if err != nil {
		s.rateHeaders(w, acct)
		return registry.Errorf(registry.CodeNotFound, "use the id returned when the message was queued", "no such job")
	}
	j, err := s.Gateway.Cancel(acct.ClientID, id)
	s.rateHeaders(w, acct) // after a refund, the window has one more
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewJob(j))
	return nil
}
