package wameow_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"strings"
	"sync"
	"testing"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"

	"higate/gateway"
	"higate/gateway/wameow"
)

// sent is one SendMessage call the fake captured.
type sent struct {
	to    types.JID
	msg   *waE2E.Message
	extra whatsmeow.SendRequestExtra
}

// sendFake is a connected fake that records sends and answers IsOnWhatsApp
// like WhatsApp: Mexican numbers get their "1" after the country code, and
// +4900... is nobody.
type sendFake struct {
	*fakeClient
	mu      sync.Mutex
	sends   []sent
	lookups int
	uploads []whatsmeow.MediaType
	order   []string
}

func newSendFake() *sendFake {
	s := &sendFake{fakeClient: newFake()}
	s.IsOnWhatsAppFunc = func(_ context.Context, phones []string) ([]types.IsOnWhatsAppResponse, error) {
		s.mu.Lock()
		s.lookups++
		s.mu.Unlock()
		var out []types.IsOnWhatsAppResponse
		for _, p := range phones {
			d := strings.TrimPrefix(p, "+")
			if strings.HasPrefix(d, "4900") {
				out = append(out, types.IsOnWhatsAppResponse{Query: p, IsIn: false})
				continue
			}
			if strings.HasPrefix(d, "52") && !strings.HasPrefix(d, "521") {
				d = "521" + d[2:]
			}
			out = append(out, types.IsOnWhatsAppResponse{Query: p, JID: types.NewJID(d, types.DefaultUserServer), IsIn: true})
		}
		return out, nil
	}
	s.SendMessageFunc = func(_ context.Context, to types.JID, msg *waE2E.Message, extra whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.sends = append(s.sends, sent{to, msg, extra})
		s.order = append(s.order, "send")
		return whatsmeow.SendResponse{ID: extra.ID}, nil
	}
	s.UploadFunc = func(_ context.Context, data []byte, kind whatsmeow.MediaType) (whatsmeow.UploadResponse, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.uploads = append(s.uploads, kind)
		return whatsmeow.UploadResponse{
			URL: "https://mmg.whatsapp.net/x", DirectPath: "/v/t62/x", MediaKey: []byte("key"),
			FileEncSHA256: []byte("enc"), FileSHA256: []byte("sha"), FileLength: uint64(len(data)),
		}, nil
	}
	s.SendChatPresenceFunc = func(_ context.Context, _ types.JID, state types.ChatPresence, _ types.ChatPresenceMedia) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.order = append(s.order, string(state))
		return nil
	}
	return s
}

func (s *sendFake) last(t *testing.T) sent {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sends) == 0 {
		t.Fatal("nothing was sent")
	}
	return s.sends[len(s.sends)-1]
}

