package sim

import (
	"context"
	"slices"
	"sync"
	"time"

	"higate/gateway"
)

// saidLimit is how many of the messages a simulated user sent the network
// remembers for Conversation. A phone keeps what its user wrote; the
// network here stands in for the phone, and a hundred lines cover any
// conversation someone types by hand, while a load test's users, who
// greet once each, cost one entry each.
const saidLimit = 100

// said is a message a simulated user sent a gateway number with Inbound.
// next is the inbox position (see user) the user's next received message
// will have: it places the message among what they received without
// trusting the clock, which tests stand still.
type said struct {
	id, to, text string
	at           time.Time
	next         int
	delivered    bool
	// An attachment's kind and name (InboundMedia); text is then its
	// caption. The bytes are not kept: they are the gateway's now.
	kind     gateway.MessageKind
	filename string
}

// ChatMessage is one message of a conversation between a simulated user
// and a gateway number, as the user's phone shows it.
type ChatMessage struct {
	Message
	// Mine is set on what the user sent: From is then the user and To the
	// gateway number; otherwise the gateway number sent it to the user.
	Mine bool `json:"mine,omitempty"`
	// Delivered is set on what the user sent once the gateway number's
	// handler has it (WhatsApp's second tick); a message sent while the
	// number was offline waits in its queue until then.
	Delivered bool `json:"delivered,omitempty"`
	// Unread is set on what the gateway number sent while the user has not
	// read it (Read).
	Unread bool `json:"unread,omitempty"`
}

// Conversation returns user `number`'s conversation with gateway number
// gw, oldest first: the messages gw sent them, group messages included
// (Group names the group), as long as the inbox keeps them (the last
// 1,000 of everything they received), and the text messages the user sent
// gw with Inbound, the last 100 of them. What the user sent is kept in
// memory only, like a phone's chat history rather than the network's
// state, so it does not outlive the network. It returns an empty (not nil)
// slice if there is nothing.
func (n *Network) Conversation(number, gw string) []ChatMessage {
	out := []ChatMessage{}
	v, ok := n.users.Load(number)
	if !ok {
		return out
	}
	u := v.(*user)
	u.mu.Lock()
	defer u.mu.Unlock()
	unread := make(map[int]bool, len(u.unread[gw]))
	for _, pos := range u.unread[gw] {
		unread[pos] = true
	}
	mine := func(s said) {
		if s.to == gw {
			m := Message{ID: s.id, From: number, To: gw, Kind: gateway.KindText, Text: s.text, At: s.at}
			if s.kind != "" {
				m.Kind, m.Text, m.Caption, m.Filename = s.kind, "", s.text, s.filename
			}
			out = append(out, ChatMessage{Mine: true, Delivered: s.delivered, Message: m})
		}
	}
	next := 0
	for i, k := range u.inbox {
		pos := u.dropped + i
		for ; next < len(u.said) && u.said[next].next <= pos; next++ {
			mine(u.said[next])
		}
		if k.from == gw {
			out = append(out, ChatMessage{Message: u.message(k), Unread: unread[pos]})
		}
	}
	for _, s := range u.said[next:] {
		mine(s)
	}
	return out
}

// say remembers ev as a message the user sent; u.mu held.
func (u *user) say(ev gateway.Event) {
	sd := said{id: ev.MessageID, to: ev.Gateway, text: ev.Text, at: ev.At, next: u.dropped + len(u.inbox)}
	if a := ev.Attachment; a != nil {
		sd.kind, sd.filename = a.Kind, a.Filename
	}
	u.said = append(u.said, sd)
	if len(u.said) > saidLimit {
		u.said[0] = said{}
		u.said = u.said[1:]
	}
	u.changed()
}

// unsay forgets the message with id, which could not be sent; u.mu held.
func (u *user) unsay(id string) {
	u.said = slices.DeleteFunc(u.said, func(s said) bool { return s.id == id })
	u.changed()
}

// inboundHandled marks a message a user sent as delivered once the
// handler has returned for it. Group messages are not remembered, so
// they have nothing to mark.
func (n *Network) inboundHandled(ev gateway.Event) {
	if ev.Kind != gateway.EventInbound || ev.GroupID != "" {
		return
	}
	v, ok := n.users.Load(ev.From)
	if !ok {
		return
	}
	u := v.(*user)
	u.mu.Lock()
	defer u.mu.Unlock()
	for i := len(u.said) - 1; i >= 0; i-- {
		if u.said[i].id == ev.MessageID {
			u.said[i].delivered = true
			u.changed()
			return
		}
	}
}

// Watch tells when user `number`'s conversations change: changed gets a
// token whenever a gateway number delivers to them, they read, or they
// send (Inbound), or their message is delivered. Tokens do not pile up:
// after a burst one waits, so a watcher reads Conversation once for it.
// Call stop when done watching; Done tells when the network closes, after
// which nothing changes. Watching costs the send path nothing while no
// one watches. The error is for a number that is not E.164.
func (n *Network) Watch(number string) (changed <-chan struct{}, stop func(), err error) {
	if err := checkE164("number", number); err != nil {
		return nil, nil, err
	}
	u := n.user(number)
	ch := make(chan struct{}, 1)
	u.mu.Lock()
	u.watchers = append(u.watchers, ch)
	u.mu.Unlock()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			u.mu.Lock()
			u.watchers = slices.DeleteFunc(u.watchers, func(c chan struct{}) bool { return c == ch })
			u.mu.Unlock()
		})
	}
	return ch, stop, nil
}

// changed gives every watcher of u a token, unless one waits already;
// u.mu held.
func (u *user) changed() {
	for _, ch := range u.watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Done returns a channel that is closed when Close begins, so that those
// who Watch stop waiting.
func (n *Network) Done() <-chan struct{} { return n.done }

// inbound is the part of Inbound after its checks: it remembers the
// message as one the user sent, for Conversation, and forgets it again if
// it could not be sent.
func (n *Network) inbound(ctx context.Context, num *Number, ev gateway.Event) error {
	u := n.user(ev.From)
	u.mu.Lock()
	u.say(ev)
	u.mu.Unlock()
	err := num.deliverInbound(ctx, ev)
	if err != nil {
		u.mu.Lock()
		u.unsay(ev.MessageID)
		u.mu.Unlock()
	}
	return err
}
