package wameow_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types/events"

	"higate/gateway"
	"higate/gateway/wameow"
)

// unpairedFake is a fake whose device has never been linked; GetQRChannel
// hands out channels the test feeds through qrs.
func unpairedFake() (*fakeClient, chan chan whatsmeow.QRChannelItem) {
	f := newFake()
	f.paired.Store(false)
	qrs := make(chan chan whatsmeow.QRChannelItem, 16)
	f.GetQRChannelFunc = func(context.Context) (<-chan whatsmeow.QRChannelItem, error) {
		ch := make(chan whatsmeow.QRChannelItem, 8)
		qrs <- ch
		return ch, nil
	}
	return f, qrs
}

func nextQR(t *testing.T, qrs chan chan whatsmeow.QRChannelItem) chan whatsmeow.QRChannelItem {
	t.Helper()
	select {
	case ch := <-qrs:
		return ch
	case <-time.After(5 * time.Second):
		t.Fatal("no QR channel requested")
		return nil
	}
}

// waitStep polls Pairing until it reaches step.
func waitStep(t *testing.T, tr *wameow.Transport, step gateway.PairingStep) gateway.PairingState {
	t.Helper()
	eventually(t, "pairing step "+string(step), func() bool { return tr.Pairing().Step == step })
	return tr.Pairing()
}

func TestPairingByQR(t *testing.T) {
	f, qrs := unpairedFake()
	tr, rec := start(t, f, wameow.Options{})
	ch := nextQR(t, qrs)

	ch <- whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventCode, Code: "2@first,noise,identity,adv"}
	p := waitStep(t, tr, gateway.PairingCode)
	if p.QR != "2@first,noise,identity,adv" {
		t.Fatalf("QR = %q", p.QR)
	}
	if ev := rec.waitFor(t, gateway.EventPairing); ev.Gateway != gatewayNumber {
		t.Errorf("pairing event for %q", ev.Gateway)
	}

	code, err := tr.PairPhone(context.Background())
	if err != nil || code != "ABCD-EFGH" {
		t.Fatalf("PairPhone = %q, %v", code, err)
	}
	if p := tr.Pairing(); p.PairCode != "ABCD-EFGH" || p.QR == "" {
		t.Fatalf("after PairPhone: %+v, want both codes", p)
	}

	ch <- whatsmeow.QRChannelSuccess
	waitStep(t, tr, gateway.PairingScanned)
	// whatsmeow reconnects after linking and reports Connected.
	f.paired.Store(true)
	f.loggedIn.Store(true)
	f.dispatch(&events.Connected{})
	waitStep(t, tr, gateway.PairingSuccess)
	rec.waitFor(t, gateway.EventConnected)
}

func TestPairingTimeoutStartsNewRound(t *testing.T) {
	f, qrs := unpairedFake()
	tr, _ := start(t, f, wameow.Options{RetryDelay: time.Millisecond})
	ch := nextQR(t, qrs)
	ch <- whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventCode, Code: "2@a"}
	waitStep(t, tr, gateway.PairingCode)
	ch <- whatsmeow.QRChannelTimeout
	ch = nextQR(t, qrs) // a new round
	ch <- whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventCode, Code: "2@b"}
	eventually(t, "second QR", func() bool { return tr.Pairing().QR == "2@b" })
}

func TestPairingGivesUpAfterRounds(t *testing.T) {
	f, qrs := unpairedFake()
	tr, _ := start(t, f, wameow.Options{RetryDelay: time.Millisecond})
	for range 5 {
		nextQR(t, qrs) <- whatsmeow.QRChannelTimeout
	}
	eventually(t, "final timeout", func() bool {
		p := tr.Pairing()
		return p.Step == gateway.PairingTimeout && strings.Contains(p.Message, "5 rounds")
	})
	// Asking for a pair code starts pairing again.
	go func() {
		ch := nextQR(t, qrs)
		ch <- whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventCode, Code: "2@again"}
	}()
	if code, err := tr.PairPhone(context.Background()); err != nil || code == "" {
		t.Fatalf("PairPhone after giving up = %q, %v", code, err)
	}
}

