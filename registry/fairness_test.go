package registry_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"higate/quota"
	"higate/registry"
)

// drain claims one job at a time, as a paced number does, records each as
// sent, and returns the texts in the order they were claimed.
func (f *fixture) drain(max int) []string {
	f.t.Helper()
	var order []string
	for {
		jobs, _, err := f.store.Claim(0, gw, max, nil)
		if err != nil {
			f.t.Fatal(err)
		}
		if len(jobs) == 0 {
			return order
		}
		var outcomes []registry.Outcome
		for _, j := range jobs {
			order = append(order, j.Text)
			outcomes = append(outcomes, registry.Outcome{JobID: j.ID, Via: gw, Sent: true})
		}
		if err := f.store.Finish(outcomes); err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f *fixture) queueTexts(acct, user string, prio uint8, texts ...string) {
	f.t.Helper()
	for _, text := range texts {
		f.accept(registry.SendRequest{ClientID: acct, Kind: "text", To: user, Text: text, Priority: prio})
	}
}

// Accounts share the sending slots in turn, one message each, whatever
// one of them has queued: an account that queues one message after
// another queued many gets the next slot but one at the latest.
func TestClaimSharesSlotsBetweenAccounts(t *testing.T) {
	f := newFixture(t)
	const user = "+4915100000001"
	f.register(user)
	a, b, c := f.account(quota.Limits{}), f.account(quota.Limits{}), f.account(quota.Limits{})
	var backlog []string
	for i := range 20 {
		backlog = append(backlog, fmt.Sprint("a", i))
	}
	f.queueTexts(a, user, 0, backlog...)
	f.queueTexts(b, user, 0, "b0", "b1")
	f.queueTexts(c, user, 0, "c0")
	order := f.drain(1)
	if len(order) != 23 {
		t.Fatalf("claimed %d jobs, want 23: %v", len(order), order)
	}
	// While all three have jobs, every round of three serves each once.
	first := order[:3]
	if !hasOneOf(first, "a") || !hasOneOf(first, "b") || !hasOneOf(first, "c") {
		t.Fatalf("first round %v does not serve each account once", first)
	}
	second := order[3:5]
	if !hasOneOf(second, "a") || !hasOneOf(second, "b") {
		t.Fatalf("second round %v, want a and b", second)
	}
	// Each account's own messages keep their order.
	for _, p := range []string{"a", "b", "c"} {
		var mine []string
		for _, text := range order {
			if strings.HasPrefix(text, p) {
				mine = append(mine, text)
			}
		}
		if !slices.IsSortedFunc(mine, func(x, y string) int { return num(x) - num(y) }) {
			t.Fatalf("account %s out of order: %v", p, mine)
		}
	}
}

// An account that had nothing queued goes first, before every account with
// a backlog, however many there are; the turns of those go on after it
// where they were.
func TestNewAccountGoesFirst(t *testing.T) {
	f := newFixture(t)
	const user = "+4915100000001"
	f.register(user)
	var backlogs []string
	for range 5 {
		a := f.account(quota.Limits{})
		backlogs = append(backlogs, a)
		f.queueTexts(a, user, 0, "x0", "x1", "x2", "x3", "x4")
	}
	claimOne := func() registry.Job {
		t.Helper()
		jobs, _, err := f.store.Claim(0, gw, 1, nil)
		if err != nil || len(jobs) != 1 {
			t.Fatalf("claim: %v %v", ids(jobs), err)
		}
		if err := f.store.Finish([]registry.Outcome{{JobID: jobs[0].ID, Via: gw, Sent: true}}); err != nil {
			t.Fatal(err)
		}
		return jobs[0]
	}
	var turns []string
	for range 7 { // a round and a bit
		turns = append(turns, claimOne().Account)
	}
	newcomer := f.account(quota.Limits{})
	f.queueTexts(newcomer, user, 0, "new")
	if j := claimOne(); j.Account != newcomer {
		t.Fatalf("after the newcomer's send, claimed %s's job, want the newcomer's", j.Account)
	}
	// The backlogs' turns go on where they were: the next is the one that
	// follows the 7th, as the 3rd followed the 2nd.
	if j := claimOne(); j.Account != turns[2] {
		t.Fatalf("after the newcomer, claimed %s, want %s", j.Account, turns[2])
	}
	// Two newcomers at once: both go before the backlogs, the second one
	// too, though it was seen waiting by the claim that served the first.
	second, third := f.account(quota.Limits{}), f.account(quota.Limits{})
	f.queueTexts(second, user, 0, "new")
	f.queueTexts(third, user, 0, "new")
	got := map[string]bool{claimOne().Account: true, claimOne().Account: true}
	if !got[second] || !got[third] {
		t.Fatalf("the two claims after two newcomers sent: %v", got)
	}
	if j := claimOne(); j.Account != turns[3] {
		t.Fatalf("after the newcomers, claimed %s, want %s", j.Account, turns[3])
	}
}

// A batch claim (an unpaced number) shares the batch between the accounts
// the same way, a quantum each per turn.
func TestBatchClaimSharesTheBatch(t *testing.T) {
	f := newFixture(t)
	const user = "+4915100000001"
	f.register(user)
	a, b := f.account(quota.Limits{}), f.account(quota.Limits{})
	f.queueTexts(a, user, 0, "a0", "a1", "a2", "a3", "a4", "a5")
	f.queueTexts(b, user, 0, "b0", "b1")
	jobs, _, err := f.store.Claim(0, gw, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, j := range jobs {
		got = append(got, j.Text)
	}
	if len(got) != 4 || countPrefix(got, "a") != 2 || countPrefix(got, "b") != 2 {
		t.Fatalf("batch of 4: %v, want two of each account", got)
	}
}

// Priorities order an account's own jobs (high, normal, low; FIFO within
// each) and nothing else: the other account still gets every other slot,
// and system replies go before everything.
func TestPriorityOrdersOnlyTheAccountsOwnJobs(t *testing.T) {
	f := newFixture(t)
	const user = "+4915100000001"
	f.register(user)
	a, b := f.account(quota.Limits{}), f.account(quota.Limits{})
	f.queueTexts(a, user, registry.PriorityLow, "a-low0", "a-low1")
	f.queueTexts(a, user, registry.PriorityNormal, "a-normal0")
	f.queueTexts(a, user, registry.PriorityHigh, "a-high0", "a-high1")
	f.queueTexts(b, user, registry.PriorityLow, "b-low0", "b-low1", "b-low2")
	if _, err := f.store.Greet(0, gw, "+4915100000009", "en", "Hi", "system reply"); err != nil {
		t.Fatal(err)
	}
	order := f.drain(1)
	if len(order) != 9 || order[0] != "system reply" {
		t.Fatalf("order %v: want the system reply first", order)
	}
	var ofA, ofB []string
	for i, text := range order[1:7] {
		// Alternating while both have jobs: a, b, a, b, ... or b, a, b, a, ...
		if i > 0 && text[0] == order[i][0] {
			t.Fatalf("order %v: one account served twice in a row while the other waited", order)
		}
	}
	for _, text := range order[1:] {
		if text[0] == 'a' {
			ofA = append(ofA, text)
		} else {
			ofB = append(ofB, text)
		}
	}
	if want := []string{"a-high0", "a-high1", "a-normal0", "a-low0", "a-low1"}; !slices.Equal(ofA, want) {
		t.Fatalf("account a's order %v, want %v", ofA, want)
	}
	if want := []string{"b-low0", "b-low1", "b-low2"}; !slices.Equal(ofB, want) {
		t.Fatalf("account b's order %v, want %v", ofB, want)
	}
}

// Whose turn it is survives jobs in hand: the dispatcher skips the jobs it
// holds, and the next account's job is the next claimed, not the held
// account's next job.
func TestClaimTurnsPastJobsInHand(t *testing.T) {
	f := newFixture(t)
	const user = "+4915100000001"
	f.register(user)
	a, b := f.account(quota.Limits{}), f.account(quota.Limits{})
	f.queueTexts(a, user, 0, "a0", "a1", "a2")
	held := map[uint64]bool{}
	skip := func(id uint64) bool { return held[id] }
	jobs, _, _ := f.store.Claim(0, gw, 1, skip)
	held[jobs[0].ID] = true
	f.queueTexts(b, user, 0, "b0")
	jobs, _, _ = f.store.Claim(0, gw, 1, skip)
	if len(jobs) != 1 || jobs[0].Text != "b0" {
		t.Fatalf("claimed %v after a0, want b0", jobs)
	}
	held[jobs[0].ID] = true
	jobs, _, _ = f.store.Claim(0, gw, 1, skip)
	if len(jobs) != 1 || jobs[0].Text != "a1" {
		t.Fatalf("claimed %v after b0, want a1 (a0 is in hand)", jobs)
	}
}

func hasOneOf(texts []string, prefix string) bool { return countPrefix(texts, prefix) == 1 }

func countPrefix(texts []string, prefix string) int {
	n := 0
	for _, t := range texts {
		if strings.HasPrefix(t, prefix) {
			n++
		}
	}
	return n
}

// num is the number after a text's letter: a12 -> 12.
func num(text string) int {
	var n int
	fmt.Sscan(text[1:], &n)
	return n
}
