package gateway_test

import (
	"strings"
	"testing"

	"higate/gateway"
)

// A contact's name cannot end its vCard line and add properties of its own.
func TestVCardEscapesTheName(t *testing.T) {
	v := gateway.Contact{Name: "Eve\r\nTEL;waid=1:+1\\x, y; z", Number: "+442079460018"}.VCard()
	want := "BEGIN:VCARD\r\nVERSION:3.0\r\n" +
		"N:;Eve\\nTEL\\;waid=1:+1\\\\x\\, y\\; z;;;\r\n" +
		"FN:Eve\\nTEL\\;waid=1:+1\\\\x\\, y\\; z\r\n" +
		"TEL;type=CELL;type=VOICE;waid=442079460018:+442079460018\r\n" +
		"END:VCARD\r\n"
	if v != want {
		t.Fatalf("vCard\n%q\nwant\n%q", v, want)
	}
	if strings.Count(v, "\r\nTEL") != 1 || strings.Count(v, "\r\n") != 6 {
		t.Fatalf("the name added lines: %q", v)
	}
}

func TestVoiceNotesAndKindsOfMimetypes(t *testing.T) {
	for mimetype, want := range map[string]bool{"audio/ogg; codecs=opus": true, "audio/ogg": true, "audio/mpeg": false, "audio/mp4": false} {
		if gateway.IsVoiceNote(mimetype) != want {
			t.Errorf("IsVoiceNote(%q) = %v", mimetype, !want)
		}
	}
	for mimetype, want := range map[string]gateway.MessageKind{"image/webp": gateway.KindImage, "audio/amr": gateway.KindAudio,
		"video/3gpp": gateway.KindVideo, "application/pdf": gateway.KindDocument, "": gateway.KindDocument} {
		if got := gateway.KindOfMimetype(mimetype); got != want {
			t.Errorf("KindOfMimetype(%q) = %s, want %s", mimetype, got, want)
		}
	}
}
