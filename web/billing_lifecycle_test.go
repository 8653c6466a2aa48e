package web_test

import (
	"strings"
	"testing"
	"time"

	"higate/quota"
	"higate/registry"
	"higate/web/mail/smtptest"
	"higate/web/paypal"
	"higate/web/paypal/paypaltest"
)

func TestTrialBecomesForeverGreenAtDay14(t *testing.T) {
	e := newBillEnv(t, true)
	sub, _ := e.buy("trial")
	c := credsIn(t, e.smtp.Wait(t, 1)[0])
	e.register(billUser)
	r := e.sendText(c, billUser, "api: day 1")
	if r.status != 200 || r.header.Get("RateLimit-Limit") != "50" {
		t.Fatalf("trial send: %d %s limit %s", r.status, r.raw, r.header.Get("RateLimit-Limit"))
	}

	// Day 13: nothing due yet.
	e.clock.Advance(13 * 24 * time.Hour)
	e.tick()
	if a := e.accounts()[0]; a.Plan != quota.Trial {
		t.Fatalf("converted early: %+v", a)
	}
	// Day 14: PayPal charges the first Forever Green month; the tick re-reads
	// the subscription and converts the account.
	e.clock.Advance(24 * time.Hour)
	_, txn := e.fake.Pay(sub, e.clock.Now())
	e.tick()
	accts := e.accounts()
	if len(accts) != 1 {
		t.Fatalf("%d accounts", len(accts))
	}
	a := accts[0]
	if a.ClientID != c.id || a.Plan != quota.ForeverGreen || !a.PaidThrough.Equal(e.clock.Now().AddDate(0, 1, 0)) {
		t.Fatalf("after day 14: %+v", a)
	}
	mails := e.smtp.Wait(t, 2)
	if !strings.Contains(mails[1].Subject, "now Forever Green") || !strings.Contains(mails[1].Text, "100 messages per 24 hours") {
		t.Fatalf("upgrade mail %q\n%s", mails[1].Subject, mails[1].Text)
	}
	// Same credentials, same registration (no new greeting), new limits.
	r = e.sendText(c, billUser, "api: day 14")
	if r.status != 200 || r.header.Get("RateLimit-Limit") != "100" {
		t.Fatalf("send after conversion: %d %s limit %s", r.status, r.raw, r.header.Get("RateLimit-Limit"))
	}
	// PayPal's webhook for that payment records it and changes nothing else.
	e.mustDeliver(e.fake.SaleEvent(paypal.EventSaleCompleted, sub, txn))
	if a, err := e.store.AccountByPayment(txn, billBuyer); err != nil || a.ClientID != c.id || len(e.accounts()) != 1 {
		t.Fatalf("sale: %v %+v", err, a)
	}
	if n := len(e.mails()); n != 2 {
		t.Fatalf("%d mails, want 2", n)
	}
}

func TestTrialConvertsOnTheSaleWebhookToo(t *testing.T) {
	e := newBillEnv(t, true)
	sub, _ := e.buy("trial")
	e.clock.Advance(quota.TrialTerm)
	_, txn := e.fake.Pay(sub, e.clock.Now())
	e.mustDeliver(e.fake.SaleEvent(paypal.EventSaleCompleted, sub, txn))
	if a := e.accounts()[0]; a.Plan != quota.ForeverGreen || a.EffectiveLimits().Daily != 100 {
		t.Fatalf("%+v", a)
	}
}