func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSendBuildsMessages(t *testing.T) {
	s := newSendFake()
	tr, _ := start(t, s.fakeClient, wameow.Options{})
	ctx := context.Background()
	user := types.NewJID("4917611112222", types.DefaultUserServer)

	t.Run("text", func(t *testing.T) {
		err := tr.Send(ctx, gateway.Outbound{ID: "3EB0AAAAAAAAAAAAAAAAAA", To: "+4917611112222", Kind: gateway.KindText, Text: "Hello (y)"})
		if err != nil {
			t.Fatal(err)
		}
		got := s.last(t)
		if got.to != user || got.msg.GetConversation() != "Hello (y)" || got.extra.ID != "3EB0AAAAAAAAAAAAAAAAAA" {
			t.Fatalf("sent %v %v id %q", got.to, got.msg, got.extra.ID)
		}
	})
	t.Run("image", func(t *testing.T) {
		img := pngBytes(t, 40, 30)
		err := tr.Send(ctx, gateway.Outbound{ID: "3EB0B", To: "+4917611112222", Kind: gateway.KindImage, Media: img, Caption: "a picture"})
		if err != nil {
			t.Fatal(err)
		}
		m := s.last(t).msg.GetImageMessage()
		if m == nil {
			t.Fatal("no ImageMessage")
		}
		if m.GetURL() != "https://mmg.whatsapp.net/x" || m.GetDirectPath() != "/v/t62/x" || string(m.GetMediaKey()) != "key" ||
			string(m.GetFileEncSHA256()) != "enc" || string(m.GetFileSHA256()) != "sha" || m.GetFileLength() != uint64(len(img)) ||
			m.GetMimetype() != "image/png" || m.GetCaption() != "a picture" || m.GetWidth() != 40 || m.GetHeight() != 30 {
			t.Fatalf("ImageMessage = %v", m)
		}
		if s.uploads[len(s.uploads)-1] != whatsmeow.MediaImage {
			t.Errorf("uploaded as %q, want image", s.uploads[len(s.uploads)-1])
		}
	})
	t.Run("document", func(t *testing.T) {
		doc := []byte("%PDF-1.4 minimal")
		err := tr.Send(ctx, gateway.Outbound{ID: "3EB0C", To: "+4917611112222", Kind: gateway.KindDocument, Media: doc, Filename: "invoice.pdf", Caption: "your invoice"})
		if err != nil {
			t.Fatal(err)
		}
		m := s.last(t).msg.GetDocumentMessage()
		if m == nil {
			t.Fatal("no DocumentMessage")
		}
		if m.GetFileName() != "invoice.pdf" || m.GetMimetype() != "application/pdf" || m.GetCaption() != "your invoice" ||
			m.GetFileLength() != uint64(len(doc)) || string(m.GetMediaKey()) != "key" || m.GetDirectPath() != "/v/t62/x" ||
			string(m.GetFileSHA256()) != "sha" || string(m.GetFileEncSHA256()) != "enc" {
			t.Fatalf("DocumentMessage = %v", m)
		}
		if s.uploads[len(s.uploads)-1] != whatsmeow.MediaDocument {
			t.Errorf("uploaded as %q, want document", s.uploads[len(s.uploads)-1])
		}
	})
	t.Run("link", func(t *testing.T) {
		link := "https://www.example.com/blog/higate"
		if err := tr.Send(ctx, gateway.Outbound{ID: "3EB0D", To: "+4917611112222", Kind: gateway.KindURL, Text: link}); err != nil {
			t.Fatal(err)
		}
		m := s.last(t).msg.GetExtendedTextMessage()
		if m.GetText() != link || m.GetMatchedText() != link || m.GetTitle() != "example.com" || m.GetDescription() != "blog/higate" {
			t.Fatalf("ExtendedTextMessage = %v", m)
		}
	})
	t.Run("group", func(t *testing.T) {
		before := s.lookups
		err := tr.Send(ctx, gateway.Outbound{ID: "3EB0E", GroupID: "120363000000000001@g.us", Kind: gateway.KindText, Text: "hi group"})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.last(t); got.to != types.NewJID("120363000000000001", types.GroupServer) || got.msg.GetConversation() != "hi group" {
			t.Fatalf("sent to %v: %v", got.to, got.msg)
		}
		if s.lookups != before {
			t.Error("a group send looked a number up")
		}
	})
	t.Run("recipient looked up once", func(t *testing.T) {
		// All sends above went to one number.
		if s.lookups != 1 {
			t.Fatalf("IsOnWhatsApp called %d times, want 1", s.lookups)
		}
	})
}

func TestSendUsesWhatsAppsJID(t *testing.T) {
	s := newSendFake()
	tr, _ := start(t, s.fakeClient, wameow.Options{})
	// Mexico: E.164 +52 55..., WhatsApp ID 521 55...
	if err := tr.Send(context.Background(), gateway.Outbound{ID: "X", To: "+525512345678", Kind: gateway.KindText, Text: "hola"}); err != nil {
		t.Fatal(err)
	}
	if got := s.last(t).to; got != types.NewJID("5215512345678", types.DefaultUserServer) {
		t.Fatalf("sent to %v, want the JID WhatsApp returned", got)
	}
	ok, err := tr.OnWhatsApp(context.Background(), "+4900000000")
	if err != nil || ok {
		t.Fatalf("OnWhatsApp(+4900000000) = %v, %v; want false, nil", ok, err)
	}
}

