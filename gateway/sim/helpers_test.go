package sim_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"higate/gateway"
	"higate/gateway/sim"
)

const (
	gw    = "+15550000001"
	gw2   = "+15550000002"
	alice = "+4915112345678"
	bob   = "+447700900123"
	carol = "+33612345678"
)

// openNet opens a network in dir and closes it when the test ends.
func openNet(t testing.TB, dir string) *sim.Network {
	t.Helper()
	n, err := sim.Open(dir, sim.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// recorder is a handler that keeps every event it gets.
type recorder struct {
	mu     sync.Mutex
	events []gateway.Event
}

func (r *recorder) handle(ev gateway.Event) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
}

func (r *recorder) all() []gateway.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

func (r *recorder) kinds() []gateway.EventKind {
	var out []gateway.EventKind
	for _, ev := range r.all() {
		out = append(out, ev.Kind)
	}
	return out
}

func (r *recorder) count(kind gateway.EventKind) int {
	k := 0
	for _, ev := range r.all() {
		if ev.Kind == kind {
			k++
		}
	}
	return k
}

// receipts returns, in order, "delivered:ID" and "read:ID" for every ID in
// every receipt (receipts may be batched).
func (r *recorder) receipts() []string {
	var out []string
	for _, ev := range r.all() {
		if ev.Kind == gateway.EventReceipt {
			for _, id := range ev.MessageIDs {
				out = append(out, ev.Receipt+":"+id)
			}
		}
	}
	return out
}

// waitFor polls cond until it holds, failing the test after 5 seconds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// start attaches and starts number, stopping it when the test ends, and
// waits for it to connect.
func start(t testing.TB, n *sim.Network, number string) (*sim.Number, *recorder) {
	t.Helper()
	num, rec := startQuiet(t, n, number)
	waitFor(t, number+" connected", func() bool { return rec.count(gateway.EventConnected) > 0 })
	return num, rec
}

// startQuiet is start without waiting for a connection.
func startQuiet(t testing.TB, n *sim.Network, number string) (*sim.Number, *recorder) {
	t.Helper()
	num := n.Attach(number)
	rec := &recorder{}
	if err := num.Start(context.Background(), rec.handle); err != nil {
		t.Fatalf("Start %s: %v", number, err)
	}
	t.Cleanup(num.Stop)
	return num, rec
}

func text(id, to, body string) gateway.Outbound {
	return gateway.Outbound{ID: id, To: to, Kind: gateway.KindText, Text: body}
}

func mustSend(t testing.TB, num *sim.Number, msg gateway.Outbound) {
	t.Helper()
	if err := num.Send(context.Background(), msg); err != nil {
		t.Fatalf("Send %s: %v", msg.ID, err)
	}
}

func texts(msgs []sim.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Text)
	}
	return out
}
