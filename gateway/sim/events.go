package sim

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"higate/gateway"
)

// ackEvery is how many handled backlog events the handler goroutine lets
// pass before it journals its progress itself; in between the background
// sync loop does it. A crash re-delivers at most what was not journaled,
// which is what WhatsApp does with events a device did not acknowledge.
const ackEvery = 256

// session is one Start of a number: its handler and the goroutine that
// feeds it. State-change events go to state and are reported before any
// backlog event, because a connection must be reported before what arrives
// over it. All fields but calls are guarded by the number's mu.
type session struct {
	handle   func(gateway.Event)
	up       bool // connected: sends go through, backlog flows
	stopping bool
	state    []gateway.Event
	wake     chan struct{} // capacity 1: a token means "look again"
	waitCh   chan struct{} // closed by notify; made on demand by changed

	// calls counts the feeding goroutine and the handler calls made in
	// senders' goroutines (see deliverInbound), so Stop can wait for both.
	// Add happens only under mu while the session is the number's current
	// one, and Stop clears that under mu before it waits, so no Add can
	// race with the Wait.
	calls sync.WaitGroup
}

func (s *session) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// changed returns a channel closed at the next notify.
func (s *session) changed() chan struct{} {
	if s.waitCh == nil {
		s.waitCh = make(chan struct{})
	}
	return s.waitCh
}

// notify wakes whoever waits on changed: live inbound messages waiting for
// the queue ahead of them.
func (s *session) notify() {
	if s.waitCh != nil {
		close(s.waitCh)
		s.waitCh = nil
	}
}

func (s *session) emit(ev gateway.Event) {
	s.state = append(s.state, ev)
	s.signal()
}

// fifo is the backlog queue. It reuses its array instead of reslicing it
// away, because at benchmark rates it is pushed and popped thousands of
// times a second.
type fifo struct {
	items []pending
	head  int
}

func (q *fifo) len() int       { return len(q.items) - q.head }
func (q *fifo) front() pending { return q.items[q.head] }

// maxBatch caps how many message IDs one coalesced receipt carries.
const maxBatch = 500

// next returns the event at the front and the sequence of the last queued
// event it covers. Receipts of one kind queued back to back go out as one
// event listing all their IDs, as WhatsApp batches receipts: when the
// handler falls behind a burst of sends it catches up in a few calls
// instead of one per message.
func (q *fifo) next() (gateway.Event, uint64) {
	first := q.items[q.head]
	ev, last := first.ev, first.seq
	if ev.Kind != gateway.EventReceipt {
		return ev, last
	}
	var ids []string
	count := len(first.ev.MessageIDs)
	for _, p := range q.items[q.head+1:] {
		if p.ev.Kind != gateway.EventReceipt || p.ev.Receipt != first.ev.Receipt || count+len(p.ev.MessageIDs) > maxBatch {
			break
		}
		count += len(p.ev.MessageIDs)
		if ids == nil {
			ids = slices.Clone(first.ev.MessageIDs)
		}
		ids = append(ids, p.ev.MessageIDs...)
		ev.At, last = p.ev.At, p.seq
	}
	if ids != nil {
		ev.MessageIDs = ids
	}
	return ev, last
}

func (q *fifo) push(p pending) {
	if q.head >= 1024 && q.head*2 >= len(q.items) {
		k := copy(q.items, q.items[q.head:])
		clear(q.items[k:])
		q.items, q.head = q.items[:k], 0
	}
	q.items = append(q.items, p)
}

func (q *fifo) pop() {
	q.items[q.head] = pending{}
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
}

// run feeds the handler of session s until Stop. The handler is never
// called with a lock held, so it may call back into the network (but not
// Stop, which waits for it).
func (num *Number) run(s *session) {
	defer num.flushAck()
	handled := 0
	num.mu.Lock()
	for !s.stopping {
		if len(s.state) > 0 {
			ev := s.state[0]
			num.mu.Unlock()
			s.handle(ev)
			num.mu.Lock()
			s.state[0] = gateway.Event{}
			s.state = s.state[1:]
			s.notify()
			continue
		}
		if s.up && num.backlog.len() > 0 {
			ev, last := num.backlog.next()
			num.mu.Unlock()
			s.handle(ev)
			num.markHandled(last)
			num.net.inboundHandled(ev)
			if handled++; handled%ackEvery == 0 {
				num.flushAck()
			}
			num.mu.Lock()
			continue
		}
		num.mu.Unlock()
		<-s.wake
		num.mu.Lock()
	}
	num.mu.Unlock()
}

// markHandled removes the events up to sequence last from the backlog once
// the handler has returned for them, so that an event is lost neither to a
// Stop nor to a crash mid-call.
func (num *Number) markHandled(last uint64) {
	num.mu.Lock()
	defer num.mu.Unlock()
	for num.backlog.len() > 0 && num.backlog.front().seq <= last {
		if num.backlog.front().inbound {
			num.queuedInbound--
			if num.s != nil {
				num.s.notify()
			}
		}
		num.backlog.pop()
	}
	num.acked = max(num.acked, last)
}

