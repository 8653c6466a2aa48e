package wameow

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"

	"go.mau.fi/whatsmeow/types"
)

// messageIDPrefix starts every message ID WhatsApp Web generates; IDs of
// the same shape keep our sends indistinguishable from a browser's.
const messageIDPrefix = "3EB0"

// NewMessageID returns a fresh WhatsApp message ID in WhatsApp Web's
// current format: "3EB0" and 18 upper-case hex digits (9 random bytes),
// 22 characters in all, as whatsmeow's Client.GenerateMessageID makes them.
// The dispatcher must generate IDs of this format itself (package gateway
// cannot import this one); the sim accepts any string.
func NewMessageID() string {
	var b [9]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return messageIDPrefix + strings.ToUpper(hex.EncodeToString(b[:]))
}

// phoneOf returns the E.164 number behind a sender JID, or "" if it cannot
// be known. Senders increasingly arrive as LIDs (opaque IDs that hide the
// number); the number is then in the alternative address WhatsApp sent
// along, or in the device's LID map.
func (t *Transport) phoneOf(ctx context.Context, jid, alt types.JID) string {
	jid = jid.ToNonAD()
	switch jid.Server {
	case types.DefaultUserServer:
		return "+" + jid.User
	case types.HiddenUserServer:
		if alt.Server == types.DefaultUserServer {
			return "+" + alt.User
		}
		pn, err := t.client.PNForLID(ctx, jid)
		if err != nil {
			t.log.Debug("look up LID", "err", err)
			return ""
		}
		if pn.Server == types.DefaultUserServer && pn.User != "" {
			return "+" + pn.User
		}
	}
	return ""
}
