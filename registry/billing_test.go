package registry_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"higate/quota"
	"higate/registry"
)

// billingClock is a settable clock, so expiry is tested by stepping time.
type billingClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *billingClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *billingClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func openBillingStore(t *testing.T) (*registry.Store, *billingClock) {
	t.Helper()
	clk := &billingClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	s, err := registry.Open(t.TempDir(), registry.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.EnsureInstance(0, "shared"); err != nil {
		t.Fatal(err)
	}
	return s, clk
}

const grace = 3 * 24 * time.Hour

func subscriber(t *testing.T, s *registry.Store, sub string, plan quota.Plan, paid time.Time) (registry.Account, registry.Credentials) {
	t.Helper()
	a, creds, created, err := s.CreateSubscriberAccount(registry.NewAccount{Email: "Dev@Example.com", Plan: plan,
		PayPal: registry.PayPalRefs{SubscriptionID: sub}}, registry.Period{PaidThrough: paid, Grace: grace})
	if err != nil || !created {
		t.Fatalf("create: %v created=%v", err, created)
	}
	return a, creds
}

func TestSubscriberAccountIsCreatedOnce(t *testing.T) {
	s, clk := openBillingStore(t)
	paid := clk.Now().AddDate(0, 1, 0)
	a, creds := subscriber(t, s, "I-1", quota.ForeverGreen, paid)
	if creds.ClientSecret == "" || a.PaidThrough != paid || a.PeriodEnd != paid.Add(grace) {
		t.Fatalf("account %+v creds %+v", a, creds)
	}
	again, creds2, created, err := s.CreateSubscriberAccount(registry.NewAccount{Email: "x@example.com", Plan: quota.Trial,
		PayPal: registry.PayPalRefs{SubscriptionID: "I-1"}}, registry.Period{PaidThrough: paid.AddDate(1, 0, 0), Grace: grace})
	if err != nil || created || creds2.ClientSecret != "" || again.ClientID != a.ClientID || again.Plan != quota.ForeverGreen ||
		!again.PaidThrough.Equal(paid) {
		t.Fatalf("second create: %v created=%v %+v", err, created, again)
	}
	if all, _ := s.Accounts(); len(all) != 1 {
		t.Fatalf("%d accounts", len(all))
	}
	got, err := s.AccountBySubscription("I-1")
	if err != nil || got.ClientID != a.ClientID {
		t.Fatalf("by subscription: %v %+v", err, got)
	}
	if _, err := s.AccountBySubscription("I-2"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("unknown subscription: %v", err)
	}
	if _, err := s.Authenticate(creds.ClientID, creds.ClientSecret); err != nil {
		t.Fatal(err)
	}

	// The credentials mail is due until it is marked delivered.
	if ids, _ := s.Undelivered(clk.Now().Add(time.Minute)); len(ids) != 1 || ids[0] != a.ClientID {
		t.Fatalf("undelivered %v", ids)
	}
	if ids, _ := s.Undelivered(clk.Now().Add(-time.Minute)); len(ids) != 0 {
		t.Fatalf("too fresh to retry, got %v", ids)
	}
	if err := s.MarkCredentialsDelivered(a.ClientID); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.Undelivered(clk.Now().Add(time.Minute)); len(ids) != 0 {
		t.Fatalf("delivered, still listed: %v", ids)
	}
}

func TestSalesExtendOnceAndFindTheAccount(t *testing.T) {
	s, clk := openBillingStore(t)
	start := clk.Now()
	a, _ := subscriber(t, s, "I-1", quota.ForeverGreen, start.AddDate(0, 1, 0))
	next := start.AddDate(0, 2, 0)
	got, recorded, err := s.RecordSale(a.ClientID, "TX-1", registry.Period{PaidThrough: next, Grace: grace})
	if err != nil || !recorded || got.PaidThrough != next || len(got.PayPal.Transactions) != 1 {
		t.Fatalf("sale: %v %v %+v", err, recorded, got)
	}
	// The same transaction again changes nothing, even with a later date.
	got, recorded, err = s.RecordSale(a.ClientID, "TX-1", registry.Period{PaidThrough: next.AddDate(1, 0, 0), Grace: grace})
	if err != nil || recorded || got.PaidThrough != next {
		t.Fatalf("repeat sale: %v %v %+v", err, recorded, got)
	}
	// An older period never shortens a newer one.
	got, _ = s.ExtendPaid(a.ClientID, registry.Period{PaidThrough: start, Grace: grace})
	if got.PaidThrough != next {
		t.Fatalf("shortened to %v", got.PaidThrough)
	}

	for _, c := range []struct {
		ref, email string
		ok         bool
	}{
		{"TX-1", "dev@example.com", true},
		{"TX-1", " DEV@EXAMPLE.COM ", true},
		{"I-1", "dev@example.com", true}, // a trial has no transaction yet
		{"TX-1", "other@example.com", false},
		{"TX-2", "dev@example.com", false},
		{"", "", false},
	} {
		got, err := s.AccountByPayment(c.ref, c.email)
		if c.ok != (err == nil) || (c.ok && got.ClientID != a.ClientID) {
			t.Errorf("%q %q: %v %+v", c.ref, c.email, err, got.ClientID)
		}
	}
}

func TestGraceThenExpiryThenRenewal(t *testing.T) {
	s, clk := openBillingStore(t)
	paid := clk.Now().Add(24 * time.Hour)
	a, creds := subscriber(t, s, "I-1", quota.ForeverGreen, paid)

	clk.Advance(2 * 24 * time.Hour) // past the paid period, inside the grace period
	if _, err := s.Authenticate(creds.ClientID, creds.ClientSecret); err != nil {
		t.Fatalf("in grace: %v", err)
	}
	if _, due, _ := s.ExpireIfDue(a.ClientID); due {
		t.Fatal("expired inside the grace period")
	}
	clk.Advance(2*24*time.Hour + time.Second) // paid period plus grace is over
	if _, err := s.Authenticate(creds.ClientID, creds.ClientSecret); registry.ErrorCode(err) != registry.CodeUnauthorized {
		t.Fatalf("after grace: %v", err)
	}
	got, due, err := s.ExpireIfDue(a.ClientID)
	if err != nil || !due || got.Status != registry.StatusExpired {
		t.Fatalf("expire: %v %v %+v", err, due, got)
	}
	// An offline payment counts from now, since the period has run out.
	got, err = s.ExtendDays(a.ClientID, 30, grace)
	if err != nil || got.Status != registry.StatusActive || !got.PaidThrough.Equal(clk.Now().AddDate(0, 0, 30)) {
		t.Fatalf("extend: %v %+v", err, got)
	}
	if _, err := s.Authenticate(creds.ClientID, creds.ClientSecret); err != nil {
		t.Fatalf("renewed: %v", err)
	}
	if _, err := s.ExtendDays(a.ClientID, 0, grace); registry.ErrorCode(err) != registry.CodeBadRequest {
		t.Fatalf("0 days: %v", err)
	}
}

func TestSuspensionOutlivesPayments(t *testing.T) {
	s, clk := openBillingStore(t)
	a, creds := subscriber(t, s, "I-1", quota.ForeverGreen, clk.Now().AddDate(0, 1, 0))
	if _, err := s.SetStatus(a.ClientID, registry.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	got, _, _ := s.RecordSale(a.ClientID, "TX-1", registry.Period{PaidThrough: clk.Now().AddDate(0, 2, 0), Grace: grace})
	if got.Status != registry.StatusSuspended {
		t.Fatalf("a payment lifted a suspension: %+v", got)
	}
	if _, err := s.Authenticate(creds.ClientID, creds.ClientSecret); registry.ErrorCode(err) != registry.CodeUnauthorized {
		t.Fatalf("suspended: %v", err)
	}
	if _, err := s.SetStatus(a.ClientID, registry.StatusActive); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(creds.ClientID, creds.ClientSecret); err != nil {
		t.Fatalf("resumed: %v", err)
	}
	if _, err := s.SetStatus(a.ClientID, "paused"); registry.ErrorCode(err) != registry.CodeBadRequest {
		t.Fatalf("bad status: %v", err)
	}

	// PayPal suspending the subscription (or a refund) ends access now.
	got, err := s.EndPeriod(a.ClientID, clk.Now())
	if err != nil || got.Status != registry.StatusExpired {
		t.Fatalf("end period: %v %+v", err, got)
	}
	if _, err := s.Authenticate(creds.ClientID, creds.ClientSecret); registry.ErrorCode(err) != registry.CodeUnauthorized {
		t.Fatalf("ended: %v", err)
	}
	// PayPal re-activating it grants the new period again.
	got, _ = s.ExtendPaid(a.ClientID, registry.Period{PaidThrough: clk.Now().AddDate(0, 1, 0), Grace: grace})
	if got.Status != registry.StatusActive {
		t.Fatalf("re-activated: %+v", got)
	}
}

func TestConvertTrialKeepsTheAccount(t *testing.T) {
	s, clk := openBillingStore(t)
	a, creds := subscriber(t, s, "I-1", quota.Trial, clk.Now().Add(quota.TrialTerm))
	got, converted, err := s.ConvertTrial(a.ClientID, registry.Period{PaidThrough: clk.Now().AddDate(0, 1, 14), Grace: grace}, nil)
	if err != nil || !converted || got.Plan != quota.ForeverGreen || got.ClientID != a.ClientID || got.EffectiveLimits().Daily != 100 {
		t.Fatalf("convert: %v %v %+v", err, converted, got)
	}
	if _, err := s.Authenticate(creds.ClientID, creds.ClientSecret); err != nil {
		t.Fatal(err)
	}
	if _, converted, _ := s.ConvertTrial(a.ClientID, registry.Period{Grace: grace}, nil); converted {
		t.Fatal("converted twice")
	}
	if got, _, err := s.ChangePlan(a.ClientID, registry.PlanChange{Plan: quota.Enterprise}); err != nil || got.EffectiveLimits().Daily != 1000 {
		t.Fatalf("set plan: %v %+v", err, got)
	}
	if _, _, err := s.ChangePlan(a.ClientID, registry.PlanChange{Plan: "gold"}); registry.ErrorCode(err) != registry.CodeBadRequest {
		t.Fatalf("bad plan: %v", err)
	}
}

func TestDedicatedSubscriberOwnsItsInstance(t *testing.T) {
	s, clk := openBillingStore(t)
	in, err := s.CreateInstance("dedicated", true)
	if err != nil {
		t.Fatal(err)
	}
	na := registry.NewAccount{Email: "ent@example.com", Plan: quota.Enterprise, Instance: in.ID, PayPal: registry.PayPalRefs{SubscriptionID: "I-E"}}
	a, _, created, err := s.CreateSubscriberAccount(na, registry.Period{PaidThrough: clk.Now().AddDate(0, 3, 0), Grace: grace})
	if err != nil || !created {
		t.Fatal(err)
	}
	if got, _ := s.Instance(in.ID); got.Owner != a.ClientID {
		t.Fatalf("owner %q", got.Owner)
	}
	na.PayPal.SubscriptionID = "I-F"
	if _, _, _, err := s.CreateSubscriberAccount(na, registry.Period{Grace: grace}); registry.ErrorCode(err) != registry.CodeConflict {
		t.Fatalf("second owner: %v", err)
	}
}

func TestEventsNoticesAndPendingCheckouts(t *testing.T) {
	s, clk := openBillingStore(t)
	if seen, _ := s.EventProcessed("WH-1"); seen {
		t.Fatal("seen before processing")
	}
	if err := s.MarkEventProcessed("WH-1"); err != nil {
		t.Fatal(err)
	}
	if seen, _ := s.EventProcessed("WH-1"); !seen {
		t.Fatal("not seen after processing")
	}

	for i, c := range []struct {
		kind, stamp string
		first       bool
	}{
		{"quota", "w1", true}, {"quota", "w1", false}, {"expiring", "w1", true}, {"quota", "w2", true}, {"quota", "w2", false},
	} {
		if first, err := s.FirstNotice("hg_1", c.kind, c.stamp); err != nil || first != c.first {
			t.Errorf("%d: %v first=%v", i, err, first)
		}
	}

	old := registry.PendingCheckout{Ref: "chk_old", Offer: "trial", PlanID: "P-1", CreatedAt: clk.Now().Add(-8 * 24 * time.Hour)}
	fresh := registry.PendingCheckout{Ref: "chk_new", Offer: "trial", PlanID: "P-1", SubscriptionID: "I-1", CreatedAt: clk.Now()}
	for _, p := range []registry.PendingCheckout{old, fresh} {
		if err := s.SavePendingCheckout(p); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.PrunePendingCheckouts(clk.Now().Add(-7 * 24 * time.Hour)); err != nil || n != 1 {
		t.Fatalf("pruned %d: %v", n, err)
	}
	if _, err := s.PendingCheckout("chk_old"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("old: %v", err)
	}
	if got, err := s.PendingCheckout("chk_new"); err != nil || got.SubscriptionID != "I-1" {
		t.Fatalf("fresh: %v %+v", err, got)
	}
}
