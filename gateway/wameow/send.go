package wameow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // registered for image.DecodeConfig: dimensions of sent images
	_ "image/jpeg"
	_ "image/png"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"higate/gateway"
)

// Send delivers one message to a user or a group. A user is first looked up
// with IsOnWhatsApp (once per recipient), because WhatsApp IDs differ from
// E.164 in some countries (Mexico +52 1, Argentina +54 9). msg.ID becomes
// the WhatsApp message ID, so a resend is recognised as the same message.
//
// Errors: gateway.ErrNotConnected while offline; *gateway.SendError with
// Permanent set when WhatsApp refused the message or the recipient is not
// on WhatsApp (NotOnWhatsApp); anything else is transient.
func (t *Transport) Send(ctx context.Context, msg gateway.Outbound) error {
	if !t.ready() {
		return gateway.ErrNotConnected
	}
	to, err := t.destination(ctx, msg)
	if err != nil {
		return err
	}
	payload, err := t.buildMessage(ctx, msg)
	if err != nil {
		return err
	}
	if t.opts.Typing {
		t.chatState(ctx, to, types.ChatPresenceComposing)
		defer t.chatState(ctx, to, types.ChatPresencePaused)
	}
	_, err = t.client.SendMessage(ctx, to, payload, whatsmeow.SendRequestExtra{ID: types.MessageID(msg.ID)})
	if err != nil {
		return classify("send", err)
	}
	return nil
}

// ready reports whether sends can go out now.
func (t *Transport) ready() bool {
	return t.client.IsConnected() && t.client.IsLoggedIn()
}

// destination resolves where msg goes.
func (t *Transport) destination(ctx context.Context, msg gateway.Outbound) (types.JID, error) {
	if msg.GroupID != "" {
		jid, err := types.ParseJID(msg.GroupID)
		if err != nil || jid.Server != types.GroupServer {
			return types.JID{}, &gateway.SendError{Reason: fmt.Sprintf("%q is not a WhatsApp group ID", msg.GroupID), Permanent: true}
		}
		return jid, nil
	}
	jid, ok, err := t.resolve(ctx, msg.To)
	if err != nil {
		return types.JID{}, err
	}
	if !ok {
		return types.JID{}, &gateway.SendError{Reason: "the recipient is not on WhatsApp", Permanent: true, NotOnWhatsApp: true}
	}
	return jid, nil
}

// OnWhatsApp reports whether number (E.164) has a WhatsApp account.
func (t *Transport) OnWhatsApp(ctx context.Context, number string) (bool, error) {
	if !t.ready() {
		return false, gateway.ErrNotConnected
	}
	_, ok, err := t.resolve(ctx, number)
	return ok, err
}

// resolve asks WhatsApp for number's JID and caches a positive answer.
// Negative answers are not cached: people join WhatsApp.
func (t *Transport) resolve(ctx context.Context, number string) (types.JID, bool, error) {
	digits, err := digitsOf(number)
	if err != nil {
		return types.JID{}, false, &gateway.SendError{Reason: "invalid number: " + mask(number), Permanent: true}
	}
	t.jidMu.Lock()
	jid, ok := t.jids[digits]
	t.jidMu.Unlock()
	if ok {
		return jid, true, nil
	}
	resp, err := t.client.IsOnWhatsApp(ctx, []string{"+" + digits})
	if err != nil {
		return types.JID{}, false, classify("look up recipient", err)
	}
	for _, r := range resp {
		if r.IsIn && r.JID.Server == types.DefaultUserServer && r.JID.User != "" {
			jid = r.JID.ToNonAD()
			t.jidMu.Lock()
			t.jids[digits] = jid
			t.jidMu.Unlock()
			return jid, true, nil
		}
	}
	return types.JID{}, false, nil
}

