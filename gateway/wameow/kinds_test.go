package wameow_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"higate/gateway"
	"higate/gateway/wameow"
)

// Each kind beyond WhatsMate's becomes the WhatsApp message a phone would
// send, media uploaded as its own type first; groups get the same.
func TestSendBuildsNewKinds(t *testing.T) {
	s := newSendFake()
	tr, _ := start(t, s.fakeClient, wameow.Options{})
	ctx := context.Background()
	group := types.NewJID("120363000000000001", types.GroupServer)
	for _, c := range []struct {
		name   string
		msg    gateway.Outbound
		upload whatsmeow.MediaType
		check  func(m *waE2E.Message) bool
	}{
		{"voice note", gateway.Outbound{Kind: gateway.KindAudio, Mimetype: "audio/ogg; codecs=opus", Media: []byte("OggS...OpusHead")}, whatsmeow.MediaAudio,
			func(m *waE2E.Message) bool {
				a := m.GetAudioMessage()
				return a.GetPTT() && a.GetMimetype() == "audio/ogg; codecs=opus" && a.GetDirectPath() == "/v/t62/x" &&
					string(a.GetMediaKey()) == "key" && a.GetFileLength() == 15
			}},
		{"audio file", gateway.Outbound{Kind: gateway.KindAudio, Mimetype: "audio/mpeg", Media: []byte("ID3 song")}, whatsmeow.MediaAudio,
			func(m *waE2E.Message) bool {
				a := m.GetAudioMessage()
				return a != nil && !a.GetPTT() && a.GetMimetype() == "audio/mpeg" && a.GetURL() == "https://mmg.whatsapp.net/x"
			}},
		{"video", gateway.Outbound{Kind: gateway.KindVideo, Mimetype: "video/mp4", Caption: "the clip", Media: []byte("ftypisom")}, whatsmeow.MediaVideo,
			func(m *waE2E.Message) bool {
				v := m.GetVideoMessage()
				return v.GetCaption() == "the clip" && v.GetMimetype() == "video/mp4" && string(v.GetFileSHA256()) == "sha" && string(v.GetFileEncSHA256()) == "enc"
			}},
		{"location", gateway.Outbound{Kind: gateway.KindLocation, Location: gateway.Location{Latitude: 52.516275, Longitude: 13.377704, Name: "Brandenburger Tor", Address: "Pariser Platz"}}, "",
			func(m *waE2E.Message) bool {
				l := m.GetLocationMessage()
				return l.GetDegreesLatitude() == 52.516275 && l.GetDegreesLongitude() == 13.377704 && l.GetName() == "Brandenburger Tor" && l.GetAddress() == "Pariser Platz"
			}},
		{"location without a name", gateway.Outbound{Kind: gateway.KindLocation, Location: gateway.Location{Latitude: 0, Longitude: -180}}, "",
			func(m *waE2E.Message) bool {
				l := m.GetLocationMessage()
				return l != nil && l.DegreesLatitude != nil && l.GetDegreesLongitude() == -180 && l.Name == nil && l.Address == nil
			}},
		{"contact", gateway.Outbound{Kind: gateway.KindContact, Contact: gateway.Contact{Name: "Ada, Countess; FRS", Number: "+442079460018"}}, "",
			func(m *waE2E.Message) bool {
				c := m.GetContactMessage()
				v := c.GetVcard()
				return c.GetDisplayName() == "Ada, Countess; FRS" && strings.HasPrefix(v, "BEGIN:VCARD\r\nVERSION:3.0\r\n") &&
					strings.Contains(v, "\r\nFN:Ada\\, Countess\\; FRS\r\n") &&
					strings.Contains(v, "\r\nTEL;type=CELL;type=VOICE;waid=442079460018:+442079460018\r\n") && strings.HasSuffix(v, "END:VCARD\r\n")
			}},
	} {
		for _, dest := range []string{"single", "group"} {
			t.Run(c.name+" "+dest, func(t *testing.T) {
				msg := c.msg
				msg.ID = "3EB0" + strings.ToUpper(strings.ReplaceAll(c.name, " ", "")) + dest
				want := types.NewJID("4917611112222", types.DefaultUserServer)
				if dest == "group" {
					msg.GroupID, want = group.String(), group
				} else {
					msg.To = "+4917611112222"
				}
				s.mu.Lock()
				uploads := len(s.uploads)
				s.mu.Unlock()
				if err := tr.Send(ctx, msg); err != nil {
					t.Fatal(err)
				}
				got := s.last(t)
				if got.to != want || got.extra.ID != types.MessageID(msg.ID) || !c.check(got.msg) {
					t.Fatalf("sent to %v id %q: %v", got.to, got.extra.ID, got.msg)
				}
				s.mu.Lock()
				defer s.mu.Unlock()
				if c.upload == "" && len(s.uploads) != uploads || c.upload != "" && (len(s.uploads) != uploads+1 || s.uploads[uploads] != c.upload) {
					t.Fatalf("uploads %v, want one %q", s.uploads[uploads:], c.upload)
				}
			})
		}
	}

	for _, c := range []struct {
		name string
		msg  gateway.Outbound
	}{
		{"empty audio", gateway.Outbound{Kind: gateway.KindAudio}},
		{"empty video", gateway.Outbound{Kind: gateway.KindVideo}},
		{"nameless contact", gateway.Outbound{Kind: gateway.KindContact, Contact: gateway.Contact{Number: "+442079460018"}}},
		{"contact without a number", gateway.Outbound{Kind: gateway.KindContact, Contact: gateway.Contact{Name: "Ada", Number: "0800"}}},
	} {
		c.msg.ID, c.msg.To = "X", "+4917611112222"
		var se *gateway.SendError
		if err := tr.Send(ctx, c.msg); !errors.As(err, &se) || !se.Permanent {
			t.Errorf("%s: %v, want a permanent refusal", c.name, err)
		}
	}
}

