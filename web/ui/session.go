package ui

import (
	"errors"
	"net/http"
	"time"

	"higate/registry"
	"higate/web/forwarded"
)

// Sessions signs browsers in and out of one surface. Sessions live in the
// registry (a restart signs no one out), the cookie is HttpOnly and
// SameSite=Lax, Secure when the request came over HTTPS (directly, or
// through a trusted proxy: forwarded.HTTPS), and scoped to the surface's
// path. The zero durations take the defaults below.
type Sessions struct {
	Store  *registry.Store
	Kind   string        // registry.SessionPortal or registry.SessionConsole
	Cookie string        // the cookie's name, e.g. "higate_portal"
	Path   string        // the cookie's path, e.g. "/portal/"
	Idle   time.Duration // ends after this long unused; default 30 minutes
	MaxAge time.Duration // ends after this long however used; default 12 hours
}

func (m Sessions) idle() time.Duration   { return cmpOr(m.Idle, 30*time.Minute) }
func (m Sessions) maxAge() time.Duration { return cmpOr(m.MaxAge, 12*time.Hour) }

func cmpOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Start signs the browser in as subject (a client ID; "" for the console).
func (m Sessions) Start(w http.ResponseWriter, r *http.Request, subject string) error {
	// A session fixed before sign-in is never reused.
	if c, err := r.Cookie(m.Cookie); err == nil {
		_ = m.Store.EndSession(m.Kind, c.Value)
	}
	token, err := m.Store.CreateSession(m.Kind, subject, m.maxAge())
	if err != nil {
		return err
	}
	http.SetCookie(w, m.cookie(r, token, int(m.maxAge().Seconds())))
	return nil
}

// Current returns the browser's live session, if it has one.
func (m Sessions) Current(r *http.Request) (registry.Session, bool) {
	c, err := r.Cookie(m.Cookie)
	if err != nil {
		return registry.Session{}, false
	}
	s, err := m.Store.SessionOf(m.Kind, c.Value, m.idle())
	return s, err == nil
}

// End signs the browser out and clears its cookie.
func (m Sessions) End(w http.ResponseWriter, r *http.Request) error {
	var err error
	if c, cerr := r.Cookie(m.Cookie); cerr == nil {
		err = m.Store.EndSession(m.Kind, c.Value)
	}
	http.SetCookie(w, m.cookie(r, "", -1))
	if errors.Is(err, registry.ErrNotFound) {
		err = nil
	}
	return err
}

func (m Sessions) cookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     m.Cookie,
		Value:    value,
		Path:     m.Path,
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   forwarded.HTTPS(r),
		SameSite: http.SameSiteLaxMode,
	}
}
