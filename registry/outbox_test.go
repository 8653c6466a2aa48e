package registry_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"higate/quota"
	"higate/registry"
)

// webhookAccount makes an account whose webhook is on and takes every event.
func (f *fixture) webhookAccount() string {
	f.t.Helper()
	id := f.account(quota.Limits{})
	if _, err := f.store.UpdateWebhook(id, func(w *registry.Webhook) error {
		*w = registry.Webhook{URL: "https://hooks.example.com/h", Secret: "s", Active: true}
		return nil
	}); err != nil {
		f.t.Fatal(err)
	}
	return id
}

// add keeps a delivery whose body names it, and returns its ID.
func (f *fixture) add(account, conversation, name string) uint64 {
	f.t.Helper()
	if kept, err := f.store.AddDelivery(account, conversation, registry.EventInbound, map[string]string{"n": name}); !kept || err != nil {
		f.t.Fatalf("add %s: %v %v", name, kept, err)
	}
	ds, _ := f.store.Deliveries(account, 1)
	return ds[0].ID
}

// due names the due deliveries by their bodies.
func (f *fixture) due() []string {
	f.t.Helper()
	ds, err := f.store.DueDeliveries(100)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, d := range ds {
		out = append(out, string(d.Body[6:len(d.Body)-2]))
	}
	slices.Sort(out)
	return out
}

func (f *fixture) result(id uint64, at registry.Attempt) bool {
	f.t.Helper()
	off, err := f.store.DeliveryResult(id, at, 20)
	if err != nil {
		f.t.Fatal(err)
	}
	return off
}

func (f *fixture) delivery(account string, id uint64) registry.Delivery {
	f.t.Helper()
	ds, _ := f.store.Deliveries(account, 1000)
	for _, d := range ds {
		if d.ID == id {
			return d
		}
	}
	f.t.Fatalf("delivery %d not found", id)
	return registry.Delivery{}
}

// Each conversation has its own line: a head that fails and waits for its
// retry holds back its own conversation only.
func TestOutboxOrderPerConversation(t *testing.T) {
	f := newFixture(t)
	id := f.webhookAccount()
	a1, a2 := f.add(id, "491510001", "a1"), f.add(id, "491510001", "a2")
	b1 := f.add(id, "491510002", "b1")
	if got := f.due(); !slices.Equal(got, []string{"a1", "b1"}) {
		t.Fatalf("due %v, want the heads a1 and b1", got)
	}
	f.result(a1, registry.Attempt{Status: 500, Error: "HTTP 500", Next: f.clock().Add(time.Minute)})
	if got := f.due(); !slices.Equal(got, []string{"b1"}) {
		t.Fatalf("due %v while a1 waits, want b1 (a2 is behind a1)", got)
	}
	b2 := f.add(id, "491510002", "b2")
	f.result(b1, registry.Attempt{Status: 200, OK: true})
	if got := f.due(); !slices.Equal(got, []string{"b2"}) {
		t.Fatalf("due %v, want b2", got)
	}
	f.result(b2, registry.Attempt{Status: 200, OK: true})
	f.advance(time.Minute)
	if got := f.due(); !slices.Equal(got, []string{"a1"}) {
		t.Fatalf("due %v after a1's wait, want a1", got)
	}
	f.result(a1, registry.Attempt{Status: 200, OK: true})
	if got := f.due(); !slices.Equal(got, []string{"a2"}) {
		t.Fatalf("due %v, want a2", got)
	}
	f.result(a2, registry.Attempt{Status: 200, OK: true})
	if got := f.due(); len(got) != 0 {
		t.Fatalf("left %v", got)
	}
	if d := f.delivery(id, a1); d.State != registry.DeliveryDelivered || d.Attempts != 2 {
		t.Fatalf("a1 %+v", d)
	}
}

