package sim_test

import (
	"bytes"
	"fmt"
	"testing"

	"higate/gateway"
	"higate/gateway/sim"
)

func image(id, to string, data []byte) gateway.Outbound {
	return gateway.Outbound{ID: id, To: to, Kind: gateway.KindImage, Mimetype: "image/png", Media: data}
}

// mediaOf returns the media of the message with id in number's inbox.
func mediaOf(t testing.TB, n *sim.Network, number, id string) ([]byte, bool) {
	t.Helper()
	for _, m := range n.Messages(number) {
		if m.ID == id {
			return n.Media(m.SHA256)
		}
	}
	t.Fatalf("%s has no message %s", number, id)
	return nil, false
}

// TestMediaKeptWhileInInbox keeps an image's bytes, once for every inbox
// that has it, until the last message referring to it drops out of its
// inbox, and not after a reopen.
func TestMediaKeptWhileInInbox(t *testing.T) {
	dir := t.TempDir()
	n, err := sim.Open(dir, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	num, _ := start(t, n, gw)
	png := []byte("\x89PNG a picture")
	buf := bytes.Clone(png)
	mustSend(t, num, image("I1", alice, buf))
	mustSend(t, num, image("I2", bob, buf))
	buf[1] = 'X' // the sender's buffer is its own again
	if got, ok := mediaOf(t, n, alice, "I1"); !ok || !bytes.Equal(got, png) {
		t.Fatalf("alice's image = %q, %v; want %q", got, ok, png)
	}
	if _, ok := n.Media(""); ok {
		t.Error(`Media("") found something`)
	}
	sum := n.Messages(alice)[0].SHA256
	for i := range 1000 {
		mustSend(t, num, text(fmt.Sprint("A", i), alice, "filler"))
	}
	if got, ok := n.Media(sum); !ok || !bytes.Equal(got, png) {
		t.Fatalf("with bob's copy still in his inbox: %q, %v", got, ok)
	}
	for i := range 1000 {
		mustSend(t, num, text(fmt.Sprint("B", i), bob, "filler"))
	}
	if _, ok := n.Media(sum); ok {
		t.Fatal("the image is kept after every message referring to it dropped out")
	}

	// Media lives in memory only: after a reopen the inbox still has the
	// message, without bytes, and later drop-outs count right.
	mustSend(t, num, image("I3", carol, png))
	num.Stop()
	n.Close()
	n = openNet(t, dir)
	if _, ok := mediaOf(t, n, carol, "I3"); ok {
		t.Error("media survived a reopen")
	}
	num, _ = start(t, n, gw)
	mustSend(t, num, image("I4", carol, png))
	if _, ok := mediaOf(t, n, carol, "I4"); !ok {
		t.Error("the same image sent again after a reopen is not kept")
	}
}

// TestMediaLimit evicts the oldest media past Options.MediaLimit, and keeps
// none with a negative limit.
func TestMediaLimit(t *testing.T) {
	n, err := sim.Open(t.TempDir(), sim.Options{MediaLimit: 25})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	num, _ := start(t, n, gw)
	mustSend(t, num, image("L1", alice, []byte("first image, 20 bytes")))
	mustSend(t, num, image("L2", alice, []byte("second, 10")))
	if _, ok := mediaOf(t, n, alice, "L1"); ok {
		t.Error("the oldest image is kept past the limit")
	}
	if _, ok := mediaOf(t, n, alice, "L2"); !ok {
		t.Error("the newest image is not kept")
	}
	mustSend(t, num, image("L3", alice, []byte("far too large for the limit of 25 bytes")))
	if _, ok := mediaOf(t, n, alice, "L3"); ok {
		t.Error("an image larger than the limit is kept")
	}
	if _, ok := mediaOf(t, n, alice, "L2"); !ok {
		t.Error("an image too large to keep evicted another")
	}

	none, err := sim.Open(t.TempDir(), sim.Options{MediaLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer none.Close()
	num, _ = start(t, none, gw)
	mustSend(t, num, image("N1", alice, []byte("x")))
	if _, ok := mediaOf(t, none, alice, "N1"); ok {
		t.Error("media kept with a negative limit")
	}
}