func TestSendErrors(t *testing.T) {
	ctx := context.Background()
	text := gateway.Outbound{ID: "X", To: "+4917611112222", Kind: gateway.KindText, Text: "hi"}

	t.Run("not on WhatsApp", func(t *testing.T) {
		s := newSendFake()
		tr, _ := start(t, s.fakeClient, wameow.Options{})
		msg := text
		msg.To = "+4900111222333"
		var se *gateway.SendError
		if err := tr.Send(ctx, msg); !errors.As(err, &se) || !se.NotOnWhatsApp || !se.Permanent {
			t.Fatalf("Send = %v, want a permanent NotOnWhatsApp SendError", err)
		}
	})
	t.Run("server refusal 463", func(t *testing.T) {
		s := newSendFake()
		s.SendMessageFunc = func(context.Context, types.JID, *waE2E.Message, whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error) {
			return whatsmeow.SendResponse{}, fmt.Errorf("%w %d", whatsmeow.ErrServerReturnedError, 463)
		}
		tr, _ := start(t, s.fakeClient, wameow.Options{})
		var se *gateway.SendError
		if err := tr.Send(ctx, text); !errors.As(err, &se) || se.Code != 463 || !se.Permanent {
			t.Fatalf("Send = %v, want a permanent SendError with code 463", err)
		}
	})
	t.Run("upload refused by server", func(t *testing.T) {
		s := newSendFake()
		s.UploadFunc = func(context.Context, []byte, whatsmeow.MediaType) (whatsmeow.UploadResponse, error) {
			return whatsmeow.UploadResponse{}, &whatsmeow.IQError{Code: 503, Text: "service-unavailable"}
		}
		tr, _ := start(t, s.fakeClient, wameow.Options{})
		msg := text
		msg.Kind, msg.Media = gateway.KindImage, pngBytes(t, 2, 2)
		var se *gateway.SendError
		if err := tr.Send(ctx, msg); !errors.As(err, &se) || se.Code != 503 || se.Permanent {
			t.Fatalf("Send = %v, want a transient SendError with code 503", err)
		}
	})
	t.Run("not connected", func(t *testing.T) {
		s := newSendFake()
		tr, _ := start(t, s.fakeClient, wameow.Options{})
		s.Disconnect()
		if err := tr.Send(ctx, text); !errors.Is(err, gateway.ErrNotConnected) {
			t.Fatalf("Send = %v, want ErrNotConnected", err)
		}
	})
	t.Run("connection lost during send", func(t *testing.T) {
		s := newSendFake()
		s.SendMessageFunc = func(context.Context, types.JID, *waE2E.Message, whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error) {
			return whatsmeow.SendResponse{}, fmt.Errorf("failed to send: %w", whatsmeow.ErrNotConnected)
		}
		tr, _ := start(t, s.fakeClient, wameow.Options{})
		if err := tr.Send(ctx, text); !errors.Is(err, gateway.ErrNotConnected) {
			t.Fatalf("Send = %v, want ErrNotConnected", err)
		}
	})
	t.Run("timeout is transient", func(t *testing.T) {
		s := newSendFake()
		s.SendMessageFunc = func(context.Context, types.JID, *waE2E.Message, whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error) {
			return whatsmeow.SendResponse{}, whatsmeow.ErrMessageTimedOut
		}
		tr, _ := start(t, s.fakeClient, wameow.Options{})
		err := tr.Send(ctx, text)
		var se *gateway.SendError
		if err == nil || (errors.As(err, &se) && se.Permanent) || !errors.Is(err, whatsmeow.ErrMessageTimedOut) {
			t.Fatalf("Send = %v, want a transient error", err)
		}
	})
	t.Run("bad input is permanent", func(t *testing.T) {
		s := newSendFake()
		tr, _ := start(t, s.fakeClient, wameow.Options{})
		for _, msg := range []gateway.Outbound{
			{ID: "X", GroupID: "not-a-group", Kind: gateway.KindText, Text: "hi"},
			{ID: "X", To: "+4917611112222", Kind: gateway.KindImage},
			{ID: "X", To: "+4917611112222", Kind: "video", Text: "hi"},
			{ID: "X", To: "017611112222", Kind: gateway.KindText, Text: "hi"},
		} {
			var se *gateway.SendError
			if err := tr.Send(ctx, msg); !errors.As(err, &se) || !se.Permanent {
				t.Errorf("Send(%+v) = %v, want a permanent SendError", msg, err)
			}
		}
	})
}

func TestSendTyping(t *testing.T) {
	s := newSendFake()
	tr, _ := start(t, s.fakeClient, wameow.Options{Typing: true})
	if err := tr.Send(context.Background(), gateway.Outbound{ID: "X", To: "+4917611112222", Kind: gateway.KindText, Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if got := strings.Join(s.order, ","); got != "composing,send,paused" {
		t.Fatalf("order = %s, want composing,send,paused", got)
	}
}

func TestNewMessageID(t *testing.T) {
	a, b := wameow.NewMessageID(), wameow.NewMessageID()
	if a == b {
		t.Fatal("two IDs are equal")
	}
	for _, id := range []string{a, b} {
		if len(id) != 22 || !strings.HasPrefix(id, "3EB0") || strings.Trim(id, "0123456789ABCDEF") != "" {
			t.Errorf("ID %q is not 3EB0 + 18 upper-case hex digits", id)
		}
	}
}
