package paypal_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"higate/web/paypal"
	"higate/web/paypal/paypaltest"
)

func newClient(t *testing.T, fake *paypaltest.Server, secret string) *paypal.Client {
	t.Helper()
	c, err := paypal.New(paypal.Config{ClientID: paypaltest.ClientID, Secret: secret, APIBase: fake.URL, WebhookID: paypaltest.WebhookID})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestVerifyTellsSignedFromForged(t *testing.T) {
	fake := paypaltest.New(t)
	c := newClient(t, fake, paypaltest.Secret)
	d := fake.Event(paypal.EventSubscriptionActivated, "subscription", map[string]any{"id": "I-1", "note": "<b>&</b>"})
	if err := c.Verify(t.Context(), d.Header, d.Body); err != nil {
		t.Fatalf("signed event: %v", err)
	}
	forged := bytes.Replace(d.Body, []byte(`"I-1"`), []byte(`"I-2"`), 1)
	if err := c.Verify(t.Context(), d.Header, forged); !errors.Is(err, paypal.ErrUnverified) {
		t.Fatalf("altered body: %v", err)
	}
	d.Header.Set("PAYPAL-TRANSMISSION-SIG", "Zm9yZ2Vk")
	if err := c.Verify(t.Context(), d.Header, d.Body); !errors.Is(err, paypal.ErrUnverified) {
		t.Fatalf("forged signature: %v", err)
	}
	if n := fake.Calls("POST /v1/oauth2/token"); n != 1 {
		t.Errorf("%d token requests, want 1 (the token is reused)", n)
	}
	if r := fake.Rejected(); len(r) != 0 {
		t.Errorf("fake rejected: %v", r)
	}
}

func TestWrongSecretGetsNoToken(t *testing.T) {
	fake := paypaltest.New(t)
	c := newClient(t, fake, "wrong-secret")
	if _, err := c.Subscription(t.Context(), "I-1"); err == nil {
		t.Fatal("no error with a wrong secret")
	}
	if n := fake.Calls("GET /v1/billing/subscriptions/{id}"); n != 0 {
		t.Fatalf("called the API without a token: %d", n)
	}
}

func TestCreateAndReadSubscription(t *testing.T) {
	fake := paypaltest.New(t)
	fake.AddPlan("P-TRIAL", true, "MONTH", 1)
	c := newClient(t, fake, paypaltest.Secret)
	sub, err := c.CreateSubscription(t.Context(), paypal.NewSubscription{PlanID: "P-TRIAL", CustomID: "chk_1", BrandName: "Higate",
		ReturnURL: "https://gw.example.com/checkout/return?ref=chk_1", CancelURL: "https://gw.example.com/checkout/trial"})
	if err != nil {
		t.Fatal(err)
	}
	if sub.ID == "" || sub.Status != paypal.StatusApprovalPending || sub.ApproveURL == "" || sub.CustomID != "chk_1" {
		t.Fatalf("created %+v", sub)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	fake.Approve(sub.ID, "buyer@example.com", at)
	got, err := c.Subscription(t.Context(), sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != paypal.StatusActive || got.PlanID != "P-TRIAL" || got.Email != "buyer@example.com" ||
		!got.StartTime.Equal(at) || !got.NextBilling.Equal(at.AddDate(0, 0, 14)) || !got.LastPaymentAt.IsZero() {
		t.Fatalf("details %+v", got)
	}
	fake.Pay(sub.ID, at.AddDate(0, 0, 14))
	got, _ = c.Subscription(t.Context(), sub.ID)
	if got.TrialCycles != 1 || got.RegularCycles != 1 || !got.NextBilling.Equal(at.AddDate(0, 1, 14)) {
		t.Fatalf("after the first payment %+v", got)
	}

	if _, err := c.Subscription(t.Context(), "I-NOPE"); !paypal.IsNotFound(err) {
		t.Fatalf("unknown subscription: %v", err)
	}
	if _, err := c.CreateSubscription(t.Context(), paypal.NewSubscription{PlanID: "P-NOPE", CustomID: "x",
		ReturnURL: "https://a.example/r", CancelURL: "https://a.example/c"}); err == nil {
		t.Fatal("unknown plan accepted")
	}
}

func TestSetupCreatesProductAndPlans(t *testing.T) {
	fake := paypaltest.New(t)
	c := newClient(t, fake, paypaltest.Secret)
	res, err := c.Setup(t.Context(), paypal.SetupOptions{ProductName: "Higate", Description: "WhatsApp gateway",
		Prices: paypal.Prices{Currency: "USD", ForeverGreen: "9.00", ForeverGreenYearly: "90.00", Enterprise: "99.00"}})
	if err != nil {
		t.Fatal(err)
	}
	if r := fake.Rejected(); len(r) != 0 {
		t.Fatalf("fake rejected: %v", r)
	}
	prods := fake.Products()
	if len(prods) != 1 || prods[0].ID != res.ProductID || prods[0].Type != "SERVICE" {
		t.Fatalf("products %+v", prods)
	}
	plans := map[string]paypaltest.Plan{}
	for _, p := range fake.Plans() {
		plans[p.ID] = p
	}
	for _, c := range []struct {
		id, unit    string
		count       int
		trial       bool
		price       string
		description string
	}{
		{res.Trial, "MONTH", 1, true, "9.00", "trial"},
		{res.ForeverGreen, "MONTH", 1, false, "9.00", "forever green"},
		{res.ForeverGreenYearly, "YEAR", 1, false, "90.00", "yearly"},
		{res.Enterprise, "MONTH", 3, false, "99.00", "enterprise"},
	} {
		p, ok := plans[c.id]
		if !ok || p.ProductID != res.ProductID || p.Status != "ACTIVE" {
			t.Errorf("%s: plan %q %+v", c.description, c.id, p)
			continue
		}
		regular := p.BillingCycles[len(p.BillingCycles)-1]
		if regular.TenureType != "REGULAR" || regular.Frequency.IntervalUnit != c.unit || regular.Frequency.IntervalCount != c.count ||
			regular.PricingScheme.FixedPrice.Value != c.price {
			t.Errorf("%s: regular cycle %+v", c.description, regular)
		}
		if hasTrial := len(p.BillingCycles) == 2 && p.BillingCycles[0].TenureType == "TRIAL" &&
			p.BillingCycles[0].Frequency.IntervalUnit == "DAY" && p.BillingCycles[0].Frequency.IntervalCount == 14; hasTrial != c.trial {
			t.Errorf("%s: cycles %+v", c.description, p.BillingCycles)
		}
	}

	if _, err := c.Setup(t.Context(), paypal.SetupOptions{ProductName: "Higate",
		Prices: paypal.Prices{Currency: "USD", ForeverGreen: "0", ForeverGreenYearly: "90", Enterprise: "99"}}); err == nil {
		t.Fatal("a zero price was accepted")
	}
}

func TestAPIBase(t *testing.T) {
	for in, want := range map[string]string{"": paypal.SandboxAPIBase, "sandbox": paypal.SandboxAPIBase, "LIVE": paypal.LiveAPIBase,
		"http://127.0.0.1:9/": "http://127.0.0.1:9"} {
		if got, err := paypal.APIBase(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	if _, err := paypal.APIBase("ftp://x"); err == nil {
		t.Error("ftp accepted")
	}
}
