package web

import (
	"fmt"
	"net/http"
	"path"
	"strings"

	"github.com/gorilla/mux"

	"higate/registry"
	"higate/web/ui"
	"higate/web/ui/console"
	"higate/web/ui/docs"
	"higate/web/ui/join"
	"higate/web/ui/phone"
	"higate/web/ui/portal"
)

// routes is the server's handler: the router, with HEAD answered as GET.
func (s *server) routes() http.Handler {
	return answerHEAD(s.router())
}

// router lists every route of the server. The API routes among them are
// those of the contract, web/openapi/openapi.yaml; web/openapi_test.go
// checks that both list the same ones.
//
// HTTP behaviour common to all of them: a path is matched as it is sent;
// one with empty, . or .. segments (/v3//whatsapp/...) is a 404 naming the
// clean path, not a 301 to it, since clients re-send a redirected POST as
// a GET without its body. A known path with the wrong method is a 405 with
// an Allow header. Every GET route answers HEAD.
func (s *server) router() *mux.Router {
	r := mux.NewRouter().SkipClean(true)
	r.NotFoundHandler = s.wrap(s.notFound)
	r.MethodNotAllowedHandler = s.wrap(s.methodNotAllowed(r))
	r.Use(recordRoute) // the access log names the route's pattern (accesslog.go)

	// Health, for load balancers and monitoring.
	r.Handle("/healthz", s.wrap(s.handleHealthz)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/readyz", s.wrap(s.handleReadyz)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/metrics", s.adminOnly(s.handleMetrics)).Methods(http.MethodGet)

	// Public API (WhatsMate-compatible).
	r.Handle("/v1/gateway/status", s.wrap(s.handleStatus)).Methods(http.MethodGet)
	for _, kind := range []string{"text", "image", "document", "url", "audio", "video", "location", "contact"} {
		r.Handle("/v3/whatsapp/single/"+kind+"/message/{instance}", s.wrap(s.handleSend(kind, false))).Methods(http.MethodPost)
		r.Handle("/v3/whatsapp/group/"+kind+"/message/{instance}", s.wrap(s.handleSend(kind, true))).Methods(http.MethodPost)
	}
	r.Handle("/v3/whatsapp/jobs", s.wrap(s.handleJobs)).Methods(http.MethodGet)
	r.Handle("/v3/whatsapp/jobs/{id}", s.wrap(s.handleJob)).Methods(http.MethodGet)
	r.Handle("/v3/whatsapp/numbers/check/{instance}", s.wrap(s.handleCheckNumbers)).Methods(http.MethodPost)
	r.Handle("/v3/media/{id}", s.wrap(s.handleMedia)).Methods(http.MethodGet)
	r.Handle("/v3/whatsapp/jobs/{id}", s.wrap(s.handleCancelJob)).Methods(http.MethodDelete)
	r.Handle("/v3/whatsapp/profile/{instance}", s.wrap(s.handleProfile)).Methods(http.MethodPost)

	// Webhooks (Enterprise).
	r.Handle("/v3/webhook", s.wrap(s.handleGetWebhook)).Methods(http.MethodGet)
	r.Handle("/v3/webhook", s.wrap(s.handlePutWebhook)).Methods(http.MethodPut)
	r.Handle("/v3/webhook/test", s.wrap(s.handleTestWebhook)).Methods(http.MethodPost)
	r.Handle("/v3/webhook/deliveries", s.wrap(s.handleDeliveries)).Methods(http.MethodGet)
	r.Handle("/v3/webhook/replay", s.wrap(s.handleReplay)).Methods(http.MethodPost)

	// Admin API.
	r.Handle("/admin/api/accounts", s.adminOnly(s.handleListAccounts)).Methods(http.MethodGet)
	r.Handle("/admin/api/accounts", s.adminOnly(s.handleCreateAccount)).Methods(http.MethodPost)
	r.Handle("/admin/api/instances", s.adminOnly(s.handleListInstances)).Methods(http.MethodGet)
	r.Handle("/admin/api/instances", s.adminOnly(s.handleCreateInstance)).Methods(http.MethodPost)
	r.Handle("/admin/api/instances/{id}/numbers", s.adminOnly(s.handleAddNumber)).Methods(http.MethodPost)
	r.Handle("/admin/api/instances/{id}/rotate", s.adminOnly(s.handleRotate)).Methods(http.MethodPost)
	r.Handle("/admin/api/numbers/{number}", s.adminOnly(s.handleRemoveNumber)).Methods(http.MethodDelete)
	r.Handle("/admin/api/numbers/{number}/pairing", s.adminOnly(s.handlePairing)).Methods(http.MethodGet)
	r.Handle("/admin/api/numbers/{number}/pairing", s.adminOnly(s.handleRepair)).Methods(http.MethodPost)
	r.Handle("/admin/api/numbers/{number}/pairing/code", s.adminOnly(s.handlePairCode)).Methods(http.MethodPost)
	r.Handle("/admin/api/numbers/{number}/pacing", s.adminOnly(s.handlePacing)).Methods(http.MethodPut)
	r.Handle("/admin/api/events", s.adminOnly(s.handleEvents)).Methods(http.MethodGet)
	r.Handle("/admin/api/backup", s.adminOnly(s.handleBackup)).Methods(http.MethodGet)
	r.Handle("/admin/pair", s.wrap(s.handlePairPage)).Methods(http.MethodGet)

	// Sandbox API (simulated network).
	r.Handle("/sandbox/api/inbound", s.sandboxOnly(s.handleSandboxInbound)).Methods(http.MethodPost)
	r.Handle("/sandbox/api/messages", s.sandboxOnly(s.handleSandboxMessages)).Methods(http.MethodGet)
	r.Handle("/sandbox/api/groups", s.sandboxOnly(s.handleSandboxGroup)).Methods(http.MethodPost)
	r.Handle("/sandbox/api/users/{number}", s.sandboxOnly(s.handleSandboxUser)).Methods(http.MethodPost)
	r.Handle("/sandbox/api/read", s.sandboxOnly(s.handleSandboxRead)).Methods(http.MethodPost)
	r.Handle("/sandbox/api/numbers/{number}/fault", s.sandboxOnly(s.handleSandboxFault)).Methods(http.MethodPost)
	s.billingRoutes(r) // checkout, PayPal webhook, recovery, secret rotation, admin billing (billing.go)

	// The API contract, and its reference for people (a surface of its own).
	r.Handle("/openapi.json", s.wrap(s.handleOpenAPI)).Methods(http.MethodGet, http.MethodHead)

	// Web pages: each surface is a package under web/ui with its own route table.
	r.PathPrefix(ui.StaticPrefix).Handler(ui.Static()).Methods(http.MethodGet, http.MethodHead)
	join.New(join.Deps{Store: s.Store, Logger: s.log}).Mount(r)
	portal.New(s.portalDeps()).Mount(r)
	console.New(console.Deps{Store: s.Store, Gateway: s.Gateway, Admin: consoleAdmin{s}, AdminToken: s.AdminToken,
		Sandbox: s.Sim != nil, Done: s.Done, Logger: s.log}).Mount(r)
	if s.Sim != nil {
		phone.New(phone.Deps{Store: s.Store, Sim: s.Sim, Done: s.Done, Logger: s.log}).Mount(r)
	}
	docs.New(docs.Deps{Reference: apiReference(), Logger: s.log}).Mount(r)
	return r
}

