package gateway

import (
	"errors"
	"fmt"

	"higate/registry"
	"higate/registry/phone"
)

// handle is every transport's event handler.
func (s *Service) handle(ev Event) {
	switch ev.Kind {
	case EventInbound:
		s.inbound(ev)
	case EventReceipt:
		select {
		case s.receipts <- ev:
		case <-s.ctx.Done():
		}
	case EventPairing:
		s.setState(ev, registry.StatePairing)
	case EventConnected:
		s.markStopped(ev.Gateway, false)
		n, err := s.store.Number(ev.Gateway)
		if err != nil {
			return
		}
		s.setState(ev, connectedState(n.Role))
		if n.Role == registry.RoleStandby {
			s.recover(n.Number)
		}
		s.Wake(n.Instance)
	case EventDisconnected:
		s.setState(ev, registry.StateDisconnected)
	case EventStopped:
		s.markStopped(ev.Gateway, true)
		s.setState(ev, registry.StateDisconnected)
	case EventTempBanned:
		s.setState(ev, registry.StateTempBanned)
	case EventBanned:
		s.setState(ev, registry.StateBanned)
	case EventLoggedOut:
		s.setState(ev, registry.StateLoggedOut)
	}
}

func connectedState(r registry.Role) registry.State {
	switch r {
	case registry.RoleActive:
		return registry.StateActive
	case registry.RoleRetired:
		return registry.StateRetired
	}
	return registry.StateStandby
}

// setState records a number's new state, and fails over when the active
// number is lost for good.
func (s *Service) setState(ev Event, state registry.State) {
	n, changed, err := s.store.SetState(ev.Gateway, state, ev.Reason, ev.Until)
	if err != nil {
		s.log.Error("record number state", "number", phone.Mask(ev.Gateway), "state", state, "err", err)
		return
	}
	if !changed {
		return
	}
	s.log.Info("gateway number state", "number", phone.Mask(ev.Gateway), "state", state, "reason", ev.Reason)
	kind := "number_" + string(state)
	if ev.Kind == EventStopped {
		kind = "number_stopped"
	}
	// Every change is an event for the operator; the ones that need a human
	// (or took a number out of service) also raise an alert.
	bad := ev.Kind == EventStopped || state == registry.StateBanned || state == registry.StateLoggedOut || state == registry.StateTempBanned
	s.record(registry.Event{Kind: kind, Instance: n.Instance, Number: n.Number, Detail: ev.Reason}, bad)
	if n.Role == registry.RoleActive && (state == registry.StateBanned || state == registry.StateLoggedOut) {
		s.failover(n)
	}
}

// record stores an operator event, alerting the operator when asked.
func (s *Service) record(e registry.Event, alert bool) {
	if err := s.store.AddEvent(e); err != nil {
		s.log.Error("record event", "kind", e.Kind, "err", err)
	}
	s.changes.fire() // every event is a change an operator sees
	if alert && s.opts.Hooks.Alert != nil {
		s.opts.Hooks.Alert(e)
	}
}

// failover makes the first healthy standby of lost's instance active. Queued
// jobs stay queued: each waits until its recipient greets the new number.
// With no healthy standby the instance is down until one connects (recover).
func (s *Service) failover(lost registry.Number) {
	in, err := s.store.Instance(lost.Instance)
	if err != nil {
		s.log.Error("failover: read instance", "instance", lost.Instance, "err", err)
		return
	}
	for _, num := range in.Numbers {
		n, err := s.store.Number(num)
		if err != nil || n.Role != registry.RoleStandby || !n.Connected() {
			continue
		}
		n, replaced, ok, err := s.store.TakeOver(n.Number)
		if err != nil {
			s.log.Error("failover: activate standby", "number", phone.Mask(num), "err", err)
			continue
		}
		if !ok {
			// Another standby took over meanwhile (it connected just now),
			// or this one is no longer a connected standby; the next may be.
			if cur, err := s.store.ActiveNumber(in.ID); err == nil && !cur.Lost() {
				return
			}
			continue
		}
		s.tookOver(n, replaced, "")
		return
	}
	s.log.Error("instance down: no healthy standby", "instance", in.ID)
	s.record(registry.Event{Kind: "instance_down", Instance: in.ID, Number: lost.Number,
		Detail: "no healthy standby number; a standby takes over once it connects"}, true)
}

// recover lets a standby that has just connected take over an instance
// whose active number is lost (banned or logged out) or missing: the
// standby was added after the ban, or was down when it happened. It does
// what failover does, and nothing when the active number is usable.
func (s *Service) recover(number string) {
	n, replaced, ok, err := s.store.TakeOver(number)
	if err != nil {
		s.log.Error("recovery: activate standby", "number", phone.Mask(number), "err", err)
		return
	}
	if ok {
		s.tookOver(n, replaced, "; it took over when it connected")
	}
}

// tookOver records and announces that n replaced the lost active number
// replaced (zero if the instance had none), and wakes the dispatcher for
// the jobs TakeOver put back in the queue.
func (s *Service) tookOver(n, replaced registry.Number, how string) {
	detail := "the instance had no active number" + how
	from := ""
	if replaced.Number != "" {
		detail = "replaces " + replaced.Number + " (" + string(replaced.State) + ")" + how
		from = phone.Mask(replaced.Number)
	}
	s.log.Warn("failover", "instance", n.Instance, "from", from, "to", phone.Mask(n.Number))
	// Replacing a lost number needs the operator (users must greet the new
	// one); an instance's first active number is only news.
	s.record(registry.Event{Kind: "failover", Instance: n.Instance, Number: n.Number, Detail: detail}, replaced.Number != "")
	s.Wake(n.Instance)
}

// Rotate makes the standby number `to` its instance's active number now; the
// old active number is retired.
func (s *Service) Rotate(instance uint64, to string) (registry.Number, error) {
	n, err := s.store.Number(to)
	if err != nil {
		return n, registry.Errorf(registry.CodeNotFound, "add it with POST /admin/api/instances/{id}/numbers", "%s is not a gateway number", to)
	}
	if n.Instance != instance {
		return n, registry.Errorf(registry.CodeBadRequest, fmt.Sprintf("rotate it on instance %d, or name a standby of instance %d", n.Instance, instance),
			"%s belongs to instance %d", to, n.Instance)
	}
	n, err = s.store.Activate(to, registry.RoleRetired)
	if err != nil {
		return n, err
	}
	s.record(registry.Event{Kind: "rotation", Instance: instance, Number: to, Detail: "rotated in by the operator"}, false)
	s.Wake(instance)
	return n, nil
}

// applyReceipts advances jobs on delivery and read receipts, many at once.
func (s *Service) applyReceipts() {
	defer s.wg.Done()
	for {
		var first Event
		select {
		case first = <-s.receipts:
		case <-s.ctx.Done():
			return
		}
		byKind := map[string][]string{first.Receipt: first.MessageIDs}
	drain:
		for range 1024 {
			select {
			case ev := <-s.receipts:
				byKind[ev.Receipt] = append(byKind[ev.Receipt], ev.MessageIDs...)
			default:
				break drain
			}
		}
		// Delivered before read, so a read receipt in the same batch wins.
		for _, kind := range []string{ReceiptDelivered, ReceiptRead} {
			if ids := byKind[kind]; len(ids) > 0 {
				if err := s.store.MarkReceipts(ids, kind); err != nil && !errors.Is(err, registry.ErrNotFound) {
					s.log.Error("apply receipts", "err", err)
				}
			}
		}
	}
}
