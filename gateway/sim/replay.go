package sim

import (
	"slices"

	"higate/gateway"
)

// apply replays one journal record into the network. It runs inside Open,
// before anyone else can see the network, so it takes locks only where the
// helpers it shares with the live paths do.
func (n *Network) apply(r *record) {
	switch r.Op {
	case opAttach:
		n.replayNumber(r.N)
	case opUser:
		n.user(r.N).off.Store(r.Off)
	case opGroup:
		if r.Group != nil && n.groups[r.Group.ID] == nil {
			n.addGroup(r.Group)
		}
	case opJoin:
		if g := n.groups[r.GroupID]; g != nil && !slices.Contains(g.members, r.N) {
			g.members = append(g.members, r.N)
		}
	case opSend:
		n.replaySend(r)
	case opRead:
		n.replayRead(r)
	case opInbound:
		if r.In == nil {
			return
		}
		n.replayNumber(r.GW).replayQueue(r.Seq, r.In.event(r.GW), true)
	case opAck:
		num := n.replayNumber(r.GW)
		num.acked = max(num.acked, r.Seq)
		num.ackedJournaled = num.acked
		// After a compaction the events up to Seq are gone, and with them
		// what told the sequence; new events must still number after them.
		num.nextSeq = max(num.nextSeq, r.Seq)
		for num.backlog.len() > 0 && num.backlog.front().seq <= r.Seq {
			if num.backlog.front().inbound {
				num.queuedInbound--
			}
			num.backlog.pop()
		}
	case opFault:
		num := n.replayNumber(r.GW)
		num.fault.kind, num.fault.until = r.Kind, r.Until
	case opProfile:
		n.replayNumber(r.GW).profile = gateway.Profile{Image: r.Image, About: r.About}
	case opInbox:
		if r.Msg != nil {
			n.deliverTo(n.user(r.N), *r.Msg, r.Unread, nil)
		}
	case opSent:
		num := n.replayNumber(r.GW)
		for _, id := range r.IDs {
			num.sent.reserve(id)
		}
	case opReceipt:
		n.replayNumber(r.GW).replayQueue(r.Seq, gateway.Event{
			Kind: gateway.EventReceipt, Gateway: r.GW, At: r.At, MessageIDs: r.IDs, Receipt: r.Kind,
		}, false)
	default:
		// A record from a newer version: skipping it loses only what it
		// added, which this version would not understand anyway.
		n.log.Warn("unknown journal record skipped", "op", r.Op)
	}
}

// replayNumber returns the gateway number, creating it without a journal
// record (its attach record is what is being replayed).
func (n *Network) replayNumber(number string) *Number {
	num := n.numbers[number]
	if num == nil {
		num = newNumber(n, number)
		n.numbers[number] = num
	}
	return num
}

func (n *Network) replaySend(r *record) {
	if r.Msg == nil {
		return
	}
	num := n.replayNumber(r.GW)
	m := *r.Msg
	num.sent.reserve(m.ID)
	if m.To != "" {
		n.deliverTo(n.user(m.To), m, true, nil)
	} else {
		for _, to := range r.To {
			c := m
			c.To = to
			n.deliverTo(n.user(to), c, true, nil)
		}
	}
	num.replayQueue(r.Seq, num.deliveredEvent(m), false)
}

func (n *Network) replayRead(r *record) {
	u := n.user(r.N)
	ids := make(map[string]bool, len(r.IDs))
	for _, id := range r.IDs {
		ids[id] = true
	}
	if left := slices.DeleteFunc(u.unread[r.GW], func(pos int) bool { return ids[u.inbox[pos-u.dropped].id] }); len(left) > 0 {
		u.unread[r.GW] = left
	} else {
		delete(u.unread, r.GW) // also fine on a nil map
	}
	n.replayNumber(r.GW).replayQueue(r.Seq, gateway.Event{
		Kind: gateway.EventReceipt, Gateway: r.GW, At: r.At, MessageIDs: r.IDs, Receipt: gateway.ReceiptRead,
	}, false)
}

// replayQueue puts a journaled event back in the backlog, unless the
// handler had already acknowledged it.
func (num *Number) replayQueue(seq uint64, ev gateway.Event, inbound bool) {
	num.nextSeq = max(num.nextSeq, seq)
	if seq <= num.acked {
		return
	}
	num.backlog.push(pending{seq: seq, ev: ev, inbound: inbound})
	if inbound {
		num.queuedInbound++
	}
}
