package registry

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// The group commit answers every caller with its own outcome: a failing
// function rolls back only itself, a panicking one becomes its caller's
// error, and the rest of its group commits. Calls racing Close either
// commit or get errClosed; none is left waiting.
func TestGroupCommit(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	put := func(k string) func(*bolt.Tx) error {
		return func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put([]byte(k), []byte("v")) }
	}
	bad := errors.New("bad")
	var wg sync.WaitGroup
	errs := make([]error, 300)
	for i := range errs {
		wg.Go(func() {
			switch i % 3 {
			case 0:
				errs[i] = s.batch(put(fmt.Sprint("ok", i)))
			case 1:
				errs[i] = s.batch(func(tx *bolt.Tx) error { put("failed")(tx); return bad })
			case 2:
				errs[i] = s.batch(func(tx *bolt.Tx) error { put("panicked")(tx); panic("boom") })
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		switch {
		case i%3 == 0 && err != nil, i%3 == 1 && err != bad, i%3 == 2 && err == nil:
			t.Fatalf("call %d (kind %d): %v", i, i%3, err)
		}
	}
	s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMeta)
		if b.Get([]byte("failed")) != nil || b.Get([]byte("panicked")) != nil || b.Get([]byte("ok0")) == nil {
			t.Error("a failed call's write committed, or a good one's did not")
		}
		return nil
	})

	for i := range 100 {
		wg.Go(func() {
			if err := s.batch(put(fmt.Sprint("late", i))); err != nil && err != errClosed {
				t.Errorf("call racing Close: %v", err)
			}
		})
	}
	s.Close()
	wg.Wait()
}
