package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"higate/gateway/qr"
	"higate/quota"
	"higate/registry"
	"higate/registry/phone"
)

type accountView struct {
	ClientID  string       `json:"client_id"`
	Email     string       `json:"email"`
	Plan      string       `json:"plan"`
	Status    string       `json:"status"`
	Instance  uint64       `json:"instance"`
	PeriodEnd string       `json:"period_end,omitempty"`
	Limits    quota.Limits `json:"limits"`
}

func (s *server) handleListAccounts(w http.ResponseWriter, r *http.Request) error {
	accts, err := s.Store.Accounts()
	if err != nil {
		return err
	}
	out := make([]accountView, 0, len(accts))
	for _, a := range accts {
		v := accountView{ClientID: a.ClientID, Email: a.Email, Plan: string(a.Plan), Status: string(a.Status),
			Instance: a.Instance, Limits: a.EffectiveLimits()}
		if !a.PeriodEnd.IsZero() {
			v.PeriodEnd = a.PeriodEnd.Format(time.RFC3339)
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"accounts": out})
	return nil
}

func (s *server) handleCreateAccount(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		Email    string       `json:"email"`
		Plan     string       `json:"plan"`
		Instance *uint64      `json:"instance"`
		Limits   quota.Limits `json:"limits"`
	}
	if err := decode(w, r, textBodyLimit, &b); err != nil {
		return err
	}
	email, err := registry.CheckEmail(b.Email)
	if err != nil {
		return err
	}
	b.Email = email
	plan, err := quota.Parse(b.Plan)
	if err != nil {
		return registry.Errorf(registry.CodeBadRequest, "use trial, forever-green or enterprise", "%v", err)
	}
	if b.Limits.Daily < 0 || b.Limits.Recipients < 0 {
		return badRequest("limits", "use positive numbers")
	}
	var instance uint64
	switch {
	case b.Instance != nil:
		instance = *b.Instance
	case plan == quota.Enterprise:
		in, err := s.Store.CreateInstance("dedicated: "+b.Email, true)
		if err != nil {
			return err
		}
		instance = in.ID
	}
	creds, err := s.Store.CreateAccount(registry.NewAccount{Email: b.Email, Plan: plan, Instance: instance, Limits: b.Limits})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, creds)
	return nil
}

type numberView struct {
	Number    string `json:"number"`
	Transport string `json:"transport"`
	Role      string `json:"role"`
	State     string `json:"state"`
	Reason    string `json:"reason,omitempty"`
	Since     string `json:"since"`
}

type instanceView struct {
	ID         uint64       `json:"id"`
	Name       string       `json:"name"`
	Dedicated  bool         `json:"dedicated"`
	Active     string       `json:"active"`
	Up         bool         `json:"up"`
	QueueDepth int          `json:"queue_depth"`
	Numbers    []numberView `json:"numbers"`
}

func (s *server) handleListInstances(w http.ResponseWriter, r *http.Request) error {
	ins, err := s.Store.Instances()
	if err != nil {
		return err
	}
	out := make([]instanceView, 0, len(ins))
	for _, in := range ins {
		up, _ := s.Gateway.InstanceStatus(in.ID) // up as GET /v1/gateway/status?instance= says it
		v := instanceView{ID: in.ID, Name: in.Name, Dedicated: in.Dedicated, Active: in.Active,
			Up: up, QueueDepth: s.Store.QueueDepth(in.ID), Numbers: []numberView{}}
		for _, n := range in.NumberViews {
			v.Numbers = append(v.Numbers, numberView{Number: n.Number, Transport: n.Transport, Role: string(n.Role),
				State: string(n.State), Reason: n.Reason, Since: n.Since.Format(time.RFC3339)})
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"instances": out})
	return nil
}

func (s *server) handleCreateInstance(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		Name string `json:"name" max:"100"`
	}
	if err := decode(w, r, textBodyLimit, &b); err != nil {
		return err
	}
	if b.Name == "" {
		return badRequest("name", "give the instance a name")
	}
	in, err := s.Store.CreateInstance(b.Name, false)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": in.ID, "name": in.Name})
	return nil
}

