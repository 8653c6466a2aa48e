// Package webtest runs a whole gateway for tests outside package web: the
// registry on a temp directory, the simulated network, the gateway service,
// the webhook sender and the HTTP server, plus a headless browser
// (browser.go) for the web pages. The surfaces under web/ui test with it.
package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"higate/gateway"
	"higate/gateway/sim"
	"higate/registry"
	"higate/web"
	"higate/web/webhook"
)

// Fixed values of every Env.
const (
	AdminToken = "test-admin-token-0123456789"
	SandboxGW  = "+15550000001" // instance 0's simulated gateway number
)

// Clock is a settable clock for the registry, so session expiry and quota
// windows are tested by stepping time instead of sleeping.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// Env is a running gateway. Its fields are ready after New.
type Env struct {
	T       testing.TB
	Dir     string
	Clock   *Clock
	Store   *registry.Store
	Net     *sim.Network
	Gateway *gateway.Service
	Hooks   *webhook.Sender
	Server  *httptest.Server
	URL     string // the server's base URL, e.g. http://127.0.0.1:41234

	stop func()
}

// Options change what NewWith starts; the zero value is what New starts.
type Options struct {
	// Dial makes the transport of every number whose transport is not
	// "sim" (a fake of whatsmeow's, say); nil attaches every number to the
	// simulated network.
	Dial gateway.Dialer
}

// New starts a gateway on a temp directory with instance 0 and its
// simulated number, and stops it when the test ends.
func New(t testing.TB) *Env {
	t.Helper()
	return NewWith(t, Options{})
}

// NewWith is New with options.
func NewWith(t testing.TB, o Options) *Env {
	t.Helper()
	e := &Env{T: t, Dir: t.TempDir(), Clock: &Clock{now: time.Now().UTC().Truncate(time.Second)}}
	store, err := registry.Open(e.Dir, registry.Options{Now: e.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.Store = store
	if e.Net, err = sim.Open(filepath.Join(e.Dir, "sim"), sim.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := store.EnsureInstance(registry.SandboxInstance, "sandbox"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.AddNumber(registry.Number{Number: SandboxGW, Instance: registry.SandboxInstance, Transport: "sim", Role: registry.RoleActive}); err != nil {
		t.Fatal(err)
	}
	// Receivers in tests are httptest servers on loopback, and every host
	// name resolves to 127.0.0.1: tests have no DNS and reach no one else.
	e.Hooks = webhook.New(webhook.Options{Store: store, AllowPrivate: true, Resolver: loopbackDNS{},
		Poll: 5 * time.Millisecond, Backoff: func(int) time.Duration { return 0 }})
	e.Gateway = gateway.NewService(gateway.Options{
		Store: store,
		Dial: func(n registry.Number) (gateway.Transport, error) {
			if o.Dial != nil && n.Transport != "sim" {
				return o.Dial(n)
			}
			return e.Net.Attach(n.Number), nil
		},
		Backoff: func(int) time.Duration { return 10 * time.Millisecond },
		Hooks:   gateway.Hooks{Inbound: e.Hooks.Inbound},
	})
	ctx, cancel := context.WithCancel(context.Background())
	if err := e.Gateway.Start(ctx); err != nil {
		t.Fatal(err)
	}
	hooksDone := make(chan struct{})
	go func() { e.Hooks.Run(ctx); close(hooksDone) }()
	done := make(chan struct{}) // closed as the server stops, ending the pages' event streams
	e.Server = httptest.NewServer(web.NewServer(web.Deps{Store: store, Gateway: e.Gateway, Sim: e.Net, Webhooks: e.Hooks, AdminToken: AdminToken, Done: done}))
	e.URL = e.Server.URL
	e.stop = func() {
		close(done)
		e.Server.Close()
		cancel()
		<-hooksDone
		e.Gateway.Stop()
		e.Net.Close()
		store.Close()
	}
	t.Cleanup(e.stop)
	return e
}

// Response is a decoded API response.
type Response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

// Str returns a string field of the body.
func (r Response) Str(key string) string { s, _ := r.Body[key].(string); return s }

// Do sends a request to the server; body is JSON-encoded unless it is a
// string or []byte. headers are name, value pairs.
func (e *Env) Do(method, path string, body any, headers ...string) Response {
	e.T.Helper()
	return Request(e.T, e.Server.Client(), e.URL, method, path, body, headers...)
}

// Request sends a request with client to base+path, as Env.Do does; web's
// own tests send theirs with it too.
func Request(t testing.TB, client *http.Client, base, method, path string, body any, headers ...string) Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := Response{Status: resp.StatusCode, Header: resp.Header, Raw: string(raw)}
	_ = json.Unmarshal(raw, &out.Body)
	return out
}

// Admin sends a request with the admin token.
func (e *Env) Admin(method, path string, body any) Response {
	e.T.Helper()
	return e.Do(method, path, body, "Authorization", "Bearer "+AdminToken)
}

// Account is a developer account's credentials.
type Account struct {
	ID, Secret string
	Instance   uint64
}

// Headers are the account's API authentication headers.
func (a Account) Headers() []string {
	return []string{"X-WM-CLIENT-ID", a.ID, "X-WM-CLIENT-SECRET", a.Secret}
}

// NewAccount creates an account through the admin API, e.g.
// NewAccount(map[string]any{"email": "dev@example.com", "plan": "trial"}).
func (e *Env) NewAccount(body map[string]any) Account {
	e.T.Helper()
	r := e.Admin("POST", "/admin/api/accounts", body)
	if r.Status != http.StatusOK {
		e.T.Fatalf("create account: %d %s", r.Status, r.Raw)
	}
	inst, _ := r.Body["instance"].(float64)
	return Account{ID: r.Str("client_id"), Secret: r.Str("client_secret"), Instance: uint64(inst)}
}

// Greet makes simulated user send text to gateway number gw.
func (e *Env) Greet(user, gw, text string) {
	e.T.Helper()
	if err := e.Net.Inbound(context.Background(), user, gw, text); err != nil {
		e.T.Fatalf("inbound from %s to %s: %v", user, gw, err)
	}
}

// Register greets gw as user and waits until the registration is on disk.
func (e *Env) Register(user, gw string) {
	e.T.Helper()
	e.Greet(user, gw, "Hi")
	e.Eventually("registration of "+user, func() bool {
		reg, err := e.Store.Registration(gw, user)
		return err == nil && reg.Active()
	})
}

// Send sends a text message through the public API and returns the job ID.
func (e *Env) Send(a Account, to, text string) string {
	e.T.Helper()
	r := e.Do("POST", fmt.Sprintf("/v3/whatsapp/single/text/message/%d", a.Instance),
		map[string]string{"number": to, "message": text}, a.Headers()...)
	if r.Status != http.StatusOK {
		e.T.Fatalf("send to %s: %d %s", to, r.Status, r.Raw)
	}
	return r.Str("id")
}

// Eventually polls cond until it holds or 15 s pass.
func (e *Env) Eventually(what string, cond func() bool) {
	e.T.Helper()
	Eventually(e.T, what, cond)
}

// Eventually polls cond every few milliseconds until it holds, and fails
// the test if it does not within 15 s.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// loopbackDNS resolves every name to 127.0.0.1.
type loopbackDNS struct{}

func (loopbackDNS) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
}
