package web

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"higate/registry"
)

// webhookAccount authenticates a developer and checks their plan has webhooks.
func (s *server) webhookAccount(r *http.Request) (registry.Account, error) {
	a, err := s.authenticate(r)
	if err != nil {
		return a, err
	}
	return a, s.Store.CheckDedicated(a, "webhooks")
}

// webhookView shows the settings without the signing secret, which is
// shown only when it is set or generated.
type webhookView struct {
	URL         string   `json:"url"`
	Token       string   `json:"token"`
	Events      []string `json:"events"`
	Active      bool     `json:"active"`
	Failures    int      `json:"consecutive_failures"`
	AutoReplies bool     `json:"auto_replies"`
	Secret      string   `json:"secret,omitempty"`
}

func (s *server) viewWebhook(a registry.Account) webhookView {
	v := webhookView{URL: a.Webhook.URL, Token: a.Webhook.Token, Events: a.Webhook.Events, Active: a.Webhook.Active,
		Failures: a.Webhook.Fails, AutoReplies: true}
	if v.Events == nil {
		v.Events = []string{registry.EventInbound, registry.EventJobStatus}
	}
	if in, err := s.Store.Instance(a.Instance); err == nil {
		v.AutoReplies = !in.NoAutoReplies
	}
	return v
}

func (s *server) handleGetWebhook(w http.ResponseWriter, r *http.Request) error {
	a, err := s.webhookAccount(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.viewWebhook(a))
	return nil
}

func (s *server) handlePutWebhook(w http.ResponseWriter, r *http.Request) error {
	a, err := s.webhookAccount(r)
	if err != nil {
		return err
	}
	var b struct {
		URL         string   `json:"url" max:"2048"`
		Token       *string  `json:"token" max:"200"`
		Secret      *string  `json:"secret" max:"200"`
		Events      []string `json:"events"`
		Active      *bool    `json:"active"`
		AutoReplies *bool    `json:"auto_replies"`
	}
	if err := decode(w, r, textBodyLimit, &b); err != nil {
		return err
	}
	// The URL is checked against the sender's policy: no scheme but
	// http(s), and no host that is or resolves to an address inside the
	// gateway's network (the sender checks again as it dials).
	if err := s.Webhooks.CheckURL(r.Context(), b.URL); err != nil {
		return err
	}
	if b.Events != nil && len(b.Events) == 0 {
		return badRequest("events", `name at least one of "inbound" and "job.status", or leave events out`)
	}
	for _, e := range b.Events {
		if e != registry.EventInbound && e != registry.EventJobStatus {
			return badRequest("events", `use "inbound" and/or "job.status"`)
		}
	}
	if b.Secret != nil && len(*b.Secret) < 16 {
		return badRequest("secret", "use at least 16 characters, or omit it to have one generated")
	}
	var shownSecret string
	a, err = s.Store.UpdateWebhook(a.ClientID, func(wh *registry.Webhook) error {
		// Events left out keep what the webhook had; a new webhook takes
		// inbound messages only, WhatsMate's contract, so a receiver
		// written for WhatsMate never sees a payload it cannot read
		// (job.status is opt-in).
		switch {
		case b.Events != nil:
			wh.Events = slices.Compact(slices.Sorted(slices.Values(b.Events)))
		case wh.URL == "":
			wh.Events = []string{registry.EventInbound}
		}
		wh.URL = b.URL
		if b.Token != nil {
			wh.Token = *b.Token
		}
		switch {
		case b.Secret != nil:
			wh.Secret, shownSecret = *b.Secret, *b.Secret
		case wh.Secret == "":
			wh.Secret = "whsec_" + registry.RandomHex(24)
			shownSecret = wh.Secret
		}
		wh.Active, wh.Fails = b.Active == nil || *b.Active, 0
		return nil
	})
	if err != nil {
		return err
	}
	if b.AutoReplies != nil {
		in, err := s.Store.Instance(a.Instance)
		if err != nil {
			return err
		}
		if !in.Dedicated {
			return registry.Errorf(registry.CodeNotInPlan, "ask the operator for a dedicated instance",
				"automatic replies can only be switched off on a dedicated instance")
		}
		if _, err := s.Store.UpdateInstance(a.Instance, func(in *registry.Instance) error {
			in.NoAutoReplies = !*b.AutoReplies
			return nil
		}); err != nil {
			return err
		}
	}
	v := s.viewWebhook(a)
	v.Secret = shownSecret
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *server) handleTestWebhook(w http.ResponseWriter, r *http.Request) error {
	a, err := s.webhookAccount(r)
	if err != nil {
		return err
	}
	// Test's errors are safe to show: "unreachable" whatever the dial
	// said, so this endpoint cannot be used to scan ports.
	status, err := s.Webhooks.Test(r.Context(), a)
	out := map[string]any{"status_code": status, "ok": err == nil && status < 300}
	if err != nil {
		out["error"] = err.Error()
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type deliveryView struct {
	ID          uint64 `json:"id"`
	Event       string `json:"event"`
	State       string `json:"state"`
	Attempts    int    `json:"attempts"`
	LastStatus  int    `json:"last_status"`
	LastError   string `json:"last_error,omitempty"`
	CreatedAt   string `json:"created_at"`
	DeliveredAt string `json:"delivered_at,omitempty"`
}

func (s *server) handleDeliveries(w http.ResponseWriter, r *http.Request) error {
	a, err := s.webhookAccount(r)
	if err != nil {
		return err
	}
	ds, err := s.Store.Deliveries(a.ClientID, 100)
	if err != nil {
		return err
	}
	out := make([]deliveryView, 0, len(ds))
	for _, d := range ds {
		v := deliveryView{ID: d.ID, Event: d.Event, State: string(d.State), Attempts: d.Attempts,
			LastStatus: d.LastStatus, LastError: d.LastError, CreatedAt: d.CreatedAt.Format(time.RFC3339)}
		if !d.DeliveredAt.IsZero() {
			v.DeliveredAt = d.DeliveredAt.Format(time.RFC3339)
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": out})
	return nil
}

func (s *server) handleReplay(w http.ResponseWriter, r *http.Request) error {
	a, err := s.webhookAccount(r)
	if err != nil {
		return err
	}
	if strings.TrimSpace(a.Webhook.URL) == "" {
		return badRequest("url", "set a webhook URL with PUT /v3/webhook first")
	}
	n, err := s.Store.Replay(a.ClientID)
	if err != nil {
		return err
	}
	s.Webhooks.Wake()
	writeJSON(w, http.StatusOK, map[string]any{"replayed": n, "active": true})
	return nil
}
