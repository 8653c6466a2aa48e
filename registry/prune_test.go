package registry_test

import (
	"slices"
	"testing"
	"time"

	"higate/quota"
	"higate/registry"
)

// Past the retention, finished jobs (and their idempotency keys), finished
// webhook deliveries and events are deleted; queued jobs, pending
// deliveries and anything newer stay.
func TestPruneDeletesWhatIsPastTheRetention(t *testing.T) {
	f := newFixture(t)
	id := f.account(quota.Limits{})
	const user = "+4915100000001"
	f.store.Register(0, gw, user, "en", "Hi")
	f.store.UpdateAccount(id, func(a *registry.Account) error {
		a.Webhook = registry.Webhook{URL: "https://example.com/hook", Secret: "s", Active: true}
		return nil
	})
	sent := f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "old", IdempotencyKey: "k1"})
	f.claim(gw)
	if err := f.store.Finish([]registry.Outcome{{JobID: sent.ID, Via: gw, Sent: true}}); err != nil {
		t.Fatal(err)
	}
	f.store.AddDelivery(id, "", registry.EventInbound, map[string]string{"n": "1"})
	f.store.AddDelivery(id, "", registry.EventInbound, map[string]string{"n": "2"})
	ds, _ := f.store.Deliveries(id, 10)
	var done, pending uint64
	for _, d := range ds {
		if d.Event != registry.EventInbound {
			continue
		}
		if done == 0 {
			done = d.ID
		} else {
			pending = d.ID
		}
	}
	if _, err := f.store.DeliveryResult(done, registry.Attempt{Status: 200, OK: true}, 20); err != nil {
		t.Fatal(err)
	}
	f.store.AddEvent(registry.Event{Kind: "test", Detail: "old"})
	queued := f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "still queued"})

	if p, err := f.store.Prune(); err != nil || p != (registry.Pruned{}) {
		t.Fatalf("pruned %+v %v within the retention", p, err)
	}
	f.advance(31 * 24 * time.Hour)
	recent := f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "new"})
	f.store.AddEvent(registry.Event{Kind: "test", Detail: "new"})

	p, err := f.store.Prune()
	if err != nil || p.Jobs != 1 || p.Deliveries < 1 || p.Events < 1 {
		t.Fatalf("pruned %+v %v", p, err)
	}
	if _, err := f.store.Job(sent.ID); err != registry.ErrNotFound {
		t.Fatalf("finished job kept: %v", err)
	}
	for _, j := range []registry.Job{queued, recent} {
		if _, err := f.store.Job(j.ID); err != nil {
			t.Fatalf("job %d deleted: %v", j.ID, err)
		}
	}
	// The idempotency key went with its job: the same key makes a new one.
	again, err := f.store.Accept(registry.SendRequest{ClientID: id, Instance: 0, Kind: "text", To: user, Text: "old", IdempotencyKey: "k1"})
	if err != nil || again.Duplicate {
		t.Fatalf("key of a pruned job: %+v %v", again, err)
	}
	ds, _ = f.store.Deliveries(id, 100)
	if !slices.ContainsFunc(ds, func(d registry.Delivery) bool { return d.ID == pending }) ||
		slices.ContainsFunc(ds, func(d registry.Delivery) bool { return d.ID == done }) {
		t.Fatalf("deliveries left %+v: want pending %d kept, delivered %d gone", ds, pending, done)
	}
	evs, _ := f.store.Events(100)
	if slices.ContainsFunc(evs, func(e registry.Event) bool { return e.Detail == "old" }) ||
		!slices.ContainsFunc(evs, func(e registry.Event) bool { return e.Detail == "new" }) {
		t.Fatalf("events left %+v: want the old gone, the new kept", evs)
	}
}
