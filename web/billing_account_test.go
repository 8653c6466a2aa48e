package web_test

import (
	"strings"
	"testing"
	"time"

	"higate/web/paypal"
)

func TestRecoveryMailsANewSecret(t *testing.T) {
	e := newBillEnv(t, true)
	sub, txn := e.buy("forever-green")
	e.mustDeliver(e.fake.SaleEvent(paypal.EventSaleCompleted, sub, txn))
	old := credsIn(t, e.smtp.Wait(t, 1)[0])

	recover := func(txn, email string) billResp {
		t.Helper()
		r := e.do("POST", "/api/recover", map[string]string{"transaction_id": txn, "email": email})
		e.billing.Wait()
		return r
	}
	// A wrong pair, an unknown transaction: the same 202, and nothing changes.
	wrong := recover(txn, "someone@example.com")
	unknown := recover("TX-NOPE", billBuyer)
	if wrong.status != 202 || unknown.status != 202 || wrong.raw != unknown.raw {
		t.Fatalf("miss answers differ: %d %s / %d %s", wrong.status, wrong.raw, unknown.status, unknown.raw)
	}
	if n := len(e.mails()); n != 1 || e.authStatus(old) != 404 {
		t.Fatalf("a miss changed something: %d mails, old secret %d", n, e.authStatus(old))
	}

	hit := recover(txn, "BUYER@example.com")
	if hit.status != 202 || hit.raw != wrong.raw {
		t.Fatalf("a hit answers differently: %d %s", hit.status, hit.raw)
	}
	m := e.smtp.Wait(t, 2)[1]
	fresh := credsIn(t, m)
	if fresh.id != old.id || fresh.secret == old.secret || !strings.Contains(m.Subject, "new Higate client secret") {
		t.Fatalf("recovery mail %q: %+v", m.Subject, fresh)
	}
	if got := e.authStatus(old); got != 474 {
		t.Fatalf("old secret after recovery: %d", got)
	}
	if got := e.authStatus(fresh); got != 404 {
		t.Fatalf("new secret: %d", got)
	}

	// One recovery an hour: a second request does nothing, however right.
	recover(txn, billBuyer)
	if n := len(e.mails()); n != 2 || e.authStatus(fresh) != 404 {
		t.Fatalf("second recovery within the hour: %d mails", n)
	}
	e.clock.Advance(time.Hour)
	recover(sub, billBuyer) // the subscription ID works too (a trial has no transaction)
	if n := len(e.mails()); n != 3 || e.authStatus(fresh) != 474 {
		t.Fatalf("recovery by subscription ID: %d mails", n)
	}

	if r := e.do("POST", "/api/recover", map[string]string{"email": billBuyer}); r.status != 400 {
		t.Fatalf("missing transaction ID: %d %s", r.status, r.raw)
	}
}

func TestDeveloperRotatesTheirSecret(t *testing.T) {
	e := newBillEnv(t, false)
	r := e.admin("POST", "/admin/api/accounts", map[string]any{"email": "dev@example.com", "plan": "trial"})
	old := creds{r.str("client_id"), r.str("client_secret"), "0"}

	got := e.do("POST", "/v3/account/secret", nil, old.headers()...)
	if got.status != 200 || got.str("client_id") != old.id || got.str("client_secret") == "" || got.str("client_secret") == old.secret ||
		got.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("rotate: %d %s", got.status, got.raw)
	}
	fresh := creds{old.id, got.str("client_secret"), "0"}
	if e.authStatus(old) != 474 || e.authStatus(fresh) != 404 {
		t.Fatalf("old %d, new %d", e.authStatus(old), e.authStatus(fresh))
	}
	if r := e.do("POST", "/v3/account/secret", nil, old.headers()...); r.status != 474 {
		t.Fatalf("rotate with the old secret: %d", r.status)
	}
}