// answerHEAD serves a HEAD request as the GET of the same URL wherever
// there is one; net/http drops the body of a response to HEAD and keeps
// its status and headers, Content-Length included. Elsewhere HEAD goes to
// the router as it is: a 404, or a 405 listing the route's methods.
func answerHEAD(router *mux.Router) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			if get := withMethod(r, http.MethodGet); serves(router, get) {
				router.ServeHTTP(w, get)
				return
			}
		}
		router.ServeHTTP(w, r)
	})
}

// withMethod is a shallow copy of r with another method.
func withMethod(r *http.Request, method string) *http.Request {
	c := r.WithContext(r.Context())
	c.Method = method
	return c
}

// serves reports whether a route of router serves r (path and method).
func serves(router *mux.Router, r *http.Request) bool {
	var m mux.RouteMatch
	return router.Match(r, &m) && m.MatchErr == nil
}

// allowed lists the methods the route at r's path serves, HEAD with GET.
func allowed(router *mux.Router, r *http.Request) []string {
	var out []string
	for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if serves(router, withMethod(r, method)) {
			out = append(out, method)
			if method == http.MethodGet {
				out = append(out, http.MethodHead)
			}
		}
	}
	return out
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) error {
	if clean := cleanPath(r.URL.Path); clean != r.URL.Path {
		return registry.Errorf(registry.CodeNotFound,
			fmt.Sprintf("send the request to %s: the server does not redirect, because clients re-send a redirected POST as a GET without its body", clean),
			"no route %s %s: the path has empty, . or .. segments", r.Method, r.URL.Path)
	}
	return registry.Errorf(registry.CodeNotFound, "see the API table in README.md", "no route %s %s", r.Method, r.URL.Path)
}

// cleanPath is p without empty, . and .. segments, keeping a trailing slash.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	return clean
}

func (s *server) methodNotAllowed(router *mux.Router) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		allow := allowed(router, r)
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return registry.Errorf(http.StatusMethodNotAllowed, "use "+strings.Join(allow, " or "),
			"method %s not allowed on %s", r.Method, r.URL.Path)
	}
}
