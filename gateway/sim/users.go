package sim

import (
	"sync"
	"sync/atomic"
	"time"

	"higate/gateway"
)

// inboxLimit is how many messages a simulated user's inbox keeps; older
// ones drop out. A load test sends millions of messages, and neither memory
// nor the journal should hold them all; nobody reads that far back.
const inboxLimit = 1000

// user is a simulated WhatsApp account as the network sees it: whether it
// is on WhatsApp, and its inbox. A gateway number in a group has one too,
// for the group messages other gateway numbers send there. A message's
// position counts every message the user ever received, so it stays put
// when older ones drop out of the inbox: inbox[pos-dropped] is the message.
type user struct {
	number string
	off    atomic.Bool // set off WhatsApp by SetOnWhatsApp; everyone else is on it

	mu       sync.Mutex
	inbox    []kept           // the last inboxLimit messages, oldest first
	dropped  int              // messages that have dropped out of the inbox
	unread   map[string][]int // gateway number -> positions not yet read, ascending
	said     []said           // the last saidLimit messages the user sent (conversation.go)
	watchers []chan struct{}  // Watch's channels
}

// user returns the simulated user `number`, creating it. Creating one needs
// no journal record: a user who has done nothing is indistinguishable from
// one who does not exist.
func (n *Network) user(number string) *user {
	if u, ok := n.users.Load(number); ok {
		return u.(*user)
	}
	u, _ := n.users.LoadOrStore(number, &user{number: number})
	return u.(*user)
}

// kept is a Message as an inbox keeps it. Most are text to the inbox's own
// user, and those keep only what varies: 96 bytes instead of Message's 192,
// and no copy of the recipient's number; any other is kept whole as well.
// The sim runs in the gateway's process, and a load test fills thousands
// of inboxes, so this is most of the memory the sandbox costs (the scale
// stage of docs/BENCHMARKS.md).
type kept struct {
	id, from, text string
	kind           gateway.MessageKind
	at             time.Time
	whole          *Message // set when the fields above do not tell it all
}

func (u *user) keep(m Message) kept {
	k := kept{id: m.ID, from: m.From, text: m.Text, kind: m.Kind, at: m.At}
	if u.message(k) != m {
		k.whole = &m
	}
	return k
}

func (u *user) message(k kept) Message {
	if k.whole != nil {
		return *k.whole
	}
	return Message{ID: k.id, From: k.from, To: u.number, Kind: k.kind, Text: k.text, At: k.at}
}

// messages returns the inbox as Messages.
func (u *user) messages() []Message {
	out := make([]Message, len(u.inbox))
	for i, k := range u.inbox {
		out[i] = u.message(k)
	}
	return out
}

// SetOnWhatsApp puts user `number` on WhatsApp or takes them off it. Every
// number is on WhatsApp unless set off here, so tests can make numbers that
// are not.
func (n *Network) SetOnWhatsApp(number string, on bool) error {
	if err := checkE164("number", number); err != nil {
		return err
	}
	return n.setOn(number, on)
}

// setOn journals and applies a change of a user's WhatsApp presence; it does
// nothing when there is no change.
func (n *Network) setOn(number string, on bool) error {
	u := n.user(number)
	if u.off.Load() == !on {
		return nil
	}
	u.mu.Lock() // serialises concurrent changes so the journal ends in the right state
	defer u.mu.Unlock()
	if err := n.j.append(&record{Op: opUser, N: number, Off: !on}); err != nil {
		return err
	}
	u.off.Store(!on)
	return nil
}

// Messages returns the last 1,000 messages simulated user `number` has
// received, oldest first; an empty (not nil) slice if nothing, so it
// encodes as a JSON array.
func (n *Network) Messages(number string) []Message {
	v, ok := n.users.Load(number)
	if !ok {
		return []Message{}
	}
	u := v.(*user)
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.messages()
}

// Read makes user `number` read everything gateway number gw sent them: gw
// gets one read receipt listing the messages that were not read yet.
func (n *Network) Read(number, gw string) error {
	if err := checkE164("number", number); err != nil {
		return err
	}
	num, err := n.known(gw)
	if err != nil {
		return err
	}
	v, ok := n.users.Load(number)
	if !ok {
		return nil
	}
	u := v.(*user)
	u.mu.Lock()
	defer u.mu.Unlock()
	idx := u.unread[gw]
	if len(idx) == 0 {
		return nil
	}
	ids := make([]string, len(idx))
	for k, pos := range idx {
		ids[k] = u.inbox[pos-u.dropped].id
	}
	at := n.now().Round(0)
	ev := gateway.Event{Kind: gateway.EventReceipt, Gateway: gw, At: at, MessageIDs: ids, Receipt: gateway.ReceiptRead}
	buf, err := encode(&record{Op: opRead, N: number, GW: gw, IDs: ids, At: at})
	if err != nil {
		return err
	}
	if err := num.enqueue(buf, pending{ev: ev}, false); err != nil {
		return err
	}
	delete(u.unread, gw)
	u.changed()
	return nil
}

// deliver appends m to user u's inbox, as unread if unread is set, and
// lets the oldest message drop out past inboxLimit. One that drops out
// unread is never reported read. It returns the media hash of the message
// that dropped out, "" if none did or it had no media. Callers go through
// Network.deliverTo, which keeps the media and tells the watchers.
func (u *user) deliver(m Message, unread bool) (gone string) {
	if unread {
		if u.unread == nil {
			u.unread = make(map[string][]int)
		}
		u.unread[m.From] = append(u.unread[m.From], u.dropped+len(u.inbox))
	}
	u.inbox = append(u.inbox, u.keep(m))
	if len(u.inbox) <= inboxLimit {
		return ""
	}
	// Positions ascend, so if the oldest message is unread it is first in
	// its sender's list.
	from := u.inbox[0].from
	if idx := u.unread[from]; len(idx) > 0 && idx[0] == u.dropped {
		if len(idx) == 1 {
			delete(u.unread, from)
		} else {
			u.unread[from] = idx[1:]
		}
	}
	if w := u.inbox[0].whole; w != nil {
		gone = w.SHA256
	}
	// Reslicing drops the front without copying; append moves the rest to
	// a fresh array when this one is used up.
	u.inbox[0] = kept{}
	u.inbox = u.inbox[1:]
	u.dropped++
	return gone
}

// unreadFlags tells, for each message in the inbox, whether it is unread.
func (u *user) unreadFlags() []bool {
	out := make([]bool, len(u.inbox))
	for _, idx := range u.unread {
		for _, pos := range idx {
			out[pos-u.dropped] = true
		}
	}
	return out
}
