package gateway_test

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"math/rand/v2"

	"higate/gateway"
	"higate/quota"
	"higate/registry"
)

func (h *harness) newAccount() string {
	h.t.Helper()
	c, err := h.store.CreateAccount(registry.NewAccount{Email: "b@example.com", Plan: quota.Enterprise})
	if err != nil {
		h.t.Fatal(err)
	}
	return c.ClientID
}

func (h *harness) register(users ...string) {
	h.t.Helper()
	for _, u := range users {
		if _, err := h.store.Register(0, gw, u, "en", "Hi"); err != nil {
			h.t.Fatal(err)
		}
	}
}

func (h *harness) send(acct, to, text string, tune ...func(*registry.SendRequest)) registry.Job {
	h.t.Helper()
	req := registry.SendRequest{ClientID: acct, Kind: "text", To: to, Text: text}
	for _, f := range tune {
		f(&req)
	}
	acc, err := h.store.Accept(req)
	if err != nil {
		h.t.Fatal(err)
	}
	h.svc.Wake(0)
	return acc.Job
}

// gated runs the harness with a paced number whose sends wait for the test
// (gate), so the order of sends is observed one at a time.
func gated(t *testing.T) (*harness, *gate) {
	var g *gate
	h := newHarness(t, registry.Pacing{Gap: time.Millisecond}, func(o *gateway.Options) {
		dial := o.Dial
		o.Dial = func(n registry.Number) (gateway.Transport, error) {
			t, err := dial(n)
			g = newGate(t)
			return g, err
		}
	})
	return h, g
}

// On a paced number, an account that queues one message while another has
// a backlog gets one of the next slots, not the slot after the backlog;
// a system reply gets the very next.
func TestDispatcherSharesAPacedNumber(t *testing.T) {
	h, g := gated(t)
	const user = "+4915100000001"
	h.register(user)
	for i := range 10 {
		h.send(h.acct, user, fmt.Sprint("a", i))
	}
	if m := <-g.sending; m.Text != "a0" {
		t.Fatalf("first send %q", m.Text)
	}
	b, c := h.newAccount(), h.newAccount()
	h.send(b, user, "b0")
	h.send(c, user, "c0")
	var order []string
	for range 3 {
		g.release <- nil
		order = append(order, (<-g.sending).Text)
	}
	// Three accounts take turns: b0 and c0 go in the first two slots, in
	// the order of their turns, then a1.
	if !(strings.Contains(strings.Join(order[:2], " "), "b0") && strings.Contains(strings.Join(order[:2], " "), "c0")) || order[2] != "a1" {
		t.Fatalf("sends after a0: %v, want b0 and c0, then a1", order)
	}
	// A greeting's confirmation goes before every account's next message.
	if _, err := h.store.Greet(0, gw, "+4915100000009", "en", "Hi", "welcome"); err != nil {
		t.Fatal(err)
	}
	h.svc.Wake(0)
	g.release <- nil
	if m := <-g.sending; m.Text != "welcome" {
		t.Fatalf("send after the greeting: %q, want the confirmation", m.Text)
	}
	g.release <- nil
	if m := <-g.sending; m.Text != "a2" {
		t.Fatalf("then %q, want a2", m.Text)
	}
	g.release <- nil
}

// A job whose send is under way cannot be canceled (409), and is sent.
func TestCancelOfAJobBeingSentIsRefused(t *testing.T) {
	h, g := gated(t)
	const user = "+4915100000001"
	h.register(user)
	j := h.send(h.acct, user, "a0")
	next := h.send(h.acct, user, "a1")
	<-g.sending
	_, err := h.svc.Cancel(h.acct, j.ID)
	var e *registry.Error
	if !errors.As(err, &e) || e.Code != registry.CodeConflict {
		t.Fatalf("cancel during the send: %v, want 409", err)
	}
	// The next job waits for the number's slot, not in hand: it cancels.
	if got, err := h.svc.Cancel(h.acct, next.ID); err != nil || got.State != registry.JobCanceled {
		t.Fatalf("cancel of the queued job: %+v %v", got, err)
	}
	g.release <- nil
	h.waitFor("a0 sent", func() bool {
		got, _ := h.store.Job(j.ID)
		return got.State == registry.JobSent || got.State == registry.JobDelivered
	})
	if msgs := h.net.Messages(user); len(msgs) != 1 || msgs[0].Text != "a0" {
		t.Fatalf("delivered %v", msgs)
	}
}

