package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"higate/gateway/sim"
	"higate/registry"
	"higate/registry/phone"
)

// simNumber normalizes a number and checks it is a simulated gateway number:
// the sandbox may only act for the simulated network.
func (s *server) simNumber(field, v string) (string, error) {
	num, err := phone.Normalize(v)
	if err != nil {
		return "", registry.Errorf(registry.CodeInvalidNumber, "include the country code", "%s %q is invalid", field, v)
	}
	n, err := s.Store.Number(num)
	if err != nil || n.Transport != "sim" {
		return "", registry.Errorf(registry.CodeNotFound, "use a simulated gateway number, e.g. +15550000001",
			"%s %s is not a simulated gateway number", field, num)
	}
	return num, nil
}

func userNumber(field, v string) (string, error) {
	num, err := phone.Normalize(v)
	if err != nil {
		return "", registry.Errorf(registry.CodeInvalidNumber, "include the country code", "%s %q is invalid", field, v)
	}
	return num, nil
}

func (s *server) handleSandboxInbound(w http.ResponseWriter, r *http.Request) error {
	var b struct{ From, To, Text string }
	if err := decode(w, r, textBodyLimit, &b); err != nil {
		return err
	}
	from, err := userNumber("from", b.From)
	if err != nil {
		return err
	}
	to, err := s.simNumber("to", b.To)
	if err != nil {
		return err
	}
	if _, err := s.Store.Number(from); err == nil {
		// A gateway number greeting one of ours (or itself) would register
		// it and have the gateway send confirmations to itself.
		return registry.Errorf(registry.CodeBadRequest, "send from a simulated user's number, not from a gateway number",
			"from %s is a gateway number; gateway numbers cannot greet gateway numbers", from)
	}
	if b.Text == "" {
		return badRequest("text", "give the text the user sends")
	}
	if err := s.Sim.Inbound(r.Context(), from, to, b.Text); err != nil {
		return simError(err)
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "sent"})
	return nil
}

func (s *server) handleSandboxMessages(w http.ResponseWriter, r *http.Request) error {
	num, err := userNumber("number", r.URL.Query().Get("number"))
	if err != nil {
		return err
	}
	msgs := s.Sim.Messages(num)
	if msgs == nil {
		msgs = []sim.Message{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": msgs})
	return nil
}

func (s *server) handleSandboxGroup(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		Name    string   `json:"name" max:"100"`
		Admin   string   `json:"admin"`
		Members []string `json:"members" max:"1024"`
		Gateway string   `json:"gateway"`
	}
	if err := decode(w, r, textBodyLimit, &b); err != nil {
		return err
	}
	if b.Name == "" {
		return badRequest("name", "give the group a name")
	}
	admin, err := userNumber("admin", b.Admin)
	if err != nil {
		return err
	}
	gw, err := s.simNumber("gateway", b.Gateway)
	if err != nil {
		return err
	}
	members := make([]string, 0, len(b.Members))
	for _, m := range b.Members {
		num, err := userNumber("members", m)
		if err != nil {
			return err
		}
		members = append(members, num)
	}
	g, err := s.Sim.CreateGroup(b.Name, admin, members, gw)
	if err != nil {
		return simError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": g.ID, "name": g.Name, "admin": g.Admin, "members": g.Members})
	return nil
}

func (s *server) handleSandboxUser(w http.ResponseWriter, r *http.Request) error {
	num, err := userNumber("number", mux.Vars(r)["number"])
	if err != nil {
		return err
	}
	var b struct {
		OnWhatsApp *bool `json:"on_whatsapp"`
	}
	if err := decode(w, r, textBodyLimit, &b); err != nil {
		return err
	}
	if b.OnWhatsApp == nil {
		return badRequest("on_whatsapp", "give true or false")
	}
	if err := s.Sim.SetOnWhatsApp(num, *b.OnWhatsApp); err != nil {
		return simError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"number": num, "on_whatsapp": *b.OnWhatsApp})
	return nil
}

func (s *server) handleSandboxRead(w http.ResponseWriter, r *http.Request) error {
	var b struct{ Number, Gateway string }
	if err := decode(w, r, textBodyLimit, &b); err != nil {
		return err
	}
	num, err := userNumber("number", b.Number)
	if err != nil {
		return err
	}
	gw, err := s.simNumber("gateway", b.Gateway)
	if err != nil {
		return err
	}
	if err := s.Sim.Read(num, gw); err != nil {
		return simError(err)
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "read"})
	return nil
}

func (s *server) handleSandboxFault(w http.ResponseWriter, r *http.Request) error {
	gw, err := s.simNumber("number", mux.Vars(r)["number"])
	if err != nil {
		return err
	}
	var b struct {
		Kind    string  `json:"kind"`
		Seconds float64 `json:"seconds"`
	}
	if err := decode(w, r, textBodyLimit, &b); err != nil {
		return err
	}
	switch b.Kind {
	case "disconnect", "temp_ban", "ban", "slow", "clear":
	default:
		return badRequest("kind", "use disconnect, temp_ban, ban, slow or clear")
	}
	if b.Seconds < 0 {
		return badRequest("seconds", "use a number >= 0")
	}
	if err := s.Sim.Fault(gw, b.Kind, time.Duration(b.Seconds*float64(time.Second))); err != nil {
		return simError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"number": gw, "fault": b.Kind})
	return nil
}

// simError is what a client sees of an error of the simulated network: its
// own refusals (they start with "sim: " and wrap nothing) in its words, a
// network shutting down as a 503, and anything else (journal I/O) as an
// internal error, logged and not shown.
func simError(err error) error {
	switch {
	case errors.Is(err, sim.ErrClosed), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return registry.Errorf(registry.CodeUnavailable, "retry in a moment", "the simulated network is not running")
	case errors.Unwrap(err) == nil && strings.HasPrefix(err.Error(), "sim: "):
		return registry.Errorf(registry.CodeBadRequest, "check the numbers (+ and 8 to 15 digits) and names in the request",
			"the simulated network refused: %s", strings.TrimPrefix(err.Error(), "sim: "))
	}
	return err
}
