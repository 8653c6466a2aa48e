// Package console serves the operator console, /console/: the gateway
// numbers of every instance with their states and queues, updated live;
// pairing, rotation, pacing; accounts; operator events; and charts of the
// last 24 hours.
//
// An operator signs in with the admin token into a server-side session
// (ui.Sessions). Without an admin token the console is off and says how to
// turn it on. Every change goes through the same code as the matching admin
// API route (Deps.Admin, which package web provides), so a form and the API
// never disagree.
//
// Each page has its own file here and its own template in templates/: the
// handler for /console/accounts is accounts.go, its template
// templates/accounts.html. Live pages (numbers, a number's pairing) get
// their updates from Server-Sent Events (live.go) that re-render the same
// template fragments the page was drawn with.
package console

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"higate/gateway"
	"higate/registry"
	"higate/web/ui"
)

// templates/*.html, not templates: a directory pattern would leave out the
// partials, whose names start with "_".
//
//go:embed templates/*.html
var templates embed.FS

var pages = ui.MustParsePages(templates, "templates", funcs)

// Deps is what the console needs.
type Deps struct {
	Store      *registry.Store
	Gateway    *gateway.Service
	Admin      Admin
	AdminToken string // "" turns the console off
	Sandbox    bool   // the simulated network is on, so numbers may use transport "sim"
	Logger     *slog.Logger
	// Limiter limits sign-in attempts per client; nil allows 5, then one
	// every 12 seconds.
	Limiter *ui.Limiter
	Idle    time.Duration // a session ends after this long unused; default 30 minutes
	// Poll is how often a live page looks again even when the gateway
	// reports no change (relative times, pacing edits); default 5 s.
	Poll time.Duration
	// Done, if set, is closed when the server shuts down: live streams end
	// then, so that Shutdown need not wait for them.
	Done <-chan struct{}
}

// Admin is the admin API's logic, passed in by package web: each method
// does what the admin API route of the same purpose does, checks and
// errors included. Errors a user may see are *registry.Error values.
type Admin interface {
	CreateAccount(ctx context.Context, a NewAccount) (registry.Credentials, error) // POST /admin/api/accounts
	Extend(ctx context.Context, clientID string, days int) error                   // POST /admin/api/accounts/{id}/extend
	Suspend(ctx context.Context, clientID string) error                            // POST /admin/api/accounts/{id}/suspend
	Resume(ctx context.Context, clientID string) error                             // POST /admin/api/accounts/{id}/resume
	ChangePlan(ctx context.Context, clientID, plan string) error                   // POST /admin/api/accounts/{id}/plan
	CreateInstance(ctx context.Context, name string) (uint64, error)               // POST /admin/api/instances
	AddNumber(ctx context.Context, instance uint64, n NewNumber) error             // POST /admin/api/instances/{id}/numbers
	RemoveNumber(ctx context.Context, number string) error                         // DELETE /admin/api/numbers/{number}
	Rotate(ctx context.Context, instance uint64, to string) error                  // POST /admin/api/instances/{id}/rotate
	SetPacing(ctx context.Context, number string, p Pacing) error                  // PUT /admin/api/numbers/{number}/pacing
	PairAgain(ctx context.Context, number string) error                            // POST /admin/api/numbers/{number}/pairing
	PairCode(ctx context.Context, number string) (string, error)                   // POST /admin/api/numbers/{number}/pairing/code
}

// NewAccount is the create-account form.
type NewAccount struct {
	Email    string
	Plan     string  // trial, forever-green or enterprise
	Instance *uint64 // nil: the admin API's default (instance 0, or a new dedicated one for Enterprise)
}

// NewNumber is the add-number form.
type NewNumber struct {
	Number    string
	Transport string // "sim" or "whatsmeow"
	Role      string // "standby" or "active"
}

// Pacing is the pacing form, in the admin API's units.
type Pacing struct {
	GapMS    int64 `json:"gap_ms"`
	JitterMS int64 `json:"jitter_ms"`
	DailyCap int   `json:"daily_cap"`
}

// Handler serves the console.
type Handler struct {
	Deps
	sessions    ui.Sessions
	limiter     *ui.Limiter
	fingerprint string // of the admin token: sessions of another token are not valid
}

// New returns the console's handler.
func New(d Deps) *Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	d.Logger = d.Logger.With("component", "console")
	if d.Poll <= 0 {
		d.Poll = 5 * time.Second
	}
	h := &Handler{Deps: d, limiter: d.Limiter}
	if h.limiter == nil {
		h.limiter = &ui.Limiter{Every: 12 * time.Second, Burst: 5}
	}
	h.sessions = ui.Sessions{Store: d.Store, Kind: registry.SessionConsole, Cookie: "higate_console", Path: "/console/", Idle: d.Idle}
	if d.AdminToken != "" {
		// The session's subject names the token it was opened with, so a
		// new admin token signs every operator out. A hash, so the cookie
		// tells nothing about the token.
		sum := sha256.Sum256([]byte("higate console session\x00" + d.AdminToken))
		h.fingerprint = hex.EncodeToString(sum[:8])
	}
	return h
}

