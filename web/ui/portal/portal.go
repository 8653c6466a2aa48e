// Package portal serves the developer portal /portal/: a developer signs
// in with their client ID and secret and sees their plan and 24-hour
// window, their jobs with a timeline each, the recipients they have sent
// to, a form to send a test message, their webhook (Enterprise), their
// credentials with ready-to-paste code, and billing.
//
// Each page is one file here (the URL names it: /portal/jobs is jobs.go
// and templates/jobs.html). Sessions are server-side (ui.Sessions, kind
// registry.SessionPortal); every page but the sign-in page needs one, and a
// visit without one goes to the sign-in page. Sending and the webhook
// settings go through package web's API handlers (Deps.Send, Deps.Webhooks),
// so a form is checked exactly as an API call is.
package portal

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"higate/gateway"
	"higate/quota"
	"higate/registry"
	"higate/web/forwarded"
	"higate/web/ui"
)

//go:embed templates/*.html
var templates embed.FS

var pages = ui.MustParsePages(templates, "templates", funcs)

// Prefix is where the portal lives.
const Prefix = "/portal/"

// SendFunc sends a message of kind (text, image, document, url) for the
// account through the API's validation and accept path, and returns the
// job's ID. fields are the API body's fields (number, message, url, image
// or document in base64, filename, caption), and "idempotency_key". Its
// errors are *registry.Error values with the API's codes and remedies.
type SendFunc func(ctx context.Context, a registry.Account, kind string, fields map[string]string) (jobID string, err error)

// Webhooks is the webhook API of an Enterprise account (GET and PUT
// /v3/webhook, test, deliveries, replay), called for the signed-in account
// with the API's own validation. Its errors are *registry.Error values.
type Webhooks interface {
	Settings(ctx context.Context, a registry.Account) (WebhookSettings, error)
	Change(ctx context.Context, a registry.Account, c WebhookChange) (WebhookSettings, error)
	Test(ctx context.Context, a registry.Account) (WebhookTest, error)
	Deliveries(ctx context.Context, a registry.Account) ([]Delivery, error)
	Replay(ctx context.Context, a registry.Account) (replayed int, err error)
}

// WebhookSettings are a webhook's settings as GET /v3/webhook shows them.
type WebhookSettings struct {
	URL         string   `json:"url"`
	Token       string   `json:"token"`
	Events      []string `json:"events"`
	Active      bool     `json:"active"`
	Failures    int      `json:"consecutive_failures"`
	AutoReplies bool     `json:"auto_replies"`
	Secret      string   `json:"secret,omitempty"` // the signing secret, only when just set or generated
}

// WebhookChange is PUT /v3/webhook's body; nil fields keep what is set.
type WebhookChange struct {
	URL         string   `json:"url"`
	Token       *string  `json:"token,omitempty"`
	Secret      *string  `json:"secret,omitempty"`
	Events      []string `json:"events,omitempty"`
	Active      *bool    `json:"active,omitempty"`
	AutoReplies *bool    `json:"auto_replies,omitempty"`
}

// WebhookTest is the outcome of a test ping.
type WebhookTest struct {
	Status int    `json:"status_code"`
	OK     bool   `json:"ok"`
	Error  string `json:"error"`
}

// Delivery is one webhook delivery as GET /v3/webhook/deliveries shows it.
type Delivery struct {
	ID          uint64 `json:"id"`
	Event       string `json:"event"`
	State       string `json:"state"`
	Attempts    int    `json:"attempts"`
	LastStatus  int    `json:"last_status"`
	LastError   string `json:"last_error"`
	CreatedAt   string `json:"created_at"`
	DeliveredAt string `json:"delivered_at"`
}

// Offer is a plan on sale at /checkout/{Key}.
type Offer struct {
	Key, Name, Term string
}

// Deps is what the portal needs. Store, Send and Webhooks are required.
type Deps struct {
	Store    *registry.Store
	Gateway  *gateway.Service // shows the jobs being sent right now as sending; nil shows them queued
	Send     SendFunc
	Webhooks Webhooks
	// Offers are the plans on sale; empty when billing is off (the billing
	// page then says to ask the operator).
	Offers []Offer
	// PublicURL is how developers reach this server (code samples, the
	// join page's QR code); empty takes the request's scheme and host.
	PublicURL string
	Logger    *slog.Logger     // nil discards
	Now       func() time.Time // nil is the store's clock
	// Idle ends a session unused this long; 0 is ui.Sessions' default.
	Idle time.Duration
}

