package registry

import (
	"bytes"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

// WaitReregister is the Waiting reason of a job whose recipient has not
// greeted the instance's current gateway number (after a rotation).
const WaitReregister = "awaiting re-registration"

// Claim marks up to max ready jobs of an instance as sending through gateway
// number via, and returns them in priority, then FIFO, order. On the way it
// fails jobs past their expiry (refunded), fails jobs whose recipient opted
// out, and parks jobs whose recipient has not greeted via. next is the
// earliest time a job held back by backoff or the daily cap becomes ready
// (zero if none).
func (s *Store) Claim(instance uint64, via string, max int) (jobs []Job, next time.Time, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		jobs, next = nil, time.Time{}
		now := s.now().UTC()
		nb := tx.Bucket(bucketNumbers)
		var gw Number
		if err := getJSON(nb, []byte(via), &gw); err != nil {
			return err
		}
		if c := gw.Pacing.DailyCap; c > 0 {
			if left := gw.Sent.Remaining(now, c); left < max {
				max = left
				if left == 0 {
					next = now.Add(gw.Sent.Reset(now))
					return nil
				}
			}
		}
		jb, qb, rb := tx.Bucket(bucketJobs), tx.Bucket(bucketQueue), tx.Bucket(bucketRegistrations)
		prefix := u64(instance)
		c := qb.Cursor()
		var done [][]byte // queue keys of jobs that ended; deleted after the scan
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(jobs) < max; k, _ = c.Next() {
			var j Job
			if err := s.jobs.get(jb, k[9:], &j); err != nil {
				return err
			}
			switch {
			case j.Final():
				done = append(done, bytes.Clone(k))
				continue
			case j.State == JobSending:
				continue // claimed already; Recover requeues it after a crash
			case !now.Before(j.ExpiresAt):
				if err := s.end(tx, &j, now, JobExpired, CodeExpired, "not sent within its expiry", true); err != nil {
					return err
				}
				done = append(done, bytes.Clone(k))
				continue
			case now.Before(j.NotBefore):
				if next.IsZero() || j.NotBefore.Before(next) {
					next = j.NotBefore
				}
				continue
			}
			if j.To != "" && j.Priority != PrioritySystem {
				var reg Registration
				switch s.registrations.get(rb, pairKey(via, j.To), &reg) {
				case ErrNotFound:
					if j.Waiting != WaitReregister {
						j.Waiting, j.UpdatedAt = WaitReregister, now
						if err := putJSON(jb, u64(j.ID), j); err != nil {
							return err
						}
					}
					continue
				case nil:
					if !reg.Active() {
						if err := s.end(tx, &j, now, JobFailed, CodeRecipientOptOut, "the recipient opted out", true); err != nil {
							return err
						}
						done = append(done, bytes.Clone(k))
						continue
					}
				}
			}
			j.State, j.Waiting, j.SentVia, j.UpdatedAt = JobSending, "", via, now
			j.Attempts++
			if j.From != "" {
				j.SentVia = j.From
			}
			if err := s.jobs.put(jb, u64(j.ID), j); err != nil {
				return err
			}
			jobs = append(jobs, j)
		}
		for _, k := range done {
			if err := qb.Delete(k); err != nil {
				return err
			}
		}
		if gw.Pacing.DailyCap == 0 || len(jobs) == 0 {
			return nil
		}
		for range jobs {
			gw.Sent, _ = gw.Sent.Take(now, gw.Pacing.DailyCap)
		}
		return putJSON(nb, []byte(via), gw)
	})
	return jobs, next, err
}

// Outcome is the result of one send attempt.
type Outcome struct {
	JobID     uint64
	Sent      bool
	Retry     bool      // transient failure: try again at NotBefore
	NotBefore time.Time // with Retry
	Code      int       // with a failure
	Error     string
	Refund    bool // the failure is not the sender's fault
}