// flushAck journals how far the handler has got, if that moved.
func (num *Number) flushAck() {
	num.ackMu.Lock()
	defer num.ackMu.Unlock()
	num.mu.Lock()
	acked := num.acked
	num.mu.Unlock()
	if acked <= num.ackedJournaled {
		return
	}
	if err := num.net.j.append(&record{Op: opAck, GW: num.number, Seq: acked}); err != nil {
		if !errors.Is(err, ErrClosed) {
			num.net.log.Error("journal ack failed", "err", err)
		}
		return
	}
	num.ackedJournaled = acked
}

// Inbound is simulated user `from` sending text to gateway number `to`. If
// the number is connected the handler gets the EventInbound in the caller's
// goroutine before Inbound returns, so concurrent senders stay concurrent.
// If it is stopped or offline the message is queued, as WhatsApp's server
// does, and delivered in order when it connects; Inbound then returns nil
// at once. While it is connecting (its connection or earlier queued
// messages not yet handled) Inbound waits, within ctx, to keep the order.
// Errors: a number that is not E.164, a `to` never attached, ctx's error,
// ErrClosed, or a journal failure.
func (n *Network) Inbound(ctx context.Context, from, to, text string) error {
	num, err := n.sender(from, to)
	if err != nil {
		return err
	}
	ev := gateway.Event{Kind: gateway.EventInbound, Gateway: to, At: n.now().Round(0), MessageID: newMessageID(), From: from, Text: text}
	return n.inbound(ctx, num, ev)
}

// GroupInbound is member `from` writing text in the group: every attached
// gateway number in the group gets an EventInbound with the group's ID,
// name and admin, as Inbound delivers it. Other members' inboxes are not
// filled, because Messages shows what gateway numbers sent.
func (n *Network) GroupInbound(ctx context.Context, from, groupID, text string) error {
	if err := checkE164("sender", from); err != nil {
		return err
	}
	if n.closed.Load() {
		return ErrClosed
	}
	n.mu.RLock()
	g := n.groups[groupID]
	var pub gateway.Group
	var targets []*Number
	if g != nil {
		pub = g.public()
		for _, m := range g.members {
			if num := n.numbers[m]; num != nil && m != from {
				targets = append(targets, num)
			}
		}
	}
	n.mu.RUnlock()
	if g == nil {
		return fmt.Errorf("sim: no group %q", groupID)
	}
	if !slices.Contains(pub.Members, from) {
		return fmt.Errorf("sim: %s is not a member of group %q", from, groupID)
	}
	if err := n.setOn(from, true); err != nil {
		return err
	}
	id, at := newMessageID(), n.now().Round(0)
	for _, num := range targets {
		ev := gateway.Event{Kind: gateway.EventInbound, Gateway: num.number, At: at, MessageID: id, From: from, Text: text,
			GroupID: pub.ID, GroupName: pub.Name, GroupAdmin: pub.Admin}
		if err := num.deliverInbound(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

// deliverInbound hands ev to the handler now, or queues it for later.
func (num *Number) deliverInbound(ctx context.Context, ev gateway.Event) error {
	num.mu.Lock()
	for {
		s := num.s
		if s == nil || !s.up {
			err := num.queueInboundLocked(ev)
			num.mu.Unlock()
			return err
		}
		if len(s.state) == 0 && num.queuedInbound == 0 {
			s.calls.Add(1)
			num.mu.Unlock()
			defer s.calls.Done()
			s.handle(ev)
			num.net.inboundHandled(ev)
			return nil
		}
		ch := s.changed()
		num.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		num.mu.Lock()
	}
}

// queueInboundLocked journals ev and puts it in the backlog; num.mu held.
// Encoding under the lock is fine here: only messages to an offline number
// take this path.
func (num *Number) queueInboundLocked(ev gateway.Event) error {
	seq := num.nextSeq + 1
	if err := num.net.j.append(&record{Op: opInbound, GW: num.number, Seq: seq, In: inboundRecordOf(ev)}); err != nil {
		return err
	}
	num.nextSeq = seq
	num.push(pending{seq: seq, ev: ev, inbound: true})
	return nil
}

// sender checks that from may write to gateway number to and returns the
// number; from is then a user on WhatsApp, as anyone who writes is.
func (n *Network) sender(from, to string) (*Number, error) {
	if err := checkE164("sender", from); err != nil {
		return nil, err
	}
	if err := checkE164("gateway number", to); err != nil {
		return nil, err
	}
	if n.closed.Load() {
		return nil, ErrClosed
	}
	num, err := n.known(to)
	if err != nil {
		return nil, err
	}
	return num, n.setOn(from, true)
}
