package wameow_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"higate/gateway"
	"higate/gateway/wameow"
)

func TestConnectionEvents(t *testing.T) {
	tests := []struct {
		name   string
		feed   []any
		want   []gateway.Event // Kind, Code, Reason substring, Until
		halted bool            // the client must be disconnected for good
	}{
		{
			name: "connected",
			feed: []any{&events.Connected{}},
			want: []gateway.Event{{Kind: gateway.EventConnected}},
		},
		{
			name: "disconnected, then back",
			feed: []any{&events.Connected{}, &events.Disconnected{}, &events.Connected{}},
			want: []gateway.Event{{Kind: gateway.EventConnected}, {Kind: gateway.EventDisconnected, Reason: "reconnecting"}, {Kind: gateway.EventConnected}},
		},
		{
			name: "keepalive timeout reported once, restored",
			feed: []any{&events.Connected{}, &events.KeepAliveTimeout{ErrorCount: 1}, &events.KeepAliveTimeout{ErrorCount: 2}, &events.KeepAliveRestored{}},
			want: []gateway.Event{{Kind: gateway.EventConnected}, {Kind: gateway.EventDisconnected, Reason: "keepalive"}, {Kind: gateway.EventConnected}},
		},
		{
			name:   "logged out on connect",
			feed:   []any{&events.LoggedOut{OnConnect: true, Reason: events.ConnectFailureLoggedOut}},
			want:   []gateway.Event{{Kind: gateway.EventLoggedOut, Code: 401, Reason: "unlinked"}},
			halted: true,
		},
		{
			name:   "logged out by stream error",
			feed:   []any{&events.Connected{}, &events.LoggedOut{OnConnect: false, Reason: events.ConnectFailureLoggedOut}},
			want:   []gateway.Event{{Kind: gateway.EventConnected}, {Kind: gateway.EventLoggedOut, Code: 401}},
			halted: true,
		},
		{
			name:   "main device gone",
			feed:   []any{&events.LoggedOut{OnConnect: true, Reason: events.ConnectFailureMainDeviceGone}},
			want:   []gateway.Event{{Kind: gateway.EventLoggedOut, Code: 403, Reason: "locked"}},
			halted: true,
		},
		{
			name:   "logged out as banned",
			feed:   []any{&events.LoggedOut{OnConnect: true, Reason: events.ConnectFailureUnknownLogout}},
			want:   []gateway.Event{{Kind: gateway.EventBanned, Code: 406, Reason: "banned"}},
			halted: true,
		},
		{
			name: "temporary ban",
			feed: []any{&events.TemporaryBan{Code: events.TempBanSentToTooManyPeople, Expire: 2 * time.Hour}},
			want: []gateway.Event{{Kind: gateway.EventTempBanned, Code: 402, Reason: "101", Until: fixedNow.Add(2 * time.Hour)}},
		},
		{
			name:   "connect failure with a ban reason",
			feed:   []any{&events.ConnectFailure{Reason: events.ConnectFailureUnknownLogout}},
			want:   []gateway.Event{{Kind: gateway.EventBanned, Code: 406}},
			halted: true,
		},
		{
			name:   "connect failure saying banned",
			feed:   []any{&events.ConnectFailure{Reason: events.ConnectFailureGeneric, Message: "account banned"}},
			want:   []gateway.Event{{Kind: gateway.EventBanned, Code: 400}},
			halted: true,
		},
		{
			name:   "other connect failure",
			feed:   []any{&events.ConnectFailure{Reason: events.ConnectFailureBadUserAgent}},
			want:   []gateway.Event{{Kind: gateway.EventStopped, Code: 409, Reason: "409"}},
			halted: true,
		},
		{
			name:   "client outdated",
			feed:   []any{&events.Connected{}, &events.ClientOutdated{}},
			want:   []gateway.Event{{Kind: gateway.EventConnected}, {Kind: gateway.EventStopped, Code: 405, Reason: "outdated"}},
			halted: true,
		},
		{
			name:   "stream replaced",
			feed:   []any{&events.Connected{}, &events.StreamReplaced{}},
			want:   []gateway.Event{{Kind: gateway.EventConnected}, {Kind: gateway.EventStopped, Reason: "stream replaced"}},
			halted: true,
		},
		{
			name:   "any other permanent disconnect",
			feed:   []any{&events.CATRefreshError{Error: errors.New("boom")}},
			want:   []gateway.Event{{Kind: gateway.EventStopped, Reason: "CAT"}},
			halted: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			_, rec := start(t, f, wameow.Options{})
			before := f.disconnects.Load()
			for _, evt := range tc.feed {
				f.dispatch(evt)
			}
			// A receipt marks the end: events the feed should not have
			// produced would arrive before it.
			f.dispatch(&events.Receipt{MessageIDs: []types.MessageID{"END"}, Type: types.ReceiptTypeDelivered})
			for i, want := range tc.want {
				got := rec.next(t)
				if got.Kind != want.Kind || got.Code != want.Code || !strings.Contains(got.Reason, want.Reason) || !got.Until.Equal(want.Until) {
					t.Fatalf("event %d = %+v, want kind %s code %d reason ~%q until %v", i, got, want.Kind, want.Code, want.Reason, want.Until)
				}
				if got.Gateway != gatewayNumber || !got.At.Equal(fixedNow) {
					t.Errorf("event %d: gateway %q at %v, want %s at %v", i, got.Gateway, got.At, gatewayNumber, fixedNow)
				}
			}
			if end := rec.next(t); end.Kind != gateway.EventReceipt {
				t.Fatalf("unexpected extra event %+v", end)
			}
			if tc.halted {
				eventually(t, "client disconnected", func() bool { return f.disconnects.Load() > before })
				// No reconnect follows: whatsmeow's own is off for these,
				// and ours must not start one either.
				if n := f.connects.Load(); n != 1 {
					t.Errorf("Connect called %d times, want 1", n)
				}
			}
		})
	}
}

