package wameow

import (
	"context"
	"fmt"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"

	"higate/gateway"
)

// attachmentOf returns the image, document, audio or video of an inbound
// message, and its caption; nil for a message with none. Nothing is
// downloaded here: Fetch downloads the file from WhatsApp's media servers
// (Client.Download decrypts and checks it) when the gateway wants it,
// which is only for an Enterprise webhook, so a photo sent to a shared
// number costs nothing.
func (t *Transport) attachmentOf(m *waE2E.Message) (*gateway.Attachment, string) {
	var (
		file    whatsmeow.DownloadableMessage
		caption string
		a       = &gateway.Attachment{}
	)
	switch {
	case m.GetImageMessage() != nil:
		im := m.GetImageMessage()
		file, caption = im, im.GetCaption()
		a.Kind, a.Mimetype, a.Size = gateway.KindImage, im.GetMimetype(), int64(im.GetFileLength())
	case m.GetDocumentMessage() != nil:
		doc := m.GetDocumentMessage()
		file, caption = doc, doc.GetCaption()
		a.Kind, a.Mimetype, a.Size, a.Filename = gateway.KindDocument, doc.GetMimetype(), int64(doc.GetFileLength()), doc.GetFileName()
	case m.GetAudioMessage() != nil:
		au := m.GetAudioMessage()
		file = au
		a.Kind, a.Mimetype, a.Size = gateway.KindAudio, au.GetMimetype(), int64(au.GetFileLength())
	case m.GetVideoMessage() != nil:
		v := m.GetVideoMessage()
		file, caption = v, v.GetCaption()
		a.Kind, a.Mimetype, a.Size = gateway.KindVideo, v.GetMimetype(), int64(v.GetFileLength())
	default:
		return nil, ""
	}
	a.Fetch = func(ctx context.Context, limit int64) ([]byte, error) {
		// The announced length is checked before anything is fetched, the
		// real one after: the sender's phone writes the first.
		if a.Size > limit {
			return nil, fmt.Errorf("wameow: the %s is %d bytes, over the limit of %d", a.Kind, a.Size, limit)
		}
		data, err := t.client.Download(ctx, file)
		if err != nil {
			return nil, fmt.Errorf("wameow: download %s: %w", a.Kind, err)
		}
		if int64(len(data)) > limit {
			return nil, fmt.Errorf("wameow: the %s is %d bytes, over the limit of %d", a.Kind, len(data), limit)
		}
		return data, nil
	}
	return a, caption
}
