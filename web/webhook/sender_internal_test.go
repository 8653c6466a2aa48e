package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"higate/quota"
	"higate/registry"
)

// A pass of Run reads the due deliveries, then claims their conversations
// one by one. An attempt of the same conversation that ends in between
// (recorded, then released) leaves the pass's list stale: claiming the
// conversation again from it would deliver the same delivery twice. The
// conversation waits for the next pass, which reads the outbox afresh.
func TestAttemptEndedDuringAPassIsNotMadeAgain(t *testing.T) {
	var hits atomic.Int32
	rc := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer rc.Close()
	store, err := registry.Open(t.TempDir(), registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	store.EnsureInstance(0, "sandbox")
	c, _ := store.CreateAccount(registry.NewAccount{Email: "a@example.com", Plan: quota.Enterprise})
	store.UpdateWebhook(c.ClientID, func(w *registry.Webhook) error {
		*w = registry.Webhook{URL: rc.URL, Secret: "s", Active: true}
		return nil
	})
	if _, err := store.AddDelivery(c.ClientID, "4915112340001", registry.EventInbound, map[string]string{"message": "Hello"}); err != nil {
		t.Fatal(err)
	}
	s := New(Options{Store: store, AllowPrivate: true})
	ctx := context.Background()

	s.beginPass()
	due, err := store.DueDeliveries(32)
	if err != nil || len(due) != 1 {
		t.Fatalf("due %d, %v", len(due), err)
	}
	conv := due[0].Account + "\x00" + due[0].Conversation
	// A worker of an earlier pass, finishing now, as Run's workers do.
	if !s.claim(conv) {
		t.Fatal("first claim refused")
	}
	s.deliver(ctx, due[0])
	s.release(conv)
	// The rest of this pass, from the list it read before.
	for _, d := range due {
		if c := d.Account + "\x00" + d.Conversation; s.claim(c) {
			s.deliver(ctx, d)
			s.release(c)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("the receiver got the delivery %d times", n)
	}
	s.beginPass()
	if due, _ := store.DueDeliveries(32); len(due) != 0 {
		t.Fatalf("still due after it was delivered: %+v", due)
	}
}
