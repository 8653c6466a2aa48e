package sim_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"higate/gateway"
	"higate/gateway/sim"
)

func TestStopLeaksNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	n, err := sim.Open(t.TempDir(), sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	num := n.Attach(gw)
	for i := range 20 {
		rec := &recorder{}
		if err := num.Start(context.Background(), rec.handle); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "connected", func() bool { return rec.count(gateway.EventConnected) == 1 })
		mustSend(t, num, text("L"+string(rune('a'+i)), alice, "x"))
		num.Stop()
		num.Stop() // twice is harmless
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}

func TestCloseStopsStartedNumbers(t *testing.T) {
	before := runtime.NumGoroutine()
	n, err := sim.Open(t.TempDir(), sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, number := range []string{gw, gw2} {
		if err := n.Attach(number).Start(context.Background(), func(gateway.Event) {}); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.Fault(gw, sim.FaultDisconnect, time.Hour); err != nil { // a pending timer
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
	if err := n.Attach(gw).Start(context.Background(), func(gateway.Event) {}); !errors.Is(err, sim.ErrClosed) {
		t.Fatalf("Start after Close = %v, want ErrClosed", err)
	}
}

func TestNoEventsAfterStop(t *testing.T) {
	n := openNet(t, t.TempDir())
	num := n.Attach(gw)
	var stopped atomic.Bool
	var late atomic.Int32
	connected := make(chan struct{}, 1)
	err := num.Start(context.Background(), func(ev gateway.Event) {
		if stopped.Load() {
			late.Add(1)
		}
		if ev.Kind == gateway.EventConnected {
			connected <- struct{}{}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	<-connected
	for i := range 100 {
		mustSend(t, num, text("N"+string(rune('A'+i%26))+string(rune('a'+i/26)), alice, "x"))
	}
	num.Stop()
	stopped.Store(true)
	// What happens now waits for the next Start.
	if err := n.Inbound(context.Background(), alice, gw, "after stop"); err != nil {
		t.Fatal(err)
	}
	if err := n.Read(alice, gw); err != nil {
		t.Fatal(err)
	}
	if err := n.Fault(gw, sim.FaultBan, 0); err != nil {
		t.Fatal(err)
	}
	if err := num.Send(context.Background(), text("late", alice, "x")); !errors.Is(err, gateway.ErrNotConnected) {
		t.Fatalf("Send after Stop = %v", err)
	}
	if late.Load() != 0 {
		t.Fatalf("%d events after Stop returned", late.Load())
	}

	// A new Start gets what waited, in order, after the connection.
	if err := n.Fault(gw, sim.FaultClear, 0); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	if err := num.Start(context.Background(), rec.handle); err != nil {
		t.Fatal(err)
	}
	defer num.Stop()
	reads := func() int {
		k := 0
		for _, r := range rec.receipts() {
			if strings.HasPrefix(r, "read:") {
				k++
			}
		}
		return k
	}
	waitFor(t, "backlog", func() bool { return len(inbound(rec)) == 1 && reads() == 100 })
	if kinds := rec.kinds(); kinds[0] != gateway.EventConnected {
		t.Fatalf("after restart events were %v", kinds)
	}
}

// TestStopWaitsForHandler checks that Stop returns only after a handler
// call in progress has returned, whether the call came from the number's
// own goroutine (its connection) or from a sender's (a live inbound
// message), and that no call starts after Stop returned.
func TestStopWaitsForHandler(t *testing.T) {
	for _, block := range []gateway.EventKind{gateway.EventConnected, gateway.EventInbound} {
		t.Run(string(block), func(t *testing.T) {
			n := openNet(t, t.TempDir())
			num := n.Attach(gw)
			entered := make(chan struct{})
			release := make(chan struct{})
			var returned, stopped atomic.Bool
			var late atomic.Int32
			err := num.Start(context.Background(), func(ev gateway.Event) {
				if stopped.Load() {
					late.Add(1)
				}
				if ev.Kind == block {
					close(entered)
					<-release
					returned.Store(true)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if block == gateway.EventInbound {
				go n.Inbound(context.Background(), alice, gw, "Hi")
			}
			<-entered
			stopDone := make(chan struct{})
			go func() { num.Stop(); stopped.Store(true); close(stopDone) }()
			select {
			case <-stopDone:
				t.Fatal("Stop returned while a handler call was in progress")
			case <-time.After(20 * time.Millisecond):
			}
			close(release)
			<-stopDone
			if !returned.Load() {
				t.Fatal("Stop returned before the handler")
			}
			// What comes up now waits for the next Start.
			if err := n.Inbound(context.Background(), bob, gw, "after stop"); err != nil {
				t.Fatal(err)
			}
			if late.Load() != 0 {
				t.Fatalf("%d handler calls after Stop returned", late.Load())
			}
		})
	}
}

func TestStartTwiceFails(t *testing.T) {
	n := openNet(t, t.TempDir())
	num, _ := start(t, n, gw)
	if err := num.Start(context.Background(), func(gateway.Event) {}); err == nil {
		t.Fatal("second Start did not fail")
	}
	if n.Attach(gw) != num {
		t.Fatal("Attach gave a different *Number for the same number")
	}
	if err := n.Attach("5550000001").Start(context.Background(), func(gateway.Event) {}); err == nil {
		t.Fatal("Start of a number that is not E.164 did not fail")
	}
}
