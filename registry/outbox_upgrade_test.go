package registry

import (
	"encoding/json"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"higate/quota"
)

// A registry written before deliveries were ordered per conversation has
// its pending deliveries in a per-account index. Opening it moves them to
// the new indexes: an active webhook's go on in their order, an inactive
// one's are held for its replay.
func TestOpenUpgradesPerAccountOutbox(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	s, err := Open(dir, Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	s.EnsureInstance(0, "sandbox")
	var on, off string
	for i, active := range []bool{true, false} {
		c, err := s.CreateAccount(NewAccount{Email: "a@example.com", Plan: quota.Enterprise})
		if err != nil {
			t.Fatal(err)
		}
		s.UpdateWebhook(c.ClientID, func(w *Webhook) error {
			*w = Webhook{URL: "https://hooks.example.com/h", Secret: "s", Active: active}
			return nil
		})
		if i == 0 {
			on = c.ClientID
		} else {
			off = c.ClientID
		}
	}
	// Write the outbox as the earlier version did.
	err = s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketOutboxQueue, bucketOutboxHeads, bucketOutboxDue, bucketAccountDeliveries} {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
		}
		old, err := tx.CreateBucket(bucketOutboxPendingV1)
		if err != nil {
			return err
		}
		ob := tx.Bucket(bucketOutbox)
		for i, account := range []string{on, on, off, on} {
			id, _ := ob.NextSequence()
			body, _ := json.Marshal(map[string]int{"n": i})
			d := Delivery{ID: id, Account: account, Event: EventInbound, Body: body, State: DeliveryPending, NextAt: now, CreatedAt: now}
			if err := putJSON(ob, u64(id), d); err != nil {
				return err
			}
			if err := old.Put(append([]byte(account+"\x00"), u64(id)...), nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	if s, err = Open(dir, Options{Now: func() time.Time { return now }}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketOutboxPendingV1) != nil {
			t.Error("old index kept")
		}
		return nil
	})
	var order []string
	for range 4 {
		due, err := s.DueDeliveries(10)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) > 1 {
			t.Fatalf("due %+v: one account's old deliveries are one line", due)
		}
		for _, d := range due {
			order = append(order, string(d.Body))
			if _, err := s.DeliveryResult(d.ID, Attempt{Status: 200, OK: true}, 20); err != nil {
				t.Fatal(err)
			}
		}
	}
	if want := []string{`{"n":0}`, `{"n":1}`, `{"n":3}`}; len(order) != 3 || order[0] != want[0] || order[1] != want[1] || order[2] != want[2] {
		t.Fatalf("delivered %v, want %v", order, want)
	}
	ds, _ := s.Deliveries(off, 10)
	if len(ds) != 1 || ds[0].State != DeliveryHeld {
		t.Fatalf("inactive webhook's delivery %+v, want held", ds)
	}
	if n, err := s.Replay(off); err != nil || n != 1 {
		t.Fatalf("replay %d %v", n, err)
	}
	if due, _ := s.DueDeliveries(10); len(due) != 1 || due[0].Account != off {
		t.Fatalf("due after replay %+v", due)
	}
}
