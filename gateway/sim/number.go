package sim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"higate/gateway"
)

// Number is one gateway number on the simulated network and its
// gateway.Transport. Get it from Network.Attach. Its events reach the
// handler in order from one goroutine per Start, except inbound messages to
// a connected number, which are handled in the sender's goroutine (see
// Network.Inbound).
type Number struct {
	net    *Network
	number string

	sent sentIDs // IDs of the messages this number delivered last

	mu      sync.Mutex
	s       *session // the current Start, nil when stopped
	fault   faultState
	profile gateway.Profile

	// backlog is the offline queue: receipts and inbound messages waiting
	// for the handler, oldest first. It outlives sessions and restarts, as
	// WhatsApp's server keeps what a device has not acknowledged.
	backlog       fifo
	queuedInbound int    // inbound messages in backlog; live ones wait behind them
	nextSeq       uint64 // sequence of the last event put in backlog
	acked         uint64 // the handler returned for every backlog event up to here

	ackMu          sync.Mutex // orders ack records in the journal
	ackedJournaled uint64
}

// pending is one event in a number's offline queue.
type pending struct {
	seq     uint64
	ev      gateway.Event
	inbound bool
}

var _ gateway.Transport = (*Number)(nil)

func newNumber(n *Network, number string) *Number {
	return &Number{net: n, number: number}
}

// Number returns the E.164 of the gateway number.
func (num *Number) Number() string { return num.number }

// Start connects the number and reports what happens to handle until Stop
// returns: connected at once, unless a fault holds it (banned, temporarily
// banned, or disconnected, which reports nothing until the connection comes
// back). Events that waited while the number was away follow the
// connection. ctx bounds only the call: the connection lasts until Stop, as
// a real one does not end with the request that opened it.
func (num *Number) Start(ctx context.Context, handle func(gateway.Event)) error {
	if handle == nil {
		return errors.New("sim: Start needs a handler")
	}
	if err := checkE164("gateway number", num.number); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if num.net.closed.Load() {
		return ErrClosed
	}
	num.mu.Lock()
	defer num.mu.Unlock()
	if num.s != nil {
		return errors.New("sim: " + num.number + " is already started")
	}
	s := &session{handle: handle, wake: make(chan struct{}, 1)}
	num.s = s
	num.announceFault()
	s.calls.Go(func() { num.run(s) })
	return nil
}

// Stop disconnects the number. Stop must not be called from the handler;
// it waits for handler calls in flight to return, and after it returns no
// handler call starts. What has not been handled stays queued for the next
// Start. Calling it again does nothing.
func (num *Number) Stop() {
	num.mu.Lock()
	s := num.s
	if s == nil {
		num.mu.Unlock()
		return
	}
	num.s = nil
	s.stopping, s.up = true, false
	s.signal()
	s.notify() // live inbound messages waiting for the connection queue instead
	num.mu.Unlock()
	s.calls.Wait()
}

