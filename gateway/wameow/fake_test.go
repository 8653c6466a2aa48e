package wameow_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"

	"higate/gateway"
	"higate/gateway/wameow"
)

// fakeClient is a function-field fake of wameow.Client. A nil field gives
// a harmless default: Connect succeeds, sends are accepted, nobody is on
// WhatsApp, lookups find nothing. Set the fields before wameow.New.
type fakeClient struct {
	ConnectFunc          func(ctx context.Context) error
	GetQRChannelFunc     func(ctx context.Context) (<-chan whatsmeow.QRChannelItem, error)
	PairPhoneFunc        func(ctx context.Context, phone string) (string, error)
	SendMessageFunc      func(ctx context.Context, to types.JID, msg *waE2E.Message, extra whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error)
	UploadFunc           func(ctx context.Context, data []byte, kind whatsmeow.MediaType) (whatsmeow.UploadResponse, error)
	DownloadFunc         func(ctx context.Context, msg whatsmeow.DownloadableMessage) ([]byte, error)
	IsOnWhatsAppFunc     func(ctx context.Context, phones []string) ([]types.IsOnWhatsAppResponse, error)
	GetJoinedGroupsFunc  func(ctx context.Context) ([]*types.GroupInfo, error)
	SendPresenceFunc     func(ctx context.Context, state types.Presence) error
	SendChatPresenceFunc func(ctx context.Context, to types.JID, state types.ChatPresence, media types.ChatPresenceMedia) error
	SetStatusMessageFunc func(ctx context.Context, about string) error
	SetProfilePhotoFunc  func(ctx context.Context, jpeg []byte) error
	PNForLIDFunc         func(ctx context.Context, lid types.JID) (types.JID, error)

	connected, loggedIn, paired atomic.Bool
	connects, disconnects       atomic.Int32

	mu       sync.Mutex
	handlers []func(any)
}

var _ wameow.Client = (*fakeClient)(nil)

// newFake returns a fake of a paired, connectable device.
func newFake() *fakeClient {
	f := &fakeClient{}
	f.paired.Store(true)
	return f
}

// dispatch feeds a whatsmeow event to the registered handlers, as
// whatsmeow's own goroutines would.
func (f *fakeClient) dispatch(evt any) {
	f.mu.Lock()
	hs := append([]func(any){}, f.handlers...)
	f.mu.Unlock()
	for _, h := range hs {
		h(evt)
	}
}

func (f *fakeClient) Connect(ctx context.Context) error {
	f.connects.Add(1)
	if f.ConnectFunc != nil {
		if err := f.ConnectFunc(ctx); err != nil {
			return err
		}
	}
	f.connected.Store(true)
	f.loggedIn.Store(f.paired.Load())
	return nil
}

func (f *fakeClient) Disconnect() {
	f.disconnects.Add(1)
	f.connected.Store(false)
}

func (f *fakeClient) IsConnected() bool { return f.connected.Load() }
func (f *fakeClient) IsLoggedIn() bool  { return f.loggedIn.Load() }
func (f *fakeClient) Paired() bool      { return f.paired.Load() }

func (f *fakeClient) GetQRChannel(ctx context.Context) (<-chan whatsmeow.QRChannelItem, error) {
	if f.GetQRChannelFunc != nil {
		return f.GetQRChannelFunc(ctx)
	}
	return make(chan whatsmeow.QRChannelItem), nil
}

func (f *fakeClient) PairPhone(ctx context.Context, phone string) (string, error) {
	if f.PairPhoneFunc != nil {
		return f.PairPhoneFunc(ctx, phone)
	}
	return "ABCD-EFGH", nil
}

func (f *fakeClient) SendMessage(ctx context.Context, to types.JID, msg *waE2E.Message, extra whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error) {
	if f.SendMessageFunc != nil {
		return f.SendMessageFunc(ctx, to, msg, extra)
	}
	return whatsmeow.SendResponse{ID: extra.ID}, nil
}

func (f *fakeClient) Upload(ctx context.Context, data []byte, kind whatsmeow.MediaType) (whatsmeow.UploadResponse, error) {
	if f.UploadFunc != nil {
		return f.UploadFunc(ctx, data, kind)
	}
	return whatsmeow.UploadResponse{}, nil
}