func TestExpiryAfterGraceGets474(t *testing.T) {
	e := newBillEnv(t, true)
	sub, _ := e.buy("forever-green")
	c := credsIn(t, e.smtp.Wait(t, 1)[0])
	paid := e.accounts()[0].PaidThrough

	// An active subscription renews by itself: no reminder.
	e.clock.Advance(paid.Sub(e.clock.Now()) - 2*24*time.Hour)
	e.tick()
	if n := len(e.mails()); n != 1 {
		t.Fatalf("%d mails: reminded about a renewing subscription", n)
	}
	// The buyer cancels: one mail says so; the next period's reminder comes once.
	e.fake.UpdateSubscription(sub, func(s *paypaltest.Subscription) { s.Status = "CANCELLED" })
	e.mustDeliver(e.fake.SubscriptionEvent(paypal.EventSubscriptionCancelled, sub))
	e.clock.Advance(6 * time.Hour) // whether it renews is asked every 6 hours
	e.tick()
	e.tick()
	mails := e.smtp.Wait(t, 3)
	if len(mails) != 3 || !strings.Contains(mails[1].Subject, "cancelled") || !strings.Contains(mails[2].Subject, "ends on") {
		t.Fatalf("mails: %q", subjects(mails))
	}

	// Past the paid period, inside the grace period: still works.
	e.clock.Advance(2 * 24 * time.Hour)
	e.tick()
	if got := e.authStatus(c); got != 404 {
		t.Fatalf("inside grace: %d", got)
	}
	// Past the grace period: 474 with a renew remedy, and one expiry mail.
	e.clock.Advance(billGrace)
	r := e.sendText(c, billUser, "api: too late")
	if r.status != 474 || !strings.Contains(r.str("remedy"), "renew") || !strings.Contains(r.str("message"), "expired") {
		t.Fatalf("after grace: %d %s", r.status, r.raw)
	}
	e.tick()
	e.tick()
	mails = e.smtp.Wait(t, 4)
	if len(mails) != 4 || !strings.Contains(mails[3].Subject, "expired") {
		t.Fatalf("mails: %q", subjects(mails))
	}
	if a := e.accounts()[0]; a.Status != registry.StatusExpired {
		t.Fatalf("status %s", a.Status)
	}

	// Subscribing again at PayPal (the same subscription re-activated here)
	// brings the same account back.
	e.fake.UpdateSubscription(sub, func(s *paypaltest.Subscription) { s.Status = "ACTIVE" })
	e.fake.Pay(sub, e.clock.Now())
	e.mustDeliver(e.fake.SubscriptionEvent(paypal.EventSubscriptionActivated, sub))
	if got := e.authStatus(c); got != 404 {
		t.Fatalf("renewed: %d", got)
	}
}

func TestPayPalSuspensionAndRefund(t *testing.T) {
	e := newBillEnv(t, true)
	sub, txn := e.buy("forever-green")
	e.mustDeliver(e.fake.SaleEvent(paypal.EventSaleCompleted, sub, txn))
	c := credsIn(t, e.smtp.Wait(t, 1)[0])

	e.fake.UpdateSubscription(sub, func(s *paypaltest.Subscription) { s.Status = "SUSPENDED" })
	e.mustDeliver(e.fake.SubscriptionEvent(paypal.EventSubscriptionSuspended, sub))
	if got := e.authStatus(c); got != 474 {
		t.Fatalf("suspended at PayPal: %d", got)
	}
	e.fake.UpdateSubscription(sub, func(s *paypaltest.Subscription) { s.Status = "ACTIVE" })
	e.mustDeliver(e.fake.SubscriptionEvent(paypal.EventSubscriptionActivated, sub))
	if got := e.authStatus(c); got != 404 {
		t.Fatalf("re-activated at PayPal: %d", got)
	}

	e.mustDeliver(e.fake.SaleEvent(paypal.EventSaleRefunded, sub, txn))
	if got := e.authStatus(c); got != 474 {
		t.Fatalf("refunded: %d", got)
	}
	// A later sync does not undo the operator's refund; resuming by hand does.
	e.mustDeliver(e.fake.SubscriptionEvent(paypal.EventSubscriptionUpdated, sub))
	if a := e.accounts()[0]; a.Status != registry.StatusSuspended {
		t.Fatalf("status after sync %s", a.Status)
	}
	if r := e.admin("POST", "/admin/api/accounts/"+c.id+"/resume", nil); r.status != 200 || e.authStatus(c) != 404 {
		t.Fatalf("resume: %d %s", r.status, r.raw)
	}
	got := subjects(e.mails())
	if len(got) != 3 || !strings.Contains(got[1], "on hold") || !strings.Contains(got[2], "on hold") {
		t.Fatalf("mails %q", got)
	}
}

