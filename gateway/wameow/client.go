package wameow

import (
	"context"
	"net"
	"net/http"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
)

// Client is the part of *whatsmeow.Client the transport uses. It exists so
// that tests can drive the transport with a fake instead of a live WhatsApp
// connection; Open wraps a real *whatsmeow.Client in it.
//
// Methods mirror whatsmeow's, minus options the transport never varies.
type Client interface {
	// Connect dials WhatsApp. ctx lives as long as the connection: whatsmeow
	// keeps its keep-alive and reconnect loops on it.
	Connect(ctx context.Context) error
	// Disconnect closes the connection without emitting events and without
	// auto-reconnecting.
	Disconnect()
	// IsConnected reports an open websocket; IsLoggedIn that WhatsApp
	// accepted the device on it. Sends need both.
	IsConnected() bool
	IsLoggedIn() bool
	// Paired reports whether the device store holds a linked device.
	Paired() bool

	// GetQRChannel must be called before Connect on an unpaired device; it
	// yields QR codes and then how the pairing ended.
	GetQRChannel(ctx context.Context) (<-chan whatsmeow.QRChannelItem, error)
	// PairPhone asks WhatsApp for a pair code for phone (digits only).
	PairPhone(ctx context.Context, phone string) (string, error)

	// The rest do what *whatsmeow.Client's methods of the same name do.

	SendMessage(ctx context.Context, to types.JID, msg *waE2E.Message, extra whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error)
	Upload(ctx context.Context, data []byte, kind whatsmeow.MediaType) (whatsmeow.UploadResponse, error)
	// Download fetches and decrypts the file of a media message a user sent.
	Download(ctx context.Context, msg whatsmeow.DownloadableMessage) ([]byte, error)
	IsOnWhatsApp(ctx context.Context, phones []string) ([]types.IsOnWhatsAppResponse, error)
	GetJoinedGroups(ctx context.Context) ([]*types.GroupInfo, error)
	SendPresence(ctx context.Context, state types.Presence) error
	SendChatPresence(ctx context.Context, to types.JID, state types.ChatPresence, media types.ChatPresenceMedia) error
	SetStatusMessage(ctx context.Context, about string) error
	// SetProfilePhoto replaces the number's own profile picture (JPEG).
	SetProfilePhoto(ctx context.Context, jpeg []byte) error

	// AddEventHandler registers fn for every whatsmeow event.
	AddEventHandler(fn func(evt any)) uint32
	// PNForLID looks a LID up in the device's LID -> phone-number map; the
	// zero JID means unknown.
	PNForLID(ctx context.Context, lid types.JID) (types.JID, error)
}

// realClient adapts *whatsmeow.Client to Client.
type realClient struct {
	cli *whatsmeow.Client
}

var _ Client = realClient{}

// newRealClient wraps cli and bounds how long a dial may take, because
// whatsmeow's default HTTP transport waits 30 s for a TCP connect and a
// pairing must report an unreachable WhatsApp sooner than that.
func newRealClient(cli *whatsmeow.Client, dialTimeout time.Duration) realClient {
	dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	for _, set := range []func(*http.Client){cli.SetWebsocketHTTPClient, cli.SetPreLoginHTTPClient} {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DialContext = dialer.DialContext
		tr.TLSHandshakeTimeout = dialTimeout
		set(&http.Client{Transport: tr})
	}
	return realClient{cli: cli}
}

func (c realClient) Connect(ctx context.Context) error { return c.cli.ConnectContext(ctx) }
func (c realClient) Disconnect()                       { c.cli.Disconnect() }
func (c realClient) IsConnected() bool                 { return c.cli.IsConnected() }
func (c realClient) IsLoggedIn() bool                  { return c.cli.IsLoggedIn() }
func (c realClient) Paired() bool                      { return c.cli.Store.ID != nil }

func (c realClient) GetQRChannel(ctx context.Context) (<-chan whatsmeow.QRChannelItem, error) {
	return c.cli.GetQRChannel(ctx)
}

// PairPhone names the linked device "Chrome (Linux)": WhatsApp validates the
// display name against a list of common browsers and answers 400 otherwise.
func (c realClient) PairPhone(ctx context.Context, phone string) (string, error) {
	return c.cli.PairPhone(ctx, phone, true, whatsmeow.PairClientChrome, "Chrome (Linux)")
}

func (c realClient) SendMessage(ctx context.Context, to types.JID, msg *waE2E.Message, extra whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error) {
	return c.cli.SendMessage(ctx, to, msg, extra)
}

func (c realClient) Upload(ctx context.Context, data []byte, kind whatsmeow.MediaType) (whatsmeow.UploadResponse, error) {
	return c.cli.Upload(ctx, data, kind)
}

func (c realClient) Download(ctx context.Context, msg whatsmeow.DownloadableMessage) ([]byte, error) {
	return c.cli.Download(ctx, msg)
}

func (c realClient) IsOnWhatsApp(ctx context.Context, phones []string) ([]types.IsOnWhatsAppResponse, error) {
	return c.cli.IsOnWhatsApp(ctx, phones)
}

func (c realClient) GetJoinedGroups(ctx context.Context) ([]*types.GroupInfo, error) {
	return c.cli.GetJoinedGroups(ctx)
}

func (c realClient) SendPresence(ctx context.Context, state types.Presence) error {
	return c.cli.SendPresence(ctx, state)
}

func (c realClient) SendChatPresence(ctx context.Context, to types.JID, state types.ChatPresence, media types.ChatPresenceMedia) error {
	return c.cli.SendChatPresence(ctx, to, state, media)
}

func (c realClient) SetStatusMessage(ctx context.Context, about string) error {
	return c.cli.SetStatusMessage(ctx, about)
}

// SetProfilePhoto uses SetGroupPhoto with an empty JID: whatsmeow has no
// dedicated call for one's own picture, and the w:profile:picture query
// without a target is exactly what WhatsApp Web sends for it.
func (c realClient) SetProfilePhoto(ctx context.Context, jpeg []byte) error {
	_, err := c.cli.SetGroupPhoto(ctx, types.EmptyJID, jpeg)
	return err
}

func (c realClient) AddEventHandler(fn func(evt any)) uint32 {
	return c.cli.AddEventHandler(fn)
}

func (c realClient) PNForLID(ctx context.Context, lid types.JID) (types.JID, error) {
	return c.cli.Store.LIDs.GetPNForLID(ctx, lid)
}