func (s *server) handleAddNumber(w http.ResponseWriter, r *http.Request) error {
	instance, err := parseInstance(mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	var b struct {
		Number    string `json:"number"`
		Transport string `json:"transport"`
		Role      string `json:"role"`
	}
	if err := decode(w, r, textBodyLimit, &b); err != nil {
		return err
	}
	num, err := phone.Normalize(b.Number)
	if err != nil {
		return registry.Errorf(registry.CodeInvalidNumber, "include the country code", "number %q is invalid", b.Number)
	}
	if b.Transport != "sim" && b.Transport != "whatsmeow" {
		return badRequest("transport", `use "sim" or "whatsmeow"`)
	}
	if b.Transport == "sim" && s.Sim == nil {
		return registry.Errorf(registry.CodeBadRequest, "start the server with --sandbox", "the simulated network is off")
	}
	role := registry.Role(b.Role)
	if role == "" {
		role = registry.RoleStandby
	}
	if role != registry.RoleActive && role != registry.RoleStandby {
		return badRequest("role", `use "active" or "standby"`)
	}
	n, err := s.Gateway.AddNumber(registry.Number{Number: num, Instance: instance, Transport: b.Transport, Role: role,
		Pacing: defaultPacing(b.Transport)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, numberView{Number: n.Number, Transport: n.Transport, Role: string(n.Role),
		State: string(n.State), Since: n.Since.Format(time.RFC3339)})
	return nil
}

// defaultPacing: simulated numbers send as fast as they can; real numbers
// send about 20 a minute with jitter, and at most 1,000 a day, so they do
// not look like a bot to WhatsApp.
func defaultPacing(transport string) registry.Pacing {
	if transport == "sim" {
		return registry.Pacing{}
	}
	return registry.Pacing{Gap: 2 * time.Second, Jitter: 2 * time.Second, DailyCap: 1000}
}

func (s *server) handleRemoveNumber(w http.ResponseWriter, r *http.Request) error {
	num, err := userNumber("number", mux.Vars(r)["number"])
	if err != nil {
		return err
	}
	if err := s.Gateway.RemoveNumber(num); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "removed", "number": num})
	return nil
}

