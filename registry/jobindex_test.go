package registry_test

import (
	"slices"
	"testing"
	"time"

	"higate/quota"
	"higate/registry"
)

// jobsOf is JobsOf that fails the test on an error.
func (f *fixture) jobsOf(clientID string, filter registry.JobFilter) ([]uint64, uint64) {
	f.t.Helper()
	jobs, next, err := f.store.JobsOf(clientID, filter)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, j := range jobs {
		if j.Account != clientID {
			f.t.Fatalf("JobsOf(%s) returned job %d of %q", clientID, j.ID, j.Account)
		}
	}
	return ids(jobs), next
}

// JobsOf lists one account's jobs newest first, a page at a time, by state
// and creation time, and never another account's jobs or system replies.
func TestJobsOfListsOnlyTheAccountsJobs(t *testing.T) {
	f := newFixture(t)
	a, b := f.account(quota.Limits{}), f.account(quota.Limits{})
	const user = "+4915100000001"
	if _, err := f.store.Greet(0, gw, user, "en", "Hi", "confirmation"); err != nil { // a system reply
		t.Fatal(err)
	}
	var mine, theirs []uint64
	start := f.clock()
	for i := range 5 {
		mine = append(mine, f.accept(registry.SendRequest{ClientID: a, Kind: "text", To: user, Text: "a"}).ID)
		if i < 3 {
			theirs = append(theirs, f.accept(registry.SendRequest{ClientID: b, Kind: "text", To: user, Text: "b"}).ID)
		}
		f.advance(time.Minute)
	}
	slices.Reverse(mine)
	slices.Reverse(theirs)

	if got, next := f.jobsOf(a, registry.JobFilter{}); !slices.Equal(got, mine) || next != 0 {
		t.Fatalf("a's jobs = %v next %d, want %v", got, next, mine)
	}
	if got, _ := f.jobsOf(b, registry.JobFilter{}); !slices.Equal(got, theirs) {
		t.Fatalf("b's jobs = %v, want %v", got, theirs)
	}
	if got, next := f.jobsOf("hg_nobody", registry.JobFilter{}); len(got) != 0 || next != 0 {
		t.Fatalf("unknown account: %v %d", got, next)
	}
	// A prefix of another client ID matches nothing.
	if got, _ := f.jobsOf(a[:len(a)-1], registry.JobFilter{}); len(got) != 0 {
		t.Fatalf("prefix of a client ID: %v", got)
	}

	// Pages of two, following the cursor, cover every job once.
	var paged []uint64
	var before uint64
	for pages := 0; ; pages++ {
		got, next := f.jobsOf(a, registry.JobFilter{Limit: 2, Before: before})
		paged = append(paged, got...)
		if next == 0 {
			break
		}
		if pages > 5 || len(got) != 2 {
			t.Fatalf("page %d = %v next %d", pages, got, next)
		}
		before = next
	}
	if !slices.Equal(paged, mine) {
		t.Fatalf("paged = %v, want %v", paged, mine)
	}

	// By state: one sent, one failed, the rest queued.
	claimed := f.claim(gw)
	var outcomes []registry.Outcome
	for _, j := range claimed {
		switch j.ID {
		case mine[0]:
			outcomes = append(outcomes, registry.Outcome{JobID: j.ID, Via: gw, Sent: true})
		case mine[1]:
			outcomes = append(outcomes, registry.Outcome{JobID: j.ID, Via: gw, Code: registry.CodeNotOnWhatsApp, Error: "not on WhatsApp"})
		}
	}
	if err := f.store.Finish(outcomes); err != nil {
		t.Fatal(err)
	}
	for state, want := range map[registry.JobState][]uint64{
		registry.JobSent:   {mine[0]},
		registry.JobFailed: {mine[1]},
		registry.JobQueued: mine[2:],
		registry.JobRead:   nil,
	} {
		if got, _ := f.jobsOf(a, registry.JobFilter{State: state}); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", state, got, want)
		}
	}

	// By creation time: jobs were a minute apart, the oldest at start.
	got, _ := f.jobsOf(a, registry.JobFilter{Since: start.Add(time.Minute), Until: start.Add(3 * time.Minute)})
	if want := []uint64{mine[2], mine[3]}; !slices.Equal(got, want) {
		t.Errorf("created in [start+1m, start+3m): %v, want %v", got, want)
	}

	// Pruned jobs leave the list.
	f.advance(31 * 24 * time.Hour)
	if _, err := f.store.Prune(); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.jobsOf(a, registry.JobFilter{}); !slices.Equal(got, mine[2:]) {
		t.Fatalf("after pruning the finished jobs: %v, want %v", got, mine[2:])
	}
}

