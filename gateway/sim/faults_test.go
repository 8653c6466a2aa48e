package sim_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"higate/gateway"
	"higate/gateway/sim"
)

func TestFaults(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	ctx := context.Background()
	tests := []struct {
		kind      string
		d         time.Duration
		wantEvent gateway.EventKind
		heals     bool // comes back by itself after d
	}{
		{sim.FaultDisconnect, 0, gateway.EventDisconnected, false},
		{sim.FaultDisconnect, 20 * time.Millisecond, gateway.EventDisconnected, true},
		{sim.FaultTempBan, 0, gateway.EventTempBanned, false},
		{sim.FaultTempBan, 20 * time.Millisecond, gateway.EventTempBanned, true},
		{sim.FaultBan, 0, gateway.EventBanned, false},
	}
	for _, tt := range tests {
		t.Run(tt.kind+"/"+tt.d.String(), func(t *testing.T) {
			n, err := sim.Open(t.TempDir(), sim.Options{Now: clock})
			if err != nil {
				t.Fatal(err)
			}
			defer n.Close()
			num, rec := start(t, n, gw)
			if err := n.Fault(gw, tt.kind, tt.d); err != nil {
				t.Fatal(err)
			}
			waitFor(t, string(tt.wantEvent), func() bool { return rec.count(tt.wantEvent) == 1 })
			ev := rec.all()[1]
			if tt.kind == sim.FaultTempBan {
				wantUntil := time.Time{}
				if tt.d > 0 {
					wantUntil = now.Add(tt.d)
				}
				if ev.Code != 402 || !ev.Until.Equal(wantUntil) {
					t.Errorf("temp ban event %+v, want code 402 until %v", ev, wantUntil)
				}
			}
			if tt.heals {
				waitFor(t, "reconnect", func() bool { return rec.count(gateway.EventConnected) == 2 })
			} else {
				if err := num.Send(ctx, text("F1", alice, "hi")); !errors.Is(err, gateway.ErrNotConnected) {
					t.Fatalf("Send during %s = %v, want ErrNotConnected", tt.kind, err)
				}
				if _, err := num.Groups(ctx); !errors.Is(err, gateway.ErrNotConnected) {
					t.Errorf("Groups during %s = %v, want ErrNotConnected", tt.kind, err)
				}
				if err := n.Fault(gw, sim.FaultClear, 0); err != nil {
					t.Fatal(err)
				}
				waitFor(t, "reconnect", func() bool { return rec.count(gateway.EventConnected) == 2 })
			}
			mustSend(t, num, text("F2", alice, "back"))
			want := []gateway.EventKind{gateway.EventConnected, tt.wantEvent, gateway.EventConnected}
			waitFor(t, "receipt", func() bool { return len(rec.all()) == 4 })
			if got := rec.kinds()[:3]; !slices.Equal(got, want) {
				t.Errorf("events %v, want %v", got, want)
			}
		})
	}
}

func TestFaultSlow(t *testing.T) {
	n := openNet(t, t.TempDir())
	num, _ := start(t, n, gw)
	const d = 30 * time.Millisecond
	if err := n.Fault(gw, sim.FaultSlow, d); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	mustSend(t, num, text("S1", alice, "slow"))
	if took := time.Since(began); took < d {
		t.Errorf("slow send took %v, want at least %v", took, d)
	}
	if err := n.Fault(gw, sim.FaultSlow, time.Hour); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := num.Send(ctx, text("S2", alice, "never")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow send past its deadline = %v", err)
	}
	if err := n.Fault(gw, sim.FaultClear, 0); err != nil {
		t.Fatal(err)
	}
	mustSend(t, num, text("S2", alice, "now"))
	if got := texts(n.Messages(alice)); !slices.Equal(got, []string{"slow", "now"}) {
		t.Fatalf("alice has %q", got)
	}
}

func TestFaultBeforeStart(t *testing.T) {
	n := openNet(t, t.TempDir())
	n.Attach(gw)
	if err := n.Fault(gw, sim.FaultDisconnect, 0); err != nil {
		t.Fatal(err)
	}
	num, rec := startQuiet(t, n, gw)
	if err := num.Send(context.Background(), text("B1", alice, "hi")); !errors.Is(err, gateway.ErrNotConnected) {
		t.Fatalf("Send while starting disconnected = %v", err)
	}
	if got := rec.all(); len(got) != 0 {
		t.Fatalf("a disconnected start reported %v", got)
	}
	if err := n.Fault(gw, sim.FaultClear, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "connected", func() bool { return rec.count(gateway.EventConnected) == 1 })
}

func TestFaultErrors(t *testing.T) {
	n := openNet(t, t.TempDir())
	n.Attach(gw)
	if err := n.Fault("+15559999999", sim.FaultBan, 0); err == nil {
		t.Error("fault on an unknown number did not fail")
	}
	if err := n.Fault(gw, "explode", 0); err == nil {
		t.Error("unknown fault kind did not fail")
	}
	if err := n.Fault(gw, sim.FaultDisconnect, -time.Second); err == nil {
		t.Error("negative duration did not fail")
	}
}

func TestBanSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	n := openNet(t, dir)
	n.Attach(gw)
	n.Attach(gw2)
	if err := n.Fault(gw, sim.FaultBan, 0); err != nil {
		t.Fatal(err)
	}
	if err := n.Fault(gw2, sim.FaultDisconnect, 0); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	n = openNet(t, dir)
	_, rec := startQuiet(t, n, gw)
	waitFor(t, "banned", func() bool { return len(rec.all()) == 1 })
	if got := rec.kinds(); got[0] != gateway.EventBanned {
		t.Fatalf("banned number started with %v", got)
	}
	_, rec2 := startQuiet(t, n, gw2)
	waitFor(t, "a disconnect does not survive a restart", func() bool { return rec2.count(gateway.EventConnected) == 1 })
}

func TestTempBanSurvivesRestart(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	open := func(dir string, now time.Time) *sim.Network {
		n, err := sim.Open(dir, sim.Options{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		return n
	}
	dir := t.TempDir()
	n := open(dir, t0)
	n.Attach(gw)
	if err := n.Fault(gw, sim.FaultTempBan, time.Hour); err != nil {
		t.Fatal(err)
	}
	n.Close()

	// Still banned half an hour later, with the same end.
	n = open(dir, t0.Add(30*time.Minute))
	_, rec := startQuiet(t, n, gw)
	waitFor(t, "temp ban", func() bool { return len(rec.all()) == 1 })
	if ev := rec.all()[0]; ev.Kind != gateway.EventTempBanned || !ev.Until.Equal(t0.Add(time.Hour)) {
		t.Fatalf("restarted during a temp ban: %+v", ev)
	}
	n.Attach(gw).Stop()
	n.Close()

	// Over by the time the network opens again.
	n = open(dir, t0.Add(2*time.Hour))
	_, rec = startQuiet(t, n, gw)
	waitFor(t, "connected", func() bool { return len(rec.all()) == 1 })
	if ev := rec.all()[0]; ev.Kind != gateway.EventConnected {
		t.Fatalf("restarted after a temp ban ran out: %+v", ev)
	}
}