// Events while the webhook is off are held, not lost: a replay sends them
// after the ones that failed, each conversation in order, with a fresh
// period of retries and the same created_at. Deliveries still pending when
// the webhook goes off are held too.
func TestOutboxHoldsEventsWhileOffForReplay(t *testing.T) {
	f := newFixture(t)
	id := f.webhookAccount()
	a1 := f.add(id, "491510001", "a1")
	created := f.delivery(id, a1).CreatedAt
	f.result(a1, registry.Attempt{Status: 500, GiveUp: true}) // 24 h of retries over
	a2 := f.add(id, "491510001", "a2")
	b1 := f.add(id, "491510002", "b1") // pending, not tried yet
	if off := f.result(a2, registry.Attempt{Status: 410, Gone: true, GiveUp: true}); !off {
		t.Fatal("410 did not switch the webhook off")
	}
	if got := f.due(); len(got) != 0 {
		t.Fatalf("due %v while off", got)
	}
	a3 := f.add(id, "491510001", "a3") // while off
	for dlv, want := range map[uint64]registry.DeliveryState{a1: registry.DeliveryFailed, a2: registry.DeliveryFailed,
		b1: registry.DeliveryHeld, a3: registry.DeliveryHeld} {
		if d := f.delivery(id, dlv); d.State != want {
			t.Fatalf("delivery %d is %s, want %s", dlv, d.State, want)
		}
	}
	if got := f.due(); len(got) != 0 {
		t.Fatalf("due %v while off", got)
	}

	f.advance(time.Hour)
	n, err := f.store.Replay(id)
	if err != nil || n != 4 {
		t.Fatalf("replayed %d, %v; want 4", n, err)
	}
	var order []string
	for range 4 {
		due, _ := f.store.DueDeliveries(100)
		for _, d := range due {
			if d.Conversation == "491510001" {
				order = append(order, string(d.Body[6:len(d.Body)-2]))
			}
			f.result(d.ID, registry.Attempt{Status: 200, OK: true})
		}
	}
	if !slices.Equal(order, []string{"a1", "a2", "a3"}) {
		t.Fatalf("conversation A replayed as %v", order)
	}
	d := f.delivery(id, a1)
	if !d.CreatedAt.Equal(created) || !d.RetrySince.Equal(f.clock()) || d.State != registry.DeliveryDelivered {
		t.Fatalf("a1 after replay %+v (created %v)", d, created)
	}
}

