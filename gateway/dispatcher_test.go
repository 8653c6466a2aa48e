package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"higate/gateway"
	"higate/gateway/sim"
	"higate/quota"
	"higate/registry"
)

const gw = "+15550000001"

// harness runs a Service over a real registry and the simulated network.
type harness struct {
	t     *testing.T
	store *registry.Store
	net   *sim.Network
	svc   *gateway.Service
	acct  string
}

// newHarness starts the service with the number's pacing; tune may change
// the service's options first.
func newHarness(t *testing.T, pacing registry.Pacing, tune ...func(*gateway.Options)) *harness {
	return newHarnessWith(t, registry.Options{}, pacing, tune...)
}

// newHarnessWith is newHarness on a registry opened with opts (a clock).
func newHarnessWith(t *testing.T, ropts registry.Options, pacing registry.Pacing, tune ...func(*gateway.Options)) *harness {
	dir := t.TempDir()
	store, err := registry.Open(dir, ropts)
	if err != nil {
		t.Fatal(err)
	}
	net, err := sim.Open(filepath.Join(dir, "sim"), sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	store.EnsureInstance(0, "sandbox")
	if _, err := store.AddNumber(registry.Number{Number: gw, Transport: "sim", Role: registry.RoleActive, Pacing: pacing}); err != nil {
		t.Fatal(err)
	}
	c, err := store.CreateAccount(registry.NewAccount{Email: "a@example.com", Plan: quota.Enterprise})
	if err != nil {
		t.Fatal(err)
	}
	opts := gateway.Options{Store: store,
		Dial: func(n registry.Number) (gateway.Transport, error) { return net.Attach(n.Number), nil }}
	for _, f := range tune {
		f(&opts)
	}
	svc := gateway.NewService(opts)
	if err := svc.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Stop(); net.Close(); store.Close() })
	return &harness{t: t, store: store, net: net, svc: svc, acct: c.ClientID}
}

func (h *harness) queue(to string, n int) {
	h.t.Helper()
	if _, err := h.store.Register(0, gw, to, "en", "Hi"); err != nil {
		h.t.Fatal(err)
	}
	for i := range n {
		if _, err := h.store.Accept(registry.SendRequest{ClientID: h.acct, Kind: "text", To: to, Text: fmt.Sprint("msg ", i)}); err != nil {
			h.t.Fatal(err)
		}
	}
	h.svc.Wake(0)
}

func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPacingSpacesSends(t *testing.T) {
	const gap = 40 * time.Millisecond
	h := newHarness(t, registry.Pacing{Gap: gap, Jitter: 10 * time.Millisecond})
	const user = "+4915100000001"
	h.queue(user, 4)
	h.waitFor("4 messages", func() bool { return len(h.net.Messages(user)) == 4 })
	msgs := h.net.Messages(user)
	for i := 1; i < len(msgs); i++ {
		if d := msgs[i].At.Sub(msgs[i-1].At); d < gap {
			t.Fatalf("messages %d and %d only %v apart (gap %v)", i-1, i, d, gap)
		}
		if msgs[i].Text != fmt.Sprint("msg ", i) {
			t.Fatalf("order: %q at %d", msgs[i].Text, i)
		}
	}
}

func TestDailyCapHoldsTheRest(t *testing.T) {
	h := newHarness(t, registry.Pacing{DailyCap: 3})
	const user = "+4915100000002"
	h.queue(user, 5)
	h.waitFor("3 messages", func() bool { return len(h.net.Messages(user)) == 3 })
	// Receipts may release the jobs before the dispatcher records them.
	h.waitFor("the 3 sends counted", func() bool {
		n, _ := h.store.Number(gw)
		return n.Sent.Used == 3
	})
	h.waitFor("the rest held", func() bool { return h.store.QueueDepth(0) == 2 })
	h.svc.Wake(0)
	if got := len(h.net.Messages(user)); got != 3 {
		t.Fatalf("cap exceeded: %d sent", got)
	}
}

func TestNotOnWhatsAppFailsAndRefunds(t *testing.T) {
	h := newHarness(t, registry.Pacing{})
	const user = "+4915100000003"
	h.net.SetOnWhatsApp(user, false)
	h.queue(user, 1)
	h.waitFor("failed", func() bool {
		jobs, _ := h.store.Jobs(h.acct)
		return len(jobs) == 1 && jobs[0].State == registry.JobFailed
	})
	jobs, _ := h.store.Jobs(h.acct)
	u, _ := h.store.UsageOf(h.acct)
	if jobs[0].ErrorCode != registry.CodeNotOnWhatsApp || !jobs[0].Refunded || u.Window.Used != 0 {
		t.Fatalf("job %+v usage %+v", jobs[0], u)
	}
}

func TestStopIsIdempotent(t *testing.T) {
	h := newHarness(t, registry.Pacing{})
	h.svc.Stop()
	h.svc.Stop()
}