func TestPairingWrongPhone(t *testing.T) {
	f, qrs := unpairedFake()
	tr, _ := start(t, f, wameow.Options{RetryDelay: time.Hour})
	ch := nextQR(t, qrs)
	ch <- whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventError, Error: whatsmeow.ErrPairRejectedLocally}
	p := waitStep(t, tr, gateway.PairingError)
	if !strings.Contains(p.Message, "scan with the gateway number's phone") {
		t.Fatalf("message = %q", p.Message)
	}
}

func TestPairingCannotReachWhatsApp(t *testing.T) {
	f, _ := unpairedFake()
	f.ConnectFunc = func(context.Context) error {
		return errors.New("dial tcp: lookup web.whatsapp.com: no such host")
	}
	began := time.Now()
	tr, rec := start(t, f, wameow.Options{RetryDelay: 5 * time.Millisecond, ConnectTimeout: 200 * time.Millisecond})
	p := waitStep(t, tr, gateway.PairingError)
	if !strings.HasPrefix(p.Message, "cannot reach WhatsApp: ") || !strings.Contains(p.Message, "no such host") {
		t.Fatalf("message = %q", p.Message)
	}
	if took := time.Since(began); took > wameow.DefaultConnectTimeout {
		t.Fatalf("error reported after %v", took)
	}
	rec.waitFor(t, gateway.EventPairing)
	// It keeps trying in the background.
	eventually(t, "retries", func() bool { return f.connects.Load() >= 3 })
	// A pair code cannot be had either, and the caller learns why.
	_, err := tr.PairPhone(context.Background())
	if err == nil || !strings.Contains(err.Error(), "cannot reach WhatsApp") {
		t.Fatalf("PairPhone = %v, want cannot reach WhatsApp", err)
	}
}

func TestPairingConnectHangs(t *testing.T) {
	f, _ := unpairedFake()
	f.ConnectFunc = func(ctx context.Context) error {
		<-ctx.Done() // a black-holed network: the dial never answers
		return ctx.Err()
	}
	tr, _ := start(t, f, wameow.Options{ConnectTimeout: 50 * time.Millisecond})
	p := waitStep(t, tr, gateway.PairingError)
	if p.Message != "cannot reach WhatsApp: no answer within 50ms" {
		t.Fatalf("message = %q", p.Message)
	}
	// Stop must not wait for the hanging dial.
	done := make(chan struct{})
	go func() { tr.Stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Stop hangs on a connect in progress")
	}
}

func TestPairedNumberSkipsPairing(t *testing.T) {
	f := newFake()
	tr, _ := start(t, f, wameow.Options{})
	if p := tr.Pairing(); p.Step != gateway.PairingPaired {
		t.Fatalf("Pairing = %+v, want paired", p)
	}
	if _, err := tr.PairPhone(context.Background()); err == nil {
		t.Fatal("PairPhone on a paired number: want an error")
	}
}

func TestPairedNumberReconnectsWithBackoff(t *testing.T) {
	f := newFake()
	fail := make(chan struct{})
	f.ConnectFunc = func(context.Context) error {
		select {
		case <-fail:
			return nil
		default:
			return errors.New("network is unreachable")
		}
	}
	_, rec := start(t, f, wameow.Options{RetryDelay: time.Millisecond})
	ev := rec.waitFor(t, gateway.EventDisconnected)
	if !strings.Contains(ev.Reason, "cannot reach WhatsApp: network is unreachable") {
		t.Fatalf("reason = %q", ev.Reason)
	}
	eventually(t, "retries", func() bool { return f.connects.Load() >= 3 })
	close(fail)
	eventually(t, "connected", f.IsConnected)
}

func TestPairPhoneAfterLogout(t *testing.T) {
	f := newFake()
	tr, rec := start(t, f, wameow.Options{})
	f.paired.Store(false) // whatsmeow deletes the device on logout
	f.dispatch(&events.LoggedOut{OnConnect: true, Reason: events.ConnectFailureLoggedOut})
	rec.waitFor(t, gateway.EventLoggedOut)
	if p := tr.Pairing(); p.Step != gateway.PairingError || !strings.Contains(p.Message, "pair the number again") {
		t.Fatalf("Pairing after logout = %+v", p)
	}
	if _, err := tr.PairPhone(context.Background()); err == nil || !strings.Contains(err.Error(), "open the number again") {
		t.Fatalf("PairPhone after logout = %v, want advice to open the number again", err)
	}
}
