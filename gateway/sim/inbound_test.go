package sim_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"higate/gateway"
	"higate/gateway/sim"
)

// inbound returns the texts of the inbound events r got, in order.
func inbound(r *recorder) []string {
	var out []string
	for _, ev := range r.all() {
		if ev.Kind == gateway.EventInbound {
			out = append(out, ev.Text)
		}
	}
	return out
}

func TestInboundSynchronous(t *testing.T) {
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	n, err := sim.Open(t.TempDir(), sim.Options{Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	_, rec := start(t, n, gw)
	if err := n.Inbound(context.Background(), alice, gw, "Hi"); err != nil {
		t.Fatal(err)
	}
	// No waiting: the handler ran in this goroutine before Inbound returned.
	evs := rec.all()
	last := evs[len(evs)-1]
	if last.Kind != gateway.EventInbound || last.Gateway != gw || last.From != alice || last.Text != "Hi" || last.MessageID == "" || !last.At.Equal(at) {
		t.Fatalf("inbound event = %+v", last)
	}
}

func TestInboundRightAfterStartComesAfterConnected(t *testing.T) {
	n := openNet(t, t.TempDir())
	_, rec := startQuiet(t, n, gw)
	if err := n.Inbound(context.Background(), alice, gw, "Hi"); err != nil {
		t.Fatal(err)
	}
	if got := rec.kinds(); !slices.Equal(got, []gateway.EventKind{gateway.EventConnected, gateway.EventInbound}) {
		t.Fatalf("events = %v", got)
	}
}

func TestInboundErrors(t *testing.T) {
	n := openNet(t, t.TempDir())
	n.Attach(gw)
	ctx := context.Background()
	for name, c := range map[string][2]string{
		"unknown gateway": {alice, "+15559999999"},
		"bad sender":      {"4915112345678", gw},
		"short sender":    {"+1234567", gw},
		"bad gateway":     {alice, "15550000001"},
	} {
		if err := n.Inbound(ctx, c[0], c[1], "Hi"); err == nil {
			t.Errorf("%s: Inbound did not fail", name)
		}
	}
}

func TestInboundQueuedWhileOffline(t *testing.T) {
	dir := t.TempDir()
	n := openNet(t, dir)
	ctx := context.Background()
	num := n.Attach(gw)
	// Not started yet.
	for i := range 3 {
		if err := n.Inbound(ctx, alice, gw, fmt.Sprint("early ", i)); err != nil {
			t.Fatal(err)
		}
	}
	rec := &recorder{}
	if err := num.Start(ctx, rec.handle); err != nil {
		t.Fatal(err)
	}
	defer num.Stop()
	if err := n.Inbound(ctx, bob, gw, "live"); err != nil { // waits for the queue
		t.Fatal(err)
	}
	want := []string{"early 0", "early 1", "early 2", "live"}
	if got := inbound(rec); !slices.Equal(got, want) {
		t.Fatalf("inbound = %q, want %q", got, want)
	}
	if rec.kinds()[0] != gateway.EventConnected {
		t.Fatalf("first event %v, want connected", rec.kinds()[0])
	}

	// Disconnected: queued, then delivered on reconnect after the
	// connection event.
	if err := n.Fault(gw, sim.FaultDisconnect, 0); err != nil {
		t.Fatal(err)
	}
	if err := n.Inbound(ctx, alice, gw, "while down"); err != nil {
		t.Fatal(err)
	}
	if err := n.Fault(gw, sim.FaultClear, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "queued inbound", func() bool { return len(inbound(rec)) == 5 })
	kinds := rec.kinds()
	if tail := kinds[len(kinds)-3:]; !slices.Equal(tail, []gateway.EventKind{gateway.EventDisconnected, gateway.EventConnected, gateway.EventInbound}) {
		t.Fatalf("events end with %v", tail)
	}

	// The offline queue survives a restart of the whole network.
	num.Stop()
	if err := n.Inbound(ctx, carol, gw, "while stopped"); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	n = openNet(t, dir)
	_, rec = start(t, n, gw)
	waitFor(t, "inbound after restart", func() bool { return len(inbound(rec)) == 1 })
	if got := rec.all()[1]; got.From != carol || got.Text != "while stopped" {
		t.Fatalf("after restart got %+v", got)
	}
}

func TestInboundConcurrent(t *testing.T) {
	n := openNet(t, t.TempDir())
	_, rec := start(t, n, gw)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 50 {
				if err := n.Inbound(context.Background(), fmt.Sprintf("+4915100000%03d", w), gw, fmt.Sprint(i)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if got := len(inbound(rec)); got != 400 {
		t.Fatalf("%d inbound events, want 400", got)
	}
}

func TestInboundWaitHonoursContext(t *testing.T) {
	n := openNet(t, t.TempDir())
	num := n.Attach(gw)
	release := make(chan struct{})
	started := make(chan struct{})
	err := num.Start(context.Background(), func(ev gateway.Event) {
		if ev.Kind == gateway.EventConnected {
			close(started)
			<-release // a handler still busy with the connection
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer num.Stop()
	defer close(release)
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := n.Inbound(ctx, alice, gw, "Hi"); err != context.Canceled {
		t.Fatalf("Inbound with a cancelled context while connecting = %v", err)
	}
}
