package registry

import (
	"bytes"
	"time"

	bolt "go.etcd.io/bbolt"
)

// WaitReregister is the Waiting reason of a job whose recipient has not
// greeted the instance's current gateway number (after a rotation).
const WaitReregister = "awaiting re-registration"

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
				j.State, j.ErrorCode, j.Error, j.SentAt = JobSent, 0, "", now
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

// end fails (or cancels) a job for good, refunding its quota when asked
// and it was counted. The caller removes its queue key (Claim does so after
// its cursor scan).
func (s *Store) end(tx *bolt.Tx, j *Job, now time.Time, state JobState, code int, msg string, refund bool) error {
	j.State, j.ErrorCode, j.Error, j.Waiting, j.UpdatedAt = state, code, msg, "", now
	if refund && !j.Refunded && j.Account != "" && !j.CountedAt.IsZero() {
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
	if state != JobCanceled { // the console's charts: a cancel is the sender's choice, not a failure
		if err := addStats(tx, now, Minute{Failed: 1}); err != nil {
			return err
		}
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
				j.State, j.UpdatedAt, j.SentAt = JobSent, now, now
				s.db.pending.job(JobSent)
				if err := s.statusChanged(tx, j); err != nil {
					return err
				}
			}
			if j.State == JobSent {
				// Its first receipt. A read receipt says it arrived too.
				sent := j.SentAt
				if sent.IsZero() {
					sent = j.UpdatedAt // sent by a version that did not record it
				}
				s.db.pending.deliveredAfter(now.Sub(sent))
				if to == JobRead {
					s.db.pending.job(JobDelivered)
				}
			}
			s.db.pending.job(to)
			j.State, j.UpdatedAt = to, now
			if j.DeliveredAt.IsZero() {
				j.DeliveredAt = now
			}
			if to == JobRead {
				j.ReadAt = now
			}
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
	case JobFailed, JobExpired, JobCanceled:
		return 4
	}
	return 0
}

// QueueDepth counts an instance's jobs not yet sent, parked ones included;
// scheduled jobs that are not due yet are not in the queue (Scheduled
// counts them).
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

// Scheduled counts an instance's scheduled jobs.
func (s *Store) Scheduled(instance uint64) int {
	n := 0
	_ = s.db.View(func(tx *bolt.Tx) error {
		prefix := u64(instance)
		c := tx.Bucket(bucketScheduled).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			n++
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
// past their expiry, and moves its scheduled jobs that have fallen due into
// the queue. The dispatcher calls it now and then: Claim does both for the
// jobs it comes across, but it does not run while the instance cannot
// send, and parked jobs are not in its way. The scan is a read; only the
// jobs that change are written.
func (s *Store) Expire(instance uint64) (int, error) {
	var expired [][]byte // queue or parked keys
	var due bool
	err := s.db.View(func(tx *bolt.Tx) error {
		expired = s.expired(tx, instance, nil)
		_, due, _ = s.promoteDue(tx, instance, s.now().UTC())
		return nil
	})
	if err != nil || (len(expired) == 0 && !due) {
		return 0, err
	}
	n := 0
	err = s.db.Update(func(tx *bolt.Tx) error {
		n = 0
		now := s.now().UTC()
		if _, _, err := s.promoteDue(tx, instance, now); err != nil {
			return err
		}
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

// bucketQueueV1 is the queue of earlier versions: u64 instance, u8
// priority, u64 job, with no account in the key, so it could not share the
// sending slots between accounts.
var bucketQueueV1 = []byte("queue")

// upgradeQueue moves the queued jobs of a registry written by an earlier
// version into the queue of this one (Open calls it). Their order within
// each account is kept: it is their job IDs' order.
func upgradeQueue(tx *bolt.Tx) error {
	old := tx.Bucket(bucketQueueV1)
	if old == nil {
		return nil
	}
	jb, qb := tx.Bucket(bucketJobs), tx.Bucket(bucketQueue)
	err := old.ForEach(func(k, _ []byte) error {
		var j Job
		switch err := getJob(jb, k[len(k)-8:], &j); {
		case err == ErrNotFound:
			return nil
		case err != nil:
			return err
		}
		return qb.Put(queueKey(j), nil)
	})
	if err != nil {
		return err
	}
	return tx.DeleteBucket(bucketQueueV1)
}
