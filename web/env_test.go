package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"higate/gateway"
	"higate/gateway/sim"
	"higate/registry"
	"higate/web"
	"higate/web/webhook"
	"higate/web/webtest"
)

const (
	adminToken = "test-admin-token-0123456789"
	sandboxGW  = "+15550000001"
)

// clock is a settable clock for the registry, so quota windows and expiry
// are tested by stepping time instead of sleeping.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// env is a whole gateway: registry, simulated network, service and HTTP
// server, on a temp directory.
type env struct {
	t      *testing.T
	dir    string
	clock  *clock
	expiry time.Duration // job expiry; default 24h
	store  *registry.Store
	net    *sim.Network
	gw     *gateway.Service
	srv    *httptest.Server
	hooks  *webhook.Sender
	// metrics is the Prometheus registry that every part of the gateway
	// registers on and GET /metrics serves; a new one on every start.
	metrics *prometheus.Registry
	// stopHooks stops the webhook sender's Run.
	stopHooks func()
	// hookOptions, when set, changes the webhook sender's options.
	hookOptions func(*webhook.Options)
	// withBilling, when set, makes the server's billing (see billing_env_test.go).
	withBilling func(*env) *web.Billing
	billing     *web.Billing
}

func newEnv(t *testing.T, options ...func(*env)) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), clock: &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}}
	for _, o := range options {
		o(e)
	}
	e.start()
	t.Cleanup(e.stop)
	return e
}

func (e *env) start() {
	t := e.t
	var err error
	e.metrics = prometheus.NewRegistry()
	e.store, err = registry.Open(e.dir, registry.Options{Now: e.clock.Now, JobExpiry: e.expiry, Metrics: registry.NewMetrics(e.metrics)})
	if err != nil {
		t.Fatal(err)
	}
	e.metrics.MustRegister(e.store.Collector())
	e.net, err = sim.Open(filepath.Join(e.dir, "sim"), sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.EnsureInstance(0, "sandbox"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Number(sandboxGW); err != nil {
		if _, err := e.store.AddNumber(registry.Number{Number: sandboxGW, Instance: 0, Transport: "sim", Role: registry.RoleActive}); err != nil {
			t.Fatal(err)
		}
	}
	// Retries are due at once (the registry's clock stands still in tests).
	// The receivers are httptest servers on 127.0.0.1, so the harness allows
	// private targets, as an operator with LAN receivers would; hookOptions
	// may change that (webhook_target_test.go).
	// Host names resolve to 127.0.0.1: this machine has no DNS (nor should a
	// test reach the Internet), so a webhook at https://example.com/hook is
	// accepted, and delivering to it is refused at once on loopback.
	hookOpts := webhook.Options{Store: e.store, Poll: 5 * time.Millisecond, Backoff: func(int) time.Duration { return 0 }, AllowPrivate: true,
		Resolver: loopbackDNS{}, Metrics: webhook.NewMetrics(e.metrics)}
	if e.hookOptions != nil {
		e.hookOptions(&hookOpts)
	}
	e.hooks = webhook.New(hookOpts)
	e.gw = gateway.NewService(gateway.Options{
		Store:   e.store,
		Dial:    func(n registry.Number) (gateway.Transport, error) { return e.net.Attach(n.Number), nil },
		Backoff: func(int) time.Duration { return 10 * time.Millisecond },
		Hooks:   gateway.Hooks{Inbound: e.hooks.Inbound},
		Metrics: gateway.NewMetrics(e.metrics),
	})
	if err := e.gw.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.hooks.Run(ctx); close(done) }()
	e.stopHooks = func() { cancel(); <-done }
	// The handler is set once the server listens: billing needs its URL.
	var handler http.Handler
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	if e.withBilling != nil {
		e.billing = e.withBilling(e)
	}
	handler = checked(t, web.NewServer(web.Deps{DataDir: e.dir, Version: "test", Store: e.store, Gateway: e.gw, Sim: e.net, Webhooks: e.hooks, Billing: e.billing, AdminToken: adminToken, Metrics: web.NewMetrics(e.metrics)}))
}

func (e *env) stop() {
	if e.srv == nil {
		return
	}
	e.srv.Close()
	if e.billing != nil {
		e.billing.Close()
	}
	e.stopHooks()
	e.gw.Stop()
	e.net.Close()
	e.store.Close()
	e.srv = nil
}

// restart stops everything and starts it again on the same data.
func (e *env) restart() {
	e.stop()
	e.start()
}

// response is a decoded API response.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (r response) str(key string) string { s, _ := r.body[key].(string); return s }

func (e *env) do(method, path string, body any, headers ...string) response {
	e.t.Helper()
	r := webtest.Request(e.t, e.srv.Client(), e.srv.URL, method, path, body, headers...)
	return response{status: r.Status, header: r.Header, body: r.Body, raw: r.Raw}
}

func (e *env) admin(method, path string, body any) response {
	e.t.Helper()
	return e.do(method, path, body, "Authorization", "Bearer "+adminToken)
}

// account is a developer account's credentials.
type account struct{ id, secret string }

func (a account) headers() []string {
	return []string{"X-WM-CLIENT-ID", a.id, "X-WM-CLIENT-SECRET", a.secret}
}

func (e *env) newAccount(body map[string]any) account {
	e.t.Helper()
	r := e.admin("POST", "/admin/api/accounts", body)
	if r.status != 200 {
		e.t.Fatalf("create account: %d %s", r.status, r.raw)
	}
	return account{r.str("client_id"), r.str("client_secret")}
}

func (e *env) send(a account, path string, body any, extra ...string) response {
	e.t.Helper()
	return e.do("POST", path, body, append(a.headers(), extra...)...)
}

// greet has a simulated user write to gateway number gw. It sends the
// admin token, which simulated numbers of instances other than 0 need.
func (e *env) greet(user, gw, text string) {
	e.t.Helper()
	r := e.admin("POST", "/sandbox/api/inbound", map[string]string{"from": user, "to": gw, "text": text})
	if r.status != 200 {
		e.t.Fatalf("inbound: %d %s", r.status, r.raw)
	}
}

// registered greets and waits until the registration is on disk.
func (e *env) register(user, gw string) {
	e.t.Helper()
	e.greet(user, gw, "Hi")
	e.eventually("registration of "+user, func() bool {
		reg, err := e.store.Registration(gw, user)
		return err == nil && reg.Active()
	})
}

// eventually polls cond until it holds or 10 s pass.
func (e *env) eventually(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitMessages waits until user has received n messages that match, and
// returns them.
func (e *env) waitMessages(user string, n int, match func(sim.Message) bool) []sim.Message {
	e.t.Helper()
	var got []sim.Message
	e.eventually(fmt.Sprintf("%d messages to %s", n, user), func() bool {
		got = got[:0]
		for _, m := range e.net.Messages(user) {
			if match(m) {
				got = append(got, m)
			}
		}
		return len(got) >= n
	})
	return got
}

// fromAPI matches messages the tests sent through the API: every text they
// send starts with "api:", which tells them from the gateway's own replies.
func fromAPI(m sim.Message) bool { return m.Kind != "text" || strings.HasPrefix(m.Text, "api:") }

// jobState reads a job's status through the API.
func (e *env) job(a account, id string) response {
	e.t.Helper()
	return e.do("GET", "/v3/whatsapp/jobs/"+id, nil, a.headers()...)
}

// loopbackDNS resolves every name to 127.0.0.1.
type loopbackDNS struct{}

func (loopbackDNS) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
}
