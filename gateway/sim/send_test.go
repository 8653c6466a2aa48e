package sim_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"higate/gateway"
	"higate/gateway/sim"
)

func TestSendKinds(t *testing.T) {
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	n, err := sim.Open(t.TempDir(), sim.Options{Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	num, _ := start(t, n, gw)
	png := []byte("\x89PNG fake image")
	pdf := []byte("%PDF-1.4 fake")
	sum := sha256.Sum256(pdf)
	tests := []struct {
		msg  gateway.Outbound
		want sim.Message
	}{
		{gateway.Outbound{ID: "T1", To: alice, Kind: gateway.KindText, Text: "hello"},
			sim.Message{Kind: gateway.KindText, Text: "hello"}},
		{gateway.Outbound{ID: "I1", To: alice, Kind: gateway.KindImage, Caption: "a cat", Mimetype: "image/png", Media: png},
			sim.Message{Kind: gateway.KindImage, Caption: "a cat", Mimetype: "image/png", Size: len(png)}},
		{gateway.Outbound{ID: "D1", To: alice, Kind: gateway.KindDocument, Filename: "bill.pdf", Caption: "your bill", Mimetype: "application/pdf", Media: pdf},
			sim.Message{Kind: gateway.KindDocument, Filename: "bill.pdf", Caption: "your bill", Mimetype: "application/pdf", Size: len(pdf), SHA256: hex.EncodeToString(sum[:])}},
		{gateway.Outbound{ID: "U1", To: alice, Kind: gateway.KindURL, Text: "https://example.com/?a=1&b=<2>"},
			sim.Message{Kind: gateway.KindURL, Text: "https://example.com/?a=1&b=<2>"}},
	}
	for _, tt := range tests {
		mustSend(t, num, tt.msg)
	}
	got := n.Messages(alice)
	if len(got) != len(tests) {
		t.Fatalf("alice has %d messages, want %d", len(got), len(tests))
	}
	for i, tt := range tests {
		want := tt.want
		want.ID, want.From, want.To, want.At = tt.msg.ID, gw, alice, at
		if i != 2 {
			want.SHA256 = got[i].SHA256 // checked for the document only
		}
		if got[i] != want {
			t.Errorf("message %d:\n got %+v\nwant %+v", i, got[i], want)
		}
	}
	if m := n.Messages(bob); m == nil || len(m) != 0 {
		t.Errorf("Messages of someone who got nothing = %#v, want an empty slice", m)
	}
}

func TestSendRefusals(t *testing.T) {
	n := openNet(t, t.TempDir())
	num, _ := start(t, n, gw)
	if err := n.SetOnWhatsApp(bob, false); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	err := num.Send(ctx, text("X1", bob, "hi"))
	var se *gateway.SendError
	if !errors.As(err, &se) || !se.NotOnWhatsApp || !se.Permanent {
		t.Fatalf("send to a number not on WhatsApp: %v, want a permanent NotOnWhatsApp SendError", err)
	}
	if on, err := num.OnWhatsApp(ctx, bob); err != nil || on {
		t.Errorf("OnWhatsApp(bob) = %v, %v; want false", on, err)
	}
	if on, err := num.OnWhatsApp(ctx, carol); err != nil || !on {
		t.Errorf("OnWhatsApp(carol) = %v, %v; want true (everyone is by default)", on, err)
	}
	if len(n.Messages(bob)) != 0 {
		t.Error("bob received a message while not on WhatsApp")
	}
	// Back on WhatsApp, the same message ID goes through: a refused send
	// must not count as delivered.
	if err := n.SetOnWhatsApp(bob, true); err != nil {
		t.Fatal(err)
	}
	mustSend(t, num, text("X1", bob, "hi"))
	if len(n.Messages(bob)) != 1 {
		t.Error("message refused earlier was not delivered once bob was back")
	}

	for name, msg := range map[string]gateway.Outbound{
		"bad number":   text("B1", "4915112345678", "hi"),
		"empty text":   text("B2", alice, ""),
		"no media":     {ID: "B3", To: alice, Kind: gateway.KindImage},
		"unknown kind": {ID: "B4", To: alice, Kind: "sticker", Text: "x"},
		"both targets": {ID: "B5", To: alice, GroupID: "g", Kind: gateway.KindText, Text: "x"},
	} {
		err := num.Send(ctx, msg)
		if !errors.As(err, &se) || !se.Permanent {
			t.Errorf("%s: %v, want a permanent SendError", name, err)
		}
	}
}

func TestSendDuplicateDropped(t *testing.T) {
	dir := t.TempDir()
	n := openNet(t, dir)
	num, rec := start(t, n, gw)
	mustSend(t, num, text("DUP1", alice, "first"))
	mustSend(t, num, text("DUP1", alice, "resend"))
	if got := texts(n.Messages(alice)); !slices.Equal(got, []string{"first"}) {
		t.Fatalf("after a resend alice has %q, want one message", got)
	}
	waitFor(t, "receipt", func() bool { return len(rec.receipts()) == 1 })

	num.Stop()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	n = openNet(t, dir)
	num, _ = start(t, n, gw)
	mustSend(t, num, text("DUP1", alice, "resend after restart"))
	mustSend(t, num, text("DUP2", alice, "new"))
	if got := texts(n.Messages(alice)); !slices.Equal(got, []string{"first", "new"}) {
		t.Fatalf("after a restart alice has %q", got)
	}
	// WhatsApp message IDs belong to their sender: another number may use
	// the same one.
	num2, _ := start(t, n, gw2)
	mustSend(t, num2, text("DUP1", alice, "from the other number"))
	if got := len(n.Messages(alice)); got != 3 {
		t.Fatalf("alice has %d messages, want 3", got)
	}
}

func TestReceiptsDeliveredThenRead(t *testing.T) {
	n := openNet(t, t.TempDir())
	num, rec := start(t, n, gw)
	num2, rec2 := start(t, n, gw2)
	for i := range 5 {
		mustSend(t, num, text(fmt.Sprint("R", i), alice, "hi"))
	}
	mustSend(t, num2, text("OTHER", alice, "hi from 2"))
	if err := n.Read(alice, gw); err != nil {
		t.Fatal(err)
	}
	mustSend(t, num, text("R5", alice, "after read"))
	want := []string{"delivered:R0", "delivered:R1", "delivered:R2", "delivered:R3", "delivered:R4",
		"read:R0", "read:R1", "read:R2", "read:R3", "read:R4", "delivered:R5"}
	waitFor(t, "receipts", func() bool { return len(rec.receipts()) == len(want) })
	if got := rec.receipts(); !slices.Equal(got, want) {
		t.Fatalf("receipts:\n got %q\nwant %q", got, want)
	}
	// Reading again reports only what is new; the other number's message
	// is read only when its number is named.
	if err := n.Read(alice, gw); err != nil {
		t.Fatal(err)
	}
	if err := n.Read(alice, gw); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "second read", func() bool { return len(rec.receipts()) == len(want)+1 })
	if got := rec.receipts(); got[len(got)-1] != "read:R5" {
		t.Fatalf("second read reported %q", got[len(want):])
	}
	waitFor(t, "other receipt", func() bool { return len(rec2.receipts()) == 1 })
	if err := n.Read(bob, gw); err != nil {
		t.Errorf("Read by someone who got nothing: %v", err)
	}
	if err := n.Read(alice, "+19999999999"); err == nil {
		t.Error("Read from an unknown gateway number did not fail")
	}
}

func TestGroups(t *testing.T) {
	n := openNet(t, t.TempDir())
	num, rec := start(t, n, gw)
	num2, rec2 := start(t, n, gw2)
	ctx := context.Background()
	g, err := n.CreateGroup("Chess club", alice, []string{bob, carol}, gw)
	if err != nil {
		t.Fatal(err)
	}
	if g.ID == "" || g.Name != "Chess club" || g.Admin != alice || !slices.Equal(g.Members, []string{alice, bob, carol, gw}) {
		t.Fatalf("CreateGroup = %+v", g)
	}
	if again, err := n.CreateGroup("Chess club", alice, nil, ""); err != nil || again.ID != g.ID {
		t.Fatalf("same name and admin gave %+v, %v; want the existing group", again, err)
	}
	other, err := n.CreateGroup("Chess club", bob, nil, "")
	if err != nil || other.ID == g.ID {
		t.Fatalf("same name, other admin: %+v, %v; want a new group", other, err)
	}
	groups, err := num.Groups(ctx)
	if err != nil || len(groups) != 1 || groups[0].ID != g.ID {
		t.Fatalf("Groups = %+v, %v", groups, err)
	}

	mustSend(t, num, gateway.Outbound{ID: "G1", GroupID: g.ID, Kind: gateway.KindText, Text: "move e4"})
	for _, member := range []string{alice, bob, carol} {
		msgs := n.Messages(member)
		if len(msgs) != 1 || msgs[0].Group != "Chess club" || msgs[0].To != member || msgs[0].From != gw {
			t.Errorf("%s got %+v", member, msgs)
		}
	}
	if len(n.Messages(gw)) != 0 {
		t.Error("the sending gateway number got its own group message")
	}
	waitFor(t, "group receipt", func() bool { return slices.Contains(rec.receipts(), "delivered:G1") })

	// A number outside the group may not write to it until it joins.
	var se *gateway.SendError
	err = num2.Send(ctx, gateway.Outbound{ID: "G2", GroupID: g.ID, Kind: gateway.KindText, Text: "hi"})
	if !errors.As(err, &se) || !se.Permanent {
		t.Fatalf("send by a non-member: %v, want a permanent SendError", err)
	}
	err = num.Send(ctx, gateway.Outbound{ID: "G3", GroupID: "nope@g.us", Kind: gateway.KindText, Text: "hi"})
	if !errors.As(err, &se) || !se.Permanent {
		t.Fatalf("send to an unknown group: %v, want a permanent SendError", err)
	}
	if err := n.AddToGroup(g.ID, gw2); err != nil {
		t.Fatal(err)
	}
	mustSend(t, num2, gateway.Outbound{ID: "G2", GroupID: g.ID, Kind: gateway.KindText, Text: "standby here"})
	if got := len(n.Messages(alice)); got != 2 {
		t.Fatalf("alice has %d group messages, want 2", got)
	}

	// A member writing in the group reaches every gateway number in it.
	if err := n.GroupInbound(ctx, bob, g.ID, "nice move"); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*recorder{rec, rec2} {
		var got []gateway.Event
		for _, ev := range r.all() {
			if ev.Kind == gateway.EventInbound {
				got = append(got, ev)
			}
		}
		if len(got) != 1 || got[0].From != bob || got[0].GroupID != g.ID || got[0].GroupName != "Chess club" || got[0].GroupAdmin != alice || got[0].Text != "nice move" {
			t.Errorf("group inbound events: %+v", got)
		}
	}
	if err := n.GroupInbound(ctx, "+12025550123", g.ID, "let me in"); err == nil {
		t.Error("GroupInbound from a non-member did not fail")
	}
}

func TestConcurrentSends(t *testing.T) {
	n := openNet(t, t.TempDir())
	num, rec := start(t, n, gw)
	users := []string{alice, bob, carol}
	const workers, each = 16, 100
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				// Every ID is sent twice, from different goroutines.
				id := fmt.Sprintf("C%d-%d", w/2, i)
				if err := num.Send(context.Background(), text(id, users[i%len(users)], id)); err != nil {
					t.Error(err)
					return
				}
			}
		})
		if w%3 == 0 {
			wg.Go(func() { _ = n.Read(users[w%len(users)], gw) })
		}
	}
	wg.Wait()
	total := 0
	for _, u := range users {
		total += len(n.Messages(u))
	}
	if want := workers / 2 * each; total != want {
		t.Fatalf("%d messages delivered, want %d", total, want)
	}
	waitFor(t, "all delivered receipts", func() bool {
		k := 0
		for _, r := range rec.receipts() {
			if strings.HasPrefix(r, "delivered:") {
				k++
			}
		}
		return k == total
	})
}

// TestGeneratedMessageIDs checks that IDs the network makes up have the
// shape of whatsmeow's GenerateMessageID: 3EB0 and 18 upper-case hex digits.
func TestGeneratedMessageIDs(t *testing.T) {
	n := openNet(t, t.TempDir())
	num, rec := start(t, n, gw)
	mustSend(t, num, gateway.Outbound{To: alice, Kind: gateway.KindText, Text: "no ID given"})
	if err := n.Inbound(context.Background(), alice, gw, "Hi"); err != nil {
		t.Fatal(err)
	}
	shape := regexp.MustCompile(`^3EB0[0-9A-F]{18}$`)
	sent, in := n.Messages(alice)[0].ID, ""
	for _, ev := range rec.all() {
		if ev.Kind == gateway.EventInbound {
			in = ev.MessageID
		}
	}
	for _, id := range []string{sent, in} {
		if !shape.MatchString(id) {
			t.Errorf("message ID %q does not look like WhatsApp's", id)
		}
	}
	if sent == in {
		t.Errorf("two messages got the same ID %q", sent)
	}
}
