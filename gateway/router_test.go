package gateway_test

import (
	"sync"
	"testing"

	"higate/gateway"
	"higate/registry"
)

// Inbound messages from our own gateway numbers, to themselves or to
// another of ours, directly or in a group, are ignored: no registration,
// no reply, no webhook, so two numbers can never answer each other in a
// loop.
func TestInboundFromAGatewayNumberIsIgnored(t *testing.T) {
	var mu sync.Mutex
	var seen []gateway.Event
	h := newHarness(t, registry.Pacing{}, func(o *gateway.Options) {
		o.Hooks.Inbound = func(_ registry.Instance, ev gateway.Event) {
			mu.Lock()
			seen = append(seen, ev)
			mu.Unlock()
		}
	})
	const other = "+15550000002" // a second gateway number, standby on the same instance
	if _, err := h.svc.AddNumber(registry.Number{Number: other, Instance: 0, Transport: "sim", Role: registry.RoleStandby}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("both numbers up", func() bool {
		a, _ := h.store.Number(gw)
		b, _ := h.store.Number(other)
		return a.State == registry.StateActive && b.State == registry.StateStandby
	})
	const user = "+4915100000001"
	g, err := h.net.CreateGroup("ops", user, []string{other}, gw)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, m := range [][2]string{{gw, gw}, {other, gw}, {gw, other}} {
		if err := h.net.Inbound(ctx, m[0], m[1], "Hi"); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.net.GroupInbound(ctx, other, g.ID, "Hi"); err != nil {
		t.Fatal(err)
	}
	// A user's greeting after them: once it is handled and answered, so
	// would theirs be (one number handles its events in order, and replies
	// go out in the order they were queued).
	if err := h.net.Inbound(ctx, user, gw, "Hi"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the user's confirmation", func() bool { return len(h.net.Messages(user)) == 1 })

	for _, pair := range [][2]string{{gw, gw}, {gw, other}, {other, gw}} {
		if reg, err := h.store.Registration(pair[0], pair[1]); err == nil {
			t.Errorf("%s registered on %s: %+v", pair[1], pair[0], reg)
		}
	}
	for _, n := range []string{gw, other} {
		if got := h.net.Messages(n); len(got) != 0 {
			t.Errorf("gateway number %s received %+v", n, got)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0].From != user {
		t.Fatalf("the inbound hook saw %+v, want only the user's greeting", seen)
	}
}
