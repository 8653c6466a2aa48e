package registry

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"higate/quota"
)

// Scheduled jobs. A send with a send_at in the future is stored as a job in
// state scheduled and indexed in bucketScheduled by instance and send_at,
// not in the queue: Claim never scans it, and a job waiting for next month
// costs no work at all until it is due. Claim (and Expire, which runs while
// the instance cannot send) looks only at the first entry of the
// instance's schedule: one Seek. A due job moves into the queue, where it
// takes its turn like any other; the dispatcher sleeps until the next
// send_at, which Claim returns as its next. Being in the registry, the
// schedule survives a crash, and a restart's first claim moves whatever
// fell due meanwhile.
//
// Quota: a job counts against the 24-hour window open at its send_at (see
// README). When a window is open at accept and the send_at falls inside it,
// that window is known, and the job is counted at accept like an immediate
// send (a 469 then, if the window is used up). Otherwise it is counted when
// it falls due, into the window open then (opening one if none is); if that
// window is used up, the job fails with error code 469 and is not sent.

// MaxScheduleAhead is how far ahead a send_at may be.
const MaxScheduleAhead = 30 * 24 * time.Hour

// CheckSendAt checks a send's send_at against now: not in the past and at
// most MaxScheduleAhead ahead. The zero time (no send_at) passes.
func CheckSendAt(sendAt, now time.Time) error {
	switch {
	case sendAt.IsZero():
		return nil
	case sendAt.Before(now):
		return Errorf(CodeBadRequest, "give a time in the future (RFC 3339, e.g. "+now.Add(time.Hour).UTC().Format(time.RFC3339)+"), or leave send_at out to send now",
			"send_at %s is in the past (the gateway's time is %s)", sendAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case sendAt.Sub(now) > MaxScheduleAhead:
		return Errorf(CodeBadRequest, fmt.Sprintf("schedule at most %d days ahead, i.e. before %s", int(MaxScheduleAhead.Hours()/24), now.Add(MaxScheduleAhead).UTC().Format(time.RFC3339)),
			"send_at %s is more than %d days ahead", sendAt.UTC().Format(time.RFC3339), int(MaxScheduleAhead.Hours()/24))
	}
	return nil
}

// scheduledKey is u64 instance, u64 send_at (Unix nanoseconds), u64 job.
func scheduledKey(j Job) []byte {
	k := make([]byte, 0, 24)
	k = binary.BigEndian.AppendUint64(k, j.Instance)
	k = binary.BigEndian.AppendUint64(k, uint64(j.SendAt.UnixNano()))
	return binary.BigEndian.AppendUint64(k, j.ID)
}

// scheduledAt is the send_at of a schedule key.
func scheduledAt(k []byte) time.Time {
	return time.Unix(0, int64(binary.BigEndian.Uint64(k[8:16]))).UTC()
}

// countsAtAccept reports whether a send accepted at now with send_at counts
// against the quota window at once: an immediate send always does; a
// scheduled one when a window is open now and send_at falls inside it.
func countsAtAccept(w quota.Usage, now, sendAt time.Time) bool {
	if !sendAt.After(now) {
		return true
	}
	end := w.Start.Add(quota.Window)
	return !w.Start.IsZero() && now.Before(end) && sendAt.Before(end)
}

// promoteChunk bounds how many due jobs one transaction moves into the
// queue, so that a schedule that fell due all at once (a gateway stopped
// for a day) does not hold the write lock for long; the rest follow at
// once in the next claims.
const promoteChunk = 2000

// promoteDue moves the instance's scheduled jobs whose send_at has come
// into the queue. In a read-only tx it only reports whether any is due;
// next is the send_at of the first one it leaves (zero if none).
func (s *Store) promoteDue(tx *bolt.Tx, instance uint64, now time.Time) (next time.Time, due bool, err error) {
	prefix := u64(instance)
	c := tx.Bucket(bucketScheduled).Cursor()
	var keys [][]byte
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if at := scheduledAt(k); at.After(now) || len(keys) == promoteChunk {
			next = at
			break
		}
		if !tx.Writable() {
			return next, true, nil
		}
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		if err := s.promote(tx, k, now); err != nil {
			return next, true, err
		}
	}
	return next, len(keys) > 0, nil
}

// promote moves one due job from the schedule to the queue, counting it
// against its account's window if it was not counted at accept.
func (s *Store) promote(tx *bolt.Tx, key []byte, now time.Time) error {
	if ok, err := deleteKey(tx.Bucket(bucketScheduled), key); err != nil {
		return err
	} else if ok {
		s.db.pending.schedule(binary.BigEndian.Uint64(key), -1)
	}
	var j Job
	switch err := getJob(tx.Bucket(bucketJobs), key[16:], &j); {
	case err == ErrNotFound:
		return nil
	case err != nil:
		return err
	}
	if j.State != JobScheduled {
		return nil // canceled; Cancel removes the key too, so this is a leftover
	}
	if !now.Before(j.ExpiresAt) {
		// Due long ago (the instance was down): it expires as a queued job would.
		return s.end(tx, &j, now, JobExpired, CodeExpired, "not sent within its expiry", true)
	}
	if j.CountedAt.IsZero() && j.Account != "" {
		ok, limit, err := s.countScheduled(tx, j.Account, now)
		if err != nil {
			return err
		}
		if !ok {
			return s.end(tx, &j, now, JobFailed, CodeQuota,
				fmt.Sprintf("the plan's %d messages for the 24-hour window open at send_at were used up", limit), false)
		}
		j.CountedAt = now
	}
	j.State, j.UpdatedAt = JobQueued, now
	if err := putJob(tx.Bucket(bucketJobs), u64(j.ID), j); err != nil {
		return err
	}
	added, err := putKey(tx.Bucket(bucketQueue), queueKey(j))
	if added {
		s.db.pending.queue(j.Instance, 1, 0)
	}
	return err
}

// countScheduled counts one message of the account at now, as Accept
// does; false (and the limit) when the window is used up. An account that
// is gone counts as used up.
func (s *Store) countScheduled(tx *bolt.Tx, account string, now time.Time) (bool, int, error) {
	var acct Account
	if err := s.accounts.get(tx.Bucket(bucketAccounts), []byte(account), &acct); err != nil {
		if err == ErrNotFound {
			return false, 0, nil
		}
		return false, 0, err
	}
	limit := acct.EffectiveLimits().Daily
	ub := tx.Bucket(bucketUsage)
	var use Usage
	if err := getJSON(ub, []byte(account), &use); err != nil && err != ErrNotFound {
		return false, limit, err
	}
	w, ok := use.Window.Take(now, limit)
	if !ok {
		return false, limit, nil
	}
	use.Window = w
	return true, limit, putJSON(ub, []byte(account), use)
}
