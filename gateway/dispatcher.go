package gateway

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"higate/registry"
	"higate/registry/phone"
)

// dispatcher drains one instance's queue through its active number: it
// claims a batch (a read transaction), sends each job outside any
// transaction, then records the outcomes (one write transaction) while it
// claims and sends the next. It is the only one to claim its instance's
// jobs. Sends are paced per number.
type dispatcher struct {
	svc        *Service
	instance   uint64
	wake       chan struct{}
	lastSend   map[string]sendMark // per paced gateway number: its last send
	lastExpire time.Time           // when Expire last ran (store clock)

	mu        sync.Mutex
	inHandIDs map[uint64]bool // claimed jobs whose outcomes are not recorded yet
	claims    uint64          // claims started
	// canceling holds the jobs a Cancel is taking out, never to be held or
	// sent: 0 while the cancel runs, then the number of claims started
	// when it committed. A claim started before then may have read the job
	// as queued, so the entry stays until a later claim is held.
	canceling map[uint64]uint64
}

// idleCheck is how often an idle dispatcher looks at its queue unprompted,
// so jobs of an instance that stays down still expire (and scheduled ones
// fall due).
const idleCheck = time.Minute

func (d *dispatcher) run(ctx context.Context) {
	defer d.svc.wg.Done()
	d.lastSend = map[string]sendMark{}
	for {
		next := d.pass(ctx)
		wait := idleCheck
		if !next.IsZero() {
			// next is on the registry's clock (backoff, the daily cap, a
			// scheduled job's send_at), so the wait is measured on it too.
			wait = min(max(next.Sub(d.svc.store.Now()), time.Millisecond), idleCheck)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-d.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// pass sends batches while there is work, and returns when the queue has
// nothing ready: next is when something will be (zero: wait for a wake-up).
//
// A batch's outcomes are recorded (Finish: a group commit, which waits its
// turn among the accepts) while the next batch is claimed and sent; the
// recorded batch's jobs stay in hand, and the claim skips them, until it
// has committed. At most one batch is being recorded at a time, and pass
// returns only when none is.
func (d *dispatcher) pass(ctx context.Context) (next time.Time) {
	s := d.svc
	var recording <-chan error // the previous batch's Finish, until it is done
	// settle waits for the batch being recorded; false if recording failed.
	settle := func() bool {
		if recording == nil {
			return true
		}
		err := <-recording
		recording = nil
		if err != nil {
			s.log.Error("record send outcomes", "instance", d.instance, "err", err)
		}
		return err == nil
	}
	defer settle()
	// waited is how long the next send has waited for a paced number's
	// slot, summed over wake-ups.
	var waited time.Duration
	for ctx.Err() == nil {
		// Claim expires the jobs it meets; this catches parked ones and
		// those of a number that is down. Jobs live for hours, so once a
		// minute is in time, and no scan runs per accept.
		if now := s.store.Now(); now.Sub(d.lastExpire) >= idleCheck {
			d.lastExpire = now
			if _, err := s.store.Expire(d.instance); err != nil {
				s.log.Error("expire jobs", "instance", d.instance, "err", err)
			}
		}
		active, err := s.store.ActiveNumber(d.instance)
		if err != nil || !active.Connected() {
			return time.Time{}
		}
		max := s.opts.Batch
		if active.Pacing.Gap > 0 {
			max = 1 // a paced number sends one at a time; don't hold others in "sending"
			// Wait for the number's slot before claiming, not after: the
			// claim then picks among everything that arrived meanwhile, so
			// an account that just sent its first message gets this slot
			// (fair share), not the one after.
			w, woken := d.paceOrWake(ctx, active)
			waited += w
			if ctx.Err() != nil {
				return time.Time{}
			}
			if woken {
				// Something changed while we waited (the number was
				// banned and a standby took over, its pacing changed):
				// look at the instance afresh.
				continue
			}
		}
		claim := d.startClaim()
		jobs, next, err := s.store.Claim(d.instance, active.Number, max, d.skip)
		if err != nil {
			s.log.Error("claim jobs", "instance", d.instance, "err", err)
			return time.Now().Add(time.Second)
		}
		if waited > 0 && len(jobs) > 0 {
			// A wait that a send followed: one that found nothing to claim
			// held back no message.
			s.opts.Metrics.paced(waited)
		}
		waited = 0
		if len(jobs) == 0 {
			if recording == nil {
				return next
			}
			// The batch being recorded may hold retries, due before next.
			if !settle() {
				return time.Now().Add(time.Second)
			}
			continue
		}
		jobs = d.hold(jobs, claim)
		outcomes := make([]registry.Outcome, 0, len(jobs))
		for _, j := range jobs {
			o := d.send(ctx, active, j)
			o.Via = j.SentVia
			s.opts.Metrics.attempt(o, s.store.Now().Sub(j.CreatedAt))
			outcomes = append(outcomes, o)
		}
		ok := settle()
		recording = d.record(outcomes)
		if !ok {
			return time.Now().Add(time.Second)
		}
		if active.Pacing.DailyCap > 0 && !settle() { // Finish counts the sends against the cap
			return time.Now().Add(time.Second)
		}
	}
	return time.Time{}
}

// record runs Finish for a batch in the background, and lets go of its jobs
// once it has returned (they are on disk then, or queued still if it failed).
func (d *dispatcher) record(outcomes []registry.Outcome) <-chan error {
	done := make(chan error, 1)
	go func() {
		err := d.svc.store.Finish(outcomes)
		d.mu.Lock()
		for _, o := range outcomes {
			delete(d.inHandIDs, o.JobID)
		}
		d.mu.Unlock()
		d.svc.changes.fire() // the queue is shorter, today's sends more
		done <- err
	}()
	return done
}

// startClaim numbers a claim about to start (see canceling).
func (d *dispatcher) startClaim() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.claims++
	return d.claims
}

// hold marks the jobs of claim as in hand, for Claim to skip and for
// Service.Sending, and returns them without those a Cancel is taking out
// or took out after the claim read them: those are not sent.
func (d *dispatcher) hold(jobs []registry.Job, claim uint64) []registry.Job {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.inHandIDs == nil {
		d.inHandIDs = make(map[uint64]bool)
	}
	kept := jobs[:0]
	for _, j := range jobs {
		if _, ok := d.canceling[j.ID]; ok {
			continue
		}
		d.inHandIDs[j.ID] = true
		kept = append(kept, j)
	}
	// Cancels that committed before this claim started are on disk for it
	// and every later one.
	for id, at := range d.canceling {
		if at != 0 && at < claim {
			delete(d.canceling, id)
		}
	}
	return kept
}

func (d *dispatcher) inHand(id uint64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.inHandIDs[id]
}

// skip tells Claim which jobs to pass over: those in hand, and those a
// Cancel is taking out.
func (d *dispatcher) skip(id uint64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, canceling := d.canceling[id]
	return d.inHandIDs[id] || canceling
}

// beginCancel reserves a job for a Cancel: false if the dispatcher holds
// it (it is being sent), else the job is neither claimed nor sent until
// endCancel, nor afterwards by a claim that read it before. Both take the
// lock hold takes, so a job is either held (and sent) or canceled, never
// both.
func (d *dispatcher) beginCancel(id uint64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.inHandIDs[id] {
		return false
	}
	if d.canceling == nil {
		d.canceling = make(map[uint64]uint64)
	}
	d.canceling[id] = 0
	return true
}

// endCancel ends beginCancel's reservation. A cancel that committed keeps
// the job out of the claims that may have read it before; one that did
// not lets it go at once, to be claimed as usual.
func (d *dispatcher) endCancel(id uint64, committed bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !committed {
		delete(d.canceling, id)
		return
	}
	d.canceling[id] = d.claims
}

// send makes one attempt at a claimed job.
func (d *dispatcher) send(ctx context.Context, active registry.Number, j registry.Job) registry.Outcome {
	s := d.svc
	via := active
	if j.From != "" && j.From != active.Number {
		n, err := s.store.Number(j.From)
		if err != nil {
			return registry.Outcome{JobID: j.ID, Code: registry.CodeUnavailable, Error: "the gateway number is gone"}
		}
		via = n
	}
	t := s.line(via.Number)
	if t == nil {
		return d.retry(j, "the gateway number is not running")
	}
	msg := outboundOf(j)
	if j.Media != "" {
		data, err := s.store.Media(j.Media)
		if err != nil {
			s.log.Error("read spooled media", "job", j.ID, "err", err)
			return registry.Outcome{JobID: j.ID, Code: registry.CodeInternal, Error: "the media file is missing", Refund: true}
		}
		msg.Media = data
	}
	sctx, cancel := context.WithTimeout(ctx, s.opts.SendTimeout)
	defer cancel()
	if j.GroupName != "" {
		groups, err := t.Groups(sctx)
		if err != nil {
			return d.retry(j, "cannot list groups: "+err.Error())
		}
		g, err := pickGroup(groups, j.GroupName, j.GroupAdmin)
		if err != nil {
			return registry.Outcome{JobID: j.ID, Code: registry.CodeNotFound,
				Error: "the gateway number " + via.Number + " is not in the group", Refund: true}
		}
		msg.GroupID = g.ID
	}
	d.pace(ctx, via)
	err := t.Send(sctx, msg)
	d.sent(via)
	var se *SendError
	switch {
	case err == nil:
		return registry.Outcome{JobID: j.ID, Sent: true}
	case errors.Is(err, ErrNotConnected):
		return d.retry(j, err.Error())
	case errors.As(err, &se) && se.NotOnWhatsApp:
		return registry.Outcome{JobID: j.ID, Code: registry.CodeNotOnWhatsApp, Error: "the recipient is not on WhatsApp", Refund: true}
	case errors.As(err, &se) && se.Permanent:
		return registry.Outcome{JobID: j.ID, Code: registry.CodeSendRefused, Error: se.Error()}
	}
	s.log.Warn("send failed; will retry", "job", j.ID, "to", phone.Mask(j.To), "attempt", j.Attempts, "err", err)
	return d.retry(j, err.Error())
}

func (d *dispatcher) retry(j registry.Job, why string) registry.Outcome {
	return registry.Outcome{JobID: j.ID, Retry: true, Error: why,
		// The registry's clock, since Claim compares NotBefore with it.
		NotBefore: d.svc.store.Now().Add(d.svc.opts.Backoff(j.Attempts))}
}

// sendMark is a paced number's last send, and the jitter drawn for the gap
// after it. The next slot is worked out from the number's pacing as it is
// when asked, so a pacing change applies to the slot already waited for.
type sendMark struct {
	at     time.Time
	jitter time.Duration
}

// untilSlot is how long n must wait for its next slot: the gap (plus
// jitter) since its last send.
func (d *dispatcher) untilSlot(n registry.Number) time.Duration {
	m, ok := d.lastSend[n.Number]
	if n.Pacing.Gap <= 0 || !ok {
		return 0
	}
	return time.Until(m.at.Add(n.Pacing.Gap + min(m.jitter, n.Pacing.Jitter)))
}

// pace waits for n's next slot and returns how long it waited.
func (d *dispatcher) pace(ctx context.Context, n registry.Number) time.Duration {
	wait := d.untilSlot(n)
	sleep(ctx, wait)
	return max(wait, 0)
}

// paceOrWake is pace, cut short by a wake-up: it reports whether one came
// (and how long it waited until then), so the caller re-reads the active
// number and its pacing instead of sleeping out the slot of a number that
// is gone or has been re-paced.
func (d *dispatcher) paceOrWake(ctx context.Context, n registry.Number) (waited time.Duration, woken bool) {
	wait := d.untilSlot(n)
	if wait <= 0 {
		return 0, false
	}
	start := time.Now()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	case <-d.wake:
		woken = true
	}
	// The slot's wait, or the part of it before the wake-up; not a late
	// timer's overshoot, which is the machine's delay, not pacing's.
	return min(time.Since(start), wait), woken
}

// sent notes a send from n, so pace spaces the next one.
func (d *dispatcher) sent(n registry.Number) {
	if n.Pacing.Gap <= 0 {
		delete(d.lastSend, n.Number)
		return
	}
	m := sendMark{at: time.Now()}
	if n.Pacing.Jitter > 0 {
		m.jitter = rand.N(n.Pacing.Jitter)
	}
	d.lastSend[n.Number] = m
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
