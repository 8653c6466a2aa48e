package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"higate/registry"
)

// handleStatus is WhatsMate's health check. Without ?instance it says the
// server is serving; with it, whether that instance is up: its active number
// is connected or reconnecting by itself (gateway.Service.InstanceStatus).
// An instance that does not exist is a 404, not "down", so a typo in a
// monitoring check does not pass for an outage.
func (s *server) handleStatus(w http.ResponseWriter, r *http.Request) error {
	status := "up"
	if q := r.URL.Query().Get("instance"); q != "" {
		id, err := parseInstance(q)
		if err != nil {
			return err
		}
		up, err := s.Gateway.InstanceStatus(id)
		if errors.Is(err, registry.ErrNotFound) {
			return registry.Errorf(registry.CodeNotFound, "use the instance number of your account (the {instance} of the send URLs)",
				"instance %d does not exist", id)
		}
		if err != nil {
			return err
		}
		if !up {
			status = "down"
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": status})
	return nil
}

// jobView is the API shape of a job.
type jobView struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Kind      string `json:"kind"`
	Number    string `json:"number"`
	Group     string `json:"group,omitempty"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
	ErrorCode int    `json:"error_code"`
	Error     string `json:"error"`
	Waiting   string `json:"waiting,omitempty"`
	Attempts  int    `json:"attempts"`
	MessageID string `json:"message_id"`
	Priority  string `json:"priority"`
	SendAt    string `json:"send_at,omitempty"`
	// When it reached each step, once it has.
	SentAt      string `json:"sent_at,omitempty"`
	DeliveredAt string `json:"delivered_at,omitempty"`
	ReadAt      string `json:"read_at,omitempty"`
}

func viewJob(j registry.Job) jobView {
	v := jobView{ID: j.IDString(), Status: string(j.State), Kind: j.Kind, Number: j.To, Group: j.GroupName,
		CreatedAt: j.CreatedAt.Format(time.RFC3339Nano), UpdatedAt: j.UpdatedAt.Format(time.RFC3339Nano),
		ErrorCode: j.ErrorCode, Error: j.Error, Waiting: j.Waiting, Attempts: j.Attempts, MessageID: j.MessageID,
		Priority: registry.PriorityName(j.Priority)}
	v.SendAt, v.SentAt, v.DeliveredAt, v.ReadAt = stamp(j.SendAt), stamp(j.SentAt), stamp(j.DeliveredAt), stamp(j.ReadAt)
	return v
}

// stamp is a job's time as the API shows it, "" for none.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

// handleJob reports one of the caller's jobs.
func (s *server) handleJob(w http.ResponseWriter, r *http.Request) error {
	acct, err := s.authenticate(r)
	if err != nil {
		return err
	}
	s.rateHeaders(w, acct)
	notFound := registry.Errorf(registry.CodeNotFound, "use the id returned when the message was queued", "no such job")
	id, err := registry.ParseJobID(mux.Vars(r)["id"])
	if err != nil {
		return notFound
	}
	j, err := s.Store.Job(id)
	if err != nil || j.Account != acct.ClientID {
		return notFound
	}
	if s.Gateway.Sending(j) {
		j.State = registry.JobSending
	}
	writeJSON(w, http.StatusOK, viewJob(j))
	return nil
}
