package sim_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"higate/gateway"
	"higate/gateway/sim"
)

// journalPath is where the network keeps its state; the tests tear it on
// purpose.
func journalPath(dir string) string { return filepath.Join(dir, "sim-journal.jsonl") }

// populate puts one of everything that must persist into n.
func populate(t *testing.T, n *sim.Network) (groupID string) {
	t.Helper()
	ctx := context.Background()
	num, rec := start(t, n, gw)
	if err := n.SetOnWhatsApp(carol, false); err != nil {
		t.Fatal(err)
	}
	g, err := n.CreateGroup("Book club", alice, []string{bob}, gw)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Inbound(ctx, alice, gw, "Hi"); err != nil {
		t.Fatal(err)
	}
	mustSend(t, num, text("P1", alice, "one"))
	mustSend(t, num, text("P2", alice, "two"))
	mustSend(t, num, gateway.Outbound{ID: "P3", GroupID: g.ID, Kind: gateway.KindText, Text: "to the club"})
	if err := n.Read(alice, gw); err != nil {
		t.Fatal(err)
	}
	mustSend(t, num, text("P4", alice, "unread"))
	if err := num.SetProfile(ctx, gateway.Profile{About: "Higate", Image: []byte{0xff, 0xd8}}); err != nil {
		t.Fatal(err)
	}
	// Receipts the handler has not returned from yet would come again.
	waitFor(t, "receipts", func() bool { return len(rec.receipts()) == 7 }) // 4 delivered, 3 read
	return g.ID
}

// verify checks that n holds what populate put in.
func verify(t *testing.T, n *sim.Network, groupID string) {
	t.Helper()
	ctx := context.Background()
	if got := texts(n.Messages(alice)); !slices.Equal(got, []string{"one", "two", "to the club", "unread"}) {
		t.Errorf("alice's inbox = %q", got)
	}
	if got := n.Messages(bob); len(got) != 1 || got[0].Group != "Book club" {
		t.Errorf("bob's inbox = %+v", got)
	}
	if p := n.Profile(gw); p.About != "Higate" || len(p.Image) != 2 {
		t.Errorf("profile = %+v", p)
	}
	num, rec := start(t, n, gw)
	if on, _ := num.OnWhatsApp(ctx, carol); on {
		t.Error("carol is back on WhatsApp")
	}
	groups, err := num.Groups(ctx)
	if err != nil || len(groups) != 1 || groups[0].ID != groupID || !slices.Equal(groups[0].Members, []string{alice, bob, gw}) {
		t.Errorf("groups = %+v, %v", groups, err)
	}
	// Delivered IDs are remembered; read state too: reading now reports
	// only the unread message.
	mustSend(t, num, text("P1", alice, "dup"))
	if len(n.Messages(alice)) != 4 {
		t.Error("a delivered message ID was delivered again after reopening")
	}
	if err := n.Read(alice, gw); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "read receipt", func() bool { return slices.Contains(rec.receipts(), "read:P4") })
	for _, r := range rec.receipts() {
		if strings.HasPrefix(r, "read:") && r != "read:P4" {
			t.Errorf("read again after reopening: %s", r)
		}
	}
}

func TestPersistAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	n := openNet(t, dir)
	id := populate(t, n)
	n.Attach(gw).Stop()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	verify(t, openNet(t, dir), id)
}

func TestTornJournalTail(t *testing.T) {
	dir := t.TempDir()
	n := openNet(t, dir)
	id := populate(t, n)
	n.Attach(gw).Stop()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(journalPath(dir), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"q":99,"op":"send","gw":"+15550000001","m":{"id":"TORN","fr`); err != nil {
		t.Fatal(err)
	}
	f.Close()
	n = openNet(t, dir)
	verify(t, n, id)
	// The torn record is gone and later records land on a clean line.
	mustSend(t, n.Attach(gw), text("AFTER", bob, "after the tear"))
	n.Attach(gw).Stop()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	n = openNet(t, dir)
	if got := texts(n.Messages(bob)); !slices.Contains(got, "after the tear") {
		t.Fatalf("bob's inbox after a second reopen = %q", got)
	}
}

func TestCorruptJournalFailsOpen(t *testing.T) {
	dir := t.TempDir()
	n := openNet(t, dir)
	populate(t, n)
	n.Attach(gw).Stop()
	n.Close()
	b, err := os.ReadFile(journalPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	b = append([]byte("not json\n"), b...)
	if err := os.WriteFile(journalPath(dir), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if n, err := sim.Open(dir, sim.Options{}); err == nil {
		n.Close()
		t.Fatal("Open accepted a journal corrupt in the middle")
	}
}

// TestSurvivesKill runs a child process that sends messages and is killed
// with SIGKILL while still running: everything it reported as sent must be
// there.
func TestSurvivesKill(t *testing.T) {
	if dir := os.Getenv("SIM_KILL_CHILD_DIR"); dir != "" {
		killChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("spawns a process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSurvivesKill$")
	cmd.Env = append(os.Environ(), "SIM_KILL_CHILD_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	sent := 0
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "sent ") {
			sent++
			if sent == 200 {
				break
			}
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if sent < 200 {
		t.Fatalf("child reported only %d sends", sent)
	}
	n := openNet(t, dir)
	if got := len(n.Messages(alice)); got < sent {
		t.Fatalf("after kill -9 alice has %d messages, the child reported %d sent", got, sent)
	}
}

// killChild sends until it is killed, reporting each success on stdout.
func killChild(dir string) {
	n, err := sim.Open(dir, sim.Options{})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	num := n.Attach(gw)
	connected := make(chan struct{}, 1)
	_ = num.Start(context.Background(), func(ev gateway.Event) {
		if ev.Kind == gateway.EventConnected {
			connected <- struct{}{}
		}
	})
	<-connected
	for i := 0; ; i++ {
		if err := num.Send(context.Background(), text(fmt.Sprint("K", i), alice, "x")); err != nil {
			fmt.Println("send:", err)
			os.Exit(1)
		}
		fmt.Println("sent", i)
	}
}