// Cancel racing the dispatcher: every time, exactly one of the two wins.
// A canceled job is never delivered; a job whose cancel was refused is
// delivered exactly once.
func TestCancelRacingTheDispatcher(t *testing.T) {
	h := newHarness(t, registry.Pacing{})
	const user = "+4915100000001"
	h.register(user)
	const rounds = 300
	canceled := map[string]bool{}
	var won [2]int
	for i := range rounds {
		text := fmt.Sprint("race ", i)
		j := h.send(h.acct, user, text)
		for range rand.N(64) {
			runtime.Gosched() // vary where in its claim the dispatcher is
		}
		got, err := h.svc.Cancel(h.acct, j.ID)
		var e *registry.Error
		switch {
		case err == nil:
			if got.State != registry.JobCanceled {
				t.Fatalf("round %d: cancel answered %s", i, got.State)
			}
			canceled[text] = true
			won[0]++
		case errors.As(err, &e) && e.Code == registry.CodeConflict:
			won[1]++
		default:
			t.Fatalf("round %d: cancel: %v", i, err)
		}
		h.waitFor("the job settled", func() bool {
			got, _ := h.store.Job(j.ID)
			return got.Final() && !h.svc.Sending(got)
		})
		got, _ = h.store.Job(j.ID)
		if canceled[text] != (got.State == registry.JobCanceled) {
			t.Fatalf("round %d: cancel won %v, job ended %s", i, canceled[text], got.State)
		}
	}
	// The sim delivers within Send: everything sent is in the inbox.
	seen := map[string]int{}
	for _, m := range h.net.Messages(user) {
		seen[m.Text]++
	}
	for i := range rounds {
		text := fmt.Sprint("race ", i)
		want := 1
		if canceled[text] {
			want = 0
		}
		if seen[text] != want {
			t.Fatalf("%q delivered %d times, canceled %v", text, seen[text], canceled[text])
		}
	}
	t.Logf("%d rounds: canceled %d, sent %d", rounds, won[0], won[1])
}

// testClock is a settable clock for the registry.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// A scheduled job is not sent before its send_at, on the registry's clock,
// and is sent from then on.
func TestScheduledJobIsNotSentBeforeItsTime(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)}
	h := newHarnessWith(t, registry.Options{Now: clock.Now}, registry.Pacing{})
	const user, other = "+4915100000001", "+4915100000002"
	h.register(user, other)
	at := clock.Now().Add(time.Hour)
	j := h.send(h.acct, user, "later", func(r *registry.SendRequest) { r.SendAt = at })
	clock.Advance(time.Hour - time.Second)
	// A message sent now shows the dispatcher has been through the queue.
	h.send(h.acct, other, "now")
	h.waitFor("the immediate message", func() bool { return len(h.net.Messages(other)) == 1 })
	if got, _ := h.store.Job(j.ID); got.State != registry.JobScheduled || len(h.net.Messages(user)) != 0 {
		t.Fatalf("before send_at: job %s, %d delivered", got.State, len(h.net.Messages(user)))
	}
	clock.Advance(time.Second)
	h.svc.Wake(0)
	h.waitFor("the scheduled message", func() bool { return len(h.net.Messages(user)) == 1 })
}

// The dispatcher's timer brings a scheduled job out at its send_at with
// nothing else waking it (real clock).
func TestDispatcherWakesForAScheduledJob(t *testing.T) {
	h := newHarness(t, registry.Pacing{})
	const user = "+4915100000001"
	h.register(user)
	at := time.Now().Add(300 * time.Millisecond)
	h.send(h.acct, user, "on time", func(r *registry.SendRequest) { r.SendAt = at })
	h.waitFor("the scheduled message", func() bool { return len(h.net.Messages(user)) == 1 })
	if m := h.net.Messages(user)[0]; m.At.Before(at) {
		t.Fatalf("sent at %v, before its send_at %v", m.At, at)
	}
}
