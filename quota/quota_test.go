package quota_test

import (
	"testing"
	"time"

	"higate/quota"
)

func TestWindowOpensWithFirstMessageAndLastsExactly24h(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 9, 30, 0, 0, time.UTC)
	var u quota.Usage
	for i := range 50 {
		var ok bool
		if u, ok = u.Take(t0.Add(time.Duration(i)*time.Minute), 50); !ok {
			t.Fatalf("message %d refused", i+1)
		}
	}
	if _, ok := u.Take(t0.Add(23*time.Hour), 50); ok {
		t.Fatal("51st message inside the window accepted")
	}
	if got := u.Reset(t0.Add(23 * time.Hour)); got != time.Hour {
		t.Fatalf("reset = %v, want 1h", got)
	}
	if _, ok := u.Take(t0.Add(24*time.Hour-time.Nanosecond), 50); ok {
		t.Fatal("accepted just before the window closes")
	}
	next, ok := u.Take(t0.Add(24*time.Hour), 50)
	if !ok || next.Used != 1 || !next.Start.Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("first message after close: ok=%v usage=%+v", ok, next)
	}
}

func TestRefund(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	u, _ := quota.Usage{}.Take(t0, 10)
	u, _ = u.Take(t0.Add(time.Hour), 10)
	if got := u.Refund(t0.Add(time.Hour)); got.Used != 1 {
		t.Fatalf("refund in current window: used %d, want 1", got.Used)
	}
	if got := u.Refund(t0.Add(-time.Hour)); got.Used != 2 {
		t.Fatalf("refund for an older window changed usage: %d", got.Used)
	}
	if got := u.Remaining(t0.Add(2*time.Hour), 10); got != 8 {
		t.Fatalf("remaining %d, want 8", got)
	}
	if got := u.Remaining(t0.Add(25*time.Hour), 10); got != 10 {
		t.Fatalf("remaining after close %d, want 10", got)
	}
}

func TestPlans(t *testing.T) {
	for _, tc := range []struct {
		name              string
		daily, recipients int
		webhooks          bool
	}{
		{"trial", 50, 10, false},
		{"forever-green", 100, 50, false},
		{"enterprise", 1000, 1000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := quota.Parse(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if l := p.Limits(); l.Daily != tc.daily || l.Recipients != tc.recipients {
				t.Fatalf("limits %+v", l)
			}
			if p.Features().Webhooks != tc.webhooks {
				t.Fatalf("webhooks %v", p.Features().Webhooks)
			}
		})
	}
	if _, err := quota.Parse("gold"); err == nil {
		t.Fatal("unknown plan accepted")
	}
	if l := quota.Trial.Effective(quota.Limits{Daily: 5000}); l.Daily != 5000 || l.Recipients != 10 {
		t.Fatalf("override %+v", l)
	}
}
