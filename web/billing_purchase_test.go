package web_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"higate/quota"
	"higate/registry"
	"higate/web/paypal"
	"higate/web/paypal/paypaltest"
)

func TestPurchaseDeliversWorkingCredentials(t *testing.T) {
	e := newBillEnv(t, true)

	page := e.do("GET", "/checkout/forever-green", nil)
	if page.status != 200 || !strings.Contains(page.raw, "paypal.com/sdk/js?client-id="+"fake-client-id") ||
		!strings.Contains(page.raw, `"forever-green"`) || !strings.Contains(page.raw, "100</strong> messages") {
		t.Fatalf("checkout page: %d\n%s", page.status, page.raw)
	}

	sub := e.checkout("forever-green")
	state, _ := e.fake.Subscription(sub)
	if state.PlanID != testPlans.ForeverGreen || !strings.HasPrefix(state.CustomID, "chk_") ||
		!strings.HasPrefix(state.ReturnURL, e.srv.URL+"/checkout/return?ref="+state.CustomID) {
		t.Fatalf("subscription at PayPal: %+v", state)
	}
	_, txn := e.fake.Approve(sub, billBuyer, e.clock.Now())
	e.mustDeliver(e.fake.SubscriptionEvent(paypal.EventSubscriptionActivated, sub))
	e.mustDeliver(e.fake.SaleEvent(paypal.EventSaleCompleted, sub, txn))
	if n := e.fake.Calls("GET /v1/billing/subscriptions/{id}"); n < 2 {
		t.Errorf("subscription read %d times; every event must re-read it", n)
	}

	mails := e.smtp.Wait(t, 1)
	if len(mails) != 1 {
		t.Fatalf("%d mails", len(mails))
	}
	m := mails[0]
	if m.Recipients[0] != billBuyer || !m.TLS || !strings.Contains(m.Subject, "Forever Green credentials") {
		t.Fatalf("mail to %v tls=%v %q", m.Recipients, m.TLS, m.Subject)
	}
	for _, want := range []string{"Instance: 0", "https://wa.me/15550000001?text=Hi", "curl -X POST " + e.srv.URL + billPrefix + "0"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("mail lacks %q:\n%s", want, m.Text)
		}
	}
	c := credsIn(t, m)

	// The credentials work: a user greets the gateway, the buyer sends.
	e.register(billUser)
	r := e.sendText(c, billUser, "api: hello from a paying customer")
	if r.status != 200 || r.str("status") != "queued" || r.header.Get("RateLimit-Limit") != "100" {
		t.Fatalf("send: %d %s %v", r.status, r.raw, r.header)
	}

	a, err := e.store.AccountByPayment(txn, "buyer@example.com")
	if err != nil || a.ClientID != c.id || a.Plan != quota.ForeverGreen || a.PayPal.SubscriptionID != sub {
		t.Fatalf("account by payment: %v %+v", err, a)
	}
	if !a.PaidThrough.Equal(e.clock.Now().AddDate(0, 1, 0)) || !a.PeriodEnd.Equal(a.PaidThrough.Add(billGrace)) {
		t.Errorf("period %v / %v", a.PaidThrough, a.PeriodEnd)
	}

	// The return page knows the purchase is done.
	ret := e.do("GET", "/checkout/return?ref="+state.CustomID+"&subscription_id="+sub, nil)
	if ret.status != 200 || !strings.Contains(ret.raw, "subscription is active") || !strings.Contains(ret.raw, "B***@Example.com") {
		t.Fatalf("return page: %d\n%s", ret.status, ret.raw)
	}
	if got := len(e.mails()); got != 1 {
		t.Fatalf("%d mails after the return page, want still 1", got)
	}
}