// RecipientsOf lists the account's own recipients with their state on the
// gateway number asked about, never another account's users of the same
// shared number.
func TestRecipientsOfListsOnlyTheAccountsRecipients(t *testing.T) {
	f := newFixture(t)
	a, b := f.account(quota.Limits{}), f.account(quota.Limits{})
	const u1, u2, u3, u4 = "+4915100000001", "+4915100000002", "+4915100000003", "+4915100000004"
	for _, u := range []string{u1, u2, u3, u4} {
		if _, err := f.store.Register(0, gw, u, "en", "Hi"); err != nil {
			t.Fatal(err)
		}
	}
	first := f.clock()
	f.accept(registry.SendRequest{ClientID: a, Kind: "text", To: u2, Text: "x"})
	f.advance(time.Minute)
	f.accept(registry.SendRequest{ClientID: a, Kind: "text", To: u1, Text: "x"})
	f.accept(registry.SendRequest{ClientID: a, Kind: "text", To: u1, Text: "again"})
	f.accept(registry.SendRequest{ClientID: b, Kind: "text", To: u3, Text: "x"})
	if _, _, err := f.store.OptOut(0, gw, u2, func(registry.Registration, bool) string { return "" }); err != nil {
		t.Fatal(err)
	}

	list := func(client, gateway, after string, limit int) ([]registry.Recipient, string) {
		t.Helper()
		rs, next, err := f.store.RecipientsOf(client, gateway, after, limit)
		if err != nil {
			t.Fatal(err)
		}
		return rs, next
	}
	rs, next := list(a, gw, "", 0)
	if len(rs) != 2 || next != "" {
		t.Fatalf("a's recipients = %+v next %q, want u1 and u2 only", rs, next)
	}
	if rs[0].Number != u1 || rs[0].State != registry.RecipientRegistered || !rs[0].FirstSent.Equal(first.Add(time.Minute)) {
		t.Errorf("u1 = %+v", rs[0])
	}
	if rs[1].Number != u2 || rs[1].State != registry.RecipientOptedOut || !rs[1].FirstSent.Equal(first) {
		t.Errorf("u2 = %+v", rs[1])
	}
	if rs, _ := list(b, gw, "", 0); len(rs) != 1 || rs[0].Number != u3 {
		t.Errorf("b's recipients = %+v, want u3 only", rs)
	}
	// A page of one, then the next.
	if rs, next := list(a, gw, "", 1); len(rs) != 1 || rs[0].Number != u1 || next != u1 {
		t.Fatalf("first page = %+v next %q", rs, next)
	}
	if rs, next := list(a, gw, u1, 1); len(rs) != 1 || rs[0].Number != u2 || next != "" {
		t.Fatalf("second page = %+v next %q", rs, next)
	}
	// On a number nobody greeted (a rotated-in one), nobody is registered.
	if rs, _ := list(a, "+15550000009", "", 0); len(rs) != 2 || rs[0].State != registry.RecipientNotRegistered || rs[1].State != registry.RecipientNotRegistered {
		t.Errorf("on another number: %+v", rs)
	}
}
