package registry

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
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

// flushIndex brings the account job index up to date now.
func flushIndex(tb testing.TB, s *Store) {
	tb.Helper()
	for {
		more, err := s.catchUpIndex()
		if err != nil {
			tb.Fatal(err)
		}
		if !more {
			return
		}
	}
}

// BenchmarkJobsOf is the developer portal's jobs page: one account's
// newest page, a page filtered by state, and a page deep in its history,
// on a registry of 200,000 jobs of 1,000 accounts; and the newest page
// again with indexBatch jobs more that the index has not taken in yet (the
// most the indexer leaves, give or take a quarter of a second's accepts).
func BenchmarkJobsOf(b *testing.B) {
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	s.stopIndexer()
	ids := seedJobs(b, s, 1000, 200)
	flushIndex(b, s)
	deep, _, err := s.JobsOf(ids[500], JobFilter{Limit: 150})
	if err != nil || len(deep) != 150 {
		b.Fatalf("setup: %d %v", len(deep), err)
	}
	for _, bc := range []struct {
		name   string
		filter JobFilter
		want   int
		tail   int // jobs to add before, left out of the index
	}{
		{"newest", JobFilter{}, DefaultJobsLimit, 0},
		{"failed", JobFilter{State: JobFailed}, 20, 0},
		{"deep", JobFilter{Before: deep[149].ID}, DefaultJobsLimit, 0},
		{"last-hour", JobFilter{Since: time.Now().Add(-time.Hour)}, DefaultJobsLimit, 0},
		{"newest-tail", JobFilter{}, DefaultJobsLimit, indexBatch},
	} {
		if bc.tail > 0 {
			seedMore(b, s, ids, bc.tail)
		}
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

// seedMore adds n jobs, the accounts taking turns.
func seedMore(tb testing.TB, s *Store, ids []string, n int) {
	tb.Helper()
	err := s.db.Update(func(tx *bolt.Tx) error {
		for i := range n {
			j := Job{Account: ids[i%len(ids)], Priority: PriorityAPI, Kind: "text", To: "+4915100000001", Text: "more"}
			if err := s.insertJob(tx, &j, s.now().UTC()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// allJobsOf is JobsOf by brute force: every job of the account that
// matches f (its Limit and Before aside), newest first.
func allJobsOf(t *testing.T, s *Store, clientID string, f JobFilter) []Job {
	t.Helper()
	var out []Job
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketJobs).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var j Job
			if err := decodeJob(v, &j); err != nil {
				return err
			}
			switch {
			case j.Account != clientID,
				f.State != "" && j.State != f.State,
				f.Number != "" && j.To != f.Number,
				!f.Since.IsZero() && j.CreatedAt.Before(f.Since),
				!f.Until.IsZero() && !j.CreatedAt.Before(f.Until):
				continue
			}
			out = append(out, j)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// JobsOf finds every job whether the index has taken it in yet or not:
// with the watermark at the start, in the middle and at the end of the
// jobs, every filter's pages, followed by their cursors, are exactly the
// account's matching jobs, newest first, each once.
func TestJobsOfReadsTheTailAndTheIndex(t *testing.T) {
	var mu sync.Mutex
	clock := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s, err := Open(t.TempDir(), Options{Now: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(time.Second) // every job its own second
		return clock
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.stopIndexer() // the test moves the watermark itself
	ids := seedJobs(t, s, 3, 200)
	mid := clock.Add(-300 * time.Second)
	filters := map[string]JobFilter{
		"all":       {},
		"delivered": {State: JobDelivered},
		"failed":    {State: JobFailed},
		"number":    {Number: "+4915100000004"},
		"since":     {Since: mid},
		"until":     {Until: mid},
		"window":    {Since: mid.Add(-100 * time.Second), Until: mid.Add(100 * time.Second)},
	}
	check := func(where string) {
		t.Helper()
		for _, id := range ids {
			for name, f := range filters {
				want := allJobsOf(t, s, id, f)
				for _, limit := range []int{1, 7, 50} {
					var got []Job
					f.Limit, f.Before = limit, 0
					for calls := 0; ; calls++ {
						page, next, err := s.JobsOf(id, f)
						if err != nil {
							t.Fatal(err)
						}
						got = append(got, page...)
						if next == 0 {
							break
						}
						if calls > len(want)+2 {
							t.Fatalf("%s, %s, limit %d: the cursors do not end", where, name, limit)
						}
						f.Before = next
					}
					if !slices.EqualFunc(got, want, func(a, b Job) bool { return a.ID == b.ID }) {
						t.Fatalf("%s, %s, limit %d: %d jobs, want %d", where, name, limit, len(got), len(want))
					}
				}
			}
		}
	}
	check("nothing indexed")
	var last uint64
	if err := s.db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketJobs).Cursor().Last()
		last = binary.BigEndian.Uint64(k)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	flushIndex(t, s)
	check("all indexed")
	if err := s.db.Update(func(tx *bolt.Tx) error { return setIndexedThrough(tx, last/2) }); err != nil {
		t.Fatal(err)
	}
	// Entries after the watermark are ignored: those jobs are read from
	// the tail, once.
	check("half indexed")
}

// waitIndexed polls until the index has taken in every job.
func waitIndexed(t *testing.T, s *Store) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var through, last uint64
		if err := s.db.View(func(tx *bolt.Tx) error {
			through = indexedThrough(tx)
			k, _ := tx.Bucket(bucketJobs).Cursor().Last()
			last = binary.BigEndian.Uint64(k)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if through == last {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("index through job %d of %d after 10 s", through, last)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The indexer takes in new jobs by itself, and after a restart the jobs
// the last run left after the watermark, with no new job to wake it.
func TestIndexCatchesUpInTheBackground(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	seedJobs(t, s, 2, 10)
	waitIndexed(t, s)

	s.stopIndexer() // as a crash would: jobs written, not indexed
	seedJobs(t, s, 2, 10)
	s.Close()
	if s, err = Open(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	waitIndexed(t, s)
}

// A registry whose accepts wrote the index (before it was kept in the
// background) has no watermark; opening it sets one at its last job, and
// its jobs are listed once each.
func TestIndexWatermarkOfAnEarlierRegistry(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.stopIndexer()
	ids := seedJobs(t, s, 2, 30)
	flushIndex(t, s)
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(metaIndexedThrough) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var through uint64
	s.db.View(func(tx *bolt.Tx) error { through = indexedThrough(tx); return nil })
	if through != 60 {
		t.Fatalf("watermark %d after opening, want 60", through)
	}
	jobs, _, err := s.JobsOf(ids[0], JobFilter{Limit: 100})
	if err != nil || len(jobs) != 30 {
		t.Fatalf("%d jobs, %v; want 30", len(jobs), err)
	}
}
