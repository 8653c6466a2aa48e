package wameow_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"

	"higate/gateway"
	"higate/gateway/wameow"
)

// These tests run the real whatsmeow client on a real SQLite store. There
// is no route to WhatsApp here, which is exactly the case they check: the
// transport must say so within the connect timeout and stay up.

func TestOpenPairingReportsUnreachable(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	opts := wameow.Options{Dir: dir, Number: "+15551234567", RetryDelay: time.Minute}
	tr, err := wameow.Open(ctx, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	path := wameow.StorePath(dir, "+15551234567")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("device store not at %s: %v", path, err)
	}
	if p := tr.Pairing(); p.Step != gateway.PairingWaiting {
		t.Fatalf("a new number's pairing = %+v, want waiting", p)
	}

	began := time.Now()
	if err := tr.Start(ctx, func(gateway.Event) {}); err != nil {
		t.Fatal(err)
	}
	deadline := began.Add(wameow.DefaultConnectTimeout)
	for {
		p := tr.Pairing()
		if p.Step == gateway.PairingError {
			if !strings.HasPrefix(p.Message, "cannot reach WhatsApp: ") {
				t.Fatalf("message = %q", p.Message)
			}
			t.Logf("after %v: %s", time.Since(began).Round(time.Millisecond), p.Message)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pairing still %+v after %v", p, wameow.DefaultConnectTimeout)
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
	tr.Stop()

	// The store opens again after Stop closed it.
	tr, err = wameow.Open(ctx, opts)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	tr.Stop()
}

// putPairedDevice writes a device for number into the store as pairing
// would, so a test can see what a restart of a paired number does.
func putPairedDevice(t *testing.T, dir, number string) {
	t.Helper()
	ctx := context.Background()
	path := wameow.StorePath(dir, number)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	dsn := "file:" + path + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)"
	c, err := sqlstore.New(ctx, "sqlite", dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dev := c.NewDevice()
	jid := types.NewADJID(strings.TrimPrefix(number, "+"), 0, 7)
	dev.ID = &jid
	dev.Account = &waAdv.ADVSignedDeviceIdentity{
		Details:             []byte{1},
		AccountSignature:    make([]byte, 64),
		AccountSignatureKey: make([]byte, 32),
		DeviceSignature:     make([]byte, 64),
	}
	if err := c.PutDevice(ctx, dev); err != nil {
		t.Fatal(err)
	}
}

func TestOpenPairedNumberConnectsOnStart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	putPairedDevice(t, dir, "+15557654321")

	tr, err := wameow.Open(ctx, wameow.Options{Dir: dir, Number: "+15557654321", RetryDelay: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Stop()
	if p := tr.Pairing(); p.Step != gateway.PairingPaired {
		t.Fatalf("Pairing = %+v, want paired", p)
	}
	events := make(chan gateway.Event, 16)
	if err := tr.Start(ctx, func(ev gateway.Event) { events <- ev }); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-events:
		if ev.Kind != gateway.EventDisconnected || !strings.HasPrefix(ev.Reason, "cannot reach WhatsApp: ") {
			t.Fatalf("first event = %+v, want disconnected: cannot reach WhatsApp", ev)
		}
	case <-time.After(wameow.DefaultConnectTimeout + 5*time.Second):
		t.Fatal("no event: the paired number did not try to connect")
	}
}

func TestOpenRefusesStoreOfAnotherNumber(t *testing.T) {
	dir := t.TempDir()
	putPairedDevice(t, dir, "+15557654321")
	// Make the file for +15550000000 hold +15557654321's device.
	src, dst := wameow.StorePath(dir, "+15557654321"), wameow.StorePath(dir, "+15550000000")
	if err := os.Rename(src, dst); err != nil {
		t.Fatal(err)
	}
	if tr, err := wameow.Open(context.Background(), wameow.Options{Dir: dir, Number: "+15550000000"}); err == nil {
		tr.Stop()
		t.Fatal("Open of a store linked to another number: want an error")
	}
}

func TestOpenValidates(t *testing.T) {
	for _, opts := range []wameow.Options{
		{Dir: t.TempDir(), Number: "15551234567"},
		{Dir: t.TempDir(), Number: "+1555"},
		{Number: "+15551234567"},
	} {
		if tr, err := wameow.Open(context.Background(), opts); err == nil {
			tr.Stop()
			t.Errorf("Open(%+v): want an error", opts)
		}
	}
}
