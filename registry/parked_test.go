package registry_test

import (
	"testing"
	"time"

	"higate/quota"
	"higate/registry"
)

const (
	gw2 = "+15550000002"
	gw3 = "+15550000003"
)

// failover makes number the instance's active number, as the gateway does
// when the active one is banned.
func (f *fixture) failover(number string) {
	f.t.Helper()
	if _, err := f.store.AddNumber(registry.Number{Number: number, Transport: "sim", Role: registry.RoleStandby, State: registry.StateStandby}); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.store.Activate(number, registry.RoleRetired); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) claim(via string) []registry.Job {
	f.t.Helper()
	jobs, _, err := f.store.Claim(0, via, 10, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return jobs
}

// After a failover, a job for a user who has not greeted the new number is
// parked: shown as waiting, still counted, not claimed, and back in the
// queue with the user's greeting.
func TestJobsWaitParkedUntilTheUserGreetsTheNewNumber(t *testing.T) {
	f := newFixture(t)
	id := f.account(quota.Limits{})
	const user, other = "+4915100000001", "+4915100000002"
	f.store.Register(0, gw, user, "en", "Hi")
	f.store.Register(0, gw, other, "en", "Hi")
	j := f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "x"})
	f.failover(gw2)
	f.store.Register(0, gw2, other, "en", "Hi")
	k := f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: other, Text: "y"})

	if jobs := f.claim(gw2); len(jobs) != 1 || jobs[0].ID != k.ID {
		t.Fatalf("claimed %v, want only the registered user's job %d", ids(jobs), k.ID)
	}
	if got, _ := f.store.Job(j.ID); got.Waiting != registry.WaitReregister || got.State != registry.JobQueued {
		t.Fatalf("parked job %+v", got)
	}
	if n := f.store.QueueDepth(0); n != 2 {
		t.Fatalf("queue depth %d, want 2 (one parked)", n)
	}
	if _, err := f.store.Greet(0, gw2, user, "en", "Hi", "welcome"); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.store.Job(j.ID); got.Waiting != "" {
		t.Fatalf("still waiting after the greeting: %+v", got)
	}
	// k was claimed before but not finished, so it comes again; j keeps
	// its place before it.
	jobs := f.claim(gw2)
	if len(jobs) != 3 || jobs[0].Priority != registry.PrioritySystem || jobs[1].ID != j.ID || jobs[2].ID != k.ID {
		t.Fatalf("after the greeting claimed %v", ids(jobs))
	}
}

// A user registered with the number that becomes active is not kept waiting
// for a greeting: activation puts parked jobs back for Claim to judge.
func TestActivationReleasesParkedJobs(t *testing.T) {
	f := newFixture(t)
	id := f.account(quota.Limits{})
	const user = "+4915100000001"
	f.store.Register(0, gw, user, "en", "Hi")
	f.store.AddNumber(registry.Number{Number: gw3, Transport: "sim", Role: registry.RoleStandby, State: registry.StateStandby})
	f.store.Register(0, gw3, user, "en", "Hi")
	j := f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "x"})
	f.failover(gw2)
	if jobs := f.claim(gw2); len(jobs) != 0 {
		t.Fatalf("claimed %v for an unregistered user", ids(jobs))
	}
	if _, err := f.store.Activate(gw3, registry.RoleRetired); err != nil {
		t.Fatal(err)
	}
	if jobs := f.claim(gw3); len(jobs) != 1 || jobs[0].ID != j.ID {
		t.Fatalf("claimed %v on the number the user greeted", ids(jobs))
	}
}

// Parked jobs expire like queued ones, refunded.
func TestParkedJobsExpire(t *testing.T) {
	f := newFixture(t)
	id := f.account(quota.Limits{})
	const user = "+4915100000001"
	f.store.Register(0, gw, user, "en", "Hi")
	j := f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "x"})
	f.failover(gw2)
	f.claim(gw2)
	if n, err := f.store.Expire(0); err != nil || n != 0 {
		t.Fatalf("expired %d %v before the expiry", n, err)
	}
	f.advance(time.Hour)
	if n, err := f.store.Expire(0); err != nil || n != 1 {
		t.Fatalf("expired %d %v", n, err)
	}
	got, _ := f.store.Job(j.ID)
	u, _ := f.store.UsageOf(id)
	if got.State != registry.JobExpired || !got.Refunded || u.Window.Used != 0 || f.store.QueueDepth(0) != 0 {
		t.Fatalf("job %+v, used %d, depth %d", got, u.Window.Used, f.store.QueueDepth(0))
	}
}
