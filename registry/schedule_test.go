package registry_test

import (
	"errors"
	"testing"
	"time"

	"higate/quota"
	"higate/registry"
)

// sendAt accepts a text to user scheduled at sendAt.
func (f *fixture) sendAt(acct, user string, sendAt time.Time) (registry.Accepted, error) {
	f.t.Helper()
	return f.store.Accept(registry.SendRequest{ClientID: acct, Kind: "text", To: user, Text: "later", SendAt: sendAt})
}

func (f *fixture) register(users ...string) {
	f.t.Helper()
	for _, u := range users {
		if _, err := f.store.Register(0, gw, u, "en", "Hi"); err != nil {
			f.t.Fatal(err)
		}
	}
}

// sendNow accepts a text to user and sends it (claim and finish), so it
// counts against the window and leaves the queue.
func (f *fixture) sendNow(acct, user string) registry.Job {
	f.t.Helper()
	j := f.accept(registry.SendRequest{ClientID: acct, Kind: "text", To: user, Text: "now"})
	jobs := f.claim(gw)
	if len(jobs) != 1 || jobs[0].ID != j.ID {
		f.t.Fatalf("claimed %v, want %d", ids(jobs), j.ID)
	}
	if err := f.store.Finish([]registry.Outcome{{JobID: j.ID, Via: gw, Sent: true}}); err != nil {
		f.t.Fatal(err)
	}
	return j
}

func code(err error) int {
	var e *registry.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// A scheduled job is not in the queue until its send_at: claims do not see
// it (and tell the dispatcher when to come back), the queue depth leaves it
// out, and from send_at on it is claimed like any queued job.
func TestScheduledJobIsClaimedOnlyFromItsSendAt(t *testing.T) {
	f := newFixture(t)
	id := f.account(quota.Limits{})
	const user = "+4915100000001"
	f.register(user)
	at := f.now.Add(2 * time.Hour)
	acc, err := f.sendAt(id, user, at)
	if err != nil {
		t.Fatal(err)
	}
	if j := acc.Job; j.State != registry.JobScheduled || !j.SendAt.Equal(at) || !j.ExpiresAt.Equal(at.Add(time.Hour)) {
		t.Fatalf("accepted %+v", j)
	}
	jobs, next, err := f.store.Claim(0, gw, 10, nil)
	if err != nil || len(jobs) != 0 || !next.Equal(at) {
		t.Fatalf("claim before send_at: %v next %v err %v, want none and next %v", ids(jobs), next, err, at)
	}
	if d, s := f.store.QueueDepth(0), f.store.Scheduled(0); d != 0 || s != 1 {
		t.Fatalf("queue depth %d scheduled %d, want 0 and 1", d, s)
	}
	f.advance(2*time.Hour - time.Nanosecond)
	if jobs := f.claim(gw); len(jobs) != 0 {
		t.Fatalf("claimed %v a nanosecond before send_at", ids(jobs))
	}
	f.advance(time.Nanosecond)
	if jobs := f.claim(gw); len(jobs) != 1 || jobs[0].ID != acc.Job.ID {
		t.Fatalf("claimed %v at send_at, want %d", ids(jobs), acc.Job.ID)
	}
	if j, _ := f.store.Job(acc.Job.ID); j.State != registry.JobQueued {
		t.Fatalf("due job is %s, want queued", j.State)
	}
	if d, s := f.store.QueueDepth(0), f.store.Scheduled(0); d != 1 || s != 0 {
		t.Fatalf("queue depth %d scheduled %d after send_at, want 1 and 0", d, s)
	}
}

// send_at must be in the future and at most 30 days ahead; a rejection
// says what to do and writes nothing.
func TestSendAtBounds(t *testing.T) {
	f := newFixture(t)
	id := f.account(quota.Limits{})
	const user = "+4915100000001"
	f.register(user)
	for _, c := range []struct {
		name string
		at   time.Time
		code int
	}{
		{"past", f.now.Add(-time.Second), registry.CodeBadRequest},
		{"over 30 days", f.now.Add(registry.MaxScheduleAhead + time.Second), registry.CodeBadRequest},
		{"30 days", f.now.Add(registry.MaxScheduleAhead), 0},
		{"a second ahead", f.now.Add(time.Second), 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.sendAt(id, user, c.at)
			if code(err) != c.code {
				t.Fatalf("err %v, want code %d", err, c.code)
			}
			var e *registry.Error
			if errors.As(err, &e) && e.Remedy == "" {
				t.Fatalf("no remedy: %v", err)
			}
		})
	}
	if n := f.store.Scheduled(0); n != 2 {
		t.Fatalf("%d scheduled, want the 2 accepted", n)
	}
}