func TestReturnPageActivatesBeforeTheWebhook(t *testing.T) {
	e := newBillEnv(t, true)
	r := e.do("POST", "/paypal/subscriptions", map[string]string{"offer": "trial"})
	ref := strings.SplitN(r.str("return_url"), "ref=", 2)[1]
	e.fake.Approve(r.str("id"), billBuyer, e.clock.Now())
	ret := e.do("GET", "/checkout/return?ref="+ref, nil)
	if !strings.Contains(ret.raw, "subscription is active") {
		t.Fatalf("return page:\n%s", ret.raw)
	}
	credsIn(t, e.smtp.Wait(t, 1)[0])
	// The webhook arriving afterwards changes nothing.
	e.mustDeliver(e.fake.SubscriptionEvent(paypal.EventSubscriptionActivated, r.str("id")))
	if len(e.accounts()) != 1 || len(e.mails()) != 1 {
		t.Fatalf("%d accounts, %d mails", len(e.accounts()), len(e.mails()))
	}

	// A reference the server never issued costs no PayPal call.
	calls := e.fake.Calls("GET /v1/billing/subscriptions/{id}")
	if ret := e.do("GET", "/checkout/return?ref=chk_forged&subscription_id="+r.str("id"), nil); ret.status != 200 ||
		!strings.Contains(ret.raw, "If you completed a purchase") {
		t.Fatalf("unknown reference: %d\n%s", ret.status, ret.raw)
	}
	if e.fake.Calls("GET /v1/billing/subscriptions/{id}") != calls {
		t.Fatal("an unknown reference made a PayPal call")
	}
}

func TestForgedWebhookChangesNothing(t *testing.T) {
	e := newBillEnv(t, true)
	sub := e.checkout("forever-green")
	e.fake.Approve(sub, billBuyer, e.clock.Now())
	genuine := e.fake.SubscriptionEvent(paypal.EventSubscriptionActivated, sub)

	forged := genuine
	forged.Body = bytes.Replace(genuine.Body, []byte(billBuyer), []byte("attacker@example.com"), 1)
	r := e.deliver(forged)
	if r.status != 400 || r.str("status") != "error" || r.body["code"] != float64(400) || r.str("remedy") == "" {
		t.Fatalf("forged body: %d %s", r.status, r.raw)
	}
	unsigned := genuine
	unsigned.Header = genuine.Header.Clone()
	unsigned.Header.Del("PAYPAL-TRANSMISSION-SIG")
	if r := e.deliver(unsigned); r.status != 400 {
		t.Fatalf("unsigned: %d %s", r.status, r.raw)
	}
	if r := e.do("POST", "/paypal/webhook", []byte("not json")); r.status != 400 {
		t.Fatalf("garbage: %d %s", r.status, r.raw)
	}
	if n := len(e.accounts()); n != 0 {
		t.Fatalf("%d accounts after forged webhooks", n)
	}
	if n := len(e.mails()); n != 0 {
		t.Fatalf("%d mails after forged webhooks", n)
	}
	if n := e.fake.Calls("GET /v1/billing/subscriptions/{id}"); n != 0 {
		t.Fatalf("a forged webhook led to %d subscription reads", n)
	}
	// The forgery did not burn the event ID: the genuine delivery works.
	e.mustDeliver(genuine)
	if n := len(e.accounts()); n != 1 {
		t.Fatalf("%d accounts after the genuine webhook", n)
	}
}

func TestSameEventTwiceCreatesOneAccount(t *testing.T) {
	e := newBillEnv(t, true)
	sub := e.checkout("trial")
	e.fake.Approve(sub, billBuyer, e.clock.Now())
	d := e.fake.SubscriptionEvent(paypal.EventSubscriptionActivated, sub)
	e.mustDeliver(d)
	e.mustDeliver(d)
	// And redelivered concurrently, as PayPal retrying a slow answer might.
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			if r := e.deliver(d); r.status != 200 {
				t.Errorf("redelivery: %d %s", r.status, r.raw)
			}
		})
	}
	// A new event about the same subscription does not add an account either.
	wg.Go(func() { e.deliver(e.fake.SubscriptionEvent(paypal.EventSubscriptionUpdated, sub)) })
	wg.Wait()
	if n := len(e.accounts()); n != 1 {
		t.Fatalf("%d accounts", n)
	}
	if n := len(e.mails()); n != 1 {
		t.Fatalf("%d credential mails", n)
	}
	if a := e.accounts()[0]; a.Plan != quota.Trial || a.Instance != 0 || !a.PaidThrough.Equal(e.clock.Now().Add(quota.TrialTerm)) {
		t.Fatalf("trial account %+v", a)
	}
}