func TestTemporaryBanReconnectsAfterExpiry(t *testing.T) {
	f := newFake()
	_, rec := start(t, f, wameow.Options{})
	f.dispatch(&events.TemporaryBan{Code: events.TempBanBlockedByUsers, Expire: 20 * time.Millisecond})
	ev := rec.next(t)
	if ev.Kind != gateway.EventTempBanned || !strings.Contains(ev.Reason, "blocked") {
		t.Fatalf("got %+v, want a temp ban naming the reason", ev)
	}
	eventually(t, "reconnect after the ban", func() bool { return f.connects.Load() >= 2 })
}

func TestStopFromHandler(t *testing.T) {
	f := newFake()
	tr := wameow.New(wameow.Options{Number: gatewayNumber}, f)
	stopped := make(chan struct{})
	err := tr.Start(context.Background(), func(ev gateway.Event) {
		if ev.Kind == gateway.EventLoggedOut {
			tr.Stop() // what a dispatcher retiring the number would do
			close(stopped)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "connected", f.IsConnected)
	f.dispatch(&events.LoggedOut{Reason: events.ConnectFailureLoggedOut})
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Stop from inside the handler did not return")
	}
	tr.Stop() // twice is fine
	if err := tr.Start(context.Background(), nil); err == nil {
		t.Fatal("Start after Stop: want an error")
	}
}

func textMessage(info types.MessageInfo, text string) *events.Message {
	return &events.Message{Info: info, Message: &waE2E.Message{Conversation: proto.String(text)}}
}

func TestInbound(t *testing.T) {
	lid := types.NewJID("123456789012345", types.HiddenUserServer)
	group := types.NewJID("120363000000000001", types.GroupServer)
	f := newFake()
	f.PNForLIDFunc = func(_ context.Context, j types.JID) (types.JID, error) {
		if j == lid {
			return types.NewJID("4915122223333", types.DefaultUserServer), nil
		}
		return types.JID{}, nil
	}
	f.GetJoinedGroupsFunc = func(context.Context) ([]*types.GroupInfo, error) {
		return []*types.GroupInfo{{
			JID:       group,
			OwnerJID:  lid,
			GroupName: types.GroupName{Name: "Chess club"},
		}}, nil
	}
	_, rec := start(t, f, wameow.Options{})
	f.dispatch(&events.Connected{})
	rec.waitFor(t, gateway.EventConnected)

	src := func(sender, alt types.JID) types.MessageInfo {
		return types.MessageInfo{MessageSource: types.MessageSource{Chat: sender, Sender: sender, SenderAlt: alt}, ID: "MSG1"}
	}
	// LID with the phone number alongside.
	f.dispatch(textMessage(src(types.NewJID("999888777666555", types.HiddenUserServer), types.NewJID("5215512345678", types.DefaultUserServer)), "Hola"))
	// LID resolved through the store.
	f.dispatch(&events.Message{Info: src(lid, types.JID{}), Message: &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("Hi there")}}})
	// Phone-number sender with a device part.
	pn := types.NewADJID("4917611112222", 0, 3)
	f.dispatch(textMessage(src(pn, types.JID{}), "Hallo"))
	// Not reported: from ourselves, status broadcast, neither text nor media (a sticker), unknown LID.
	own := src(types.NewJID("4915100000001", types.DefaultUserServer), types.JID{})
	own.IsFromMe = true
	f.dispatch(textMessage(own, "sent from the phone"))
	f.dispatch(textMessage(types.MessageInfo{MessageSource: types.MessageSource{Chat: types.StatusBroadcastJID, Sender: pn}}, "status"))
	f.dispatch(&events.Message{Info: src(pn, types.JID{}), Message: &waE2E.Message{StickerMessage: &waE2E.StickerMessage{}}})
	f.dispatch(textMessage(src(types.NewJID("111", types.HiddenUserServer), types.JID{}), "who am I"))
	// Group message.
	f.dispatch(textMessage(types.MessageInfo{MessageSource: types.MessageSource{Chat: group, Sender: pn, IsGroup: true}, ID: "GRP1"}, "Hi all"))

	want := []gateway.Event{
		{From: "+5215512345678", Text: "Hola", MessageID: "MSG1"},
		{From: "+4915122223333", Text: "Hi there", MessageID: "MSG1"},
		{From: "+4917611112222", Text: "Hallo", MessageID: "MSG1"},
		{From: "+4917611112222", Text: "Hi all", MessageID: "GRP1", GroupID: group.String(), GroupName: "Chess club", GroupAdmin: "+4915122223333"},
	}
	for i, w := range want {
		got := rec.next(t)
		if got.Kind != gateway.EventInbound || got.From != w.From || got.Text != w.Text || got.MessageID != w.MessageID ||
			got.GroupID != w.GroupID || got.GroupName != w.GroupName || got.GroupAdmin != w.GroupAdmin {
			t.Errorf("inbound %d = %+v, want %+v", i, got, w)
		}
	}
}