// The quota rule: a scheduled job counts against the window open at its
// send_at. If that is the window open at accept, it counts at accept (and
// a full window refuses it at once); otherwise it counts when it falls due,
// in the window open then, and fails with 469 if that one is used up.
func TestScheduledJobCountsAgainstTheWindowOfItsSendAt(t *testing.T) {
	const user = "+4915100000001"
	usage := func(f *fixture, id string) quota.Usage {
		u, err := f.store.UsageOf(id)
		if err != nil {
			t.Fatal(err)
		}
		return u.Window
	}

	t.Run("inside the open window: counted at accept", func(t *testing.T) {
		f := newFixture(t)
		id := f.account(quota.Limits{Daily: 2})
		f.register(user)
		f.sendNow(id, user) // opens the window
		acc, err := f.sendAt(id, user, f.now.Add(23*time.Hour))
		if err != nil || acc.Remaining != 0 || acc.Job.CountedAt.IsZero() {
			t.Fatalf("accept %+v err %v: want counted, 0 remaining", acc, err)
		}
		if _, err := f.sendAt(id, user, f.now.Add(time.Hour)); code(err) != registry.CodeQuota {
			t.Fatalf("third message of a window of 2: %v, want 469", err)
		}
		f.advance(23 * time.Hour)
		if jobs := f.claim(gw); len(jobs) != 1 || jobs[0].ID != acc.Job.ID {
			t.Fatalf("claimed %v", ids(jobs))
		}
		if w := usage(f, id); w.Used != 2 || !w.Start.Equal(f.now.Add(-23*time.Hour)) {
			t.Fatalf("window %+v: counted twice or moved", w)
		}
	})

	t.Run("after the open window: counted when due, in the next window", func(t *testing.T) {
		f := newFixture(t)
		id := f.account(quota.Limits{Daily: 1})
		f.register(user)
		f.sendNow(id, user) // the window's one message
		acc, err := f.sendAt(id, user, f.now.Add(25*time.Hour))
		if err != nil || !acc.Job.CountedAt.IsZero() {
			t.Fatalf("accept %+v err %v: want accepted, not counted", acc.Job, err)
		}
		f.advance(25 * time.Hour)
		jobs := f.claim(gw)
		if len(jobs) != 1 {
			t.Fatalf("claimed %v", ids(jobs))
		}
		if w := usage(f, id); w.Used != 1 || !w.Start.Equal(f.now) {
			t.Fatalf("window %+v, want a new one opened by the due job", w)
		}
		if j, _ := f.store.Job(acc.Job.ID); !j.CountedAt.Equal(f.now) {
			t.Fatalf("counted at %v", j.CountedAt)
		}
	})

	t.Run("no window open at accept: counted when due", func(t *testing.T) {
		f := newFixture(t)
		id := f.account(quota.Limits{Daily: 1})
		f.register(user)
		if _, err := f.sendAt(id, user, f.now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if w := usage(f, id); w.Used != 0 {
			t.Fatalf("window %+v after a scheduled accept", w)
		}
		// The account's one message of the window goes now.
		f.sendNow(id, user)
		f.advance(time.Hour)
		// The window open at send_at is used up: the scheduled job fails.
		if jobs := f.claim(gw); len(jobs) != 0 {
			t.Fatalf("claimed %v, want none", ids(jobs))
		}
		all, _ := f.store.Jobs(id)
		if j := all[0]; j.State != registry.JobFailed || j.ErrorCode != registry.CodeQuota || j.Refunded {
			t.Fatalf("scheduled job in a used-up window: %+v", j)
		}
		if w := usage(f, id); w.Used != 1 {
			t.Fatalf("window %+v", w)
		}
	})
}

// Scheduled jobs are on disk: a registry closed and opened again (a
// restart, or a crash: bbolt keeps what committed) still has them, and
// they go out when due.
func TestScheduledJobsSurviveReopen(t *testing.T) {
	f := newFixture(t)
	id := f.account(quota.Limits{})
	const user = "+4915100000001"
	f.register(user)
	acc, err := f.sendAt(id, user, f.now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	f.store.Close()
	f.open()
	if jobs := f.claim(gw); len(jobs) != 0 {
		t.Fatalf("claimed %v before send_at", ids(jobs))
	}
	f.advance(time.Hour)
	if jobs := f.claim(gw); len(jobs) != 1 || jobs[0].ID != acc.Job.ID {
		t.Fatalf("claimed %v after reopen, want %d", ids(jobs), acc.Job.ID)
	}
}

// While the instance cannot send, Claim does not run; Expire (which the
// dispatcher runs once a minute anyway) moves due jobs into the queue, and
// ends those due longer ago than their expiry, refunded.
func TestExpireMovesDueJobsAndEndsStaleOnes(t *testing.T) {
	f := newFixture(t)
	id := f.account(quota.Limits{Daily: 10})
	const user = "+4915100000001"
	f.register(user)
	f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "opens the window"})
	soon, err := f.sendAt(id, user, f.now.Add(10*time.Minute)) // counted at accept
	if err != nil {
		t.Fatal(err)
	}
	f.advance(10 * time.Minute)
	if _, err := f.store.Expire(0); err != nil {
		t.Fatal(err)
	}
	if j, _ := f.store.Job(soon.Job.ID); j.State != registry.JobQueued {
		t.Fatalf("due job %s after Expire, want queued", j.State)
	}
	late, err := f.sendAt(id, user, f.now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	f.advance(2 * time.Hour) // send_at and its hour of expiry pass while nothing claims
	if _, err := f.store.Expire(0); err != nil {
		t.Fatal(err)
	}
	j, _ := f.store.Job(late.Job.ID)
	if j.State != registry.JobExpired || !j.Refunded {
		t.Fatalf("stale scheduled job %+v, want expired and refunded", j)
	}
	if n := f.store.Scheduled(0); n != 0 {
		t.Fatalf("%d still scheduled", n)
	}
}

// Scheduling, like every field of the request, is part of what an
// Idempotency-Key stands for; the retry of a scheduled send replays its
// job even after send_at has passed.
func TestIdempotentScheduledSend(t *testing.T) {
	f := newFixture(t)
	id := f.account(quota.Limits{})
	const user = "+4915100000001"
	f.register(user)
	req := registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "x", SendAt: f.now.Add(time.Minute), IdempotencyKey: "k"}
	first, err := f.store.Accept(req)
	if err != nil {
		t.Fatal(err)
	}
	f.advance(2 * time.Minute)
	again, err := f.store.Accept(req)
	if err != nil || !again.Duplicate || again.Job.ID != first.Job.ID {
		t.Fatalf("retry after send_at: %+v %v", again, err)
	}
	other := req
	other.SendAt = req.SendAt.Add(time.Hour)
	if _, err := f.store.Accept(other); code(err) != registry.CodeConflict {
		t.Fatalf("same key, another send_at: %v, want 409", err)
	}
}