// An upload that fails for a moment is retried later; one WhatsApp
// refuses fails the job.
func TestSendNewKindsUploadErrors(t *testing.T) {
	s := newSendFake()
	s.UploadFunc = func(context.Context, []byte, whatsmeow.MediaType) (whatsmeow.UploadResponse, error) {
		return whatsmeow.UploadResponse{}, errors.New("connection reset")
	}
	tr, _ := start(t, s.fakeClient, wameow.Options{})
	err := tr.Send(context.Background(), gateway.Outbound{ID: "X", To: "+4917611112222", Kind: gateway.KindVideo, Media: []byte("v")})
	var se *gateway.SendError
	if err == nil || errors.As(err, &se) {
		t.Fatalf("a transient upload failure: %v, want a plain (retried) error", err)
	}
}

// IsOnWhatsApp asks once for all the numbers, in WhatsApp's query form,
// answers in their order, and remembers the accounts for sends.
func TestIsOnWhatsAppBatch(t *testing.T) {
	s := newSendFake()
	var queries [][]string
	inner := s.IsOnWhatsAppFunc
	s.IsOnWhatsAppFunc = func(ctx context.Context, phones []string) ([]types.IsOnWhatsAppResponse, error) {
		queries = append(queries, slices.Clone(phones))
		return inner(ctx, phones)
	}
	tr, _ := start(t, s.fakeClient, wameow.Options{})
	got, err := tr.IsOnWhatsApp(context.Background(), []string{"+4917611112222", "+4900111222333", "not a number", "+525512345678", "+4917611112222"})
	if err != nil || !slices.Equal(got, []bool{true, false, false, true, true}) {
		t.Fatalf("IsOnWhatsApp = %v, %v", got, err)
	}
	if len(queries) != 1 || !slices.Equal(queries[0], []string{"+4917611112222", "+4900111222333", "+525512345678"}) {
		t.Fatalf("queries %v, want one with each valid number once", queries)
	}
	// The Mexican number's JID is known now: the send looks nothing up.
	if err := tr.Send(context.Background(), gateway.Outbound{ID: "X", To: "+525512345678", Kind: gateway.KindText, Text: "hola"}); err != nil {
		t.Fatal(err)
	}
	if s.last(t).to != types.NewJID("5215512345678", types.DefaultUserServer) || len(queries) != 1 {
		t.Fatalf("sent to %v after %d queries", s.last(t).to, len(queries))
	}

	s.IsOnWhatsAppFunc = func(context.Context, []string) ([]types.IsOnWhatsAppResponse, error) {
		return nil, whatsmeow.ErrNotConnected
	}
	if _, err := tr.IsOnWhatsApp(context.Background(), []string{"+4917611112223"}); !errors.Is(err, gateway.ErrNotConnected) {
		t.Fatalf("offline query: %v", err)
	}
}

