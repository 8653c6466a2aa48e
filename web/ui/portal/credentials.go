package portal

import (
	"net/http"

	"higate/registry"
	"higate/web/ui"
)

// credentialsView is the data of the credentials page and of the page
// that shows a new secret once.
type credentialsView struct {
	ClientID string
	Instance uint64
	Secret   string // the new secret, on the one page that shows it; "" otherwise
	Samples  []sample
}

// serveCredentials shows the client ID and code to call the API with,
// the secret as a placeholder: it is never stored, so never shown again.
func (h *Handler) serveCredentials(w http.ResponseWriter, r *http.Request, a registry.Account) {
	v := credentialsView{ClientID: a.ClientID, Instance: a.Instance,
		Samples: samples(h.baseURL(r), a.ClientID, secretPlaceholder, a.Instance)}
	h.render(w, r, http.StatusOK, "credentials.html", "Credentials", "/portal/credentials", ui.Page{Data: v})
}

// serveRotateSecret gives the account a new secret and shows it on this
// response only (no redirect: the page is not stored or shown again). The
// old secret stops working at once, and the rotation ends every portal
// session of the account, this browser's too; this browser gets a new
// one, as the one who rotated.
func (h *Handler) serveRotateSecret(w http.ResponseWriter, r *http.Request, a registry.Account) {
	creds, err := h.Store.RotateSecret(a.ClientID)
	if err != nil {
		h.Logger.Error("portal: rotate secret", "err", err)
		h.fail(w, r)
		return
	}
	h.Logger.Info("secret rotated in the portal", "account", a.ClientID)
	if err := h.sessions.Start(w, r, a.ClientID); err != nil {
		h.Logger.Error("portal: session after rotation", "err", err)
	}
	v := credentialsView{ClientID: a.ClientID, Instance: a.Instance, Secret: creds.ClientSecret,
		Samples: samples(h.baseURL(r), a.ClientID, creds.ClientSecret, a.Instance)}
	h.render(w, r, http.StatusOK, "secret.html", "Your new secret", "/portal/credentials", ui.Page{Data: v,
		Flash: "Your secret was rotated. The old one no longer works, and other browsers were signed out."})
}