// Send delivers msg like WhatsApp would: at once to a single recipient or to
// every group member but the sender, then reports a delivered receipt to the
// handler (receipts that queue up back to back, because the handler is
// slower than the sends, arrive as one event listing all their IDs, as
// WhatsApp batches them). A message ID among the last sentWindow (100,000)
// this number delivered is dropped without error, so a resend after a crash
// is not a duplicate. Errors:
// gateway.ErrNotConnected while the number is stopped, disconnected or
// banned; a permanent *gateway.SendError for a recipient not on WhatsApp,
// an invalid message or an unknown group; ctx's error if it ends during a
// slow fault; a plain error if the journal cannot be written.
func (num *Number) Send(ctx context.Context, msg gateway.Outbound) error {
	num.mu.Lock()
	up, slow := num.s != nil && num.s.up, num.fault.slow
	num.mu.Unlock()
	if !up {
		return gateway.ErrNotConnected
	}
	if slow > 0 {
		t := time.NewTimer(slow)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m, err := num.message(msg)
	if err != nil {
		return err
	}
	if msg.GroupID != "" {
		return num.sendGroup(m, msg.GroupID, msg.Media)
	}
	if !num.sent.reserve(m.ID) {
		return nil
	}
	u := num.net.user(m.To)
	if u.off.Load() {
		num.sent.release(m.ID)
		return &gateway.SendError{Code: CodeNotOnWhatsApp, Reason: "recipient is not on WhatsApp", Permanent: true, NotOnWhatsApp: true}
	}
	buf, err := encode(&record{Op: opSend, GW: num.number, Msg: &m})
	if err == nil {
		u.mu.Lock()
		// Holding the user across the write keeps their inbox in journal
		// order, so a restart shows messages in the order they arrived.
		err = num.enqueue(buf, pending{ev: num.deliveredEvent(m)}, true)
		if err == nil {
			num.net.deliverTo(u, m, true, msg.Media)
		}
		u.mu.Unlock()
	}
	if err != nil {
		num.sent.release(m.ID)
	}
	return err
}

// message validates msg and makes the Message recipients will see.
func (num *Number) message(msg gateway.Outbound) (Message, error) {
	bad := func(reason string) error {
		return &gateway.SendError{Code: CodeBadRequest, Reason: reason, Permanent: true}
	}
	switch msg.Kind {
	case gateway.KindText, gateway.KindURL:
		if msg.Text == "" {
			return Message{}, bad("empty " + string(msg.Kind) + " message")
		}
	case gateway.KindImage, gateway.KindDocument, gateway.KindAudio, gateway.KindVideo:
		if len(msg.Media) == 0 {
			return Message{}, bad("empty " + string(msg.Kind))
		}
	case gateway.KindLocation:
		l := msg.Location
		if !(l.Latitude >= -90 && l.Latitude <= 90 && l.Longitude >= -180 && l.Longitude <= 180) {
			return Message{}, bad("location out of range")
		}
	case gateway.KindContact:
		if msg.Contact.Name == "" || !validE164(msg.Contact.Number) {
			return Message{}, bad("a contact needs a name and an E.164 number")
		}
	default:
		return Message{}, bad("unknown message kind " + strconv.Quote(string(msg.Kind)))
	}
	if (msg.To == "") == (msg.GroupID == "") {
		return Message{}, bad("a message needs exactly one of a recipient and a group")
	}
	if msg.To != "" && !validE164(msg.To) {
		return Message{}, bad("recipient is not an E.164 number")
	}
	id := msg.ID
	if id == "" {
		id = newMessageID() // as whatsmeow does; the dispatcher always sets one
	}
	m := Message{
		ID: id, From: num.number, To: msg.To, Kind: msg.Kind, Text: msg.Text,
		Caption: msg.Caption, Filename: msg.Filename, Mimetype: msg.Mimetype,
		At: num.net.now().Round(0),
	}
	if len(msg.Media) > 0 {
		sum := sha256.Sum256(msg.Media)
		m.Size, m.SHA256 = len(msg.Media), hex.EncodeToString(sum[:])
	}
	switch msg.Kind {
	case gateway.KindAudio:
		m.Voice = gateway.IsVoiceNote(msg.Mimetype)
	case gateway.KindLocation:
		l := msg.Location
		m.Location = &Location{Latitude: l.Latitude, Longitude: l.Longitude, Name: l.Name, Address: l.Address}
	case gateway.KindContact:
		m.Contact = &Contact{ContactName: msg.Contact.Name, ContactNumber: msg.Contact.Number, VCard: msg.Contact.VCard()}
	}
	return m, nil
}

// sendGroup fans m out to every member of the group except this number;
// media is its image or document.
func (num *Number) sendGroup(m Message, groupID string, media []byte) error {
	n := num.net
	n.mu.RLock()
	g := n.groups[groupID]
	var name string
	var members []string
	if g != nil {
		name, members = g.name, slices.Clone(g.members)
	}
	n.mu.RUnlock()
	if g == nil {
		return &gateway.SendError{Code: CodeNotOnWhatsApp, Reason: "unknown group", Permanent: true}
	}
	if !slices.Contains(members, num.number) {
		return &gateway.SendError{Code: CodeNotInGroup, Reason: "gateway number is not a member of the group", Permanent: true}
	}
	to := members[:0]
	for _, member := range members {
		if member != num.number && !n.user(member).off.Load() {
			to = append(to, member)
		}
	}
	m.Group = name
	if !num.sent.reserve(m.ID) {
		return nil
	}
	buf, err := encode(&record{Op: opSend, GW: num.number, Msg: &m, To: to})
	if err == nil {
		err = num.enqueue(buf, pending{ev: num.deliveredEvent(m)}, true)
	}
	if err != nil {
		num.sent.release(m.ID)
		return err
	}
	for _, member := range to {
		c := m
		c.To = member
		u := n.user(member)
		u.mu.Lock()
		n.deliverTo(u, c, true, media)
		u.mu.Unlock()
	}
	return nil
}

func (num *Number) deliveredEvent(m Message) gateway.Event {
	return gateway.Event{Kind: gateway.EventReceipt, Gateway: num.number, At: m.At, MessageIDs: []string{m.ID}, Receipt: gateway.ReceiptDelivered}
}

// enqueue writes the encoded record buf, numbered with the next sequence,
// and queues p's event for the handler. A send (connected set) fails with
// gateway.ErrNotConnected if the number dropped since the caller looked.
// The sequence is spliced into the line here rather than encoded with it,
// so the marshalling stays outside the lock while the journal still holds
// this number's events in queue order.
func (num *Number) enqueue(buf *bytes.Buffer, p pending, connected bool) error {
	line := bufPool.Get().(*bytes.Buffer)
	line.Reset()
	num.mu.Lock()
	defer num.mu.Unlock()
	if connected && (num.s == nil || !num.s.up) {
		bufPool.Put(buf)
		bufPool.Put(line)
		return gateway.ErrNotConnected
	}
	seq := num.nextSeq + 1
	line.WriteString(`{"q":`)
	line.Write(strconv.AppendUint(line.AvailableBuffer(), seq, 10))
	line.WriteByte(',')
	line.Write(buf.Bytes()[1:])
	bufPool.Put(buf)
	if err := num.net.j.write(line); err != nil {
		return err
	}
	num.nextSeq = seq
	p.seq = seq
	num.push(p)
	return nil
}

// push adds p to the backlog and wakes the handler goroutine; num.mu held.
func (num *Number) push(p pending) {
	num.backlog.push(p)
	if p.inbound {
		num.queuedInbound++
	}
	if num.s != nil {
		num.s.signal()
	}
}

// Groups lists the groups the number is a member of.
func (num *Number) Groups(ctx context.Context) ([]gateway.Group, error) {
	if err := num.online(ctx); err != nil {
		return nil, err
	}
	return num.net.groupsOf(num.number), nil
}

// OnWhatsApp reports whether number has a WhatsApp account.
func (num *Number) OnWhatsApp(ctx context.Context, number string) (bool, error) {
	if err := num.online(ctx); err != nil {
		return false, err
	}
	if !validE164(number) {
		return false, nil
	}
	v, ok := num.net.users.Load(number)
	return !ok || !v.(*user).off.Load(), nil
}

// IsOnWhatsApp answers OnWhatsApp for each of numbers, in one call.
func (num *Number) IsOnWhatsApp(ctx context.Context, numbers []string) ([]bool, error) {
	if err := num.online(ctx); err != nil {
		return nil, err
	}
	out := make([]bool, len(numbers))
	for i, number := range numbers {
		if validE164(number) {
			v, ok := num.net.users.Load(number)
			out[i] = !ok || !v.(*user).off.Load()
		}
	}
	num.net.lookups.Add(int64(len(numbers)))
	return out, nil
}

// SetProfile records the number's profile; Network.Profile shows it. A nil
// Image keeps the current picture.
func (num *Number) SetProfile(ctx context.Context, p gateway.Profile) error {
	if err := num.online(ctx); err != nil {
		return err
	}
	num.mu.Lock()
	defer num.mu.Unlock()
	img := p.Image
	if img == nil {
		img = num.profile.Image
	}
	if err := num.net.j.append(&record{Op: opProfile, GW: num.number, About: p.About, Image: img}); err != nil {
		return err
	}
	num.profile = gateway.Profile{Image: slices.Clone(img), About: p.About}
	return nil
}

// online fails as WhatsApp's queries do when the number is not connected.
func (num *Number) online(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	num.mu.Lock()
	defer num.mu.Unlock()
	if num.s == nil || !num.s.up {
		return gateway.ErrNotConnected
	}
	return nil
}
