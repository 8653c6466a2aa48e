package portal

import (
	"errors"
	"net/http"
	"net/url"

	"higate/registry"
	"higate/web/ui"
)

// recipientsView is the recipients page's data.
type recipientsView struct {
	Recipients []registry.Recipient
	Gateway    string // the number whose registrations are shown; "" when the instance has none
	JoinPath   string
	Used, Cap  int
	After      string // this page starts after this number ("" on the first)
	Next       string // the next page's URL; "" on the last
}

// serveRecipients lists the people the account has sent to, with their
// registration on the instance's active number. It reads the account's own
// recipients (at most its plan's cap) and looks each one up: it never
// lists the other users of a shared number.
func (h *Handler) serveRecipients(w http.ResponseWriter, r *http.Request, a registry.Account) {
	v := recipientsView{JoinPath: "/join/" + itoa64(a.Instance), After: r.URL.Query().Get("after"), Cap: a.EffectiveLimits().Recipients}
	if u, err := h.Store.UsageOf(a.ClientID); err == nil {
		v.Used = u.Recipients
	}
	if n, err := h.Store.ActiveNumber(a.Instance); err == nil {
		v.Gateway = n.Number
	} else if !errors.Is(err, registry.ErrNotFound) {
		h.Logger.Error("portal: active number", "err", err)
	}
	rs, next, err := h.Store.RecipientsOf(a.ClientID, v.Gateway, v.After, 100)
	if err != nil {
		h.Logger.Error("portal: recipients", "err", err)
		h.fail(w, r)
		return
	}
	v.Recipients = rs
	if next != "" {
		v.Next = "/portal/recipients?" + url.Values{"after": {next}}.Encode()
	}
	h.render(w, r, http.StatusOK, "recipients.html", "Recipients", "/portal/recipients", ui.Page{Data: v})
}
