package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"higate/gateway"
	"higate/gateway/sim"
	"higate/registry"
	"higate/web"
	"higate/web/mail"
	"higate/web/mail/smtptest"
	"higate/web/paypal"
	"higate/web/paypal/paypaltest"
)

// The fake PayPal's plan IDs the billing tests configure.
var testPlans = web.PlanIDs{Trial: "P-TRIAL", ForeverGreen: "P-FG", ForeverGreenYearly: "P-FGY", Enterprise: "P-ENT"}

const (
	billAdmin  = "billing-admin-token-0123456789"
	billGW     = "+15550000001"
	billBuyer  = "Buyer@Example.com"
	billUser   = "+4915112345678"
	billGrace  = 3 * 24 * time.Hour
	billPrefix = "/v3/whatsapp/single/text/message/"
)

// billEnv is a whole gateway with billing on: registry, simulated network,
// gateway service, a fake PayPal, an SMTP server, and the HTTP server.
type billEnv struct {
	t       *testing.T
	clock   *clock
	store   *registry.Store
	net     *sim.Network
	gw      *gateway.Service
	srv     *httptest.Server
	fake    *paypaltest.Server
	smtp    *smtptest.Server
	billing *web.Billing
}

// newBillEnv starts the gateway; withPayPal false leaves PayPal off (the
// mailer stays, as an operator with SMTP and no PayPal would run it).
func newBillEnv(t *testing.T, withPayPal bool) *billEnv {
	t.Helper()
	e := &billEnv{t: t, clock: &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}}
	e.fake = paypaltest.New(t)
	e.fake.AddPlan(testPlans.Trial, true, "MONTH", 1)
	e.fake.AddPlan(testPlans.ForeverGreen, false, "MONTH", 1)
	e.fake.AddPlan(testPlans.ForeverGreenYearly, false, "YEAR", 1)
	e.fake.AddPlan(testPlans.Enterprise, false, "MONTH", 3)
	e.smtp = smtptest.New(t, smtptest.Options{STARTTLS: true})

	dir := t.TempDir()
	var err error
	if e.store, err = registry.Open(dir, registry.Options{Now: e.clock.Now}); err != nil {
		t.Fatal(err)
	}
	if e.net, err = sim.Open(filepath.Join(dir, "sim"), sim.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.EnsureInstance(0, "sandbox"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.AddNumber(registry.Number{Number: billGW, Instance: 0, Transport: "sim", Role: registry.RoleActive}); err != nil {
		t.Fatal(err)
	}
	e.gw = gateway.NewService(gateway.Options{Store: e.store,
		Dial: func(n registry.Number) (gateway.Transport, error) { return e.net.Attach(n.Number), nil }})
	if err := e.gw.Start(t.Context()); err != nil {
		t.Fatal(err)
	}

	// The public URL is the test server's own, known once it listens.
	var handler http.Handler
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	mailer, err := mail.New(mail.Config{URL: e.smtp.URL(), From: "Higate <billing@higate.test>", RootCAs: e.smtp.RootCAs()})
	if err != nil {
		t.Fatal(err)
	}
	opts := web.BillingOptions{Store: e.store, Mailer: mailer, PublicURL: e.srv.URL, Grace: billGrace,
		Logger: slog.New(slog.DiscardHandler)}
	if withPayPal {
		pp, err := paypal.New(paypal.Config{ClientID: paypaltest.ClientID, Secret: paypaltest.Secret, APIBase: e.fake.URL, WebhookID: paypaltest.WebhookID})
		if err != nil {
			t.Fatal(err)
		}
		opts.PayPal, opts.PayPalClientID, opts.Plans = pp, paypaltest.ClientID, testPlans
	}
	if e.billing, err = web.NewBilling(opts); err != nil {
		t.Fatal(err)
	}
	handler = web.NewServer(web.Deps{Store: e.store, Gateway: e.gw, Sim: e.net, Billing: e.billing, AdminToken: billAdmin})
	t.Cleanup(func() {
		e.srv.Close()
		e.billing.Close()
		e.gw.Stop()
		e.net.Close()
		e.store.Close()
		if r := e.fake.Rejected(); len(r) != 0 {
			t.Errorf("the fake PayPal refused requests: %v", r)
		}
	})
	return e
}

// billResp is a decoded response.
type billResp struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (r billResp) str(key string) string { s, _ := r.body[key].(string); return s }

func (e *billEnv) do(method, path string, body any, headers ...string) billResp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := billResp{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &out.body)
	return out
}