// A job the dispatcher holds (here: its send is under way) is shown as
// sending, while the registry still has it queued until it is sent. A job
// waiting out its number's gap is not held: the dispatcher claims after the
// gap, so it stays queued (and can be canceled) until its slot comes.
func TestSendingIsTheBatchInHand(t *testing.T) {
	var g *gate
	h := newHarness(t, registry.Pacing{Gap: time.Hour}, func(o *gateway.Options) {
		dial := o.Dial
		o.Dial = func(n registry.Number) (gateway.Transport, error) {
			t, err := dial(n)
			g = newGate(t)
			return g, err
		}
	})
	const user = "+4915100000003"
	h.queue(user, 2)
	first := <-g.sending // the first send is under way
	jobs, _ := h.store.Jobs(h.acct)
	if first.Text != "msg 0" || !h.svc.Sending(jobs[0]) || jobs[0].State != registry.JobQueued {
		t.Fatalf("first send %q; job %s, sending %v", first.Text, jobs[0].State, h.svc.Sending(jobs[0]))
	}
	if h.svc.Sending(jobs[1]) {
		t.Fatal("the second job is held while the first is sent")
	}
	g.release <- nil
	h.waitFor("the first recorded", func() bool {
		j, _ := h.store.Job(jobs[0].ID)
		return j.State != registry.JobQueued && !h.svc.Sending(j)
	})
	if j, _ := h.store.Job(jobs[1].ID); h.svc.Sending(j) || j.State != registry.JobQueued {
		t.Fatalf("the second job, waiting out the gap: %s, sending %v", j.State, h.svc.Sending(j))
	}
}

// gate is a transport whose sends wait for the test: each send shows its
// message on sending and goes on (or fails) with what release gives it.
type gate struct {
	gateway.Transport
	sending chan gateway.Outbound
	release chan error
}

func newGate(t gateway.Transport) *gate {
	return &gate{Transport: t, sending: make(chan gateway.Outbound), release: make(chan error)}
}

func (g *gate) Send(ctx context.Context, msg gateway.Outbound) error {
	select {
	case g.sending <- msg:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-g.release:
		if err != nil {
			return err
		}
	case <-ctx.Done():
		return ctx.Err()
	}
	return g.Transport.Send(ctx, msg)
}

// flaky fails every message's first attempt with a transient error.
type flaky struct {
	gateway.Transport
	mu   sync.Mutex
	seen map[string]bool
}

func (f *flaky) Send(ctx context.Context, msg gateway.Outbound) error {
	f.mu.Lock()
	first := !f.seen[msg.ID]
	f.seen[msg.ID] = true
	f.mu.Unlock()
	if first {
		return errors.New("timeout")
	}
	return f.Transport.Send(ctx, msg)
}

// Batches are recorded while the next is sent: with small batches and every
// first attempt failing, retries still go out, each message exactly once,
// and the attempts are counted.
func TestRetriesOfBatchesBeingRecorded(t *testing.T) {
	h := newHarness(t, registry.Pacing{}, func(o *gateway.Options) {
		o.Batch = 3
		o.Backoff = func(int) time.Duration { return time.Millisecond }
		dial := o.Dial
		o.Dial = func(n registry.Number) (gateway.Transport, error) {
			t, err := dial(n)
			return &flaky{Transport: t, seen: map[string]bool{}}, err
		}
	})
	store, net := h.store, h.net

	const user = "+4915100000004"
	h.queue(user, 20)
	h.waitFor("20 messages", func() bool { return len(net.Messages(user)) == 20 })
	// Receipts may overtake the last batch's recording; its attempts follow.
	h.waitFor("every attempt counted", func() bool {
		jobs, _ := store.Jobs(h.acct)
		n := 0
		for _, j := range jobs {
			n += j.Attempts
		}
		return n == 40
	})
	seen := map[string]bool{}
	for _, m := range net.Messages(user) {
		if seen[m.Text] {
			t.Fatalf("%q delivered twice", m.Text)
		}
		seen[m.Text] = true
	}
	jobs, _ := store.Jobs(h.acct)
	for _, j := range jobs {
		if j.Attempts != 2 || j.State != registry.JobDelivered && j.State != registry.JobSent {
			t.Fatalf("job %d: %s after %d attempts, want sent after 2", j.ID, j.State, j.Attempts)
		}
	}
}

// A failover does not wait out the lost number's pacing: with the active
// number paced at an hour, the job queued behind its first send goes out
// through the standby as soon as the standby takes over.
func TestFailoverDoesNotWaitForTheLostNumbersSlot(t *testing.T) {
	h := newHarness(t, registry.Pacing{Gap: time.Hour})
	const standby = "+15550000002"
	if _, err := h.svc.AddNumber(registry.Number{Number: standby, Instance: 0, Transport: "sim", Role: registry.RoleStandby}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the standby up", func() bool {
		n, _ := h.store.Number(standby)
		return n.State == registry.StateStandby
	})
	const user = "+4915100000003"
	if _, err := h.store.Register(0, standby, user, "en", "Hi"); err != nil {
		t.Fatal(err)
	}
	h.queue(user, 2)
	h.waitFor("the first message", func() bool { return len(h.net.Messages(user)) == 1 })
	// The dispatcher now waits an hour for the active number's next slot.
	if err := h.net.Fault(gw, sim.FaultBan, 0); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the second message, through the standby", func() bool { return len(h.net.Messages(user)) == 2 })
	if m := h.net.Messages(user)[1]; m.From != standby || m.Text != "msg 1" {
		t.Fatalf("second message %q from %s, want msg 1 from %s", m.Text, m.From, standby)
	}
}

// A pacing change applies to the slot being waited for: a number paced at
// an hour and re-paced to a few milliseconds sends its next job at once.
func TestPacingChangeAppliesToTheSlotWaitedFor(t *testing.T) {
	h := newHarness(t, registry.Pacing{Gap: time.Hour})
	const user = "+4915100000004"
	h.queue(user, 2)
	h.waitFor("the first message", func() bool { return len(h.net.Messages(user)) == 1 })
	if _, err := h.svc.UpdatePacing(gw, func(p *registry.Pacing) error { p.Gap = 5 * time.Millisecond; return nil }); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the second message", func() bool { return len(h.net.Messages(user)) == 2 })
}
