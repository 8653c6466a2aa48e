package wameow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"

	"higate/gateway"
)

// maxQRRounds is how many rounds of QR codes (about 160 s each, WhatsApp's
// limit per connection) a pairing shows before it waits for someone to ask
// again: an unattended pairing should not keep connecting for ever.
const maxQRRounds = 5

// qrOutcome is how one round of QR codes ended.
type qrOutcome int

const (
	qrLinked  qrOutcome = iota // a phone linked the device
	qrExpired                  // the codes ran out
	qrFailed                   // linking failed; a new round may work
	qrFatal                    // linking cannot work (client outdated)
	qrStopped                  // the transport is stopping
)

// Pairing reports the pairing progress: "paired" for a number linked
// before, otherwise the steps of the current pairing.
func (t *Transport) Pairing() gateway.PairingState {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pairing
}

// updatePairing moves the pairing to step and tells waiting PairPhone calls
// and the gateway. The QR and pair code are kept only while step is "code",
// because a new connection invalidates both.
func (t *Transport) updatePairing(step gateway.PairingStep, qr, message string) {
	t.mu.Lock()
	p := &t.pairing
	if step != gateway.PairingCode {
		p.QR, p.PairCode = "", ""
	} else if qr != "" {
		p.QR = qr
	}
	p.Step, p.Message, p.Updated = step, message, t.opts.Now()
	close(t.pairChanged)
	t.pairChanged = make(chan struct{})
	t.mu.Unlock()

	if step == gateway.PairingError || step == gateway.PairingTimeout {
		t.log.Warn("pairing", "step", string(step), "message", message)
	} else {
		t.log.Info("pairing", "step", string(step), "message", message)
	}
	t.emit(gateway.Event{Kind: gateway.EventPairing, Reason: string(step)})
}

// startPairingLocked starts the pairing loop unless one runs. t.mu must be
// held. The state turns "waiting" at once, so that a caller looking right
// after does not see how the previous pairing ended.
func (t *Transport) startPairingLocked() {
	if t.pairRunning || t.stopped {
		return
	}
	t.pairRunning = true
	t.pairGen++
	gen := t.pairGen
	t.pairing = gateway.PairingState{Step: gateway.PairingWaiting, Message: "connecting to WhatsApp", Updated: t.opts.Now()}
	t.spawnLocked(func(ctx context.Context) { t.pairLoop(ctx, gen) })
}

// pairLoop links the number: it connects (retrying with backoff while
// WhatsApp cannot be reached), shows rounds of QR codes, and ends when a
// phone linked the device, pairing cannot work, or maxQRRounds ran out.
func (t *Transport) pairLoop(ctx context.Context, gen int) {
	// finish marks this loop ended. It runs before a final state is shown,
	// so whoever sees that state can start a new loop at once; gen keeps a
	// late finish from marking a newer loop ended.
	finish := func() {
		t.mu.Lock()
		if t.pairGen == gen {
			t.pairRunning = false
		}
		t.mu.Unlock()
	}
	defer finish()
	t.updatePairing(gateway.PairingWaiting, "", "connecting to WhatsApp")
	failures, rounds := 0, 0
	retry := func() bool {
		d := t.backoff(failures)
		failures++
		return sleep(ctx, d)
	}
	for ctx.Err() == nil && !t.client.Paired() {
		t.client.Disconnect() // GetQRChannel must come before Connect
		qr, err := t.client.GetQRChannel(ctx)
		if err != nil {
			t.updatePairing(gateway.PairingError, "", "cannot start pairing: "+err.Error())
			if !retry() {
				return
			}
			continue
		}
		// The channel stays valid across failed attempts, so it is reused:
		// asking for a new one would leave the old one's handler behind.
		for {
			err := t.connectOnce(ctx, func(err error) {
				t.updatePairing(gateway.PairingError, "", unreachable(err))
			})
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return
			}
			t.updatePairing(gateway.PairingError, "", unreachable(err))
			if !retry() {
				return
			}
		}
		failures = 0
		switch t.consumeQR(ctx, qr) {
		case qrLinked, qrFatal, qrStopped:
			return
		case qrExpired:
			rounds++
			if rounds >= maxQRRounds {
				t.client.Disconnect()
				finish()
				t.updatePairing(gateway.PairingTimeout, "", fmt.Sprintf(
					"no phone linked the number after %d rounds of QR codes; ask for a pair code or restart the number to try again", rounds))
				return
			}
			if !sleep(ctx, t.opts.RetryDelay) {
				return
			}
		case qrFailed:
			if !retry() {
				return
			}
		}
	}
}

