package portal

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"higate/registry"
	"higate/web/ui"
)

// loginView is the sign-in page's data.
type loginView struct {
	ClientID string // as typed, after a failed attempt
	Next     string // where to go after signing in
	Offers   []Offer
	Expired  bool // the account expired: show how to renew
}

// serveLogin shows the sign-in form, or sends a signed-in developer on.
func (h *Handler) serveLogin(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if _, ok := h.sessions.Current(r); ok {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	page := ui.Page{Title: "Sign in", Surface: "portal", Data: loginView{Next: next}}
	takeFlash(w, r, &page)
	h.write(w, r, http.StatusOK, "login.html", page)
}

// serveSignIn checks a client ID and secret and starts a session. A wrong
// ID and a wrong secret get the same answer; a suspended or expired
// account (whose credentials were right) is told why it cannot sign in.
func (h *Handler) serveSignIn(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSpace(r.PostFormValue("client_id"))
	secret := strings.TrimSpace(r.PostFormValue("client_secret"))
	v := loginView{ClientID: id, Next: safeNext(r.PostFormValue("next"))}
	page := ui.Page{Title: "Sign in", Surface: "portal", Data: &v}

	if ok, wait := h.limiter.Try(ui.ClientKey(r)); !ok {
		secs := int(wait.Seconds())
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		page.Error = "Too many sign-in attempts from your address. Try again in " + strconv.Itoa(secs) + " seconds."
		h.write(w, r, http.StatusTooManyRequests, "login.html", page)
		return
	}
	a, err := h.Store.Authenticate(id, secret)
	if err != nil {
		status := http.StatusUnauthorized
		var e *registry.Error
		switch {
		case id == "" || secret == "":
			status, page.Error = http.StatusBadRequest, "Enter both your client ID and your client secret."
		case errors.Is(err, registry.ErrBadCredentials):
			page.Error = "The client ID or the secret is not right. Check both for typos: they are in the e-mail with your credentials."
		case errors.As(err, &e):
			// Right credentials, but the account may not be used now.
			page.Error = h.errorText(err, "sign in")
			v.Expired = strings.Contains(e.Message, "expired")
			v.Offers = h.Offers
		default:
			h.Logger.Error("portal: sign in", "err", err)
			status, page.Error = http.StatusInternalServerError, "Signing in failed on our side; try again."
		}
		h.write(w, r, status, "login.html", page)
		return
	}
	if err := h.sessions.Start(w, r, a.ClientID); err != nil {
		h.Logger.Error("portal: start session", "err", err)
		h.fail(w, r)
		return
	}
	http.Redirect(w, r, v.Next, http.StatusSeeOther)
}

// serveLogout ends the session. Signing out needs no session: whoever
// asks is signed out.
func (h *Handler) serveLogout(w http.ResponseWriter, r *http.Request) {
	if err := h.sessions.End(w, r); err != nil {
		h.Logger.Error("portal: end session", "err", err)
	}
	setFlash(w, r, flashSignedOut)
	http.Redirect(w, r, "/portal/login", http.StatusSeeOther)
}

// safeNext keeps a redirect target only if it is a page of the portal, so
// a link cannot send a developer elsewhere after signing in.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") ||
		strings.HasPrefix(next, "/portal/login") {
		return Prefix
	}
	return next
}
