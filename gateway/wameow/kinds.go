package wameow

import (
	"context"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"higate/gateway"
)

// voiceNoteMimetype is the type WhatsApp's own voice notes declare; a
// phone shows a voice note with another one as a plain audio file, or not
// at all.
const voiceNoteMimetype = "audio/ogg; codecs=opus"

// audioMessage uploads audio and sends it as a voice note (push to talk)
// if it is Ogg/Opus, else as an audio file.
func (t *Transport) audioMessage(ctx context.Context, msg gateway.Outbound) (*waE2E.Message, error) {
	up, err := t.upload(ctx, msg, "audio", whatsmeow.MediaAudio)
	if err != nil {
		return nil, err
	}
	mimetype := mimetypeOf(msg.Mimetype, msg.Filename, msg.Media)
	voice := gateway.IsVoiceNote(mimetype)
	if voice {
		mimetype = voiceNoteMimetype
	}
	return &waE2E.Message{AudioMessage: &waE2E.AudioMessage{
		URL:           proto.String(up.URL),
		DirectPath:    proto.String(up.DirectPath),
		MediaKey:      up.MediaKey,
		FileEncSHA256: up.FileEncSHA256,
		FileSHA256:    up.FileSHA256,
		FileLength:    proto.Uint64(up.FileLength),
		Mimetype:      proto.String(mimetype),
		PTT:           proto.Bool(voice),
	}}, nil
}

// videoMessage uploads a video and sends it with its caption.
func (t *Transport) videoMessage(ctx context.Context, msg gateway.Outbound) (*waE2E.Message, error) {
	up, err := t.upload(ctx, msg, "video", whatsmeow.MediaVideo)
	if err != nil {
		return nil, err
	}
	video := &waE2E.VideoMessage{
		URL:           proto.String(up.URL),
		DirectPath:    proto.String(up.DirectPath),
		MediaKey:      up.MediaKey,
		FileEncSHA256: up.FileEncSHA256,
		FileSHA256:    up.FileSHA256,
		FileLength:    proto.Uint64(up.FileLength),
		Mimetype:      proto.String(mimetypeOf(msg.Mimetype, msg.Filename, msg.Media)),
	}
	if msg.Caption != "" {
		video.Caption = proto.String(msg.Caption)
	}
	return &waE2E.Message{VideoMessage: video}, nil
}

// locationMessage is a pin on the map, with the place's name and address
// where given.
func locationMessage(l gateway.Location) *waE2E.Message {
	loc := &waE2E.LocationMessage{
		DegreesLatitude:  proto.Float64(l.Latitude),
		DegreesLongitude: proto.Float64(l.Longitude),
	}
	if l.Name != "" {
		loc.Name = proto.String(l.Name)
	}
	if l.Address != "" {
		loc.Address = proto.String(l.Address)
	}
	return &waE2E.Message{LocationMessage: loc}
}

// contactMessage shares a contact as WhatsApp does: its name, and a vCard
// whose number carries the waid that lets the phone message it.
func contactMessage(c gateway.Contact) (*waE2E.Message, error) {
	if c.Name == "" {
		return nil, &gateway.SendError{Reason: "the contact has no name", Permanent: true}
	}
	if _, err := digitsOf(c.Number); err != nil {
		return nil, &gateway.SendError{Reason: "the contact's number is not E.164: " + mask(c.Number), Permanent: true}
	}
	return &waE2E.Message{ContactMessage: &waE2E.ContactMessage{
		DisplayName: proto.String(c.Name),
		Vcard:       proto.String(c.VCard()),
	}}, nil
}

// IsOnWhatsApp asks WhatsApp about numbers in one query (a usync, as a
// phone's contact sync makes) and remembers the accounts it finds, for
// sends. Numbers that are not E.164 are not asked and answer false.
func (t *Transport) IsOnWhatsApp(ctx context.Context, numbers []string) ([]bool, error) {
	if !t.ready() {
		return nil, gateway.ErrNotConnected
	}
	out := make([]bool, len(numbers))
	index := map[string][]int{} // digits -> positions in numbers
	var query []string
	for i, number := range numbers {
		digits, err := digitsOf(number)
		if err != nil {
			continue
		}
		if len(index[digits]) == 0 {
			query = append(query, "+"+digits)
		}
		index[digits] = append(index[digits], i)
	}
	if len(query) == 0 {
		return out, nil
	}
	resp, err := t.client.IsOnWhatsApp(ctx, query)
	if err != nil {
		return nil, classify("look up numbers", err)
	}
	for _, r := range resp {
		if !r.IsIn || r.JID.User == "" {
			continue
		}
		// WhatsApp answers with the query as it was sent ("+4915..."); the
		// JID may differ from it (Mexico's +52 1, Argentina's +54 9).
		digits := trimPlus(r.Query)
		for _, i := range index[digits] {
			out[i] = true
		}
		if len(index[digits]) > 0 && r.JID.Server == types.DefaultUserServer {
			t.jidMu.Lock()
			t.jids[digits] = r.JID.ToNonAD()
			t.jidMu.Unlock()
		}
	}
	return out, nil
}

func trimPlus(s string) string {
	if len(s) > 0 && s[0] == '+' {
		return s[1:]
	}
	return s
}