func TestOutOfOrderEventsResolveFromPayPal(t *testing.T) {
	t.Run("cancelled event, then activated; PayPal says active", func(t *testing.T) {
		e := newBillEnv(t, true)
		sub := e.checkout("forever-green")
		e.fake.Approve(sub, billBuyer, e.clock.Now())
		// A stale CANCELLED whose resource says so; PayPal's truth is ACTIVE.
		stale := e.fake.Event(paypal.EventSubscriptionCancelled, "subscription", map[string]any{"id": sub, "status": "CANCELLED", "plan_id": testPlans.ForeverGreen})
		e.mustDeliver(stale)
		e.mustDeliver(e.fake.SubscriptionEvent(paypal.EventSubscriptionActivated, sub))
		if n := len(e.accounts()); n != 1 {
			t.Fatalf("%d accounts", n)
		}
		c := credsIn(t, e.smtp.Wait(t, 1)[0])
		if got := e.authStatus(c); got != 404 {
			t.Fatalf("credentials answer %d, want them valid", got)
		}
		if n := len(e.mails()); n != 1 {
			t.Fatalf("%d mails", n)
		}
	})
	t.Run("cancelled before payment, then a late activated", func(t *testing.T) {
		e := newBillEnv(t, true)
		sub := e.checkout("forever-green")
		activated := e.fake.Event(paypal.EventSubscriptionActivated, "subscription", map[string]any{"id": sub, "status": "ACTIVE", "plan_id": testPlans.ForeverGreen})
		e.fake.UpdateSubscription(sub, func(s *paypaltest.Subscription) { s.Status, s.Email = "CANCELLED", billBuyer })
		e.mustDeliver(e.fake.SubscriptionEvent(paypal.EventSubscriptionCancelled, sub))
		e.mustDeliver(activated)
		if n := len(e.accounts()); n != 0 {
			t.Fatalf("%d accounts for a subscription PayPal says is cancelled and never paid", n)
		}
		if n := len(e.mails()); n != 0 {
			t.Fatalf("%d mails", n)
		}
	})
	t.Run("paid, cancelled, then a stale activated", func(t *testing.T) {
		e := newBillEnv(t, true)
		sub, _ := e.buy("forever-green")
		before := e.accounts()[0]
		e.clock.Advance(24 * time.Hour)
		e.fake.UpdateSubscription(sub, func(s *paypaltest.Subscription) { s.Status = "CANCELLED" })
		e.mustDeliver(e.fake.SubscriptionEvent(paypal.EventSubscriptionCancelled, sub))
		e.mustDeliver(e.fake.Event(paypal.EventSubscriptionActivated, "subscription", map[string]any{"id": sub, "status": "ACTIVE"}))
		after := e.accounts()[0]
		if !after.PaidThrough.Equal(before.PaidThrough) || after.Status != registry.StatusActive {
			t.Fatalf("period changed by a cancelled subscription: %v -> %v (%s)", before.PaidThrough, after.PaidThrough, after.Status)
		}
		mails := e.smtp.Wait(t, 2)
		if len(mails) != 2 || !strings.Contains(mails[1].Subject, "cancelled") {
			t.Fatalf("mails %d, last %q", len(mails), mails[len(mails)-1].Subject)
		}
	})
}

func TestEnterprisePurchaseGetsADedicatedInstance(t *testing.T) {
	e := newBillEnv(t, true)
	e.buy("enterprise")
	a := e.accounts()[0]
	in, err := e.store.Instance(a.Instance)
	if err != nil || a.Instance == 0 || !in.Dedicated || in.Owner != a.ClientID || a.Plan != quota.Enterprise {
		t.Fatalf("account %+v instance %+v %v", a, in, err)
	}
	m := e.smtp.Wait(t, 1)[0]
	if c := credsIn(t, m); c.instance != "1" || !strings.Contains(m.Text, "dedicated gateway number is being set up") {
		t.Fatalf("mail:\n%s", m.Text)
	}
	evs, _ := e.store.Events(10)
	if len(evs) == 0 || evs[0].Kind != "enterprise_account" || evs[0].Instance != a.Instance {
		t.Fatalf("operator event %+v", evs)
	}
}

func TestCheckoutRejectsUnknownOffers(t *testing.T) {
	e := newBillEnv(t, true)
	if r := e.do("GET", "/checkout/platinum", nil); r.status != 404 || r.str("status") != "error" {
		t.Fatalf("unknown offer page: %d %s", r.status, r.raw)
	}
	if r := e.do("POST", "/paypal/subscriptions", map[string]string{"offer": "platinum"}); r.status != 400 {
		t.Fatalf("unknown offer: %d %s", r.status, r.raw)
	}
}
