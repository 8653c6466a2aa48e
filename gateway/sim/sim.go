// Package sim is an in-process simulated WhatsApp network. The sandbox
// instance, the demo and every gateway test run against it instead of
// WhatsApp, so it behaves like an external network rather than a mock: its
// users, groups and inboxes outlive the gateway (they are journaled under a
// data directory and survive a restart or a kill -9), it drops a message
// whose ID it has recently delivered, it queues what arrives for a number
// that is offline, and faults (disconnect, temporary ban, ban, slow sends)
// can be injected by hand.
//
// A Network holds the simulated users and groups; Attach gives the
// gateway.Transport of one gateway number on it.
//
// Memory stays bounded however many messages the network carries, as a
// long demo or a load test needs. An inbox keeps its user's last 1,000
// messages: older ones drop out, and one that drops out unread is never
// reported read. The bytes of the inboxes' images and documents are kept
// in memory, and only while a message in an inbox refers to them, up to
// Options.MediaLimit (64 MiB by default); a user's own last 100 messages
// are kept in memory for Conversation. Neither is journaled, so neither
// outlives the network; the inboxes do. Watch tells a user's phone when
// their conversations change. A gateway number remembers the IDs of the last 100,000
// messages it delivered to drop resends, as WhatsApp too recognises only
// recent ones. The journal grows with every message until the next Open,
// which compacts it once it holds more than twice the records the state
// needs, and more than 10,000: it rewrites it as just those records (users
// off WhatsApp, groups, inboxes with their read state, remembered IDs,
// bans, profiles, and the events each number's handler has not yet
// returned from). The rewrite goes to a temporary file that is synced and
// renamed over the journal, so a crash at any point leaves one whole
// journal or the other.
package sim

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"higate/gateway"
)

// Options configure a Network. The zero value is usable: time.Now as the
// clock and a logger that discards everything.
type Options struct {
	// Now stamps messages, receipts and ban expiries. Fault durations still
	// run on real timers, because a fault that ends by itself must end
	// without anyone stepping a clock.
	Now func() time.Time
	// Logger receives debug records of faults and journal trouble.
	Logger *slog.Logger
	// MediaLimit is how many bytes of the inboxes' media the network keeps
	// in memory for Media, newest first: 0 means 64 MiB, a negative value
	// none.
	MediaLimit int
}

// Message is one message as a simulated user received it. For a group
// message every member gets a copy whose To is that member and whose Group
// is the group's name. It carries its media's size and hash, not the bytes:
// the network keeps those apart, bounded (Network.Media), so a long
// benchmark does not hold every image in memory.
type Message struct {
	ID       string              `json:"id"`
	From     string              `json:"from"` // the gateway number that sent it
	To       string              `json:"to"`
	Kind     gateway.MessageKind `json:"kind"`
	Text     string              `json:"text"` // the text, or the URL for a url message
	Caption  string              `json:"caption"`
	Filename string              `json:"filename"`
	Mimetype string              `json:"mimetype,omitempty"`
	Size     int                 `json:"size,omitempty"`   // decoded media bytes
	SHA256   string              `json:"sha256,omitempty"` // hex SHA-256 of the media
	Voice    bool                `json:"voice,omitempty"`  // audio sent as a voice note
	Group    string              `json:"group"`            // group name, "" for a direct message
	At       time.Time           `json:"at"`
	// A location message's place and a contact message's person; their
	// fields appear in the message's JSON beside the others, and only on
	// messages of their kind.
	*Location
	*Contact
}

// Location is the place of a location message.
type Location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name,omitempty"`
	Address   string  `json:"address,omitempty"`
}

// Contact is the person of a contact message, and the vCard it came as.
type Contact struct {
	ContactName   string `json:"contact_name"`
	ContactNumber string `json:"contact_number"`
	VCard         string `json:"vcard"`
}

// ErrClosed is returned by anything that needs the network after Close.
var ErrClosed = errors.New("sim: network is closed")

// Fault kinds accepted by Network.Fault.
const (
	FaultDisconnect = "disconnect" // the connection drops; comes back after d, or on clear
	FaultTempBan    = "temp_ban"   // temporarily banned until now+d (until cleared when d is 0)
	FaultBan        = "ban"        // banned for good, until cleared
	FaultSlow       = "slow"       // every send takes d longer
	FaultClear      = "clear"      // ends every fault at once
)

// Codes the simulated network puts on its refusals and events, chosen to
// match what WhatsApp reports where it has a code for the situation.
const (
	CodeTempBan       = 402 // WhatsApp's connect-failure code for a temporary ban
	CodeNotOnWhatsApp = 404
	CodeBadRequest    = 400
	CodeNotInGroup    = 403
)

// validE164 reports whether s is "+" followed by 8 to 15 digits, the form
// every number on the simulated network must have.
func validE164(s string) bool {
	if len(s) < 9 || len(s) > 16 || s[0] != '+' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func checkE164(what, s string) error {
	if !validE164(s) {
		return fmt.Errorf("sim: %s %q is not an E.164 number (+ and 8-15 digits)", what, s)
	}
	return nil
}

// newMessageID makes an ID in the shape whatsmeow's GenerateMessageID
// gives (3EB0 and 18 upper-case hex digits), random so that IDs from
// different runs of the network never meet.
func newMessageID() string {
	var b [9]byte
	_, _ = io.ReadFull(rand.Reader, b[:])
	return "3EB0" + strings.ToUpper(hex.EncodeToString(b[:]))
}

// newGroupID makes an ID in the shape of a WhatsApp group JID.
func newGroupID() string {
	var b [8]byte
	_, _ = io.ReadFull(rand.Reader, b[:])
	return fmt.Sprintf("120363%012d@g.us", binary.BigEndian.Uint64(b[:])%1_000_000_000_000)
}

// discardLogger is the logger of a zero Options.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
