package gateway_test

import (
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"higate/gateway"
	"higate/gateway/sim"
	"higate/registry"
)

// stepClock is a clock tests move by hand.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// lookupHarness runs a service over the sim with a stepped registry clock
// and a small lookup allowance.
func lookupHarness(t *testing.T, limit gateway.LookupLimit) (*gateway.Service, *sim.Network, *stepClock) {
	t.Helper()
	dir := t.TempDir()
	clock := &stepClock{now: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	store, err := registry.Open(dir, registry.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	net, err := sim.Open(filepath.Join(dir, "sim"), sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	store.EnsureInstance(0, "sandbox")
	if _, err := store.AddNumber(registry.Number{Number: gw, Transport: "sim", Role: registry.RoleActive}); err != nil {
		t.Fatal(err)
	}
	svc := gateway.NewService(gateway.Options{Store: store, Lookups: limit,
		Dial: func(n registry.Number) (gateway.Transport, error) { return net.Attach(n.Number), nil }})
	if err := svc.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Stop(); net.Close(); store.Close() })
	deadline := time.Now().Add(10 * time.Second)
	for !svc.InstanceUp(0) {
		if time.Now().After(deadline) {
			t.Fatal("the sandbox number did not come up")
		}
		time.Sleep(time.Millisecond)
	}
	return svc, net, clock
}

// answers turns CheckOnWhatsApp's answers into "yes", "no" and "?" (nil).
func answers(got []*bool) []string {
	out := make([]string, len(got))
	for i, a := range got {
		switch {
		case a == nil:
			out[i] = "?"
		case *a:
			out[i] = "yes"
		default:
			out[i] = "no"
		}
	}
	return out
}

func TestCheckOnWhatsAppCachesForADayAndRateLimits(t *testing.T) {
	svc, net, clock := lookupHarness(t, gateway.LookupLimit{Burst: 3, Every: time.Minute})
	const off = "+4915100000099"
	if err := net.SetOnWhatsApp(off, false); err != nil {
		t.Fatal(err)
	}
	ask := func(numbers ...string) []string { return answers(svc.CheckOnWhatsApp(t.Context(), 0, numbers)) }

	// Three tokens: the first three distinct numbers are asked, in one
	// query; a number given twice is asked once; the rest cannot be told.
	got := ask("+4915100000001", off, "+4915100000001", "+4915100000002", "+4915100000003")
	if want := []string{"yes", "no", "yes", "yes", "?"}; !slices.Equal(got, want) {
		t.Fatalf("first check %v, want %v", got, want)
	}
	if n := net.Lookups(); n != 3 {
		t.Fatalf("the network was asked about %d numbers, want 3", n)
	}

	// Cached: answered without asking, even though the bucket is empty.
	if got := ask(off, "+4915100000001"); !slices.Equal(got, []string{"no", "yes"}) || net.Lookups() != 3 {
		t.Fatalf("cached answers %v after %d look-ups", got, net.Lookups())
	}
	if got := ask("+4915100000003"); !slices.Equal(got, []string{"?"}) {
		t.Fatalf("with no tokens left: %v", got)
	}

	// A minute earns one token.
	clock.Advance(time.Minute)
	if got := ask("+4915100000003", "+4915100000004"); !slices.Equal(got, []string{"yes", "?"}) || net.Lookups() != 4 {
		t.Fatalf("after a minute %v, %d look-ups", got, net.Lookups())
	}

	// The cache holds for a day: a user who joined since is still "no",
	// then, once it expired, asked again.
	if err := net.SetOnWhatsApp(off, true); err != nil {
		t.Fatal(err)
	}
	clock.Advance(23 * time.Hour)
	if got := ask(off); !slices.Equal(got, []string{"no"}) {
		t.Fatalf("within the day: %v", got)
	}
	clock.Advance(time.Hour)
	if got := ask(off); !slices.Equal(got, []string{"yes"}) || net.Lookups() != 5 {
		t.Fatalf("after the day: %v, %d look-ups", got, net.Lookups())
	}
}

// An offline number cannot tell, and what it could not ask is not spent.
func TestCheckOnWhatsAppOffline(t *testing.T) {
	svc, net, _ := lookupHarness(t, gateway.LookupLimit{Burst: 2, Every: time.Hour})
	if err := net.Fault(gw, sim.FaultDisconnect, 0); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for svc.InstanceUp(0) {
		if time.Now().After(deadline) {
			t.Fatal("still up")
		}
		time.Sleep(time.Millisecond)
	}
	if got := answers(svc.CheckOnWhatsApp(t.Context(), 0, []string{"+4915100000001", "+4915100000002"})); !slices.Equal(got, []string{"?", "?"}) {
		t.Fatalf("offline: %v", got)
	}
	if err := net.Fault(gw, sim.FaultClear, 0); err != nil {
		t.Fatal(err)
	}
	for !svc.InstanceUp(0) {
		if time.Now().After(deadline) {
			t.Fatal("not back")
		}
		time.Sleep(time.Millisecond)
	}
	if got := answers(svc.CheckOnWhatsApp(t.Context(), 0, []string{"+4915100000001", "+4915100000002"})); !slices.Equal(got, []string{"yes", "yes"}) {
		t.Fatalf("back online, with the tokens the failed query gave back: %v", got)
	}
	if got := answers(svc.CheckOnWhatsApp(t.Context(), 7, []string{"+4915100000001"})); !slices.Equal(got, []string{"?"}) {
		t.Fatalf("an instance without a number: %v", got)
	}
}
