package wameow

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"higate/gateway"
)

const (
	// tempBanCode is WhatsApp's connect-failure code for a temporary ban;
	// the ban's own reason (101, 102 ...) goes into the event's Reason.
	tempBanCode = int(events.ConnectFailureTempBanned)
	// unknownBanProbe is how long to wait before trying again after a
	// temporary ban that came without an expiry.
	unknownBanProbe = time.Hour
	// lookupTimeout bounds the store and group look-ups made while handling
	// an inbound message, because whatsmeow waits for its handlers.
	lookupTimeout = 10 * time.Second
)

// onEvent translates one whatsmeow event. It runs on whatsmeow's goroutines
// and never blocks on the gateway's handler: emit only queues.
func (t *Transport) onEvent(raw any) {
	defer func() {
		if r := recover(); r != nil {
			t.log.Error("handling whatsmeow event panicked", "event", fmt.Sprintf("%T", raw), "panic", r)
		}
	}()
	switch evt := raw.(type) {
	case *events.Connected:
		t.onConnected()
	case *events.KeepAliveRestored:
		if t.setOnline(true) {
			t.emit(gateway.Event{Kind: gateway.EventConnected, Reason: "keepalive restored"})
		}
	case *events.Disconnected:
		t.onDisconnected("connection lost; reconnecting")
	case *events.KeepAliveTimeout:
		t.onDisconnected(fmt.Sprintf("keepalive timed out (%d missed); reconnecting", evt.ErrorCount))
	case *events.LoggedOut:
		t.onLoggedOut(evt)
	case *events.TemporaryBan:
		t.onTempBan(evt)
	case *events.ConnectFailure:
		t.onConnectFailure(evt)
	case *events.ClientOutdated:
		t.needsHuman(int(events.ConnectFailureClientOutdated), "WhatsApp rejected this client version as outdated; update Higate")
	case *events.StreamReplaced:
		t.needsHuman(0, "another client connected with this number's session (stream replaced); stop the other one, then restart the number")
	case *events.Message:
		t.onMessage(evt)
	case *events.Receipt:
		t.onReceipt(evt)
	case *events.StreamError:
		t.log.Warn("WhatsApp stream error", "code", evt.Code)
	case events.PermanentDisconnect:
		// Kinds added to whatsmeow later (CATRefreshError today) still stop
		// the number instead of leaving it silently dead.
		t.needsHuman(0, evt.PermanentDisconnectDescription())
	}
}

func (t *Transport) onConnected() {
	t.mu.Lock()
	step := t.pairing.Step
	t.mu.Unlock()
	if step != gateway.PairingPaired && step != gateway.PairingSuccess {
		t.updatePairing(gateway.PairingSuccess, "", "linked and connected")
	}
	if t.setOnline(true) {
		t.emit(gateway.Event{Kind: gateway.EventConnected})
	}
	// Marking the number available makes WhatsApp deliver receipts promptly;
	// it is a network call, so not on whatsmeow's goroutine.
	t.spawn(func(ctx context.Context) {
		if err := t.client.SendPresence(ctx, types.PresenceAvailable); err != nil {
			t.log.Debug("send presence", "err", err)
		}
	})
}

func (t *Transport) onDisconnected(reason string) {
	// While pairing, the pairing loop reads disconnects from the QR
	// channel; after a halt the number is already reported down.
	if !t.client.Paired() || t.isHalted() {
		return
	}
	if t.setOnline(false) {
		t.emit(gateway.Event{Kind: gateway.EventDisconnected, Reason: reason})
	}
}

// onLoggedOut handles an unlink. whatsmeow has already deleted the device
// from the store, so the number must be paired again from scratch.
func (t *Transport) onLoggedOut(evt *events.LoggedOut) {
	t.halt(0)
	code := int(evt.Reason)
	if evt.Reason == events.ConnectFailureUnknownLogout {
		// WhatsApp Web calls 406 BANNED.
		t.emit(gateway.Event{Kind: gateway.EventBanned, Code: code, Reason: "WhatsApp banned the number (406)"})
		t.updatePairing(gateway.PairingError, "", "WhatsApp banned the number (406)")
		return
	}
	var reason string
	switch evt.Reason {
	case events.ConnectFailureMainDeviceGone:
		reason = "the phone's account was logged out or locked (403); check the phone, a ban shows there"
	default:
		reason = fmt.Sprintf("the phone unlinked this device (%d)", code)
	}
	t.emit(gateway.Event{Kind: gateway.EventLoggedOut, Code: code, Reason: reason})
	t.updatePairing(gateway.PairingError, "", "logged out: "+reason+"; pair the number again")
}

