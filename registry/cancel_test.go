package registry_test

import (
	"testing"
	"time"

	"higate/quota"
	"higate/registry"
)

// Cancel takes a job that has not left out of wherever it waits, marks it
// canceled and gives its message back to the window it was counted in.
func TestCancelScheduledQueuedAndParkedJobs(t *testing.T) {
	const user = "+4915100000001"
	used := func(f *fixture, id string) int {
		u, _ := f.store.UsageOf(id)
		return u.Window.Used
	}

	t.Run("queued", func(t *testing.T) {
		f := newFixture(t)
		id := f.account(quota.Limits{Daily: 5})
		f.register(user)
		j := f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "x"})
		got, err := f.store.Cancel(id, j.ID)
		if err != nil || got.State != registry.JobCanceled || !got.Refunded {
			t.Fatalf("cancel: %+v %v", got, err)
		}
		if n := used(f, id); n != 0 {
			t.Fatalf("window used %d after the refund", n)
		}
		if jobs := f.claim(gw); len(jobs) != 0 || f.store.QueueDepth(0) != 0 {
			t.Fatalf("canceled job still queued: %v", ids(jobs))
		}
	})

	t.Run("scheduled, counted at accept", func(t *testing.T) {
		f := newFixture(t)
		id := f.account(quota.Limits{Daily: 5})
		f.register(user)
		f.sendNow(id, user) // opens the window
		acc, err := f.sendAt(id, user, f.now.Add(time.Hour))
		if err != nil || used(f, id) != 2 {
			t.Fatalf("accept %v, used %d", err, used(f, id))
		}
		if _, err := f.store.Cancel(id, acc.Job.ID); err != nil {
			t.Fatal(err)
		}
		if n := used(f, id); n != 1 {
			t.Fatalf("window used %d, want 1 after the refund", n)
		}
		f.advance(time.Hour)
		if jobs := f.claim(gw); len(jobs) != 0 || f.store.Scheduled(0) != 0 {
			t.Fatalf("canceled scheduled job claimed: %v", ids(jobs))
		}
	})

	t.Run("scheduled, not counted yet", func(t *testing.T) {
		f := newFixture(t)
		id := f.account(quota.Limits{Daily: 5})
		f.register(user)
		acc, err := f.sendAt(id, user, f.now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.store.Cancel(id, acc.Job.ID)
		if err != nil || got.Refunded || used(f, id) != 0 {
			t.Fatalf("cancel %+v %v: nothing was counted, so nothing is refunded", got, err)
		}
	})

	t.Run("awaiting re-registration", func(t *testing.T) {
		f := newFixture(t)
		id := f.account(quota.Limits{Daily: 5})
		f.register(user)
		j := f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "x"})
		f.failover(gw2)
		if jobs := f.claim(gw2); len(jobs) != 0 {
			t.Fatalf("claimed %v", ids(jobs))
		}
		if got, _ := f.store.Job(j.ID); got.Waiting != registry.WaitReregister {
			t.Fatalf("not parked: %+v", got)
		}
		if _, err := f.store.Cancel(id, j.ID); err != nil {
			t.Fatal(err)
		}
		if n := f.store.QueueDepth(0); n != 0 {
			t.Fatalf("queue depth %d: the parked job is still there", n)
		}
		// The user's greeting puts parked jobs back; a canceled one stays out.
		if _, err := f.store.Greet(0, gw2, user, "en", "Hi", ""); err != nil {
			t.Fatal(err)
		}
		if jobs := f.claim(gw2); len(jobs) != 0 {
			t.Fatalf("canceled job claimed after the greeting: %v", ids(jobs))
		}
	})
}

// A job that has left, or ended, cannot be canceled (409); another
// account's job is not found (404); canceling twice answers the canceled
// job again.
func TestCancelRefusals(t *testing.T) {
	f := newFixture(t)
	id, intruder := f.account(quota.Limits{}), f.account(quota.Limits{})
	const user = "+4915100000001"
	f.register(user)
	sent := f.sendNow(id, user)
	if _, err := f.store.Cancel(id, sent.ID); code(err) != registry.CodeConflict {
		t.Fatalf("cancel a sent job: %v, want 409", err)
	}
	j := f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "x"})
	if _, err := f.store.Cancel(intruder, j.ID); code(err) != registry.CodeNotFound {
		t.Fatalf("cancel another account's job: %v, want 404", err)
	}
	if _, err := f.store.Cancel(id, 9999); code(err) != registry.CodeNotFound {
		t.Fatalf("cancel no job: %v, want 404", err)
	}
	if _, err := f.store.Cancel(id, j.ID); err != nil {
		t.Fatal(err)
	}
	if again, err := f.store.Cancel(id, j.ID); err != nil || again.State != registry.JobCanceled {
		t.Fatalf("cancel twice: %+v %v", again, err)
	}
	failed := f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "y"})
	f.claim(gw)
	if err := f.store.Finish([]registry.Outcome{{JobID: failed.ID, Via: gw, Code: registry.CodeSendRefused, Error: "no"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Cancel(id, failed.ID); code(err) != registry.CodeConflict {
		t.Fatalf("cancel a failed job: %v, want 409", err)
	}
}

// The job list filters by recipient, from the account's index.
func TestJobsOfFiltersByNumber(t *testing.T) {
	f := newFixture(t)
	id := f.account(quota.Limits{})
	const user, other = "+4915100000001", "+4915100000002"
	f.register(user, other)
	a := f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "1"})
	f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: other, Text: "2"})
	c := f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "3"})
	jobs, next, err := f.store.JobsOf(id, registry.JobFilter{Number: user})
	if err != nil || next != 0 || len(jobs) != 2 || jobs[0].ID != c.ID || jobs[1].ID != a.ID {
		t.Fatalf("jobs to %s: %v next %d err %v", user, ids(jobs), next, err)
	}
	sched, err := f.sendAt(id, other, f.now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	jobs, _, _ = f.store.JobsOf(id, registry.JobFilter{State: registry.JobScheduled})
	if len(jobs) != 1 || jobs[0].ID != sched.Job.ID {
		t.Fatalf("scheduled jobs %v", ids(jobs))
	}
}
