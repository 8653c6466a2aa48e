package web

import (
	"errors"
	"net/http"

	"higate/registry"
	"higate/registry/phone"
)

// checkResult is what the check endpoint says of one number.
type checkResult struct {
	// Number is the number in E.164 when it is valid, else as it was given.
	Number string `json:"number"`
	// Valid: libphonenumber takes it for a number that can exist.
	Valid bool `json:"valid"`
	// Registered: the user greeted the instance's active gateway number
	// and has not opted out, so sends to them are accepted.
	Registered bool `json:"registered"`
	// OptedOut: the user greeted that number and then said STOP.
	OptedOut bool `json:"opted_out"`
	// OnWhatsApp is what WhatsApp (or the simulated network) says, null
	// when it cannot be asked now (see gateway.Service.CheckOnWhatsApp).
	OnWhatsApp *bool `json:"on_whatsapp"`
}

// handleCheckNumbers serves POST /v3/whatsapp/numbers/check/{instance}:
// whether each number is valid, registered with the instance's active
// gateway number or opted out, and on WhatsApp. It counts nothing against
// the quota; what asks WhatsApp is cached and rate-limited per gateway
// number, because WhatsApp bans numbers that ask about many strangers.
func (s *server) handleCheckNumbers(w http.ResponseWriter, r *http.Request) error {
	acct, instance, err := s.authorizeInstance(r)
	if err != nil {
		return err
	}
	s.rateHeaders(w, acct)
	var b struct {
		Numbers []string `json:"numbers" max:"100"`
	}
	if err := decode(w, r, textBodyLimit, &b); err != nil {
		return err
	}
	if len(b.Numbers) == 0 {
		return badRequest("numbers", "give a list of up to 100 numbers with country code, e.g. {\"numbers\":[\"4915112345678\"]}")
	}
	out := make([]checkResult, len(b.Numbers))
	var ask []string // valid numbers, in E.164
	var at []int     // their positions in out
	active, activeErr := s.Store.ActiveNumber(instance)
	for i, raw := range b.Numbers {
		out[i].Number = raw
		e164, err := phone.Normalize(raw)
		if err != nil {
			continue
		}
		out[i].Number, out[i].Valid = e164, true
		ask, at = append(ask, e164), append(at, i)
		if activeErr != nil {
			continue
		}
		reg, err := s.Store.Registration(active.Number, e164)
		switch {
		case err == nil:
			out[i].Registered, out[i].OptedOut = reg.Active(), !reg.Active()
		case !errors.Is(err, registry.ErrNotFound):
			return err
		}
	}
	if len(ask) > 0 {
		for k, on := range s.Gateway.CheckOnWhatsApp(r.Context(), instance, ask) {
			out[at[k]].OnWhatsApp = on
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"numbers": out})
	return nil
}
