package registry_test

import (
	"bytes"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"higate/quota"
	"higate/registry"
)

// An Idempotency-Key replays its job for the same request, and is a 409
// for another body or another endpoint; the request is compared in its
// canonical form, so what validation normalizes does not count.
func TestIdempotencyKeyIsBoundToItsRequest(t *testing.T) {
	f := newFixture(t)
	id := f.account(quota.Limits{})
	const user = "+4915100000001"
	if _, err := f.store.Register(0, gw, user, "en", "Hi"); err != nil {
		t.Fatal(err)
	}
	first := registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "hello", IdempotencyKey: "k1"}
	orig := f.accept(first)

	again, err := f.store.Accept(first)
	if err != nil || !again.Duplicate || again.Job.ID != orig.ID {
		t.Fatalf("the same request again: %+v %v, want a replay of job %d", again, err, orig.ID)
	}
	for name, req := range map[string]registry.SendRequest{
		"another text":     {ClientID: id, Kind: "text", To: user, Text: "hello!", IdempotencyKey: "k1"},
		"another number":   {ClientID: id, Kind: "text", To: "+4915100000002", Text: "hello", IdempotencyKey: "k1"},
		"another endpoint": {ClientID: id, Kind: "url", To: user, Text: "hello", IdempotencyKey: "k1"},
		"another instance": {ClientID: id, Instance: 3, Kind: "text", To: user, Text: "hello", IdempotencyKey: "k1"},
		"a group":          {ClientID: id, Kind: "text", GroupName: user, Text: "hello", IdempotencyKey: "k1"},
		"a caption":        {ClientID: id, Kind: "text", To: user, Text: "hello", Caption: "x", IdempotencyKey: "k1"},
	} {
		acc, err := f.store.Accept(req)
		if registry.ErrorCode(err) != registry.CodeConflict || acc.Duplicate {
			t.Errorf("%s with a used key: %+v %v, want 409", name, acc, err)
		}
	}
	// Another account's key of the same name is its own.
	other := f.account(quota.Limits{})
	if acc, err := f.store.Accept(registry.SendRequest{ClientID: other, Kind: "text", To: user, Text: "bye", IdempotencyKey: "k1"}); err != nil || acc.Duplicate {
		t.Fatalf("another account's k1: %+v %v", acc, err)
	}
	if u, _ := f.store.UsageOf(id); u.Window.Used != 1 {
		t.Fatalf("counted %d messages, want 1", u.Window.Used)
	}
}

// A key stored before requests were fingerprinted (its value is the job ID
// alone) keeps replaying its job, whatever the request, as it did then.
func TestIdempotencyKeyStoredBeforeFingerprintsStillReplays(t *testing.T) {
	f := newFixture(t)
	id := f.account(quota.Limits{})
	const user = "+4915100000001"
	if _, err := f.store.Register(0, gw, user, "en", "Hi"); err != nil {
		t.Fatal(err)
	}
	orig := f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "hello", IdempotencyKey: "old"})

	// Rewrite the stored value as an earlier version wrote it.
	f.store.Close()
	db, err := bolt.Open(filepath.Join(f.dir, "higate.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("idempotency"))
		k := []byte(id + "\x00old")
		v := b.Get(k)
		if len(v) != 8+32 {
			t.Errorf("stored value is %d bytes, want the job ID and a SHA-256", len(v))
			return nil
		}
		return b.Put(k, bytes.Clone(v[:8]))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	f.open()

	acc, err := f.store.Accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "something else", IdempotencyKey: "old"})
	if err != nil || !acc.Duplicate || acc.Job.ID != orig.ID {
		t.Fatalf("old key: %+v %v, want a replay of job %d", acc, err, orig.ID)
	}
}
