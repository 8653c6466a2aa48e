// Package gateway connects gateway numbers to WhatsApp and moves messages
// between them and the registry: transports, the dispatcher that drains each
// instance's durable queue, the inbound router and failover.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// MessageKind is what an outbound message carries.
type MessageKind string

// The message kinds of the public API.
const (
	KindText     MessageKind = "text"
	KindImage    MessageKind = "image"
	KindDocument MessageKind = "document"
	KindURL      MessageKind = "url"
	KindAudio    MessageKind = "audio"    // Media; Ogg/Opus goes as a voice note (IsVoiceNote)
	KindVideo    MessageKind = "video"    // Media, Caption
	KindLocation MessageKind = "location" // Location
	KindContact  MessageKind = "contact"  // Contact, as a vCard
)

// Outbound is one message handed to a transport. ID is the WhatsApp message
// ID; it is fixed before the first attempt and reused on every retry, so a
// transport (and WhatsApp itself) can recognise a resend as the same message.
type Outbound struct {
	ID       string
	To       string // recipient E.164 ("+4915112345678"); empty for a group message
	GroupID  string // transport's group identifier (Group.ID); empty for a single message
	Kind     MessageKind
	Text     string // the text, or the URL for KindURL
	Caption  string
	Filename string
	Mimetype string
	Media    []byte   // decoded image, document, audio or video bytes
	Location Location // KindLocation
	Contact  Contact  // KindContact
}

// Group is a WhatsApp group the gateway number is a member of.
type Group struct {
	ID      string   // transport-specific identifier (a JID string for whatsmeow)
	Name    string   // the group's subject
	Admin   string   // E.164 of the creator, used to tell groups of the same name apart
	Members []string // E.164 of members, where known
}

// Profile is the public face of a gateway number (Enterprise).
type Profile struct {
	Image []byte // JPEG; nil leaves the picture unchanged
	About string
}

// Transport is the one interface over a WhatsApp connection of one gateway
// number. Implementations: gateway/sim (simulated network) and gateway/wameow
// (real WhatsApp through whatsmeow).
//
// Start begins connecting and returns without waiting for the connection;
// from then until Stop returns, the transport reports what happens through
// the handler (connected, disconnected, inbound messages, receipts, bans).
// The handler may be called from any goroutine, concurrently.
type Transport interface {
	Number() string
	Start(ctx context.Context, handle func(Event)) error
	Stop()
	Send(ctx context.Context, msg Outbound) error
	Groups(ctx context.Context) ([]Group, error)
	OnWhatsApp(ctx context.Context, number string) (bool, error)
	// IsOnWhatsApp asks, in one query where the network allows it, which
	// of numbers (E.164) have a WhatsApp account: the answers are in the
	// order of numbers. A number that is not E.164 is not on WhatsApp. It
	// fails as a whole (ErrNotConnected while offline). Callers that take
	// numbers from clients go through Service.CheckOnWhatsApp, which
	// caches answers and rate-limits the queries.
	IsOnWhatsApp(ctx context.Context, numbers []string) ([]bool, error)
	SetProfile(ctx context.Context, p Profile) error
}

// Pairer is implemented by transports that must be linked to a phone before
// they can connect (whatsmeow). The sim needs no pairing.
type Pairer interface {
	// Pairing reports the current pairing progress.
	Pairing() PairingState
	// PairPhone asks for a phone-number pair code instead of a QR code.
	PairPhone(ctx context.Context) (code string, err error)
}

// PairingStep is where a pairing stands.
type PairingStep string

// The steps of a pairing.
const (
	PairingWaiting PairingStep = "waiting" // connecting to WhatsApp to get a code
	PairingCode    PairingStep = "code"    // a QR code or pair code is ready to scan or type
	PairingScanned PairingStep = "scanned" // the phone scanned it; finishing the link
	PairingSuccess PairingStep = "success"
	PairingTimeout PairingStep = "timeout"
	PairingError   PairingStep = "error"
	PairingPaired  PairingStep = "paired" // already linked; nothing to do
)

// PairingState is the pairing progress of one number.
type PairingState struct {
	Step     PairingStep `json:"step"`
	QR       string      `json:"qr,omitempty"`        // QR payload to render
	PairCode string      `json:"pair_code,omitempty"` // phone pair code "ABCD-EFGH"
	Message  string      `json:"message,omitempty"`   // human-readable detail, set on error
	Updated  time.Time   `json:"updated"`
}

// EventKind tells what a transport Event reports.
type EventKind string

// The transport events.
const (
	EventConnected    EventKind = "connected"
	EventDisconnected EventKind = "disconnected" // transient; the transport reconnects on its own
	EventStopped      EventKind = "stopped"      // needs a human (stream replaced, client outdated); no reconnect
	EventLoggedOut    EventKind = "logged_out"   // device unlinked; needs pairing again
	EventTempBanned   EventKind = "temp_banned"  // back in service after Until
	EventBanned       EventKind = "banned"       // permanent
	EventInbound      EventKind = "inbound"      // a user or group member wrote to the number
	EventReceipt      EventKind = "receipt"      // delivered / read receipts for sent messages
	EventPairing      EventKind = "pairing"      // pairing progress changed
)

// Receipt kinds.
const (
	ReceiptDelivered = "delivered"
	ReceiptRead      = "read"
)

// Event is something a transport observed. Which fields are set depends on Kind.
type Event struct {
	Kind    EventKind
	Gateway string // E.164 of the gateway number the event is about
	At      time.Time

	// EventInbound
	MessageID  string
	From       string // sender E.164
	Text       string // the text, or a media message's caption
	GroupID    string
	GroupName  string
	GroupAdmin string      // creator E.164
	Attachment *Attachment // the image, document, audio or video the user sent; nil for text

	// EventReceipt
	MessageIDs []string
	Receipt    string // ReceiptDelivered or ReceiptRead

	// state changes
	Reason string
	Code   int       // WhatsApp's code, where there is one (e.g. 402 for a temporary ban)
	Until  time.Time // end of a temporary ban
}

// ErrNotConnected is returned by Send while the number is not connected. It is
// transient: the dispatcher keeps the job and retries once the number is back.
var ErrNotConnected = errors.New("gateway number is not connected")

// SendError is a send that WhatsApp refused. Permanent errors fail the job;
// others are retried with backoff.
type SendError struct {
	Code          int    // WhatsApp's error code where known (463, 479 ...), else 0
	Reason        string // human-readable
	Permanent     bool
	NotOnWhatsApp bool // the recipient has no WhatsApp account; the job is refunded
}

func (e *SendError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("send refused (%d): %s", e.Code, e.Reason)
	}
	return "send refused: " + e.Reason
}