func (e *billEnv) admin(method, path string, body any) billResp {
	e.t.Helper()
	return e.do(method, path, body, "Authorization", "Bearer "+billAdmin)
}

// deliver POSTs a webhook delivery as PayPal would.
func (e *billEnv) deliver(d paypaltest.Delivery) billResp {
	e.t.Helper()
	var h []string
	for k := range d.Header {
		h = append(h, k, d.Header.Get(k))
	}
	return e.do("POST", "/paypal/webhook", d.Body, h...)
}

// mustDeliver delivers and expects 200.
func (e *billEnv) mustDeliver(d paypaltest.Delivery) {
	e.t.Helper()
	if r := e.deliver(d); r.status != 200 {
		e.t.Fatalf("webhook: %d %s", r.status, r.raw)
	}
}

// checkout starts a subscription through the checkout endpoint, as the
// page's button does, and returns its ID.
func (e *billEnv) checkout(offer string) string {
	e.t.Helper()
	r := e.do("POST", "/paypal/subscriptions", map[string]string{"offer": offer})
	if r.status != 200 || r.str("id") == "" || !strings.Contains(r.str("return_url"), "/checkout/return?ref=chk_") {
		e.t.Fatalf("create subscription: %d %s", r.status, r.raw)
	}
	return r.str("id")
}

// buy is a whole purchase up to PayPal's ACTIVATED webhook: checkout, the
// buyer's approval, the event. It returns the subscription and the first
// payment's transaction ID (empty for a trial).
func (e *billEnv) buy(offer string) (string, string) {
	e.t.Helper()
	sub := e.checkout(offer)
	_, txn := e.fake.Approve(sub, billBuyer, e.clock.Now())
	e.mustDeliver(e.fake.SubscriptionEvent(paypal.EventSubscriptionActivated, sub))
	return sub, txn
}

// creds are credentials as a mail states them.
type creds struct{ id, secret, instance string }

func (c creds) headers() []string {
	return []string{"X-WM-CLIENT-ID", c.id, "X-WM-CLIENT-SECRET", c.secret}
}

var credLine = regexp.MustCompile(`(?m)^(Client ID|Client secret|Instance): (\S+)$`)

// credsIn reads the credentials from a mail's plain-text part.
func credsIn(t *testing.T, m smtptest.Message) creds {
	t.Helper()
	var c creds
	for _, g := range credLine.FindAllStringSubmatch(m.Text, -1) {
		switch g[1] {
		case "Client ID":
			c.id = g[2]
		case "Client secret":
			c.secret = g[2]
		case "Instance":
			c.instance = g[2]
		}
	}
	if c.id == "" || c.secret == "" || c.instance == "" {
		t.Fatalf("no credentials in mail %q:\n%s", m.Subject, m.Text)
	}
	return c
}

// register has a simulated user greet the gateway number and waits until
// the registration is on disk.
func (e *billEnv) register(user string) {
	e.t.Helper()
	if r := e.do("POST", "/sandbox/api/inbound", map[string]string{"from": user, "to": billGW, "text": "Hi"}); r.status != 200 {
		e.t.Fatalf("inbound: %d %s", r.status, r.raw)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if reg, err := e.store.Registration(billGW, user); err == nil && reg.Active() {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s never registered", user)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sendText sends a text through the public API.
func (e *billEnv) sendText(c creds, to, text string) billResp {
	e.t.Helper()
	return e.do("POST", billPrefix+c.instance, map[string]string{"number": to, "message": text}, c.headers()...)
}

// authOK reports whether the credentials authenticate: a job lookup is 404
// for a valid account and 474 for invalid credentials.
func (e *billEnv) authStatus(c creds) int {
	e.t.Helper()
	return e.do("GET", "/v3/whatsapp/jobs/999999", nil, c.headers()...).status
}

// tick runs the lifecycle at the clock's time.
func (e *billEnv) tick() {
	e.t.Helper()
	if err := e.billing.Tick(e.t.Context(), e.clock.Now()); err != nil {
		e.t.Fatalf("tick: %v", err)
	}
}

// accounts lists the registry's accounts.
func (e *billEnv) accounts() []registry.Account {
	e.t.Helper()
	all, err := e.store.Accounts()
	if err != nil {
		e.t.Fatal(err)
	}
	return all
}

// mails returns the mails received so far.
func (e *billEnv) mails() []smtptest.Message { return e.smtp.Messages() }
