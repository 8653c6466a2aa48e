package sim

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"higate/gateway"
)

// Attachment is a file a simulated user sends with InboundMedia.
type Attachment struct {
	Data     []byte
	Mimetype string // sniffed from Data when empty
	Filename string // a document's name; may be empty
	Caption  string
}

// InboundMedia is simulated user `from` sending a file to gateway number
// `to`: an image, document, audio or video by its mimetype, with an
// optional caption. It reaches the handler as Inbound's text does, as an
// EventInbound whose Text is the caption and whose Attachment fetches the
// bytes; queued for an offline number, the bytes are journaled with it.
// The errors are Inbound's, and one for an empty file.
func (n *Network) InboundMedia(ctx context.Context, from, to string, a Attachment) error {
	if len(a.Data) == 0 {
		return fmt.Errorf("sim: the attachment is empty")
	}
	num, err := n.sender(from, to)
	if err != nil {
		return err
	}
	if a.Mimetype == "" {
		a.Mimetype = http.DetectContentType(a.Data)
	}
	ev := gateway.Event{Kind: gateway.EventInbound, Gateway: to, At: n.now().Round(0), MessageID: newMessageID(), From: from,
		Text: a.Caption, Attachment: attachment(gateway.KindOfMimetype(a.Mimetype), a.Mimetype, a.Filename, a.Data)}
	return n.inbound(ctx, num, ev)
}

// attachment is the gateway.Attachment of bytes the network holds.
func attachment(kind gateway.MessageKind, mimetype, filename string, data []byte) *gateway.Attachment {
	data = bytes.Clone(data) // the caller's buffer may change; Fetch may come much later
	return &gateway.Attachment{Kind: kind, Mimetype: mimetype, Filename: filename, Size: int64(len(data)),
		Fetch: func(ctx context.Context, limit int64) ([]byte, error) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if int64(len(data)) > limit {
				return nil, fmt.Errorf("sim: the attachment is %d bytes, over the limit of %d", len(data), limit)
			}
			return data, nil
		}}
}

// attachmentBytes are the bytes of an attachment the network made; nil
// for none.
func attachmentBytes(a *gateway.Attachment) []byte {
	if a == nil || a.Fetch == nil {
		return nil
	}
	data, _ := a.Fetch(context.Background(), a.Size)
	return data
}

// inboundRecordOf is the journal record of an inbound event queued for an
// offline number, attachment included.
func inboundRecordOf(ev gateway.Event) *inboundRecord {
	in := &inboundRecord{ID: ev.MessageID, From: ev.From, Text: ev.Text, GroupID: ev.GroupID,
		GroupName: ev.GroupName, GroupAdmin: ev.GroupAdmin, At: ev.At}
	if a := ev.Attachment; a != nil {
		in.Kind, in.Mimetype, in.Filename, in.Media = a.Kind, a.Mimetype, a.Filename, attachmentBytes(a)
	}
	return in
}

// event is the inbound event a journal record of gateway number gw holds.
func (in *inboundRecord) event(gw string) gateway.Event {
	ev := gateway.Event{Kind: gateway.EventInbound, Gateway: gw, At: in.At, MessageID: in.ID, From: in.From, Text: in.Text,
		GroupID: in.GroupID, GroupName: in.GroupName, GroupAdmin: in.GroupAdmin}
	if len(in.Media) > 0 {
		ev.Attachment = attachment(in.Kind, in.Mimetype, in.Filename, in.Media)
	}
	return ev
}
