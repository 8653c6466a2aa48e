// Package paypaltest is a fake PayPal REST API on httptest, for tests. It
// checks what the real one checks that Higate could get wrong: OAuth (client
// credentials for a token, then that token as a Bearer on every call) and
// the shape of every request body. It signs webhook events so that its
// verify-webhook-signature endpoint says SUCCESS for exactly those and
// FAILURE for anything else, and it holds subscriptions whose state a test
// sets, as PayPal's own state would change under a real buyer.
package paypaltest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// The fake's credentials and webhook ID; configure the client under test
// with them.
const (
	ClientID  = "fake-client-id"
	Secret    = "fake-client-secret"
	WebhookID = "WH-FAKE-0001"
)

// Server is a fake PayPal API. Its zero value is not usable; use New.
type Server struct {
	URL string

	srv     *httptest.Server
	signKey []byte

	mu       sync.Mutex
	seq      int
	tokens   map[string]bool
	products map[string]Product
	plans    map[string]Plan
	subs     map[string]Subscription
	rejected []string
	calls    map[string]int
}

// New starts a fake and stops it when the test ends.
func New(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{
		signKey: randomBytes(32), tokens: map[string]bool{}, products: map[string]Product{},
		plans: map[string]Plan{}, subs: map[string]Subscription{}, calls: map[string]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/oauth2/token", s.handleToken)
	mux.Handle("POST /v1/notifications/verify-webhook-signature", s.authed(s.handleVerify))
	mux.Handle("POST /v1/catalogs/products", s.authed(s.handleCreateProduct))
	mux.Handle("POST /v1/billing/plans", s.authed(s.handleCreatePlan))
	mux.Handle("POST /v1/billing/subscriptions", s.authed(s.handleCreateSubscription))
	mux.Handle("GET /v1/billing/subscriptions/{id}", s.authed(s.handleGetSubscription))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.reject(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "no fake route %s %s", r.Method, r.URL.Path)
	})
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	tb.Cleanup(s.srv.Close)
	return s
}

// Rejected lists the requests the fake refused as malformed or
// unauthorized, so a test can assert its client sent none.
func (s *Server) Rejected() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.rejected...)
}

// Calls counts the requests made to a route, named like "GET
// /v1/billing/subscriptions/{id}" (the pattern, not the concrete path).
func (s *Server) Calls(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[route]
}

// handleToken issues a token for the client credentials grant.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	s.count(r)
	id, secret, ok := r.BasicAuth()
	if !ok || id != ClientID || secret != Secret {
		s.reject(w, http.StatusUnauthorized, "invalid_client", "Client Authentication failed")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		s.reject(w, http.StatusBadRequest, "invalid_request", "token request is not form-encoded")
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		s.reject(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials")
		return
	}
	token := "A21AA" + hex.EncodeToString(randomBytes(16))
	s.mu.Lock()
	s.tokens[token] = true
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"scope": "https://uri.paypal.com/services/subscriptions", "access_token": token,
		"token_type": "Bearer", "app_id": "APP-FAKE", "expires_in": 32400, "nonce": "fake",
	})
}

// authed requires a Bearer token the fake issued.
func (s *Server) authed(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.count(r)
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		valid := ok && s.tokens[token]
		s.mu.Unlock()
		if !valid {
			s.reject(w, http.StatusUnauthorized, "invalid_token", "Authorization is not a Bearer token this fake issued")
			return
		}
		if r.Method == http.MethodPost && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			s.reject(w, http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "the body must be JSON")
			return
		}
		h(w, r)
	})
}

func (s *Server) count(r *http.Request) {
	route := r.Pattern
	if route == "" {
		route = r.Method + " " + r.URL.Path
	}
	s.mu.Lock()
	s.calls[route]++
	s.mu.Unlock()
}

// reject answers with PayPal's error shape and records the refusal.
func (s *Server) reject(w http.ResponseWriter, status int, name, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.mu.Lock()
	s.rejected = append(s.rejected, fmt.Sprintf("%d %s: %s", status, name, msg))
	s.mu.Unlock()
	if status == http.StatusUnauthorized && !strings.ContainsAny(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
		// OAuth errors have their own shape.
		writeJSON(w, status, map[string]string{"error": name, "error_description": msg})
		return
	}
	writeJSON(w, status, map[string]any{"name": name, "message": msg, "debug_id": "fake",
		"details": []map[string]string{{"issue": name, "description": msg}}})
}

// decodeStrict decodes a JSON body, refusing fields the real API does not
// document, which catches a misspelt field name in the client.
func (s *Server) decodeStrict(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		s.reject(w, http.StatusBadRequest, "MALFORMED_REQUEST_JSON", "%s %s: %v", r.Method, r.URL.Path, err)
		return false
	}
	return true
}

func (s *Server) nextID(prefix string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return fmt.Sprintf("%s-%04d%s", prefix, s.seq, strings.ToUpper(hex.EncodeToString(randomBytes(4))))
}

// sign is the fake's signature over a delivery: an HMAC, not PayPal's RSA,
// over the same fields PayPal signs.
func (s *Server) sign(transmissionID, transmissionTime string, event []byte) string {
	m := hmac.New(sha256.New, s.signKey)
	fmt.Fprintf(m, "%s|%s|%s|", transmissionID, transmissionTime, WebhookID)
	m.Write(canonical(event))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// canonical is the event as the client library forwards it for
// verification: it re-encodes the body with encoding/json, which compacts
// it and escapes HTML characters.
func canonical(event []byte) []byte {
	out, err := json.Marshal(json.RawMessage(event))
	if err != nil {
		return event
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