// consumeQR follows one round of QR codes to its end.
func (t *Transport) consumeQR(ctx context.Context, ch <-chan whatsmeow.QRChannelItem) qrOutcome {
	for {
		var item whatsmeow.QRChannelItem
		var ok bool
		select {
		case <-ctx.Done():
			return qrStopped
		case item, ok = <-ch:
		}
		if !ok {
			return qrExpired
		}
		switch item.Event {
		case whatsmeow.QRChannelEventCode:
			t.updatePairing(gateway.PairingCode, item.Code, "scan the QR code with WhatsApp on the number's phone: Settings > Linked devices > Link a device")
		case whatsmeow.QRChannelSuccess.Event:
			t.updatePairing(gateway.PairingScanned, "", "the phone linked the number; finishing the connection")
			return qrLinked
		case whatsmeow.QRChannelTimeout.Event:
			t.updatePairing(gateway.PairingTimeout, "", "the QR codes expired before a phone linked the number; new ones follow")
			return qrExpired
		case whatsmeow.QRChannelEventError:
			t.updatePairing(gateway.PairingError, "", t.pairErrorMessage(item.Error))
			return qrFailed
		case whatsmeow.QRChannelClientOutdated.Event:
			t.updatePairing(gateway.PairingError, "", "WhatsApp rejected this client version as outdated; update Higate")
			return qrFatal
		case whatsmeow.QRChannelScannedWithoutMultidevice.Event:
			// The same code can be scanned again once the phone is fixed.
			t.updatePairing(gateway.PairingCode, "", "the phone scanned the code but cannot link devices; update WhatsApp on the phone and scan again")
		case whatsmeow.QRChannelErrUnexpectedEvent.Event:
			if t.client.Paired() {
				return qrLinked
			}
			t.updatePairing(gateway.PairingError, "", "WhatsApp answered the pairing unexpectedly; retrying")
			return qrFailed
		default:
			t.log.Debug("unknown QR channel item", "event", item.Event)
		}
	}
}

func (t *Transport) pairErrorMessage(err error) string {
	if errors.Is(err, whatsmeow.ErrPairRejectedLocally) {
		t.mu.Lock()
		wrong := t.wrongPhone
		t.mu.Unlock()
		return fmt.Sprintf("the phone that scanned the code is %s, not %s; scan with the gateway number's phone", mask(wrong), t.number)
	}
	if err == nil {
		return "linking failed"
	}
	return "linking failed: " + maskDigits(err.Error())
}

// checkPairingPhone accepts a link only from the gateway number's phone.
func (t *Transport) checkPairingPhone(jid types.JID) bool {
	if jid.User == t.digits {
		return true
	}
	t.mu.Lock()
	t.wrongPhone = "+" + jid.User
	t.mu.Unlock()
	t.log.Warn("refused link from another phone", "phone", mask("+"+jid.User))
	return false
}

// PairPhone asks WhatsApp for a pair code to type on the phone (Settings >
// Linked devices > Link with phone number) and returns it as "ABCD-EFGH".
// It needs the pre-login connection of a pairing, so it waits, at most
// ConnectTimeout, for the first QR code; a pairing that gave up is started
// again. The code is also in Pairing() afterwards.
func (t *Transport) PairPhone(ctx context.Context) (string, error) {
	if t.client.Paired() {
		return "", errors.New("wameow: the number is already paired")
	}
	t.mu.Lock()
	switch {
	case t.stopped:
		t.mu.Unlock()
		return "", errStopped
	case !t.started:
		t.mu.Unlock()
		return "", errors.New("wameow: start the transport before pairing")
	case t.halted:
		// Logged out or banned: whatsmeow deleted the device, and pairing
		// again needs a fresh one, which only Open creates.
		msg := t.pairing.Message
		t.mu.Unlock()
		return "", fmt.Errorf("wameow: this connection has ended (%s); open the number again to pair it", msg)
	}
	t.startPairingLocked()
	t.mu.Unlock()

	deadline := time.NewTimer(t.opts.ConnectTimeout)
	defer deadline.Stop()
	for {
		t.mu.Lock()
		p, changed := t.pairing, t.pairChanged
		t.mu.Unlock()
		switch p.Step {
		case gateway.PairingCode:
			if p.QR != "" {
				return t.requestPairCode(ctx)
			}
		case gateway.PairingScanned, gateway.PairingSuccess, gateway.PairingPaired:
			return "", errors.New("wameow: the number is already linked")
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return "", ctx.Err()
		case <-deadline.C:
			if p.Step == gateway.PairingError || p.Step == gateway.PairingTimeout {
				return "", errors.New("wameow: " + p.Message)
			}
			return "", fmt.Errorf("wameow: cannot reach WhatsApp: no pairing connection within %s", t.opts.ConnectTimeout)
		}
	}
}

func (t *Transport) requestPairCode(ctx context.Context) (string, error) {
	code, err := t.client.PairPhone(ctx, t.digits)
	if err != nil {
		return "", fmt.Errorf("wameow: request pair code: %w", err)
	}
	t.mu.Lock()
	t.pairing.PairCode = code
	t.mu.Unlock()
	t.updatePairing(gateway.PairingCode, "", "type the pair code on the number's phone: Settings > Linked devices > Link with phone number")
	return code, nil
}