// buildMessage turns msg into the WhatsApp message, uploading media first.
func (t *Transport) buildMessage(ctx context.Context, msg gateway.Outbound) (*waE2E.Message, error) {
	switch msg.Kind {
	case gateway.KindText:
		return &waE2E.Message{Conversation: proto.String(msg.Text)}, nil
	case gateway.KindURL:
		return linkMessage(msg.Text, msg.Caption), nil
	case gateway.KindImage:
		up, err := t.upload(ctx, msg, "image", whatsmeow.MediaImage)
		if err != nil {
			return nil, err
		}
		img := &waE2E.ImageMessage{
			URL:           proto.String(up.URL),
			DirectPath:    proto.String(up.DirectPath),
			MediaKey:      up.MediaKey,
			FileEncSHA256: up.FileEncSHA256,
			FileSHA256:    up.FileSHA256,
			FileLength:    proto.Uint64(up.FileLength),
			Mimetype:      proto.String(mimetypeOf(msg.Mimetype, msg.Filename, msg.Media)),
		}
		if msg.Caption != "" {
			img.Caption = proto.String(msg.Caption)
		}
		// Phones size the placeholder from these before the download.
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(msg.Media)); err == nil {
			img.Width, img.Height = proto.Uint32(uint32(cfg.Width)), proto.Uint32(uint32(cfg.Height))
		}
		return &waE2E.Message{ImageMessage: img}, nil
	case gateway.KindDocument:
		up, err := t.upload(ctx, msg, "document", whatsmeow.MediaDocument)
		if err != nil {
			return nil, err
		}
		name := msg.Filename
		if name == "" {
			name = "document"
		}
		doc := &waE2E.DocumentMessage{
			URL:           proto.String(up.URL),
			DirectPath:    proto.String(up.DirectPath),
			MediaKey:      up.MediaKey,
			FileEncSHA256: up.FileEncSHA256,
			FileSHA256:    up.FileSHA256,
			FileLength:    proto.Uint64(up.FileLength),
			Mimetype:      proto.String(mimetypeOf(msg.Mimetype, name, msg.Media)),
			FileName:      proto.String(name),
			Title:         proto.String(name),
		}
		if msg.Caption != "" {
			doc.Caption = proto.String(msg.Caption)
		}
		return &waE2E.Message{DocumentMessage: doc}, nil
	case gateway.KindAudio:
		return t.audioMessage(ctx, msg)
	case gateway.KindVideo:
		return t.videoMessage(ctx, msg)
	case gateway.KindLocation:
		return locationMessage(msg.Location), nil
	case gateway.KindContact:
		return contactMessage(msg.Contact)
	default:
		return nil, &gateway.SendError{Reason: fmt.Sprintf("unsupported message kind %q", msg.Kind), Permanent: true}
	}
}

// linkMessage sends a URL as extended text, so the phone shows it as a
// link. The title is the host name and the description the path: what the
// URL itself says. The gateway never fetches the page for a richer preview,
// which would tell the site about the recipient and stall the queue.
func linkMessage(link, caption string) *waE2E.Message {
	text := link
	if caption != "" {
		text = caption + "\n" + link
	}
	ext := &waE2E.ExtendedTextMessage{Text: proto.String(text), MatchedText: proto.String(link)}
	if u, err := url.Parse(link); err == nil && u.Host != "" {
		ext.Title = proto.String(strings.TrimPrefix(u.Hostname(), "www."))
		if p := strings.Trim(u.Path, "/"); p != "" {
			ext.Description = proto.String(p)
		}
	}
	return &waE2E.Message{ExtendedTextMessage: ext}
}

// mimetypeOf picks the declared type, else the file name's, else a sniff.
func mimetypeOf(declared, filename string, data []byte) string {
	if declared != "" {
		return declared
	}
	if t := mime.TypeByExtension(strings.ToLower(path.Ext(filename))); t != "" {
		return t
	}
	return http.DetectContentType(data)
}

// chatState sends a typing state; failing to is not worth failing the send.
func (t *Transport) chatState(ctx context.Context, to types.JID, state types.ChatPresence) {
	if err := t.client.SendChatPresence(ctx, to, state, types.ChatPresenceMediaText); err != nil {
		t.log.Debug("send chat state", "state", string(state), "err", err)
	}
}

// classify maps a whatsmeow error to the gateway's error contract.
func classify(op string, err error) error {
	var disc *whatsmeow.DisconnectedError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, whatsmeow.ErrNotConnected), errors.Is(err, whatsmeow.ErrNotLoggedIn), errors.As(err, &disc):
		return gateway.ErrNotConnected
	}
	if code, ok := serverCode(err); ok {
		// 5xx and rate limits pass; every other refusal (463 no session
		// with a stranger, 479 invalid stanza ...) will be refused again.
		permanent := code < 500 && code != 429 && code != 408
		return &gateway.SendError{Code: code, Reason: maskDigits(err.Error()), Permanent: permanent}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// serverCode extracts WhatsApp's numeric error from an error: SendMessage
// reports it as ErrServerReturnedError followed by the number, info queries
// (uploads, look-ups) as an *IQError.
func serverCode(err error) (int, bool) {
	var iq *whatsmeow.IQError
	if errors.As(err, &iq) && iq.Code != 0 {
		return iq.Code, true
	}
	if !errors.Is(err, whatsmeow.ErrServerReturnedError) {
		return 0, false
	}
	s := err.Error()
	i := strings.LastIndex(s, whatsmeow.ErrServerReturnedError.Error())
	var code int
	if _, scanErr := fmt.Sscanf(s[i+len(whatsmeow.ErrServerReturnedError.Error()):], "%d", &code); scanErr != nil || code == 0 {
		return 0, false
	}
	return code, true
}

// upload sends msg's media to WhatsApp's media servers as mediaType; what
// names it in errors. Empty media is a permanent failure, not a retry.
func (t *Transport) upload(ctx context.Context, msg gateway.Outbound, what string, mediaType whatsmeow.MediaType) (whatsmeow.UploadResponse, error) {
	if len(msg.Media) == 0 {
		return whatsmeow.UploadResponse{}, &gateway.SendError{Reason: "the " + what + " is empty", Permanent: true}
	}
	up, err := t.client.Upload(ctx, msg.Media, mediaType)
	if err != nil {
		return up, classify("upload "+what, err)
	}
	return up, nil
}