// Handler serves the portal.
type Handler struct {
	Deps
	sessions ui.Sessions
	limiter  *ui.Limiter
}

// New returns the portal's handler.
func New(d Deps) *Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	d.Logger = d.Logger.With("component", "portal")
	if d.Now == nil {
		d.Now = d.Store.Now
	}
	d.PublicURL = strings.TrimRight(d.PublicURL, "/")
	return &Handler{
		Deps: d,
		sessions: ui.Sessions{Store: d.Store, Kind: registry.SessionPortal, Cookie: "higate_portal",
			Path: Prefix, Idle: d.Idle},
		// Ten attempts, then one every six seconds, per client address:
		// enough for typos, useless for guessing a 256-bit secret anyway,
		// and it keeps a script from filling the log.
		limiter: &ui.Limiter{Every: 6 * time.Second, Burst: 10, Now: d.Now},
	}
}

// Mount adds the portal's routes to r.
func (h *Handler) Mount(r *mux.Router) {
	get, post := []string{http.MethodGet, http.MethodHead}, []string{http.MethodPost}
	r.Handle("/portal", http.RedirectHandler(Prefix, http.StatusMovedPermanently)).Methods(get...)
	r.Handle("/portal/login", ui.Protect(http.HandlerFunc(h.serveLogin))).Methods(get...)
	r.Handle("/portal/login", ui.Protect(http.HandlerFunc(h.serveSignIn))).Methods(post...)
	r.Handle("/portal/logout", ui.Protect(http.HandlerFunc(h.serveLogout))).Methods(post...)
	for _, route := range []struct {
		path    string
		methods []string
		page    pageFunc
	}{
		{"/portal/", get, h.serveOverview},
		{"/portal/jobs", get, h.serveJobs},
		{"/portal/jobs/{id}", get, h.serveJob},
		{"/portal/recipients", get, h.serveRecipients},
		{"/portal/send", get, h.serveSendForm},
		{"/portal/send", post, h.serveSend},
		{"/portal/webhooks", get, h.serveWebhooks},
		{"/portal/webhooks", post, h.serveWebhookSettings},
		{"/portal/webhooks/test", post, h.serveWebhookTest},
		{"/portal/webhooks/replay", post, h.serveWebhookReplay},
		{"/portal/credentials", get, h.serveCredentials},
		{"/portal/secret", post, h.serveRotateSecret},
		{"/portal/billing", get, h.serveBilling},
	} {
		r.Handle(route.path, h.signedIn(route.page)).Methods(route.methods...)
	}
	// Anything else under /portal/: the sign-in page, or a page that says
	// there is nothing here.
	r.PathPrefix(Prefix).Handler(h.signedIn(h.serveNotFound)).Methods(http.MethodGet, http.MethodHead, http.MethodPost)
}

// pageFunc is a page for a signed-in developer: a is their account as it
// is now in the registry.
type pageFunc func(w http.ResponseWriter, r *http.Request, a registry.Account)

// signedIn wraps a page: CSRF protection and security headers, and a
// session, or a redirect to the sign-in page. A session whose account was
// suspended or expired meanwhile is ended, with a notice saying why.
func (h *Handler) signedIn(page pageFunc) http.Handler {
	return ui.Protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, ok := h.sessions.Current(r)
		if !ok {
			notice := ""
			if _, err := r.Cookie(h.sessions.Cookie); err == nil {
				// A cookie without a live session: idle too long, signed
				// out elsewhere, or the secret was rotated.
				notice = flashEnded
				_ = h.sessions.End(w, r)
			}
			h.toLogin(w, r, notice)
			return
		}
		a, err := h.Store.Account(sess.Subject)
		if err == nil {
			err = h.Store.CheckUsable(a)
		}
		if err != nil {
			notice := flashEnded
			var e *registry.Error
			switch {
			case errors.As(err, &e) && a.Status == registry.StatusSuspended:
				notice = flashSuspended
			case errors.As(err, &e):
				notice = flashExpired
			case !errors.Is(err, registry.ErrNotFound):
				h.Logger.Error("portal: account of a session", "err", err)
				h.fail(w, r)
				return
			}
			_ = h.sessions.End(w, r)
			h.toLogin(w, r, notice)
			return
		}
		page(w, r, a)
	}))
}