// Switching the webhook off holds what is pending, switching it on again
// does not send what was held (a replay does), and events while off are
// held, as statusChanged's are.
func TestOutboxUpdateWebhookHoldsAndResumes(t *testing.T) {
	f := newFixture(t)
	id := f.webhookAccount()
	f.add(id, "491510001", "a1")
	off := func(active bool) {
		t.Helper()
		if _, err := f.store.UpdateWebhook(id, func(w *registry.Webhook) error { w.Active = active; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	off(false)
	if got := f.due(); len(got) != 0 {
		t.Fatalf("due %v while off", got)
	}
	f.add(id, "491510002", "b1")
	off(true)
	if got := f.due(); len(got) != 0 {
		t.Fatalf("due %v after switching on: held ones wait for a replay", got)
	}
	f.add(id, "491510002", "b2")
	if got := f.due(); !slices.Equal(got, []string{"b2"}) {
		t.Fatalf("due %v, want the new event", got)
	}
	// No URL, or not subscribed: nothing is kept.
	f.store.UpdateWebhook(id, func(w *registry.Webhook) error { w.Events = []string{registry.EventJobStatus}; return nil })
	if kept, _ := f.store.AddDelivery(id, "x", registry.EventInbound, map[string]string{"n": "x"}); kept {
		t.Fatal("kept an event the webhook does not subscribe to")
	}
}

// Retention applies to held deliveries as to finished ones; pending ones
// are kept however old.
func TestPruneDeletesOldHeldDeliveries(t *testing.T) {
	f := newFixture(t)
	held, pending := f.webhookAccount(), f.webhookAccount()
	f.store.UpdateWebhook(held, func(w *registry.Webhook) error { w.Active = false; return nil })
	h := f.add(held, "491510001", "held")
	p := f.add(pending, "491510001", "pending")
	f.advance(31 * 24 * time.Hour)
	pr, err := f.store.Prune()
	if err != nil || pr.Deliveries != 1 {
		t.Fatalf("pruned %+v, %v; want the held delivery", pr, err)
	}
	if ds, _ := f.store.Deliveries(held, 10); slices.ContainsFunc(ds, func(d registry.Delivery) bool { return d.ID == h }) {
		t.Fatal("held delivery kept past the retention")
	}
	if got := f.due(); !slices.Equal(got, []string{"pending"}) || f.delivery(pending, p).State != registry.DeliveryPending {
		t.Fatalf("pending delivery: due %v", got)
	}
	if n, err := f.store.Replay(held); err != nil || n != 0 {
		t.Fatalf("replay after pruning: %d %v", n, err)
	}
}

// A receiver that is down for a moment fails the heads of many
// conversations at once; that alone does not switch the webhook off. It goes
// off when one delivery has failed 20 times with no success in between.
func TestOutboxSwitchesOffAfterOneDeliveryFailsTwentyTimes(t *testing.T) {
	f := newFixture(t)
	id := f.webhookAccount()
	var first uint64
	for i := range 25 {
		d := f.add(id, fmt.Sprint(491510000+i), "x")
		if i == 0 {
			first = d
		}
		if f.result(d, registry.Attempt{Status: 503, Next: f.clock()}) {
			t.Fatalf("switched off after %d failures of different deliveries", i+1)
		}
	}
	for i := 2; i <= 20; i++ {
		if off := f.result(first, registry.Attempt{Status: 503, Next: f.clock()}); off != (i == 20) {
			t.Fatalf("attempt %d of one delivery: switched off %v", i, off)
		}
	}
	if a, _ := f.store.Account(id); a.Webhook.Active || a.Webhook.Fails != 44 {
		t.Fatalf("webhook %+v", a.Webhook)
	}
}

// Job status events go in the conversation with the job's recipient.
func TestJobStatusInRecipientsConversation(t *testing.T) {
	f := newFixture(t)
	id := f.webhookAccount()
	const user = "+4915100000001"
	f.store.Register(0, gw, user, "en", "Hi")
	j := f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "x"})
	f.claim(gw)
	if err := f.store.Finish([]registry.Outcome{{JobID: j.ID, Via: gw, Sent: true}}); err != nil {
		t.Fatal(err)
	}
	ds, _ := f.store.Deliveries(id, 1)
	if len(ds) != 1 || ds[0].Event != registry.EventJobStatus || ds[0].Conversation != "4915100000001" {
		t.Fatalf("deliveries %+v", ds)
	}
	if c := registry.Conversation("", "+4915100000009", "Team"); c != "group:4915100000009:Team" {
		t.Fatalf("group conversation %q", c)
	}
}

// BenchmarkDueDeliveries polls an outbox where 10,000 conversations wait
// for a retry and one is due: the poll reads the due one, not the backlog.
func BenchmarkDueDeliveries(b *testing.B) {
	now := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	store, err := registry.Open(b.TempDir(), registry.Options{Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	store.EnsureInstance(0, "sandbox")
	c, _ := store.CreateAccount(registry.NewAccount{Email: "a@example.com", Plan: quota.Enterprise})
	store.UpdateWebhook(c.ClientID, func(w *registry.Webhook) error {
		*w = registry.Webhook{URL: "https://hooks.example.com/h", Secret: "s", Active: true}
		return nil
	})
	// Concurrent writers share the registry's group commits.
	var wg sync.WaitGroup
	for g := range 100 {
		wg.Go(func() {
			for i := range 100 {
				conv := fmt.Sprint(491500000000 + g*100 + i)
				store.AddDelivery(c.ClientID, conv, registry.EventInbound, map[string]string{"n": conv})
			}
		})
	}
	wg.Wait()
	ds, _ := store.Deliveries(c.ClientID, 10000)
	for g := range 100 {
		wg.Go(func() {
			for _, d := range ds[g*100 : g*100+100] {
				store.DeliveryResult(d.ID, registry.Attempt{Status: 500, Next: now.Add(time.Hour)}, 1<<30)
			}
		})
	}
	wg.Wait()
	store.AddDelivery(c.ClientID, "due", registry.EventInbound, map[string]string{"n": "due"})
	for b.Loop() {
		if due, _ := store.DueDeliveries(32); len(due) != 1 {
			b.Fatalf("due %d", len(due))
		}
	}
}

// An account's deliveries are listed through its own index: newest first,
// none of another account's, and pruned ones leave it.
func TestDeliveriesOfOneAccount(t *testing.T) {
	f := newFixture(t)
	a, b := f.webhookAccount(), f.webhookAccount()
	for i := range 5 {
		for _, acct := range []string{a, b, b} {
			if _, err := f.store.AddDelivery(acct, fmt.Sprint("49151", i), registry.EventInbound, map[string]int{"n": i}); err != nil {
				t.Fatal(err)
			}
		}
		f.advance(time.Hour)
	}
	ds, err := f.store.Deliveries(a, 3)
	if err != nil || len(ds) != 3 {
		t.Fatalf("deliveries %d, %v", len(ds), err)
	}
	for i, d := range ds {
		if d.Account != a || string(d.Body) != fmt.Sprintf(`{"n":%d}`, 4-i) {
			t.Fatalf("delivery %d: %s of %s, want n %d of %s", i, d.Body, d.Account, 4-i, a)
		}
	}
	// Past the retention the delivered ones go, from the list too.
	all, _ := f.store.Deliveries(b, 100)
	for _, d := range all {
		if _, err := f.store.DeliveryResult(d.ID, registry.Attempt{Status: 200, OK: true}, 20); err != nil {
			t.Fatal(err)
		}
	}
	f.advance(31 * 24 * time.Hour)
	if _, err := f.store.Prune(); err != nil {
		t.Fatal(err)
	}
	if ds, _ := f.store.Deliveries(b, 100); len(ds) != 0 || f.store.IndexedDeliveries(b) != 0 {
		t.Fatalf("%d of b's deliveries after they were pruned, %d in the index", len(ds), f.store.IndexedDeliveries(b))
	}
	if ds, _ := f.store.Deliveries(a, 100); len(ds) != 5 {
		t.Fatalf("%d of a's pending deliveries after the prune, want 5", len(ds))
	}
}

// BenchmarkDeliveries is the portal's webhook page of an account with 10
// deliveries, in an outbox of 100,000 of other accounts'.
func BenchmarkDeliveries(b *testing.B) {
	now := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	store, err := registry.Open(b.TempDir(), registry.Options{Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	store.EnsureInstance(0, "sandbox")
	var accounts []string
	for range 101 {
		c, _ := store.CreateAccount(registry.NewAccount{Email: "a@example.com", Plan: quota.Enterprise})
		store.UpdateWebhook(c.ClientID, func(w *registry.Webhook) error {
			*w = registry.Webhook{URL: "https://hooks.example.com/h", Secret: "s", Active: true}
			return nil
		})
		accounts = append(accounts, c.ClientID)
	}
	var wg sync.WaitGroup
	for g := range 100 {
		wg.Go(func() {
			for i := range 1000 {
				store.AddDelivery(accounts[g], fmt.Sprint(491500000000+i), registry.EventInbound, map[string]int{"n": i})
			}
		})
	}
	wg.Wait()
	for i := range 10 {
		store.AddDelivery(accounts[100], "4915100000001", registry.EventInbound, map[string]int{"n": i})
	}
	b.ReportAllocs()
	for b.Loop() {
		if ds, _ := store.Deliveries(accounts[100], 100); len(ds) != 10 {
			b.Fatalf("%d deliveries", len(ds))
		}
	}
}
