package console

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"

	"higate/web/ui"
)

// loginView is the sign-in page's data.
type loginView struct {
	Next string // where to go once signed in
}

// serveLogin shows the sign-in form, or sends a signed-in operator on.
func (h *Handler) serveLogin(w http.ResponseWriter, r *http.Request) {
	if h.AdminToken == "" {
		h.renderOff(w, r)
		return
	}
	next := safeNext(r.URL.Query().Get("next"))
	if h.signedIn(r) {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	h.showLogin(w, r, http.StatusOK, next, "")
}

func (h *Handler) showLogin(w http.ResponseWriter, r *http.Request, status int, next, failure string) {
	p := ui.Page{Title: "Sign in", Surface: "console", Data: loginView{Next: next}}
	p.Flash, p.Error = takeFlash(w, r)
	if failure != "" {
		p.Error = failure
	}
	h.render(w, status, "login.html", p)
}

// login checks the admin token (form field "token") and opens a session.
// Attempts are limited per client address; the token is compared in
// constant time, as hashes, so neither its content nor its length shows in
// the time taken.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	if h.AdminToken == "" {
		h.renderOff(w, r)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	next := safeNext(r.PostFormValue("next"))
	if ok, retry := h.limiter.Try(ui.ClientKey(r)); !ok {
		wait := max(1, int(math.Ceil(retry.Seconds())))
		w.Header().Set("Retry-After", fmt.Sprint(wait))
		h.Logger.Warn("console sign-in refused: too many attempts", "client", ui.ClientKey(r))
		h.showLogin(w, r, http.StatusTooManyRequests, next,
			fmt.Sprintf("Too many sign-in attempts from your address. Try again in %d seconds.", wait))
		return
	}
	got, want := sha256.Sum256([]byte(r.PostFormValue("token"))), sha256.Sum256([]byte(h.AdminToken))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		h.Logger.Info("console sign-in with a wrong token", "client", ui.ClientKey(r))
		h.showLogin(w, r, http.StatusUnauthorized, next,
			"That is not the admin token. Use the token the server was started with (HIGATE_ADMIN_TOKEN).")
		return
	}
	if err := h.sessions.Start(w, r, h.fingerprint); err != nil {
		h.Logger.Error("console sign-in: start session", "err", err)
		h.showLogin(w, r, http.StatusInternalServerError, next, "Signing in failed: an internal error. Try again.")
		return
	}
	h.Logger.Info("operator signed in to the console", "client", ui.ClientKey(r))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout ends the session.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if err := h.sessions.End(w, r); err != nil {
		h.Logger.Error("console sign-out", "err", err)
	}
	setFlash(w, flashNotice, "Signed out.")
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}

// renderOff says the console is off, and how to turn it on.
func (h *Handler) renderOff(w http.ResponseWriter, r *http.Request) {
	h.render(w, http.StatusNotFound, "off.html", ui.Page{Title: "Operator console is off", Surface: "console"})
}

// safeNext keeps a post-sign-in destination inside the console, so the
// sign-in page cannot be used to send an operator elsewhere.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || u.Scheme != "" || u.Host != "" || u.User != nil ||
		!strings.HasPrefix(u.Path, "/console/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return "/console/"
	}
	return u.RequestURI()
}