func TestReceipts(t *testing.T) {
	f := newFake()
	_, rec := start(t, f, wameow.Options{})
	user := types.NewJID("4917611112222", types.DefaultUserServer)
	source := types.MessageSource{Chat: user, Sender: user}
	f.dispatch(&events.Receipt{MessageSource: source, MessageIDs: []types.MessageID{"A", "B"}, Type: types.ReceiptTypeDelivered})
	f.dispatch(&events.Receipt{MessageSource: source, MessageIDs: []types.MessageID{"A"}, Type: types.ReceiptTypeReadSelf})
	f.dispatch(&events.Receipt{MessageSource: source, MessageIDs: []types.MessageID{"B"}, Type: types.ReceiptTypeRead})

	got := rec.next(t)
	if got.Kind != gateway.EventReceipt || got.Receipt != gateway.ReceiptDelivered || strings.Join(got.MessageIDs, ",") != "A,B" || got.From != "+4917611112222" {
		t.Fatalf("first receipt = %+v, want delivered A,B", got)
	}
	got = rec.next(t) // read-self is skipped
	if got.Kind != gateway.EventReceipt || got.Receipt != gateway.ReceiptRead || strings.Join(got.MessageIDs, ",") != "B" {
		t.Fatalf("second receipt = %+v, want read B", got)
	}
}