// Finish records the outcomes of a claimed batch in one transaction.
func (s *Store) Finish(outcomes []Outcome) error {
	if len(outcomes) == 0 {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		now := s.now().UTC()
		jb, qb := tx.Bucket(bucketJobs), tx.Bucket(bucketQueue)
		for _, o := range outcomes {
			var j Job
			if err := s.jobs.get(jb, u64(o.JobID), &j); err != nil {
				return err
			}
			if j.Final() {
				continue // a receipt overtook the outcome; nothing to do
			}
			switch {
			case o.Sent:
				j.State, j.ErrorCode, j.Error = JobSent, 0, ""
				if err := s.release(tx, j); err != nil {
					return err
				}
			case o.Retry:
				j.State, j.NotBefore, j.Error = JobQueued, o.NotBefore, o.Error
			default:
				if err := s.end(tx, &j, now, JobFailed, o.Code, o.Error, o.Refund); err != nil {
					return err
				}
				if err := qb.Delete(queueKey(j)); err != nil {
					return err
				}
				continue
			}
			j.UpdatedAt = now
			if err := s.jobs.put(jb, u64(j.ID), j); err != nil {
				return err
			}
			if err := s.statusChanged(tx, j); err != nil {
				return err
			}
		}
		return nil
	})
}

// release takes a job out of the queue once it has left for WhatsApp.
func (s *Store) release(tx *bolt.Tx, j Job) error {
	if j.Media != "" {
		if err := addMediaRef(tx, j.Media, -1); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketQueue).Delete(queueKey(j))
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
	if err := putJSON(tx.Bucket(bucketJobs), u64(j.ID), *j); err != nil {
		return err
	}
	return s.statusChanged(tx, *j)
}

// MarkReceipts advances sent jobs to delivered or read.
func (s *Store) MarkReceipts(msgIDs []string, receipt string) error {
	to := JobDelivered
	if receipt == "read" {
		to = JobRead
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		now := s.now().UTC()
		jb, mb := tx.Bucket(bucketJobs), tx.Bucket(bucketMessageIDs)
		for _, id := range msgIDs {
			key := mb.Get([]byte(id))
			if key == nil {
				continue // not ours (a message sent from the phone itself)
			}
			var j Job
			if err := s.jobs.get(jb, key, &j); err != nil {
				return err
			}
			if rank(j.State) >= rank(to) {
				continue
			}
			if !j.Final() {
				// The receipt overtook Finish (or a crash lost it): it was
				// sent, and status webhooks should see that step too.
				if err := s.release(tx, j); err != nil {
					return err
				}
				j.State, j.UpdatedAt = JobSent, now
				if err := s.statusChanged(tx, j); err != nil {
					return err
				}
			}
			j.State, j.UpdatedAt = to, now
			if err := s.jobs.put(jb, key, j); err != nil {
				return err
			}
			if err := s.statusChanged(tx, j); err != nil {
				return err
			}
		}
		return nil
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

// Recover puts jobs left in sending by a crash back in the queue. They keep
// their message ID, so WhatsApp drops the resend of one that did go out.
func (s *Store) Recover() (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		n = 0
		jb := tx.Bucket(bucketJobs)
		return tx.Bucket(bucketQueue).ForEach(func(k, _ []byte) error {
			var j Job
			if err := getJSON(jb, k[9:], &j); err != nil {
				return err
			}
			if j.State != JobSending {
				return nil
			}
			j.State = JobQueued
			n++
			return putJSON(jb, k[9:], j)
		})
	})
	return n, err
}

// QueueDepth counts an instance's jobs not yet sent.
func (s *Store) QueueDepth(instance uint64) int {
	n := 0
	_ = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketQueue).Cursor()
		prefix := u64(instance)
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
			if err := json.Unmarshal(v, &j); err != nil {
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

// Expire fails (and refunds) an instance's queued jobs that are past their
// expiry. The dispatcher calls it while the instance cannot send, since
// Claim, which expires jobs on the way, then does not run.
func (s *Store) Expire(instance uint64) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		n = 0
		now := s.now().UTC()
		jb, qb := tx.Bucket(bucketJobs), tx.Bucket(bucketQueue)
		prefix := u64(instance)
		var done [][]byte
		c := qb.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			var j Job
			if err := getJSON(jb, k[9:], &j); err != nil {
				return err
			}
			if j.State != JobQueued || now.Before(j.ExpiresAt) {
				continue
			}
			if err := s.end(tx, &j, now, JobExpired, CodeExpired, "not sent within its expiry", true); err != nil {
				return err
			}
			done = append(done, bytes.Clone(k))
			n++
		}
		for _, k := range done {
			if err := qb.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}