func TestAdminRecordsOfflinePayments(t *testing.T) {
	e := newBillEnv(t, false)
	r := e.admin("POST", "/admin/api/accounts", map[string]any{"email": "cash@example.com", "plan": "trial"})
	c := creds{r.str("client_id"), r.str("client_secret"), "0"}
	base := "/admin/api/accounts/" + c.id

	ext := e.admin("POST", base+"/extend", map[string]int{"days": 30})
	want := e.clock.Now().AddDate(0, 0, 30)
	if ext.status != 200 || ext.str("paid_through") != want.Format(time.RFC3339) || ext.str("period_end") != want.Add(billGrace).Format(time.RFC3339) {
		t.Fatalf("extend: %d %s", ext.status, ext.raw)
	}
	if r := e.admin("POST", base+"/suspend", nil); r.status != 200 || r.str("status") != "suspended" || e.authStatus(c) != 474 {
		t.Fatalf("suspend: %d %s", r.status, r.raw)
	}
	if r := e.admin("POST", base+"/resume", nil); r.status != 200 || r.str("status") != "active" || e.authStatus(c) != 404 {
		t.Fatalf("resume: %d %s", r.status, r.raw)
	}
	p := e.admin("POST", base+"/plan", map[string]string{"plan": "enterprise"})
	if limits, _ := p.body["limits"].(map[string]any); p.status != 200 || p.str("plan") != "enterprise" || limits["daily"] != float64(1000) {
		t.Fatalf("plan: %d %s", p.status, p.raw)
	}

	// Past the period and its grace the account expires; an offline payment
	// then counts from now.
	e.clock.Advance(28 * 24 * time.Hour)
	e.tick() // two days before the end: a reminder, since nothing renews an offline payment
	e.clock.Advance(3*24*time.Hour + billGrace)
	e.tick()
	if e.authStatus(c) != 474 || e.accounts()[0].Status != "expired" {
		t.Fatalf("expired: %d %s", e.authStatus(c), e.accounts()[0].Status)
	}
	if got := subjects(e.mails()); len(got) != 2 || !strings.Contains(got[0], "ends on") || !strings.Contains(got[1], "expired") {
		t.Fatalf("mails %q", got)
	}
	ext = e.admin("POST", base+"/extend", map[string]int{"days": 7})
	if ext.status != 200 || ext.str("status") != "active" || ext.str("paid_through") != e.clock.Now().AddDate(0, 0, 7).Format(time.RFC3339) || e.authStatus(c) != 404 {
		t.Fatalf("extend after expiry: %d %s", ext.status, ext.raw)
	}

	for _, tc := range []struct {
		path string
		body any
		want int
	}{
		{"/admin/api/accounts/hg_nope/extend", map[string]int{"days": 1}, 404},
		{"/admin/api/accounts/hg_nope/suspend", nil, 404},
		{base + "/extend", map[string]int{"days": 0}, 400},
		{base + "/plan", map[string]string{"plan": "platinum"}, 400},
	} {
		if r := e.admin("POST", tc.path, tc.body); r.status != tc.want || r.str("status") != "error" {
			t.Errorf("%s %v: %d %s", tc.path, tc.body, r.status, r.raw)
		}
	}
	if r := e.do("POST", base+"/suspend", nil); r.status != 401 {
		t.Errorf("without the admin token: %d", r.status)
	}
}

func TestBillingOffSaysSo(t *testing.T) {
	e := newBillEnv(t, false)
	for _, tc := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"POST", "/paypal/webhook", []byte(`{"id":"WH-1","event_type":"X","resource":{}}`), 503},
		{"POST", "/paypal/subscriptions", map[string]string{"offer": "trial"}, 503},
		{"POST", "/api/recover", map[string]string{"transaction_id": "TX", "email": "a@example.com"}, 503},
		{"GET", "/checkout/trial", nil, 404},
		{"GET", "/checkout/return?ref=chk_1", nil, 404},
	} {
		r := e.do(tc.method, tc.path, tc.body)
		if r.status != tc.want || r.str("status") != "error" || r.body["code"] != float64(tc.want) || r.str("message") == "" {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, r.status, r.raw)
		}
	}
}
