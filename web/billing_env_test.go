package web_test

import (
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

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
	billBuyer  = "Buyer@Example.com"
	billUser   = "+4915112345678"
	billGrace  = 3 * 24 * time.Hour
	billPrefix = "/v3/whatsapp/single/text/message/"
)

// billEnv is a whole gateway with billing on: registry, simulated network,
// gateway service, a fake PayPal, an SMTP server, and the HTTP server.
type billEnv struct {
	*env
	fake *paypaltest.Server
	smtp *smtptest.Server
}

// billResp is a decoded response.
type billResp = response

// newBillEnv starts the gateway (newEnv) with billing; withPayPal false
// leaves PayPal off (the mailer stays, as an operator with SMTP and no
// PayPal would run it).
func newBillEnv(t *testing.T, withPayPal bool) *billEnv {
	t.Helper()
	b := &billEnv{fake: paypaltest.New(t), smtp: smtptest.New(t, smtptest.Options{STARTTLS: true})}
	b.fake.AddPlan(testPlans.Trial, true, "MONTH", 1)
	b.fake.AddPlan(testPlans.ForeverGreen, false, "MONTH", 1)
	b.fake.AddPlan(testPlans.ForeverGreenYearly, false, "YEAR", 1)
	b.fake.AddPlan(testPlans.Enterprise, false, "MONTH", 3)
	b.env = newEnv(t, func(e *env) {
		e.withBilling = func(e *env) *web.Billing {
			mailer, err := mail.New(mail.Config{URL: b.smtp.URL(), From: "Higate <billing@higate.test>", RootCAs: b.smtp.RootCAs()})
			if err != nil {
				t.Fatal(err)
			}
			opts := web.BillingOptions{Store: e.store, Mailer: mailer, PublicURL: e.srv.URL, Grace: billGrace,
				Logger: slog.New(slog.DiscardHandler)}
			if withPayPal {
				pp, err := paypal.New(paypal.Config{ClientID: paypaltest.ClientID, Secret: paypaltest.Secret, APIBase: b.fake.URL, WebhookID: paypaltest.WebhookID})
				if err != nil {
					t.Fatal(err)
				}
				opts.PayPal, opts.PayPalClientID, opts.Plans = pp, paypaltest.ClientID, testPlans
			}
			billing, err := web.NewBilling(opts)
			if err != nil {
				t.Fatal(err)
			}
			return billing
		}
	})
	t.Cleanup(func() {
		if r := b.fake.Rejected(); len(r) != 0 {
			t.Errorf("the fake PayPal refused requests: %v", r)
		}
	})
	return b
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
func (e *billEnv) register(user string) { e.env.register(user, sandboxGW) }

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
