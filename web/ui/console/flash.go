package console

import (
	"net/http"
	"net/url"
)

// A flash is the one-off line a page shows after a form: "Number added",
// or what went wrong. It rides in a short-lived cookie from the POST's
// redirect to the next page, which shows it once and clears it.
const flashCookie = "higate_console_flash"

const (
	flashNotice = 'n'
	flashError  = 'e'
)

func setFlash(w http.ResponseWriter, kind byte, text string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(string(kind) + text), Path: "/console/",
		MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// takeFlash returns the flash the request carries, if any, as a notice or
// an error, and clears it.
func takeFlash(w http.ResponseWriter, r *http.Request) (notice, failure string) {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return "", ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/console/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	v, err := url.QueryUnescape(c.Value)
	if err != nil || len(v) < 2 {
		return "", ""
	}
	if v[0] == flashError {
		return "", v[1:]
	}
	return v[1:], ""
}
