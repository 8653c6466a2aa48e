package registry

import (
	"bytes"
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"
)

// WaitReregister is the Waiting reason of a job whose recipient has not
// greeted the instance's current gateway number (after a rotation).
const WaitReregister = "awaiting re-registration"

// Claim returns up to max ready jobs of an instance for gateway number via
// to send, in priority, then FIFO, order, with their attempt counted and
// their state shown as sending. Claiming writes nothing: the caller (the
// instance's one dispatcher) records every outcome with Finish, and skips
// (skip reports true for their IDs; nil skips none) the jobs it has claimed
// whose outcomes are not recorded yet. A crash in between leaves them
// queued, to be sent again with the same message ID, which WhatsApp drops
// as a duplicate.
//
// On the way it fails jobs past their expiry (refunded), fails jobs whose
// recipient opted out, and parks jobs whose recipient has not greeted via;
// only then does it take the write lock. next is the earliest time a job
// held back by backoff or the daily cap becomes ready (zero if none).
func (s *Store) Claim(instance uint64, via string, max int, skip func(id uint64) bool) (jobs []Job, next time.Time, err error) {
	if skip == nil {
		skip = func(uint64) bool { return false }
	}
	var dirty bool
	err = s.db.View(func(tx *bolt.Tx) error {
		jobs, next, dirty, err = s.claim(tx, instance, via, max, skip)
		return err
	})
	if err != nil || !dirty {
		return jobs, next, err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		jobs, next, _, err = s.claim(tx, instance, via, max, skip)
		return err
	})
	return jobs, next, err
}

// claim does Claim's work in tx. In a read-only tx it stops at the first job
// whose state must change and reports dirty; in a writable one it changes it.
func (s *Store) claim(tx *bolt.Tx, instance uint64, via string, max int, skip func(uint64) bool) (jobs []Job, next time.Time, dirty bool, err error) {
	now := s.now().UTC()
	var gw Number
	if err := s.numbers.get(tx.Bucket(bucketNumbers), []byte(via), &gw); err != nil {
		return nil, next, false, err
	}
	if c := gw.Pacing.DailyCap; c > 0 {
		if left := gw.Sent.Remaining(now, c); left < max {
			max = left
			if left == 0 {
				return nil, now.Add(gw.Sent.Reset(now)), false, nil
			}
		}
	}
	jb, qb, rb := tx.Bucket(bucketJobs), tx.Bucket(bucketQueue), tx.Bucket(bucketRegistrations)
	prefix := u64(instance)
	c := qb.Cursor()
	// The queue changes only after the scan: a cursor may skip keys when its
	// bucket changes under it.
	var done [][]byte // queue keys of jobs that ended
	var parked []Job  // jobs to park
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(jobs) < max; k, _ = c.Next() {
		if skip(binary.BigEndian.Uint64(k[9:])) {
			continue
		}
		var j Job
		if err := getJob(jb, k[9:], &j); err != nil {
			return nil, next, false, err
		}
		change := "" // what the job needs written, if anything
		switch {
		case j.Final():
			change = "dequeue"
		case !now.Before(j.ExpiresAt):
			change = "expire"
		case now.Before(j.NotBefore):
			if next.IsZero() || j.NotBefore.Before(next) {
				next = j.NotBefore
			}
			continue
		case j.To != "" && j.Priority != PrioritySystem:
			var reg Registration
			switch s.registrations.get(rb, pairKey(via, j.To), &reg) {
			case ErrNotFound:
				change = "park"
			case nil:
				if !reg.Active() {
					change = "opted out"
				}
			}
		}
		if change != "" && !tx.Writable() {
			return nil, time.Time{}, true, nil
		}
		switch change {
		case "dequeue":
			done = append(done, bytes.Clone(k))
			continue
		case "expire", "opted out":
			state, code, msg := JobExpired, CodeExpired, "not sent within its expiry"
			if change == "opted out" {
				state, code, msg = JobFailed, CodeRecipientOptOut, "the recipient opted out"
			}
			if err := s.end(tx, &j, now, state, code, msg, true); err != nil {
				return nil, next, false, err
			}
			done = append(done, bytes.Clone(k))
			continue
		case "park":
			j.Waiting, j.UpdatedAt = WaitReregister, now
			parked = append(parked, j)
			continue
		}
		// Shown as the dispatcher holds it; Finish records the attempt.
		j.State, j.Waiting, j.SentVia, j.UpdatedAt = JobSending, "", via, now
		j.Attempts++
		if j.From != "" {
			j.SentVia = j.From
		}
		jobs = append(jobs, j)
	}
	for _, k := range done {
		if err := qb.Delete(k); err != nil {
			return nil, next, false, err
		}
		s.db.pending.queue(instance, -1, 0) // found by the scan above
	}
	for _, j := range parked {
		if err := s.park(tx, j); err != nil {
			return nil, next, false, err
		}
	}
	return jobs, next, false, nil
}

