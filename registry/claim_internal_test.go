package registry

import (
	"encoding/binary"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

const testGateway = "+15550000001"

// queueStore is a registry with instance 0, its active number and one
// registered user, for tests that write jobs straight into the queue.
func queueStore(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.EnsureInstance(0, "sandbox"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddNumber(Number{Number: testGateway, Transport: "sim", Role: RoleActive, State: StateActive}); err != nil {
		t.Fatal(err)
	}
	const user = "+4915100000001"
	if _, err := s.Register(0, testGateway, user, "en", "Hi"); err != nil {
		t.Fatal(err)
	}
	return s, dir
}

// insert writes jobs of the given accounts and texts straight into the
// queue, in order.
func insert(t *testing.T, s *Store, jobs ...Job) {
	t.Helper()
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, j := range jobs {
			j.Instance, j.Kind, j.To = 0, "text", "+4915100000001"
			if j.Priority == 0 && j.Account != "" {
				j.Priority = PriorityNormal
			}
			if err := s.insertJob(tx, &j, s.now().UTC()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// claimAll claims one job at a time, as a paced number, until none is
// left, and returns their texts in order.
func claimAll(t *testing.T, s *Store) []string {
	t.Helper()
	var order []string
	for {
		jobs, _, err := s.Claim(0, testGateway, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) == 0 {
			return order
		}
		order = append(order, jobs[0].Text)
		if err := s.Finish([]Outcome{{JobID: jobs[0].ID, Via: testGateway, Sent: true}}); err != nil {
			t.Fatal(err)
		}
	}
}

// An account whose client ID is a prefix of another's is an account of its
// own: the queue key ends an account's part with a 0 byte, and Claim looks
// for an account's jobs under that.
func TestAccountsWhoseIDsShareAPrefix(t *testing.T) {
	s, _ := queueStore(t)
	insert(t, s, Job{Account: "ab", Text: "ab0"}, Job{Account: "ab", Text: "ab1"}, Job{Account: "ab", Text: "ab2"},
		Job{Account: "abc", Text: "abc0"}, Job{Account: "abc", Text: "abc1"})
	order := claimAll(t, s)
	if want := []string{"ab0", "abc0", "ab1", "abc1", "ab2"}; !slices.Equal(order, want) {
		t.Fatalf("order %v, want %v", order, want)
	}
}

// A registry of an earlier version has its queue under 17-byte keys
// (instance, priority, job); opening it moves every queued job into this
// version's queue, with each account's order kept.
func TestOpenUpgradesTheQueue(t *testing.T) {
	s, dir := queueStore(t)
	insert(t, s, Job{Account: "a", Text: "a0"}, Job{Account: "a", Text: "a1"}, Job{Account: "b", Text: "b0"},
		Job{Text: "system", Priority: PrioritySystem})
	// Rewrite the queue as an earlier version kept it.
	err := s.db.Update(func(tx *bolt.Tx) error {
		old, err := tx.CreateBucket(bucketQueueV1)
		if err != nil {
			return err
		}
		var keys [][]byte
		if err := tx.Bucket(bucketQueue).ForEach(func(k, _ []byte) error { keys = append(keys, k); return nil }); err != nil {
			return err
		}
		for _, k := range keys {
			var j Job
			if err := getJob(tx.Bucket(bucketJobs), queueKeyJob(k), &j); err != nil {
				return err
			}
			v1 := make([]byte, 17)
			binary.BigEndian.PutUint64(v1, j.Instance)
			v1[8] = j.Priority
			binary.BigEndian.PutUint64(v1[9:], j.ID)
			if err := old.Put(v1, nil); err != nil {
				return err
			}
		}
		if err := tx.DeleteBucket(bucketQueue); err != nil {
			return err
		}
		_, err = tx.CreateBucket(bucketQueue)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := s.QueueDepth(0); n != 4 {
		t.Fatalf("queue depth %d after the upgrade, want 4", n)
	}
	order := claimAll(t, s)
	if len(order) != 4 || order[0] != "system" || !slices.Contains(order, "b0") ||
		slices.Index(order, "a0") > slices.Index(order, "a1") {
		t.Fatalf("order after the upgrade %v", order)
	}
	_ = s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketQueueV1) != nil {
			t.Error("the old queue is still there")
		}
		return nil
	})
}

// A scheduled job's keys: the schedule sorts by instance, then send_at.
func TestScheduledKeyOrder(t *testing.T) {
	at := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	early := scheduledKey(Job{ID: 9, Instance: 1, SendAt: at})
	late := scheduledKey(Job{ID: 1, Instance: 1, SendAt: at.Add(time.Nanosecond)})
	other := scheduledKey(Job{ID: 1, Instance: 2, SendAt: at.Add(-time.Hour)})
	if !(string(early) < string(late) && string(late) < string(other)) {
		t.Fatal("schedule keys out of order")
	}
	if !scheduledAt(late).Equal(at.Add(time.Nanosecond)) {
		t.Fatalf("scheduledAt %v", scheduledAt(late))
	}
}

// A schedule that fell due all at once moves into the queue a chunk per
// transaction; the claim says to come back at once for the rest.
func TestDueJobsMoveInChunks(t *testing.T) {
	now := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	clock := now
	s, _ := queueStore(t)
	s.now = func() time.Time { return clock }
	jobs := make([]Job, promoteChunk+10)
	for i := range jobs {
		jobs[i] = Job{Account: "a", Text: "later", SendAt: now.Add(time.Minute)}
	}
	insert(t, s, jobs...)
	if n := s.Scheduled(0); n != len(jobs) {
		t.Fatalf("%d scheduled", n)
	}
	clock = now.Add(time.Hour)
	_, next, err := s.Claim(0, testGateway, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := s.Scheduled(0); n != 10 || next.After(clock) {
		t.Fatalf("after one claim: %d still scheduled, next %v; want 10, and next no later than now", n, next)
	}
	if _, _, err := s.Claim(0, testGateway, 1, nil); err != nil {
		t.Fatal(err)
	}
	if n := s.Scheduled(0); n != 0 {
		t.Fatalf("after two claims: %d still scheduled", n)
	}
}
