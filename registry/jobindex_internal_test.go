package registry

import (
	"fmt"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"higate/quota"
)

// seedJobs writes n jobs per account straight into the registry, the
// accounts taking turns (as their sends interleave in a real registry), in
// transactions of seedChunk jobs. It returns the accounts' client IDs.
func seedJobs(tb testing.TB, s *Store, accounts, n int) []string {
	tb.Helper()
	if err := s.EnsureInstance(0, "sandbox"); err != nil {
		tb.Fatal(err)
	}
	nas := make([]NewAccount, accounts)
	for i := range nas {
		nas[i] = NewAccount{Email: "a@example.com", Plan: quota.Enterprise}
	}
	creds, err := s.SeedAccounts(nas)
	if err != nil {
		tb.Fatal(err)
	}
	ids := make([]string, accounts)
	for i, c := range creds {
		ids[i] = c.ClientID
	}
	states := []JobState{JobDelivered, JobDelivered, JobRead, JobDelivered, JobSent, JobDelivered, JobRead, JobDelivered, JobDelivered, JobFailed}
	total := accounts * n
	for done := 0; done < total; {
		err := s.db.Update(func(tx *bolt.Tx) error {
			for i := 0; i < seedChunk && done < total; i, done = i+1, done+1 {
				j := Job{Account: ids[done%accounts], Priority: PriorityAPI, Kind: "text",
					To: fmt.Sprintf("+49151%08d", done%1000), Text: "Your code is 123456"}
				if err := s.insertJob(tx, &j, s.now().UTC()); err != nil {
					return err
				}
				j.State = states[(done/accounts)%len(states)]
				if err := putJob(tx.Bucket(bucketJobs), u64(j.ID), j); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return ids
}

// A registry written before the account job index existed gets it built
// when opened.
func TestAccountJobIndexIsBuiltOnOpen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ids := seedJobs(t, s, 3, 4)
	want, _, err := s.JobsOf(ids[1], JobFilter{})
	if err != nil || len(want) != 4 {
		t.Fatalf("before: %d jobs, %v", len(want), err)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketAccountJobs) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, _, err := s.JobsOf(ids[1], JobFilter{})
	if err != nil || !slices.EqualFunc(got, want, func(a, b Job) bool { return a.ID == b.ID }) {
		t.Fatalf("rebuilt: %d jobs %v, want %d", len(got), err, len(want))
	}
}

// A filter that matches none of an account's many jobs reads a bounded
// number of them per call and returns a cursor to go on from; following
// the cursors reaches the end.
func TestJobsOfBoundsItsScan(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ids := seedJobs(t, s, 1, jobsScanBudget+50)
	calls := 0
	var before uint64
	for {
		jobs, next, err := s.JobsOf(ids[0], JobFilter{State: JobExpired, Before: before})
		if err != nil || len(jobs) != 0 {
			t.Fatalf("expired jobs: %d, %v", len(jobs), err)
		}
		calls++
		if next == 0 {
			break
		}
		if calls > 2 || (before != 0 && next >= before) {
			t.Fatalf("call %d: next %d after %d", calls, next, before)
		}
		before = next
	}
	if calls != 2 {
		t.Fatalf("%d calls for %d jobs, want 2", calls, jobsScanBudget+50)
	}
}

// BenchmarkJobsOf is the developer portal's jobs page: one account's
// newest page, a page filtered by state, and a page deep in its history,
// on a registry of 200,000 jobs of 1,000 accounts.
func BenchmarkJobsOf(b *testing.B) {
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ids := seedJobs(b, s, 1000, 200)
	deep, _, err := s.JobsOf(ids[500], JobFilter{Limit: 150})
	if err != nil || len(deep) != 150 {
		b.Fatalf("setup: %d %v", len(deep), err)
	}
	for _, bc := range []struct {
		name   string
		filter JobFilter
		want   int
	}{
		{"newest", JobFilter{}, DefaultJobsLimit},
		{"failed", JobFilter{State: JobFailed}, 20},
		{"deep", JobFilter{Before: deep[149].ID}, DefaultJobsLimit},
		{"last-hour", JobFilter{Since: time.Now().Add(-time.Hour)}, DefaultJobsLimit},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				jobs, _, err := s.JobsOf(ids[500], bc.filter)
				if err != nil || len(jobs) != bc.want {
					b.Fatalf("%d jobs, %v; want %d", len(jobs), err, bc.want)
				}
			}
		})
	}
}
