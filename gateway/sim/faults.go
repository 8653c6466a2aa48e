package sim

import (
	"fmt"
	"time"

	"higate/gateway"
)

// faultState is what keeps a number from working normally. kind is one of
// "", FaultDisconnect, FaultTempBan and FaultBan, and the last one set wins;
// slow is separate, since a slow number can also be banned. Bans are state
// of the network and so are journaled; a disconnect or slowness is not, as
// a restarted gateway makes a new connection.
type faultState struct {
	kind  string
	until time.Time // end of a temporary ban; zero means until cleared
	slow  time.Duration
	timer *time.Timer // ends a disconnect or temporary ban by itself
	gen   uint64      // bumped whenever the fault changes, so a stale timer does nothing
}

// Fault injects a fault into gateway number `number`:
//
//   - "disconnect": the connection drops (EventDisconnected) and comes back
//     by itself after d (EventConnected), or when cleared if d is 0.
//   - "temp_ban": EventTempBanned with Code 402 and Until now+d (zero Until
//     if d is 0, meaning until cleared); back after d.
//   - "ban": EventBanned; lasts until cleared.
//   - "slow": every Send waits d first; 0 ends it.
//   - "clear": ends every fault at once; EventConnected if it was down.
//
// Sends fail with gateway.ErrNotConnected while a number is disconnected or
// banned. A fault set on a number that is not started applies when it
// starts. Bans outlive a restart of the network; the others do not.
func (n *Network) Fault(number, kind string, d time.Duration) error {
	num, err := n.known(number)
	if err != nil {
		return err
	}
	if d < 0 {
		return fmt.Errorf("sim: negative fault duration %v", d)
	}
	if n.closed.Load() {
		return ErrClosed
	}
	return num.setFault(kind, d)
}

func (num *Number) setFault(kind string, d time.Duration) error {
	num.mu.Lock()
	defer num.mu.Unlock()
	var next string
	switch kind {
	case FaultSlow:
		num.fault.slow = d
		return nil
	case FaultClear:
		next = ""
	case FaultDisconnect, FaultTempBan, FaultBan:
		next = kind
	default:
		return fmt.Errorf("sim: unknown fault kind %q", kind)
	}
	var until time.Time
	if kind == FaultTempBan && d > 0 {
		until = num.net.now().Add(d).Round(0)
	}
	if err := num.persistFaultLocked(next, until); err != nil {
		return err
	}
	num.stopTimerLocked()
	num.fault.kind, num.fault.until = next, until
	if kind == FaultClear {
		num.fault.slow = 0
	}
	num.announceFault()
	if d > 0 && (kind == FaultDisconnect || kind == FaultTempBan) {
		num.armTimerLocked(d)
	}
	num.net.log.Debug("fault", "number", num.number, "kind", kind, "duration", d)
	return nil
}

// lasting is the part of a fault kind that the journal keeps.
func lasting(kind string) string {
	if kind == FaultBan || kind == FaultTempBan {
		return kind
	}
	return ""
}

// persistFaultLocked journals the lasting fault if it changes; num.mu held.
func (num *Number) persistFaultLocked(kind string, until time.Time) error {
	kind = lasting(kind)
	if kind == lasting(num.fault.kind) && (kind == "" || until.Equal(num.fault.until)) {
		return nil
	}
	return num.net.j.append(&record{Op: opFault, GW: num.number, Kind: kind, Until: until})
}

// announceFault brings the session in line with the fault and tells the
// handler; num.mu held. Start calls it too, so a number that starts under a
// fault reports it first.
func (num *Number) announceFault() {
	s := num.s
	if s == nil {
		return
	}
	ev := gateway.Event{Gateway: num.number, At: num.net.now().Round(0)}
	switch num.fault.kind {
	case "":
		if s.up {
			return
		}
		s.up = true
		ev.Kind = gateway.EventConnected
	case FaultDisconnect:
		if !s.up {
			return
		}
		s.up = false
		ev.Kind, ev.Reason = gateway.EventDisconnected, "connection lost (simulated)"
	case FaultTempBan:
		s.up = false
		ev.Kind, ev.Reason, ev.Code, ev.Until = gateway.EventTempBanned, "temporarily banned (simulated)", CodeTempBan, num.fault.until
	case FaultBan:
		s.up = false
		ev.Kind, ev.Reason = gateway.EventBanned, "banned (simulated)"
	}
	s.emit(ev)
	s.notify() // live inbound messages waiting for the connection look again
}

func (num *Number) armTimerLocked(d time.Duration) {
	gen := num.fault.gen
	num.fault.timer = time.AfterFunc(d, func() { num.expireFault(gen) })
}

func (num *Number) stopTimerLocked() {
	if num.fault.timer != nil {
		num.fault.timer.Stop()
		num.fault.timer = nil
	}
	num.fault.gen++
}

// stopFaultTimer keeps a pending fault expiry from firing after Close.
func (num *Number) stopFaultTimer() {
	num.mu.Lock()
	num.stopTimerLocked()
	num.mu.Unlock()
}

// expireFault ends the disconnect or temporary ban that armed generation
// gen, unless something changed the fault since.
func (num *Number) expireFault(gen uint64) {
	num.mu.Lock()
	defer num.mu.Unlock()
	if gen != num.fault.gen || num.net.closed.Load() {
		return
	}
	if err := num.persistFaultLocked("", time.Time{}); err != nil {
		num.net.log.Error("journal fault expiry failed", "err", err)
	}
	num.fault.kind, num.fault.until, num.fault.timer = "", time.Time{}, nil
	num.announceFault()
}

// resumeFault re-arms a temporary ban restored from the journal, or ends it
// if it ran out while the network was closed.
func (num *Number) resumeFault() {
	num.mu.Lock()
	defer num.mu.Unlock()
	if num.fault.kind != FaultTempBan || num.fault.until.IsZero() {
		return
	}
	left := num.fault.until.Sub(num.net.now())
	if left <= 0 {
		num.fault.kind, num.fault.until = "", time.Time{}
		return
	}
	num.armTimerLocked(left)
}