func (s *server) handlePairing(w http.ResponseWriter, r *http.Request) error {
	num, err := userNumber("number", mux.Vars(r)["number"])
	if err != nil {
		return err
	}
	st, err := s.Gateway.Pairing(num)
	if err != nil {
		return registry.Errorf(registry.CodeNotFound, "add it with POST /admin/api/instances/{id}/numbers", "%s is not a running gateway number", num)
	}
	if r.URL.Query().Get("format") == "png" {
		if st.QR == "" {
			return registry.Errorf(registry.CodeNotFound, "poll until step is \"code\"", "no QR code right now (step %s)", st.Step)
		}
		png, err := qr.PNG(st.QR, 320)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Cache-Control", "no-store")
		_, err = w.Write(png)
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// handlePairCode asks WhatsApp for a code to type on the phone (Linked
// devices > Link with phone number) instead of scanning the QR code.
func (s *server) handlePairCode(w http.ResponseWriter, r *http.Request) error {
	num, err := userNumber("number", mux.Vars(r)["number"])
	if err != nil {
		return err
	}
	code, err := s.Gateway.PairPhone(r.Context(), num)
	if err != nil {
		s.log.Warn("pair code", "number", phone.Mask(num), "err", err)
		return registry.Errorf(registry.CodeUnavailable, "retry, or scan the QR code (a simulated number never pairs)",
			"cannot get a pair code for %s right now", num)
	}
	writeJSON(w, http.StatusOK, map[string]string{"pair_code": code})
	return nil
}

// handleRepair starts pairing a number again, e.g. after it was logged out.
func (s *server) handleRepair(w http.ResponseWriter, r *http.Request) error {
	num, err := userNumber("number", mux.Vars(r)["number"])
	if err != nil {
		return err
	}
	if err := s.Gateway.Restart(num); err != nil {
		return err
	}
	st, err := s.Gateway.Pairing(num)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// pacingView is a number's pacing as the admin API shows it.
type pacingView struct {
	Number   string `json:"number"`
	GapMS    int64  `json:"gap_ms"`
	JitterMS int64  `json:"jitter_ms"`
	DailyCap int    `json:"daily_cap"`
}

// maxPacingMS bounds gap_ms and jitter_ms: a day between two sends is
// already no service at all.
const maxPacingMS = int64(24 * time.Hour / time.Millisecond)

// handlePacing changes the pacing fields the body names and keeps the
// others, so `{"daily_cap": 500}` does not reset the gap to zero (and
// unpace a real number); it answers with the whole resulting pacing.
func (s *server) handlePacing(w http.ResponseWriter, r *http.Request) error {
	num, err := userNumber("number", mux.Vars(r)["number"])
	if err != nil {
		return err
	}
	var b struct {
		GapMS    *int64 `json:"gap_ms"`
		JitterMS *int64 `json:"jitter_ms"`
		DailyCap *int   `json:"daily_cap"`
	}
	if err := decode(w, r, textBodyLimit, &b); err != nil {
		return err
	}
	if b.GapMS == nil && b.JitterMS == nil && b.DailyCap == nil {
		return badRequest("gap_ms, jitter_ms or daily_cap", "give at least one of them; the others keep their values")
	}
	for _, f := range []struct {
		name string
		v    *int64
	}{{"gap_ms", b.GapMS}, {"jitter_ms", b.JitterMS}} {
		if f.v != nil && (*f.v < 0 || *f.v > maxPacingMS) {
			return badRequest(f.name, fmt.Sprintf("use milliseconds from 0 to %d (a day)", maxPacingMS))
		}
	}
	if b.DailyCap != nil && *b.DailyCap < 0 {
		return badRequest("daily_cap", "use a number >= 0 (0 means no cap)")
	}
	p, err := s.Gateway.UpdatePacing(num, func(p *registry.Pacing) error {
		if b.GapMS != nil {
			p.Gap = time.Duration(*b.GapMS) * time.Millisecond
		}
		if b.JitterMS != nil {
			p.Jitter = time.Duration(*b.JitterMS) * time.Millisecond
		}
		if b.DailyCap != nil {
			p.DailyCap = *b.DailyCap
		}
		return nil
	})
	if errors.Is(err, registry.ErrNotFound) {
		return registry.Errorf(registry.CodeNotFound, "list numbers with GET /admin/api/instances", "%s is not a gateway number", num)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pacingView{Number: num, GapMS: p.Gap.Milliseconds(), JitterMS: p.Jitter.Milliseconds(), DailyCap: p.DailyCap})
	return nil
}

func (s *server) handleRotate(w http.ResponseWriter, r *http.Request) error {
	instance, err := parseInstance(mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	var b struct {
		To string `json:"to"`
	}
	if err := decode(w, r, textBodyLimit, &b); err != nil {
		return err
	}
	if b.To == "" {
		return badRequest("to", "give the standby number to make active, e.g. {\"to\": \"+4915187654321\"}")
	}
	to, err := phone.Normalize(b.To)
	if err != nil {
		return registry.Errorf(registry.CodeInvalidNumber, "include the country code", "to %q is invalid", b.To)
	}
	n, err := s.Gateway.Rotate(instance, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"instance": instance, "active": n.Number, "state": n.State})
	return nil
}

func (s *server) handleEvents(w http.ResponseWriter, r *http.Request) error {
	limit := 100
	if v, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && v > 0 && v <= 1000 {
		limit = v
	}
	evs, err := s.Store.Events(limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": evs})
	return nil
}