// toLogin sends a signed-out visitor to the sign-in page; a GET comes back
// to where it was going after signing in.
func (h *Handler) toLogin(w http.ResponseWriter, r *http.Request, notice string) {
	if notice != "" {
		setFlash(w, r, notice)
	}
	target := "/portal/login"
	if r.Method == http.MethodGet && r.URL.Path != Prefix {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// nav is the portal's menu.
var nav = []ui.NavItem{
	{Href: "/portal/", Label: "Overview"},
	{Href: "/portal/jobs", Label: "Jobs"},
	{Href: "/portal/recipients", Label: "Recipients"},
	{Href: "/portal/send", Label: "Send"},
	{Href: "/portal/webhooks", Label: "Webhooks"},
	{Href: "/portal/credentials", Label: "Credentials"},
	{Href: "/portal/billing", Label: "Billing"},
	{Href: "/portal/logout", Label: "Sign out", Form: true},
}

// render writes a signed-in page. current is the menu item to mark.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name, title, current string, page ui.Page) {
	page.Title, page.Surface, page.Nav, page.Current = title, "portal", nav, current
	if page.Flash == "" && page.Error == "" {
		takeFlash(w, r, &page)
	}
	h.write(w, r, status, name, page)
}

func (h *Handler) write(w http.ResponseWriter, r *http.Request, status int, name string, page ui.Page) {
	if err := pages.Render(w, status, name, page); err != nil {
		h.Logger.Error("portal: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// fail answers an internal error, which the caller has logged.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request) {
	h.write(w, r, http.StatusInternalServerError, "problem.html", ui.Page{Title: "Something went wrong", Surface: "portal",
		Data: problem{Heading: "Something went wrong", Text: "The portal could not show this page. Try again; if it persists tell the operator."}})
}

// problem is the data of problem.html: a page that only says what is wrong.
type problem struct {
	Heading, Text string
	Back          string // a link back, if any
}

func (h *Handler) serveNotFound(w http.ResponseWriter, r *http.Request, a registry.Account) {
	h.render(w, r, http.StatusNotFound, "problem.html", "Not found", "", ui.Page{
		Data: problem{Heading: "There is no such page", Text: "Nothing lives at " + r.URL.Path + ".", Back: Prefix}})
}

// baseURL is how developers reach this server.
func (h *Handler) baseURL(r *http.Request) string {
	if h.PublicURL != "" {
		return h.PublicURL
	}
	scheme := "http"
	if forwarded.HTTPS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// errorText is what a form shows for err: the API's message and remedy,
// or, for an internal error (logged here), a generic line.
func (h *Handler) errorText(err error, what string) string {
	var e *registry.Error
	if errors.As(err, &e) {
		text := upperFirst(e.Message)
		if e.Remedy != "" {
			text += ": " + e.Remedy
		}
		return text + "."
	}
	h.Logger.Error("portal: "+what, "err", err)
	return "Something went wrong on our side; try again, and tell the operator if it persists."
}

// errorStatus is the HTTP status of a page showing err: the API's code
// where it is one.
func errorStatus(err error) int {
	var e *registry.Error
	if errors.As(err, &e) && e.Code >= 400 && e.Code < 600 {
		return e.Code
	}
	return http.StatusInternalServerError
}

func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// funcs are the portal's template functions.
var funcs = template.FuncMap{
	"when":       when,
	"duration":   duration,
	"stateLabel": stateLabel,
	"planName":   planName,
}

// stateLabel is a state in words: "opted_out" is "opted out".
func stateLabel(state any) string { return strings.ReplaceAll(fmt.Sprint(state), "_", " ") }

// planName is a plan as people call it; templates pass a quota.Plan or
// its string.
func planName(p any) string { return quota.Plan(fmt.Sprint(p)).Name() }

// when shows a time in UTC to the second, or a dash for none.
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// duration shows a duration the way a person says it: "3 h 12 min".
func duration(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case d < time.Minute:
		return "less than a minute"
	case h == 0:
		return strconv.Itoa(m) + " min"
	case m == 0:
		return strconv.Itoa(h) + " h"
	}
	return strconv.Itoa(h) + " h " + strconv.Itoa(m) + " min"
}

func itoa64(n uint64) string { return strconv.FormatUint(n, 10) }

func itoa(n int) string { return strconv.Itoa(n) }
