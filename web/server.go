// Package web is Higate's HTTP surface: the WhatsMate-compatible public API,
// the admin API, the sandbox API, pages, and PayPal webhooks.
package web

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"higate/gateway"
	"higate/gateway/sim"
	"higate/registry"
	"higate/web/forwarded"
	"higate/web/webhook"
)

// Deps is what the server needs. Sim is nil when the sandbox is off.
type Deps struct {
	Store      *registry.Store
	Gateway    *gateway.Service
	Sim        *sim.Network
	Webhooks   *webhook.Sender
	Billing    *Billing // nil or without PayPal: billing off (admin offline payments still work)
	AdminToken string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto headers count (forwarded); none by default.
	TrustedProxies forwarded.Proxies
	DataDir        string   // the data directory, for backups
	Version        string   // the build's version, recorded in backups
	Metrics        *Metrics // nil: no /metrics, and nothing counted
	Logger         *slog.Logger
	// Done, if set, is closed when the server shuts down (for instance by
	// http.Server.RegisterOnShutdown): the pages' live event streams end
	// then, so Shutdown need not wait for them.
	Done <-chan struct{}
}

// server holds the dependencies every handler closes over.
type server struct {
	Deps
	log *slog.Logger
}

// NewServer returns the HTTP handler of every route in routes.go, wrapped
// in the access log, HSTS and the trusted-proxy decision (edge.go).
func NewServer(d Deps) http.Handler {
	s := newServer(d)
	return s.edge(s.routes())
}

func newServer(d Deps) *server {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &server{Deps: d, log: d.Logger.With("component", "web")}
}

// errorBody is the body of every error response of the public API.
type errorBody struct {
	Status  string `json:"status"`
	Code    int    `json:"code"`
	Message string `json:"message"`
	Remedy  string `json:"remedy"`
}

// writeError sends err in the documented shape. A *registry.Error's code is
// the HTTP status (net/http writes 469 and friends as they are); anything
// else is internal: logged here, once, and shown to the client as a 500.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *registry.Error
	if !errors.As(err, &e) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			e = registry.Errorf(registry.CodeTooLarge, fmt.Sprintf("send at most %d bytes", tooBig.Limit),
				"the request body is too large")
		} else {
			// The route's pattern, not the path: paths hold phone numbers.
			s.log.Error("internal error", "method", r.Method, "route", routeOf(r), "request_id", requestIDOf(r), "err", err)
			e = registry.Errorf(registry.CodeInternal, "retry later; if it persists tell the operator", "internal error")
		}
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(int(e.RetryAfter.Round(time.Second).Seconds())))
	}
	remedy := e.Remedy
	if remedy == "" {
		// Every error tells the client what to do. The sites that build
		// errors give a remedy; this catches one that does not.
		remedy = defaultRemedy(e.Code)
	}
	writeJSON(w, e.Code, errorBody{Status: "error", Code: e.Code, Message: e.Message, Remedy: remedy})
}

// defaultRemedy is the remedy of an error that came without one.
func defaultRemedy(code int) string {
	switch code {
	case registry.CodeBadRequest:
		return "check the request against the API reference in README.md"
	case registry.CodeNotFound:
		return "check the URL and the IDs and numbers in it"
	case registry.CodeConflict:
		return "read the current state, then retry with a request that fits it"
	}
	return "see the API reference in README.md; if it persists tell the operator"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// handler is a handler that returns its error, so every error is written in
// one place.
type handler func(w http.ResponseWriter, r *http.Request) error

func (s *server) wrap(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// authenticate checks the developer's X-WM-CLIENT-ID and X-WM-CLIENT-SECRET,
// or takes the account the developer portal signed in (portal_adapter.go).
func (s *server) authenticate(r *http.Request) (registry.Account, error) {
	if a, ok := signedIn(r.Context()); ok {
		return a, nil
	}
	return s.Store.Authenticate(r.Header.Get(clientIDHeader), r.Header.Get(clientSecretHeader))
}

// WhatsMate's credential headers, in Go's canonical form, which Header.Get
// then finds without making it on every request.
var (
	clientIDHeader     = http.CanonicalHeaderKey("X-WM-CLIENT-ID")
	clientSecretHeader = http.CanonicalHeaderKey("X-WM-CLIENT-SECRET")
)

// authorizeInstance authenticates the developer and checks that the
// {instance} of the URL is their account's.
func (s *server) authorizeInstance(r *http.Request) (registry.Account, uint64, error) {
	instance, err := parseInstance(mux.Vars(r)["instance"])
	if err != nil {
		return registry.Account{}, 0, err
	}
	acct, err := s.authenticate(r)
	if err != nil {
		return acct, instance, err
	}
	return acct, instance, acct.CheckInstance(instance)
}

// adminOnly guards admin routes with the bearer token (see requireAdmin).
func (s *server) adminOnly(h handler) http.Handler {
	return s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		if err := s.requireAdmin(w, r); err != nil {
			return err
		}
		return h(w, r)
	})
}

// isAdmin reports whether the request carries the admin token, compared in
// constant time. With no token configured nothing is admin.
func (s *server) isAdmin(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && s.AdminToken != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.AdminToken)) == 1
}

// requireAdmin answers a request without the admin token as HTTP says a
// bearer-token API should, 401 with WWW-Authenticate: Bearer (not the
// public API's 474, which WhatsMate clients read as "check your client ID
// and secret"). A server started without a token has no admin API at all,
// and says so with a 404 and how to turn it on.
func (s *server) requireAdmin(w http.ResponseWriter, r *http.Request) error {
	if s.AdminToken == "" {
		return registry.Errorf(http.StatusNotFound, "start the server with --admin-token-file or HIGATE_ADMIN_TOKEN",
			"the admin API is off: this server has no admin token")
	}
	if !s.isAdmin(r) {
		challenge := `Bearer realm="higate admin"`
		if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			challenge += `, error="invalid_token"` // RFC 6750: a token was sent, and it is not the one
		}
		w.Header().Set("WWW-Authenticate", challenge)
		return registry.Errorf(http.StatusUnauthorized, "send Authorization: Bearer <admin token>, the token the server was started with",
			"admin token missing or wrong")
	}
	return nil
}

// sandboxOnly serves sandbox routes only when the simulated network is on.
func (s *server) sandboxOnly(h handler) http.Handler {
	return s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		if s.Sim == nil {
			return registry.Errorf(registry.CodeNotFound, "start the server with --sandbox", "the sandbox is off")
		}
		return h(w, r)
	})
}
