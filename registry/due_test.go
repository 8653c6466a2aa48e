package registry

import (
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"higate/quota"
)

// AccountsDue finds the active accounts whose paid period ends by a time,
// follows changes of the period and status, and works on a registry
// written before the index existed.
func TestAccountsDueFollowsThePaidPeriod(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureInstance(0, "sandbox"); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 3 {
		c, err := s.CreateAccount(NewAccount{Email: "a@example.com", Plan: quota.Trial})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ClientID)
		end := day.Add(time.Duration(i) * 24 * time.Hour)
		if _, err := s.UpdateAccount(c.ClientID, func(a *Account) error { a.PaidThrough = end; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateAccount(NewAccount{Email: "operator@example.com", Plan: quota.Enterprise}); err != nil {
		t.Fatal(err) // no paid period: never due
	}
	due := func(by time.Time) []string {
		t.Helper()
		accts, err := s.AccountsDue(by)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range accts {
			out = append(out, a.ClientID)
		}
		return out
	}
	if got := due(day.Add(25 * time.Hour)); len(got) != 2 || got[0] != ids[0] || got[1] != ids[1] {
		t.Fatalf("due by day 2: %v, want %v", got, ids[:2])
	}
	// Renewed a month on, and expired: neither is due any more.
	s.UpdateAccount(ids[0], func(a *Account) error { a.PaidThrough = day.AddDate(0, 1, 0); return nil })
	s.UpdateAccount(ids[1], func(a *Account) error { a.Status = StatusExpired; return nil })
	if got := due(day.Add(49 * time.Hour)); len(got) != 1 || got[0] != ids[2] {
		t.Fatalf("after renewal and expiry: %v, want [%s]", got, ids[2])
	}

	// A registry of an earlier version has no index; opening builds it.
	err = s.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketDue) })
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := due(day.AddDate(0, 2, 0)); len(got) != 2 || got[0] != ids[2] || got[1] != ids[0] {
		t.Fatalf("rebuilt index: %v, want [%s %s]", got, ids[2], ids[0])
	}
}
