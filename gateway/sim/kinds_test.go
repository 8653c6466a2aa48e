package sim_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"higate/gateway"
	"higate/gateway/sim"
)

// The simulated network refuses what WhatsApp would, and keeps what each
// kind carries, across a restart too.
func TestSendNewKinds(t *testing.T) {
	dir := t.TempDir()
	n := openNet(t, dir)
	num, _ := start(t, n, gw)
	ctx := context.Background()
	for _, msg := range []gateway.Outbound{
		{ID: "BAD1", To: alice, Kind: gateway.KindAudio},
		{ID: "BAD2", To: alice, Kind: gateway.KindVideo},
		{ID: "BAD3", To: alice, Kind: gateway.KindLocation, Location: gateway.Location{Latitude: 91}},
		{ID: "BAD4", To: alice, Kind: gateway.KindLocation, Location: gateway.Location{Longitude: -181}},
		{ID: "BAD5", To: alice, Kind: gateway.KindContact, Contact: gateway.Contact{Number: "+442079460018"}},
		{ID: "BAD6", To: alice, Kind: gateway.KindContact, Contact: gateway.Contact{Name: "Ada", Number: "0800"}},
	} {
		var se *gateway.SendError
		if err := num.Send(ctx, msg); !errors.As(err, &se) || !se.Permanent {
			t.Errorf("%s: %v, want a permanent refusal", msg.ID, err)
		}
	}
	for _, msg := range []gateway.Outbound{
		{ID: "A1", To: alice, Kind: gateway.KindAudio, Mimetype: "audio/ogg; codecs=opus", Media: []byte("OggS voice")},
		{ID: "A2", To: alice, Kind: gateway.KindAudio, Mimetype: "audio/mpeg", Media: []byte("ID3 song")},
		{ID: "V1", To: alice, Kind: gateway.KindVideo, Mimetype: "video/mp4", Caption: "clip", Media: []byte("ftyp video")},
		{ID: "L1", To: alice, Kind: gateway.KindLocation, Location: gateway.Location{Latitude: -90, Longitude: 180, Name: "Pole", Address: "Antarctica"}},
		{ID: "C1", To: alice, Kind: gateway.KindContact, Contact: gateway.Contact{Name: "Ada", Number: "+442079460018"}},
	} {
		if err := num.Send(ctx, msg); err != nil {
			t.Fatalf("%s: %v", msg.ID, err)
		}
	}
	check := func(when string, got []sim.Message) {
		t.Helper()
		if len(got) != 5 {
			t.Fatalf("%s: %d messages: %+v", when, len(got), got)
		}
		a1, a2, v1, l1, c1 := got[0], got[1], got[2], got[3], got[4]
		if a1.Kind != gateway.KindAudio || !a1.Voice || a2.Voice || a1.Size != len("OggS voice") {
			t.Errorf("%s: audio %+v %+v", when, a1, a2)
		}
		if v1.Kind != gateway.KindVideo || v1.Caption != "clip" || v1.Mimetype != "video/mp4" {
			t.Errorf("%s: video %+v", when, v1)
		}
		if l1.Location == nil || *l1.Location != (sim.Location{Latitude: -90, Longitude: 180, Name: "Pole", Address: "Antarctica"}) || l1.Contact != nil {
			t.Errorf("%s: location %+v", when, l1)
		}
		if c1.Contact == nil || c1.ContactName != "Ada" || c1.ContactNumber != "+442079460018" || !strings.Contains(c1.VCard, "waid=442079460018") || c1.Location != nil {
			t.Errorf("%s: contact %+v", when, c1)
		}
	}
	check("sent", n.Messages(alice))
	n.Close()
	check("after a restart", openNet(t, dir).Messages(alice))
}

// A user's file reaches the handler with its type, name and caption, and
// the bytes; sent while the number is offline, it waits in the journal,
// bytes and all, and arrives after a restart.
func TestInboundMedia(t *testing.T) {
	dir := t.TempDir()
	n := openNet(t, dir)
	_, rec := start(t, n, gw)
	ctx := context.Background()
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	if err := n.InboundMedia(ctx, alice, gw, sim.Attachment{Data: png, Caption: "my meter"}); err != nil {
		t.Fatal(err)
	}
	ev := rec.all()[len(rec.all())-1]
	a := ev.Attachment
	if ev.Kind != gateway.EventInbound || ev.Text != "my meter" || a == nil || a.Kind != gateway.KindImage || a.Mimetype != "image/png" || a.Size != int64(len(png)) {
		t.Fatalf("event %+v attachment %+v", ev, a)
	}
	if data, err := a.Fetch(ctx, 1<<20); err != nil || string(data) != string(png) {
		t.Fatalf("fetch: %q %v", data, err)
	}
	if _, err := a.Fetch(ctx, 4); err == nil {
		t.Fatal("fetch over the limit: no error")
	}
	if err := n.InboundMedia(ctx, alice, gw, sim.Attachment{}); err == nil {
		t.Fatal("an empty attachment was sent")
	}
	chat := n.Conversation(alice, gw)
	if last := chat[len(chat)-1]; !last.Mine || last.Kind != gateway.KindImage || last.Caption != "my meter" || last.Text != "" {
		t.Fatalf("the user's phone shows %+v", last)
	}

	// Offline: queued with its bytes, delivered after a restart.
	n.Attach(gw).Stop()
	pdf := []byte("%PDF-1.4 invoice")
	if err := n.InboundMedia(ctx, bob, gw, sim.Attachment{Data: pdf, Mimetype: "application/pdf", Filename: "invoice.pdf"}); err != nil {
		t.Fatal(err)
	}
	n.Close()
	n = openNet(t, dir)
	_, rec = start(t, n, gw)
	waitFor(t, "the queued file", func() bool { return rec.count(gateway.EventInbound) == 1 })
	for _, ev := range rec.all() {
		if ev.Kind != gateway.EventInbound {
			continue
		}
		a := ev.Attachment
		if ev.From != bob || a == nil || a.Kind != gateway.KindDocument || a.Filename != "invoice.pdf" || a.Mimetype != "application/pdf" {
			t.Fatalf("queued file %+v %+v", ev, a)
		}
		if data, err := a.Fetch(ctx, 1<<20); err != nil || string(data) != string(pdf) {
			t.Fatalf("queued file's bytes: %q %v", data, err)
		}
	}
}

// IsOnWhatsApp answers for many numbers at once and counts them.
func TestIsOnWhatsApp(t *testing.T) {
	n := openNet(t, t.TempDir())
	num, _ := start(t, n, gw)
	if err := n.SetOnWhatsApp(bob, false); err != nil {
		t.Fatal(err)
	}
	got, err := num.IsOnWhatsApp(context.Background(), []string{alice, bob, "12345", carol})
	if err != nil || len(got) != 4 || !got[0] || got[1] || got[2] || !got[3] {
		t.Fatalf("IsOnWhatsApp = %v, %v", got, err)
	}
	if n.Lookups() != 4 {
		t.Fatalf("%d look-ups counted", n.Lookups())
	}
	num.Stop()
	if _, err := num.IsOnWhatsApp(context.Background(), []string{alice}); !errors.Is(err, gateway.ErrNotConnected) {
		t.Fatalf("stopped: %v", err)
	}
}