// Outcome is the result of one send attempt.
type Outcome struct {
	JobID     uint64
	Via       string // the gateway number it was sent from (Job.SentVia of the claim)
	Sent      bool
	Retry     bool      // transient failure: try again at NotBefore
	NotBefore time.Time // with Retry
	Code      int       // with a failure
	Error     string
	Refund    bool // the failure is not the sender's fault
}

// Finish records the outcomes of a claimed batch, each an attempt, in one
// group-committed transaction, and counts the sent ones against their
// gateway number's daily cap.
func (s *Store) Finish(outcomes []Outcome) error {
	if len(outcomes) == 0 {
		return nil
	}
	return s.batch(func(tx *bolt.Tx) error {
		now := s.now().UTC()
		jb := tx.Bucket(bucketJobs)
		sent := map[string]int{} // per gateway number
		for _, o := range outcomes {
			var j Job
			if err := getJob(jb, u64(o.JobID), &j); err != nil {
				return err
			}
			if o.Sent {
				sent[o.Via]++
			}
			j.Attempts++
			if o.Via != "" {
				j.SentVia = o.Via
			}
			if j.Final() {
				// A receipt overtook the outcome: only the attempt is news.
				if err := putJob(jb, u64(j.ID), j); err != nil {
					return err
				}
				continue
			}
			j.Waiting = ""
			switch {
			case o.Sent:
				j.State, j.ErrorCode, j.Error = JobSent, 0, ""
				if err := s.release(tx, j); err != nil {
					return err
				}
				s.db.pending.job(JobSent)
			case o.Retry:
				j.State, j.NotBefore, j.Error = JobQueued, o.NotBefore, o.Error
			default:
				if err := s.end(tx, &j, now, JobFailed, o.Code, o.Error, o.Refund); err != nil {
					return err
				}
				if err := s.dequeue(tx, j); err != nil {
					return err
				}
				continue
			}
			j.UpdatedAt = now
			if err := putJob(jb, u64(j.ID), j); err != nil {
				return err
			}
			if err := s.statusChanged(tx, j); err != nil {
				return err
			}
		}
		if err := s.countSent(tx, sent, now); err != nil {
			return err
		}
		total := 0
		for _, n := range sent {
			total += n
		}
		if total == 0 {
			return nil
		}
		return addStats(tx, now, Minute{Sent: total})
	})
}

// countSent takes sent messages from their gateway numbers' daily caps.
func (s *Store) countSent(tx *bolt.Tx, sent map[string]int, now time.Time) error {
	nb := tx.Bucket(bucketNumbers)
	for via, n := range sent {
		var gw Number
		if err := getJSON(nb, []byte(via), &gw); err != nil {
			if err == ErrNotFound {
				continue // removed meanwhile
			}
			return err
		}
		if gw.Pacing.DailyCap == 0 {
			continue
		}
		for range n {
			gw.Sent, _ = gw.Sent.Take(now, gw.Pacing.DailyCap)
		}
		if err := s.numbers.put(nb, []byte(via), gw); err != nil {
			return err
		}
	}
	return nil
}

// release takes a job out of the queue once it has left for WhatsApp.
func (s *Store) release(tx *bolt.Tx, j Job) error {
	if j.Media != "" {
		if err := addMediaRef(tx, j.Media, -1); err != nil {
			return err
		}
	}
	return s.dequeue(tx, j)
}

// dequeue deletes a job's queue key, if it is there, and counts it.
func (s *Store) dequeue(tx *bolt.Tx, j Job) error {
	if ok, err := deleteKey(tx.Bucket(bucketQueue), queueKey(j)); err != nil || !ok {
		return err
	}
	s.db.pending.queue(j.Instance, -1, 0)
	return nil
}

// unparkJob deletes a job's parked key, if it is there, and counts it.
func (s *Store) unparkJob(tx *bolt.Tx, j Job) error {
	if ok, err := deleteKey(tx.Bucket(bucketParked), parkedKey(j)); err != nil || !ok {
		return err
	}
	s.db.pending.queue(j.Instance, 0, -1)
	return nil
}

// end fails a job for good, refunding its quota when asked. The caller
// removes its queue key (Claim does so after its cursor scan).
func (s *Store) end(tx *bolt.Tx, j *Job, now time.Time, state JobState, code int, msg string, refund bool) error {
	j.State, j.ErrorCode, j.Error, j.Waiting, j.UpdatedAt = state, code, msg, "", now
	if refund && !j.Refunded && j.Account != "" {
		ub := tx.Bucket(bucketUsage)
		var use Usage
		if err := getJSON(ub, []byte(j.Account), &use); err != nil {
			return err
		}
		use.Window = use.Window.Refund(j.CountedAt)
		if err := putJSON(ub, []byte(j.Account), use); err != nil {
			return err
		}
		j.Refunded = true
	}
	if j.Media != "" {
		if err := addMediaRef(tx, j.Media, -1); err != nil {
			return err
		}
	}
	if err := putJob(tx.Bucket(bucketJobs), u64(j.ID), *j); err != nil {
		return err
	}
	if err := addStats(tx, now, Minute{Failed: 1}); err != nil {
		return err
	}
	s.db.pending.job(state)
	return s.statusChanged(tx, *j)
}

