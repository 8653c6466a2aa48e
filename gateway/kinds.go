package gateway

import (
	"context"
	"strings"

	"higate/registry"
)

// outboundOf is the message a job sends, but for its media, which the
// dispatcher reads from the spool, and the group's ID.
func outboundOf(j registry.Job) Outbound {
	return Outbound{ID: j.MessageID, To: j.To, Kind: MessageKind(j.Kind), Text: j.Text,
		Caption: j.Caption, Filename: j.Filename, Mimetype: j.Mimetype,
		Location: Location{Latitude: j.Latitude, Longitude: j.Longitude, Name: j.PlaceName, Address: j.PlaceAddress},
		Contact:  Contact{Name: j.ContactName, Number: j.ContactNumber}}
}

// Location is the place a location message shows.
type Location struct {
	Latitude  float64 // degrees, -90 to 90
	Longitude float64 // degrees, -180 to 180
	Name      string  // optional, e.g. "Brandenburg Gate"
	Address   string  // optional
}

// Contact is the person a contact message shares.
type Contact struct {
	Name   string
	Number string // E.164
}

// VCard is the contact as WhatsApp shares one: a vCard 3.0 whose phone
// number carries a waid parameter (the number's digits), which is what
// makes the phone offer "Message" and "Add" for it.
func (c Contact) VCard() string {
	digits := strings.TrimPrefix(c.Number, "+")
	name := vcardEscape(c.Name)
	var b strings.Builder
	b.WriteString("BEGIN:VCARD\r\nVERSION:3.0\r\n")
	b.WriteString("N:;" + name + ";;;\r\n")
	b.WriteString("FN:" + name + "\r\n")
	b.WriteString("TEL;type=CELL;type=VOICE;waid=" + digits + ":+" + digits + "\r\n")
	b.WriteString("END:VCARD\r\n")
	return b.String()
}

// vcardEscape escapes a text value of a vCard 3.0 (RFC 2426 §4): a
// backslash, comma or semicolon is escaped with a backslash, and a line
// break becomes \n, so a name cannot end its line and add properties.
func vcardEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, ",", `\,`, ";", `\;`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)
	return r.Replace(s)
}

// IsVoiceNote reports whether audio of mimetype goes as a voice note (a
// push-to-talk message, with the waveform and the microphone icon) rather
// than as an audio file: WhatsApp's own voice notes are Ogg with the Opus
// codec, and phones play nothing else that way.
func IsVoiceNote(mimetype string) bool {
	return strings.HasPrefix(mimetype, "audio/ogg")
}

// Attachment is the file that came with an inbound message. The bytes are
// fetched on demand, because only an Enterprise webhook keeps them: the
// whatsmeow transport downloads them from WhatsApp's media servers only
// when Fetch is called.
type Attachment struct {
	Kind     MessageKind // KindImage, KindDocument, KindAudio or KindVideo
	Mimetype string
	Filename string // a document's name; may be empty
	Size     int64  // as the message announces it; 0 if unknown
	// Fetch returns the bytes. It may be called more than once, and from
	// any goroutine; it fails if the file is larger than limit bytes.
	Fetch func(ctx context.Context, limit int64) ([]byte, error)
}

// KindOfMimetype is the kind an attachment of mimetype is: image, audio
// or video by its top-level type, anything else a document.
func KindOfMimetype(mimetype string) MessageKind {
	switch {
	case strings.HasPrefix(mimetype, "image/"):
		return KindImage
	case strings.HasPrefix(mimetype, "audio/"):
		return KindAudio
	case strings.HasPrefix(mimetype, "video/"):
		return KindVideo
	}
	return KindDocument
}
