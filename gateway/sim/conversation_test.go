package sim_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"higate/gateway"
	"higate/gateway/sim"
)

// line is a conversation message as a test reads it: who said it, what,
// and its ticks.
func lines(msgs []sim.ChatMessage) []string {
	var out []string
	for _, m := range msgs {
		switch {
		case m.Mine && m.Delivered:
			out = append(out, "me: "+m.Text+" ✓✓")
		case m.Mine:
			out = append(out, "me: "+m.Text+" ✓")
		case m.Unread:
			out = append(out, m.From+": "+m.Text+" (unread)")
		default:
			out = append(out, m.From+": "+m.Text)
		}
	}
	return out
}

// TestConversation interleaves what the user sent with what the gateway
// number sent in the order it happened, with a clock that stands still, and
// leaves out other gateway numbers' messages.
func TestConversation(t *testing.T) {
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	n, err := sim.Open(t.TempDir(), sim.Options{Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	num, _ := start(t, n, gw)
	num2, _ := start(t, n, gw2)
	ctx := context.Background()

	if got := n.Conversation(alice, gw); got == nil || len(got) != 0 {
		t.Fatalf("conversation of a new user = %#v, want an empty slice", got)
	}
	if err := n.Inbound(ctx, alice, gw, "Hi"); err != nil {
		t.Fatal(err)
	}
	mustSend(t, num, text("R1", alice, "You are registered"))
	mustSend(t, num2, text("O1", alice, "another gateway"))
	if err := n.Inbound(ctx, alice, gw2, "Hello other"); err != nil {
		t.Fatal(err)
	}
	if err := n.Inbound(ctx, alice, gw, "thanks"); err != nil {
		t.Fatal(err)
	}
	mustSend(t, num, text("R2", alice, "You're welcome"))

	want := []string{"me: Hi ✓✓", gw + ": You are registered (unread)", "me: thanks ✓✓", gw + ": You're welcome (unread)"}
	got := n.Conversation(alice, gw)
	if !slices.Equal(lines(got), want) {
		t.Fatalf("conversation =\n%q\nwant\n%q", lines(got), want)
	}
	if m := got[0]; m.From != alice || m.To != gw || m.Kind != gateway.KindText || m.ID == "" || !m.At.Equal(at) {
		t.Errorf("the user's message = %+v", m)
	}
	if err := n.Read(alice, gw); err != nil {
		t.Fatal(err)
	}
	want = []string{"me: Hi ✓✓", gw + ": You are registered", "me: thanks ✓✓", gw + ": You're welcome"}
	if got := lines(n.Conversation(alice, gw)); !slices.Equal(got, want) {
		t.Errorf("after Read =\n%q\nwant\n%q", got, want)
	}
	want = []string{gw2 + ": another gateway (unread)", "me: Hello other ✓✓"}
	if got := lines(n.Conversation(alice, gw2)); !slices.Equal(got, want) {
		t.Errorf("with the other number =\n%q\nwant\n%q", got, want)
	}
}

// TestConversationDeliveredTick shows one tick while the gateway number is
// offline and the message waits in its queue, two once its handler has it,
// and nothing for a message that could not be sent.
func TestConversationDeliveredTick(t *testing.T) {
	n := openNet(t, t.TempDir())
	n.Attach(gw)
	if err := n.Inbound(context.Background(), alice, gw, "anyone there?"); err != nil {
		t.Fatal(err)
	}
	if got := lines(n.Conversation(alice, gw)); !slices.Equal(got, []string{"me: anyone there? ✓"}) {
		t.Fatalf("while offline = %q", got)
	}
	_, rec := start(t, n, gw)
	waitFor(t, "the queued message handled", func() bool { return slices.Contains(inbound(rec), "anyone there?") })
	waitFor(t, "the second tick", func() bool {
		return slices.Equal(lines(n.Conversation(alice, gw)), []string{"me: anyone there? ✓✓"})
	})

	// A message that never went out is not in the conversation: gw2 is
	// still connecting (its handler holds the connected event), so Inbound
	// waits, and gives up with its context.
	block := make(chan struct{})
	num2 := n.Attach(gw2)
	if err := num2.Start(context.Background(), func(ev gateway.Event) {
		if ev.Kind == gateway.EventConnected {
			<-block
		}
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { close(block); num2.Stop() })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := n.Inbound(ctx, alice, gw2, "lost"); err == nil {
		t.Fatal("Inbound to a number still connecting succeeded within its context")
	}
	if got := n.Conversation(alice, gw2); len(got) != 0 {
		t.Errorf("after a failed send = %q", lines(got))
	}
}

// TestConversationKeepsLastSaid bounds what the network remembers of a
// user's own messages.
func TestConversationKeepsLastSaid(t *testing.T) {
	n := openNet(t, t.TempDir())
	_, _ = start(t, n, gw)
	for i := range 130 {
		if err := n.Inbound(context.Background(), alice, gw, fmt.Sprint("m", i)); err != nil {
			t.Fatal(err)
		}
	}
	got := n.Conversation(alice, gw)
	if len(got) != 100 || got[0].Text != "m30" || got[99].Text != "m129" {
		t.Errorf("kept %d messages, %q to %q; want the last 100, m30 to m129", len(got), got[0].Text, got[len(got)-1].Text)
	}
}

// TestWatch gets a token for every kind of change, one for a burst, none
// after stop, and Done closes with the network.
func TestWatch(t *testing.T) {
	n, err := sim.Open(t.TempDir(), sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	num, _ := start(t, n, gw)
	if _, _, err := n.Watch("alice"); err == nil {
		t.Error("Watch of a number that is not E.164 succeeded")
	}
	changed, stop, err := n.Watch(alice)
	if err != nil {
		t.Fatal(err)
	}
	expect := func(what string) {
		t.Helper()
		select {
		case <-changed:
		case <-time.After(5 * time.Second):
			t.Fatalf("no token after %s", what)
		}
	}
	quiet := func(what string) {
		t.Helper()
		select {
		case <-changed:
			t.Fatalf("a token after %s", what)
		default:
		}
	}
	quiet("nothing")
	mustSend(t, num, text("W1", alice, "one"))
	expect("a delivery")
	quiet("one token taken")
	mustSend(t, num, text("W2", alice, "two"))
	mustSend(t, num, text("W3", alice, "three"))
	expect("a burst")
	quiet("a burst's one token taken")
	mustSend(t, num, text("B1", bob, "not alice's"))
	quiet("someone else's message")
	if err := n.Read(alice, gw); err != nil {
		t.Fatal(err)
	}
	expect("a read")
	if err := n.Inbound(context.Background(), alice, gw, "Hi"); err != nil {
		t.Fatal(err)
	}
	expect("an inbound message")
	stop()
	stop() // twice is fine
	mustSend(t, num, text("W4", alice, "four"))
	quiet("stop")

	select {
	case <-n.Done():
		t.Fatal("Done closed before Close")
	default:
	}
	n.Close()
	select {
	case <-n.Done():
	default:
		t.Fatal("Done open after Close")
	}
}
