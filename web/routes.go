package web

import (
	"net/http"

	"github.com/gorilla/mux"

	"higate/web/ui"
	"higate/web/ui/console"
	"higate/web/ui/join"
)

// routes lists every route of the server.
func (s *server) routes() http.Handler {
	r := mux.NewRouter()
	r.NotFoundHandler = s.wrap(notFound)
	r.MethodNotAllowedHandler = s.wrap(methodNotAllowed)

	// Public API (WhatsMate-compatible).
	r.Handle("/v1/gateway/status", s.wrap(s.handleStatus)).Methods(http.MethodGet)
	for _, kind := range []string{"text", "image", "document", "url"} {
		r.Handle("/v3/whatsapp/single/"+kind+"/message/{instance}", s.wrap(s.handleSend(kind, false))).Methods(http.MethodPost)
		r.Handle("/v3/whatsapp/group/"+kind+"/message/{instance}", s.wrap(s.handleSend(kind, true))).Methods(http.MethodPost)
	}
	r.Handle("/v3/whatsapp/jobs/{id}", s.wrap(s.handleJob)).Methods(http.MethodGet)
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
	r.Handle("/admin/pair", s.wrap(s.handlePairPage)).Methods(http.MethodGet)

	// Sandbox API (simulated network).
	r.Handle("/sandbox/api/inbound", s.sandboxOnly(s.handleSandboxInbound)).Methods(http.MethodPost)
	r.Handle("/sandbox/api/messages", s.sandboxOnly(s.handleSandboxMessages)).Methods(http.MethodGet)
	r.Handle("/sandbox/api/groups", s.sandboxOnly(s.handleSandboxGroup)).Methods(http.MethodPost)
	r.Handle("/sandbox/api/users/{number}", s.sandboxOnly(s.handleSandboxUser)).Methods(http.MethodPost)
	r.Handle("/sandbox/api/read", s.sandboxOnly(s.handleSandboxRead)).Methods(http.MethodPost)
	r.Handle("/sandbox/api/numbers/{number}/fault", s.sandboxOnly(s.handleSandboxFault)).Methods(http.MethodPost)
	s.billingRoutes(r) // checkout, PayPal webhook, recovery, secret rotation, admin billing (billing.go)

	// Web pages: each surface is a package under web/ui with its own route table.
	r.PathPrefix(ui.StaticPrefix).Handler(ui.Static()).Methods(http.MethodGet, http.MethodHead)
	join.New(join.Deps{Store: s.Store, Logger: s.log}).Mount(r)
	console.New(console.Deps{Store: s.Store, Gateway: s.Gateway, Admin: consoleAdmin{s}, AdminToken: s.AdminToken, Sandbox: s.Sim != nil, Logger: s.log}).Mount(r)
	return r
}