func (t *Transport) onTempBan(evt *events.TemporaryBan) {
	var until time.Time
	resume := unknownBanProbe
	if evt.Expire > 0 {
		until = t.opts.Now().Add(evt.Expire)
		resume = evt.Expire
	}
	t.halt(resume)
	t.emit(gateway.Event{
		Kind:   gateway.EventTempBanned,
		Code:   tempBanCode,
		Until:  until,
		Reason: "temporarily banned: " + evt.Code.String(),
	})
}

func (t *Transport) onConnectFailure(evt *events.ConnectFailure) {
	reason := "connect failure " + evt.Reason.String()
	if evt.Message != "" {
		reason += " (" + maskDigits(evt.Message) + ")"
	}
	switch {
	case evt.Reason == events.ConnectFailureUnknownLogout || strings.Contains(strings.ToLower(evt.Message), "ban"):
		t.halt(0)
		t.emit(gateway.Event{Kind: gateway.EventBanned, Code: int(evt.Reason), Reason: reason})
	case evt.Reason == events.ConnectFailureServiceUnavailable || evt.Reason == events.ConnectFailureInternalServerError:
		// WhatsApp-side trouble; whatsmeow retries these itself.
		t.onDisconnected(reason)
	default:
		t.needsHuman(int(evt.Reason), reason)
	}
}

// needsHuman stops the number's client for something reconnecting cannot
// fix. The process and the other numbers carry on.
func (t *Transport) needsHuman(code int, reason string) {
	t.halt(0)
	t.emit(gateway.Event{Kind: gateway.EventStopped, Code: code, Reason: reason})
}

func (t *Transport) onMessage(evt *events.Message) {
	info := evt.Info
	if info.IsFromMe || info.Chat.Server == types.BroadcastServer || evt.IsEdit {
		return // our own sends, status updates and broadcast lists, edits of old text
	}
	text := evt.Message.GetConversation()
	if text == "" {
		text = evt.Message.GetExtendedTextMessage().GetText()
	}
	att, caption := t.attachmentOf(evt.Message)
	if att != nil {
		text = caption
	}
	if text == "" && att == nil {
		t.log.Debug("ignoring a message that is neither text nor media", "id", info.ID)
		return
	}
	ctx, cancel := context.WithTimeout(t.baseContext(), lookupTimeout)
	defer cancel()
	from := t.phoneOf(ctx, info.Sender, info.SenderAlt)
	if from == "" {
		t.log.Warn("ignoring message: sender's phone number unknown", "id", info.ID, "sender_server", info.Sender.Server)
		return
	}
	ev := gateway.Event{Kind: gateway.EventInbound, MessageID: string(info.ID), From: from, Text: text, Attachment: att}
	if info.Chat.Server == types.GroupServer {
		ev.GroupID = info.Chat.ToNonAD().String()
		if g, ok := t.groupByID(ctx, ev.GroupID); ok {
			ev.GroupName, ev.GroupAdmin = g.Name, g.Admin
		}
	}
	t.emit(ev)
}

func (t *Transport) onReceipt(evt *events.Receipt) {
	var kind string
	switch evt.Type {
	case types.ReceiptTypeDelivered:
		kind = gateway.ReceiptDelivered
	case types.ReceiptTypeRead:
		kind = gateway.ReceiptRead
	default:
		return // read-self, played, retry, sender ...: nothing about our sends
	}
	if evt.IsFromMe || len(evt.MessageIDs) == 0 {
		return
	}
	ids := make([]string, len(evt.MessageIDs))
	for i, id := range evt.MessageIDs {
		ids[i] = string(id)
	}
	ctx, cancel := context.WithTimeout(t.baseContext(), lookupTimeout)
	defer cancel()
	t.emit(gateway.Event{
		Kind:       gateway.EventReceipt,
		MessageIDs: ids,
		Receipt:    kind,
		From:       t.phoneOf(ctx, evt.Sender, evt.SenderAlt),
	})
}

// baseContext is the run context once started, so look-ups end with Stop.
func (t *Transport) baseContext() context.Context {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.runCtx != nil {
		return t.runCtx
	}
	return context.Background()
}