// MarkReceipts advances sent jobs to delivered or read, group-committed
// with whatever else is writing.
func (s *Store) MarkReceipts(msgIDs []string, receipt string) error {
	to := JobDelivered
	if receipt == "read" {
		to = JobRead
	}
	return s.batch(func(tx *bolt.Tx) error {
		now := s.now().UTC()
		jb := tx.Bucket(bucketJobs)
		delivered := 0
		for _, id := range msgIDs {
			var j Job
			key, err := s.jobOfMessage(tx, id, &j)
			if err == ErrNotFound {
				continue // not ours (a message sent from the phone itself)
			} else if err != nil {
				return err
			}
			if rank(j.State) >= rank(to) {
				continue
			}
			if rank(j.State) < rank(JobDelivered) {
				delivered++ // delivered now, or read with no delivered receipt before
			}
			if !j.Final() {
				// The receipt overtook Finish (or a crash lost it): it was
				// sent, and status webhooks should see that step too.
				if err := s.release(tx, j); err != nil {
					return err
				}
				j.State, j.UpdatedAt = JobSent, now
				s.db.pending.job(JobSent)
				if err := s.statusChanged(tx, j); err != nil {
					return err
				}
			}
			if j.State == JobSent {
				// Its first receipt. A read receipt says it arrived too.
				s.db.pending.deliveredAfter(now.Sub(j.UpdatedAt))
				if to == JobRead {
					s.db.pending.job(JobDelivered)
				}
			}
			s.db.pending.job(to)
			j.State, j.UpdatedAt = to, now
			if err := putJob(jb, key, j); err != nil {
				return err
			}
			if err := s.statusChanged(tx, j); err != nil {
				return err
			}
		}
		if delivered == 0 {
			return nil
		}
		return addStats(tx, now, Minute{Delivered: delivered})
	})
}

func rank(s JobState) int {
	switch s {
	case JobSent:
		return 1
	case JobDelivered:
		return 2
	case JobRead:
		return 3
	case JobFailed, JobExpired:
		return 4
	}
	return 0
}

// QueueDepth counts an instance's jobs not yet sent, parked ones included.
func (s *Store) QueueDepth(instance uint64) int {
	n := 0
	_ = s.db.View(func(tx *bolt.Tx) error {
		prefix := u64(instance)
		for _, b := range [][]byte{bucketQueue, bucketParked} {
			c := tx.Bucket(b).Cursor()
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				n++
			}
		}
		return nil
	})
	return n
}

// Jobs lists jobs for tests and the admin API, in ID order, optionally only
// one account's.
func (s *Store) Jobs(account string) ([]Job, error) {
	var out []Job
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketJobs).ForEach(func(_, v []byte) error {
			var j Job
			if err := decodeJob(v, &j); err != nil {
				return err
			}
			if account == "" || j.Account == account {
				out = append(out, j)
			}
			return nil
		})
	})
	return out, err
}

// Expire fails (and refunds) an instance's queued and parked jobs that are
// past their expiry. The dispatcher calls it now and then: Claim expires
// the jobs it comes across, but it does not run while the instance cannot
// send, and parked jobs are not in its way. The scan is a read; only the
// expired jobs are written.
func (s *Store) Expire(instance uint64) (int, error) {
	var expired [][]byte // queue or parked keys
	err := s.db.View(func(tx *bolt.Tx) error {
		expired = s.expired(tx, instance, nil)
		return nil
	})
	if err != nil || len(expired) == 0 {
		return 0, err
	}
	n := 0
	err = s.db.Update(func(tx *bolt.Tx) error {
		n = 0
		now := s.now().UTC()
		for _, k := range s.expired(tx, instance, expired) {
			var j Job
			if err := getJob(tx.Bucket(bucketJobs), k[len(k)-8:], &j); err != nil {
				return err
			}
			if err := s.end(tx, &j, now, JobExpired, CodeExpired, "not sent within its expiry", true); err != nil {
				return err
			}
			if err := s.dequeue(tx, j); err != nil {
				return err
			}
			if err := s.unparkJob(tx, j); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// expired returns the queue and parked keys of the instance's jobs that
// are queued past their expiry: of all, or of only the keys given.
func (s *Store) expired(tx *bolt.Tx, instance uint64, only [][]byte) [][]byte {
	now := s.now().UTC()
	var out [][]byte
	check := func(k []byte) {
		var j Job
		if getJob(tx.Bucket(bucketJobs), k[len(k)-8:], &j) == nil && j.State == JobQueued && !now.Before(j.ExpiresAt) {
			out = append(out, bytes.Clone(k))
		}
	}
	if only != nil {
		for _, k := range only {
			check(k)
		}
		return out
	}
	prefix := u64(instance)
	for _, b := range [][]byte{bucketQueue, bucketParked} {
		c := tx.Bucket(b).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			check(k)
		}
	}
	return out
}
