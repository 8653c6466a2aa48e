package sim_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"

	"higate/gateway"
	"higate/gateway/sim"
)

const dave = "+12025550123"

// journalRecords counts the records in dir's journal.
func journalRecords(t *testing.T, dir string) int {
	t.Helper()
	b, err := os.ReadFile(journalPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte("\n"))
}

// churn adds k journal records that supersede each other, leaving the
// state as it was: a user who goes off WhatsApp and back on.
func churn(t *testing.T, n *sim.Network, k int) {
	t.Helper()
	for i := range k {
		if err := n.SetOnWhatsApp("+12025550199", i%2 == 1); err != nil {
			t.Fatal(err)
		}
	}
}

// reopen closes n and opens the network in dir again.
func reopen(t *testing.T, n *sim.Network, dir string) *sim.Network {
	t.Helper()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	return openNet(t, dir)
}

func TestCompaction(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	n := openNet(t, dir)
	id := populate(t, n)
	// Work left for the handlers: a message and a read receipt that came
	// while gw was stopped, and a ban on gw2.
	n.Attach(gw).Stop()
	if err := n.Inbound(ctx, dave, gw, "while stopped"); err != nil {
		t.Fatal(err)
	}
	if err := n.Read(bob, gw); err != nil {
		t.Fatal(err)
	}
	n.Attach(gw2)
	if err := n.Fault(gw2, sim.FaultBan, 0); err != nil {
		t.Fatal(err)
	}
	churn(t, n, 10_002)
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	before := journalRecords(t, dir)
	n = openNet(t, dir)
	if after := journalRecords(t, dir); after > 50 {
		t.Fatalf("journal has %d records after compaction, had %d", after, before)
	}
	// From here on the state is what the compacted journal holds.
	n = reopen(t, n, dir)

	// What waited comes after the connection, and nothing the handler
	// returned from before comes again.
	_, rec := start(t, n, gw)
	waitFor(t, "queued events", func() bool { return len(rec.all()) == 3 })
	if got := rec.kinds(); !slices.Equal(got, []gateway.EventKind{gateway.EventConnected, gateway.EventInbound, gateway.EventReceipt}) {
		t.Fatalf("events after compaction = %v", got)
	}
	if got := rec.receipts(); !slices.Equal(got, []string{"read:P3"}) {
		t.Fatalf("receipts after compaction = %q", got)
	}
	if ev := rec.all()[1]; ev.From != dave || ev.Text != "while stopped" {
		t.Fatalf("queued inbound = %+v", ev)
	}
	n.Attach(gw).Stop()
	_, rec2 := startQuiet(t, n, gw2)
	waitFor(t, "ban", func() bool { return rec2.count(gateway.EventBanned) == 1 })
	n.Attach(gw2).Stop()
	verify(t, n, id)

	// Compacted again with nothing left for the handler, the journal must
	// still number new events after those it acknowledged, or the next
	// replay would take them for handled.
	n.Attach(gw).Stop()
	churn(t, n, 10_002)
	n = reopen(t, n, dir)
	if got := journalRecords(t, dir); got > 50 {
		t.Fatalf("journal has %d records after the second compaction", got)
	}
	n = reopen(t, n, dir)
	if err := n.Inbound(ctx, dave, gw, "after compaction"); err != nil {
		t.Fatal(err)
	}
	n = reopen(t, n, dir)
	_, rec = start(t, n, gw)
	waitFor(t, "inbound queued after compaction", func() bool { return slices.Equal(inbound(rec), []string{"after compaction"}) })
}

func TestSmallJournalNotCompacted(t *testing.T) {
	dir := t.TempDir()
	n := openNet(t, dir)
	populate(t, n)
	churn(t, n, 1000) // far more churn than state, but a short journal
	n.Attach(gw).Stop()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(journalPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	n = openNet(t, dir)
	n.Close()
	after, err := os.ReadFile(journalPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatalf("a journal of %d records was rewritten", bytes.Count(before, []byte("\n")))
	}
}

// TestInterruptedCompaction opens a network beside the temporary file a
// compaction cut short by a crash leaves: the file is removed and the state
// is the journal's.
func TestInterruptedCompaction(t *testing.T) {
	dir := t.TempDir()
	n := openNet(t, dir)
	id := populate(t, n)
	n.Attach(gw).Stop()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	tmp := journalPath(dir) + ".tmp"
	partial := `{"op":"attach","n":"+15550000001"}` + "\n" + `{"op":"inbox","n":"+4915112345678","m":{"id":"X`
	if err := os.WriteFile(tmp, []byte(partial), 0o600); err != nil {
		t.Fatal(err)
	}
	n = openNet(t, dir)
	if _, err := os.Stat(tmp); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("leftover of the compaction is still there: %v", err)
	}
	verify(t, n, id)
}

// TestInboxKeepsLastMessages checks the inbox bound of 1,000 messages, live
// and after a restart, and that a message that dropped out unread is never
// reported read.
func TestInboxKeepsLastMessages(t *testing.T) {
	dir := t.TempDir()
	n := openNet(t, dir)
	num, rec := start(t, n, gw)
	send := func(prefix string, from, to int) {
		for i := from; i < to; i++ {
			mustSend(t, num, text(fmt.Sprint(prefix, i), alice, fmt.Sprint(prefix, i)))
		}
	}
	read := func() []string {
		k := len(rec.receipts())
		if err := n.Read(alice, gw); err != nil {
			t.Fatal(err)
		}
		var got []string
		waitFor(t, "read receipt", func() bool {
			got = nil
			for _, r := range rec.receipts()[k:] {
				if id, ok := strings.CutPrefix(r, "read:"); ok {
					got = append(got, id)
				}
			}
			return len(got) > 0
		})
		return got
	}
	send("M", 0, 1005) // M0..M4 drop out unread
	if got := read(); len(got) != 1000 || got[0] != "M5" || got[999] != "M1004" {
		t.Fatalf("read %d: %v ... %v", len(got), got[:1], got[len(got)-1:])
	}
	send("N", 0, 10) // M5..M14 drop out, read
	if got := read(); !slices.Equal(got, []string{"N0", "N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9"}) {
		t.Fatalf("second read = %v", got)
	}
	check := func(when string) {
		msgs := n.Messages(alice)
		if len(msgs) != 1000 || msgs[0].Text != "M15" || msgs[999].Text != "N9" {
			t.Fatalf("%s: alice has %d messages, %q to %q", when, len(msgs), msgs[0].Text, msgs[len(msgs)-1].Text)
		}
	}
	check("live")
	num.Stop()
	n = reopen(t, n, dir)
	check("after reopen")
	num, rec = start(t, n, gw)
	send("N", 10, 11)
	if got := read(); !slices.Equal(got, []string{"N10"}) {
		t.Fatalf("read after reopen = %v", got)
	}
}