// Mount adds the console's routes to r. Every route is wrapped in
// ui.Protect (security headers, CSRF refusal); every page but sign-in
// needs a session.
func (h *Handler) Mount(r *mux.Router) {
	page := func(path string, f http.HandlerFunc) {
		r.Handle(path, ui.Protect(h.auth(f))).Methods(http.MethodGet, http.MethodHead)
	}
	post := func(path string, f http.HandlerFunc) {
		r.Handle(path, ui.Protect(h.auth(f))).Methods(http.MethodPost)
	}
	r.Handle("/console", http.RedirectHandler("/console/", http.StatusMovedPermanently)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/console/login", ui.Protect(http.HandlerFunc(h.serveLogin))).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/console/login", ui.Protect(http.HandlerFunc(h.login))).Methods(http.MethodPost)
	r.Handle("/console/logout", ui.Protect(http.HandlerFunc(h.logout))).Methods(http.MethodPost)

	page("/console/", h.serveNumbers) // numbers.go
	page("/console/live", h.serveNumbersLive)
	post("/console/instances", h.createInstance)
	post("/console/instances/{id}/numbers", h.addNumber)

	page("/console/numbers/{number}", h.serveNumber) // number.go
	page("/console/numbers/{number}/live", h.serveNumberLive)
	post("/console/numbers/{number}/pair", h.pairAgain)
	post("/console/numbers/{number}/code", h.pairCode)
	post("/console/numbers/{number}/pacing", h.setPacing)
	post("/console/numbers/{number}/rotate", h.rotate)
	post("/console/numbers/{number}/remove", h.removeNumber)

	page("/console/accounts", h.serveAccounts) // accounts.go
	post("/console/accounts", h.createAccount)
	page("/console/accounts/{client_id}", h.serveAccount) // account.go
	post("/console/accounts/{client_id}/{action:suspend|resume|extend|plan}", h.changeAccount)

	page("/console/events", h.serveEvents) // events.go
	page("/console/charts", h.serveCharts) // charts.go
}

// nav is the console's menu once signed in.
var nav = []ui.NavItem{
	{Href: "/console/", Label: "Numbers"},
	{Href: "/console/accounts", Label: "Accounts"},
	{Href: "/console/events", Label: "Events"},
	{Href: "/console/charts", Label: "Charts"},
	{Href: "/console/logout", Label: "Sign out", Form: true},
}

// auth lets signed-in operators through to next. Others are sent to the
// sign-in page, which brings them back; a live stream tells its page to
// reload, which does the same. With no admin token the console is off.
func (h *Handler) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if h.AdminToken == "" {
			h.renderOff(w, r)
			return
		}
		if !h.signedIn(r) {
			if strings.HasSuffix(r.URL.Path, "/live") {
				if es, err := ui.StartEvents(w); err == nil {
					_ = es.Send("reload", "signed out")
				}
				return
			}
			target := "/console/login"
			if r.Method == http.MethodGet && r.URL.Path != "/console/" {
				target += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		next(w, r)
	}
}

// signedIn reports whether the request has a live console session opened
// with the current admin token.
func (h *Handler) signedIn(r *http.Request) bool {
	s, ok := h.sessions.Current(r)
	return ok && h.fingerprint != "" && s.Subject == h.fingerprint
}

// funcs are the console templates' own functions.
var funcs = template.FuncMap{
	"when":   when,
	"ago":    ago,
	"number": formatInt,
}

// view starts a signed-in page.
func (h *Handler) view(w http.ResponseWriter, r *http.Request, title, current string, data any) ui.Page {
	p := ui.Page{Title: title, Surface: "console", Nav: nav, Current: current, Data: data}
	p.Flash, p.Error = takeFlash(w, r)
	return p
}

// render writes a page, or a plain 500 if its template fails.
func (h *Handler) render(w http.ResponseWriter, status int, name string, page ui.Page) {
	if err := pages.Render(w, status, name, page); err != nil {
		h.Logger.Error("render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// notFound renders the console's 404 page.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request, what string) {
	h.render(w, http.StatusNotFound, "missing.html", h.view(w, r, "Not found", "", what))
}

// failed answers a request whose work failed with err: what the user may
// see goes back to the page as a flash; anything else is logged, here,
// once, and shown as a generic failure.
func (h *Handler) failed(w http.ResponseWriter, r *http.Request, back string, err error) {
	setFlash(w, flashError, userError(h.Logger, r, err))
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// done sends the browser back after a successful form, with a notice.
func done(w http.ResponseWriter, r *http.Request, back, notice string) {
	setFlash(w, flashNotice, notice)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// userError is what the user is told of err: a *registry.Error's message
// and remedy; for anything else, a generic line (and err is logged).
func userError(log *slog.Logger, r *http.Request, err error) string {
	var e *registry.Error
	if errors.As(err, &e) {
		if e.Remedy != "" {
			return e.Message + ". " + upperFirst(e.Remedy) + "."
		}
		return e.Message + "."
	}
	log.Error("console action failed", "method", r.Method, "path", r.URL.Path, "err", err)
	return "That did not work: an internal error (the server log has the details). Try again."
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