func (f *fakeClient) Download(ctx context.Context, msg whatsmeow.DownloadableMessage) ([]byte, error) {
	if f.DownloadFunc != nil {
		return f.DownloadFunc(ctx, msg)
	}
	return nil, errors.New("fake: nothing to download")
}

func (f *fakeClient) IsOnWhatsApp(ctx context.Context, phones []string) ([]types.IsOnWhatsAppResponse, error) {
	if f.IsOnWhatsAppFunc != nil {
		return f.IsOnWhatsAppFunc(ctx, phones)
	}
	return nil, nil
}

func (f *fakeClient) GetJoinedGroups(ctx context.Context) ([]*types.GroupInfo, error) {
	if f.GetJoinedGroupsFunc != nil {
		return f.GetJoinedGroupsFunc(ctx)
	}
	return nil, nil
}

func (f *fakeClient) SendPresence(ctx context.Context, state types.Presence) error {
	if f.SendPresenceFunc != nil {
		return f.SendPresenceFunc(ctx, state)
	}
	return nil
}

func (f *fakeClient) SendChatPresence(ctx context.Context, to types.JID, state types.ChatPresence, media types.ChatPresenceMedia) error {
	if f.SendChatPresenceFunc != nil {
		return f.SendChatPresenceFunc(ctx, to, state, media)
	}
	return nil
}

func (f *fakeClient) SetStatusMessage(ctx context.Context, about string) error {
	if f.SetStatusMessageFunc != nil {
		return f.SetStatusMessageFunc(ctx, about)
	}
	return nil
}

func (f *fakeClient) SetProfilePhoto(ctx context.Context, jpeg []byte) error {
	if f.SetProfilePhotoFunc != nil {
		return f.SetProfilePhotoFunc(ctx, jpeg)
	}
	return nil
}

func (f *fakeClient) AddEventHandler(fn func(evt any)) uint32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handlers = append(f.handlers, fn)
	return uint32(len(f.handlers))
}

func (f *fakeClient) PNForLID(ctx context.Context, lid types.JID) (types.JID, error) {
	if f.PNForLIDFunc != nil {
		return f.PNForLIDFunc(ctx, lid)
	}
	return types.JID{}, nil
}

// gatewayNumber is the number every fake-backed transport serves.
const gatewayNumber = "+4915100000001"

// recorder collects the events a transport hands to its handler.
type recorder struct {
	ch chan gateway.Event
}

func newRecorder() *recorder { return &recorder{ch: make(chan gateway.Event, 256)} }

func (r *recorder) handle(ev gateway.Event) { r.ch <- ev }

// next returns the next event that is not a pairing event, failing the
// test if none comes within the deadline.
func (r *recorder) next(t *testing.T) gateway.Event {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-r.ch:
			if ev.Kind == gateway.EventPairing {
				continue
			}
			return ev
		case <-deadline:
			t.Fatal("no event within 5s")
			return gateway.Event{}
		}
	}
}

// waitFor skips events until one of kind arrives.
func (r *recorder) waitFor(t *testing.T, kind gateway.EventKind) gateway.Event {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-r.ch:
			if ev.Kind == kind {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s event within 5s", kind)
			return gateway.Event{}
		}
	}
}

// fixedNow is the clock of fake-backed transports.
var fixedNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// start builds a transport over f, starts it and, for a paired fake that
// connects at once, waits until it has. Stop runs at cleanup.
func start(t *testing.T, f *fakeClient, opts wameow.Options) (*wameow.Transport, *recorder) {
	t.Helper()
	opts.Number = gatewayNumber
	if opts.Now == nil {
		opts.Now = func() time.Time { return fixedNow }
	}
	tr := wameow.New(opts, f)
	rec := newRecorder()
	if err := tr.Start(context.Background(), rec.handle); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(tr.Stop)
	if f.Paired() && f.ConnectFunc == nil {
		eventually(t, "connected", f.IsConnected)
	}
	return tr, rec
}

// eventually polls cond until it holds or 5 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond) // polling interval, not a wait for an outcome
	}
}