func TestPaymentFailedMail(t *testing.T) {
	e := newBillEnv(t, true)
	sub, _ := e.buy("forever-green")
	e.mustDeliver(e.fake.SubscriptionEvent(paypal.EventSubscriptionPaymentFailed, sub))
	mails := e.smtp.Wait(t, 2)
	if !strings.Contains(mails[1].Subject, "could not collect") {
		t.Fatalf("mails %q", subjects(mails))
	}
}

func TestUndeliveredCredentialsAreResent(t *testing.T) {
	e := newBillEnv(t, true)
	e.smtp.Refuse(1)
	e.buy("forever-green") // the webhook succeeds; the mail does not
	if n := len(e.mails()); n != 0 {
		t.Fatalf("%d mails", n)
	}
	e.tick() // too soon: the first attempt might still be under way
	if n := len(e.mails()); n != 0 {
		t.Fatalf("%d mails after an early tick", n)
	}
	e.clock.Advance(11 * time.Minute)
	e.tick()
	m := e.smtp.Wait(t, 1)[0]
	c := credsIn(t, m)
	if !strings.Contains(m.Text, "could not be delivered earlier") || e.authStatus(c) != 404 {
		t.Fatalf("resent mail:\n%s", m.Text)
	}
	e.tick()
	if n := len(e.mails()); n != 1 {
		t.Fatalf("%d mails: resent twice", n)
	}
}

func TestQuotaMailAtMostOncePerWindow(t *testing.T) {
	e := newBillEnv(t, false)
	r := e.admin("POST", "/admin/api/accounts", map[string]any{"email": "dev@example.com", "plan": "trial", "limits": map[string]int{"daily": 2}})
	c := creds{r.str("client_id"), r.str("client_secret"), "0"}
	e.register(billUser)
	for i, want := range []int{200, 200, 469, 469, 469} {
		if got := e.sendText(c, billUser, "api: quota").status; got != want {
			t.Fatalf("send %d: %d, want %d", i, got, want)
		}
	}
	e.billing.Wait()
	mails := e.mails()
	if len(mails) != 1 || mails[0].Recipients[0] != "dev@example.com" || !strings.Contains(mails[0].Text, "all 2") {
		t.Fatalf("mails %q", subjects(mails))
	}
	// The next window: its own 469 brings one more mail.
	e.clock.Advance(quota.Window)
	for i, want := range []int{200, 200, 469, 469} {
		if got := e.sendText(c, billUser, "api: quota").status; got != want {
			t.Fatalf("window 2, send %d: %d, want %d", i, got, want)
		}
	}
	e.billing.Wait()
	if n := len(e.mails()); n != 2 {
		t.Fatalf("%d mails, want 2", n)
	}
}

func subjects(ms []smtptest.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Subject
	}
	return out
}

func TestTickFindsARenewalWhoseWebhookWasLost(t *testing.T) {
	e := newBillEnv(t, true)
	sub, _ := e.buy("forever-green")
	c := credsIn(t, e.smtp.Wait(t, 1)[0])
	paid := e.accounts()[0].PaidThrough

	// PayPal renews a day late and its webhook never arrives.
	e.clock.Advance(paid.Sub(e.clock.Now()))
	e.tick() // at the period's end PayPal has not billed yet
	if a := e.accounts()[0]; !a.PaidThrough.Equal(paid) {
		t.Fatalf("extended without a payment: %v", a.PaidThrough)
	}
	e.clock.Advance(24 * time.Hour)
	e.fake.Pay(sub, e.clock.Now())
	e.clock.Advance(billGrace/2 - 24*time.Hour)
	e.tick() // halfway through the grace period, the tick looks again
	if a := e.accounts()[0]; !a.PaidThrough.Equal(paid.AddDate(0, 1, 0)) {
		t.Fatalf("renewal not found: paid through %v", a.PaidThrough)
	}
	e.clock.Advance(billGrace)
	if got := e.authStatus(c); got != 404 {
		t.Fatalf("after the old grace period: %d", got)
	}
}