// Images, documents, audio and video a user sends are reported with their
// type, name and caption; the file is downloaded only when fetched, and
// not at all when it is announced as too large.
func TestInboundMediaIsFetchedOnDemand(t *testing.T) {
	f := newFake()
	var downloads []whatsmeow.DownloadableMessage
	f.DownloadFunc = func(_ context.Context, msg whatsmeow.DownloadableMessage) ([]byte, error) {
		downloads = append(downloads, msg)
		return []byte("file of " + msg.GetDirectPath()), nil
	}
	_, rec := start(t, f, wameow.Options{})
	f.dispatch(&events.Connected{})
	rec.waitFor(t, gateway.EventConnected)
	pn := types.NewJID("4917611112222", types.DefaultUserServer)
	info := types.MessageInfo{MessageSource: types.MessageSource{Chat: pn, Sender: pn}, ID: "IN1"}
	for _, m := range []*waE2E.Message{
		{ImageMessage: &waE2E.ImageMessage{DirectPath: proto.String("/img"), Mimetype: proto.String("image/jpeg"), Caption: proto.String("my meter"), FileLength: proto.Uint64(10)}},
		{DocumentMessage: &waE2E.DocumentMessage{DirectPath: proto.String("/doc"), Mimetype: proto.String("application/pdf"), FileName: proto.String("invoice.pdf"), Caption: proto.String("the invoice")}},
		{AudioMessage: &waE2E.AudioMessage{DirectPath: proto.String("/ptt"), Mimetype: proto.String("audio/ogg; codecs=opus"), PTT: proto.Bool(true)}},
		{VideoMessage: &waE2E.VideoMessage{DirectPath: proto.String("/big"), Mimetype: proto.String("video/mp4"), FileLength: proto.Uint64(1 << 40)}},
	} {
		f.dispatch(&events.Message{Info: info, Message: m})
	}
	want := []struct {
		kind                        gateway.MessageKind
		mimetype, filename, caption string
		path                        string
	}{
		{gateway.KindImage, "image/jpeg", "", "my meter", "/img"},
		{gateway.KindDocument, "application/pdf", "invoice.pdf", "the invoice", "/doc"},
		{gateway.KindAudio, "audio/ogg; codecs=opus", "", "", "/ptt"},
		{gateway.KindVideo, "video/mp4", "", "", ""},
	}
	var evs []gateway.Event
	for range want {
		evs = append(evs, rec.next(t))
	}
	if len(downloads) != 0 {
		t.Fatalf("%d downloads before anyone fetched", len(downloads))
	}
	for i, w := range want {
		ev, a := evs[i], evs[i].Attachment
		if ev.Kind != gateway.EventInbound || ev.From != "+4917611112222" || ev.Text != w.caption || a == nil ||
			a.Kind != w.kind || a.Mimetype != w.mimetype || a.Filename != w.filename {
			t.Fatalf("event %d: %+v %+v", i, ev, a)
		}
		data, err := a.Fetch(context.Background(), 1<<20)
		if w.path == "" {
			if err == nil {
				t.Errorf("event %d: a file announced at 1 TB was fetched", i)
			}
			continue
		}
		if err != nil || string(data) != "file of "+w.path {
			t.Errorf("event %d: fetched %q, %v", i, data, err)
		}
	}
	if len(downloads) != 3 {
		t.Fatalf("%d downloads, want 3", len(downloads))
	}
}
