package registry

import (
	"bytes"
	"encoding/binary"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Fair share. An instance's queue holds its system replies first, then
// each account's jobs together, in priority then FIFO order (queueKey).
// Claim takes the system replies first, then goes round the accounts that
// have jobs ready, starting with the one after the account it served last,
// and takes up to a quantum of jobs from each in turn: deficit round robin
// with a quantum in messages. A paced number claims one job at a time, so
// its quantum is one message and the accounts alternate message by
// message: an account with nothing queued gets the very next slot, however
// many another account has waiting. Priorities order an account's own
// jobs only: they decide which of its jobs goes in its turn, never whose
// turn it is.
//
// Finding the next account costs one Seek (past the end of the current
// account's keys), and its head is the first key there, so a claim reads
// only the jobs it takes and those it must pass over (in hand, backing off,
// or changing state), as before, however many accounts and jobs wait.
// Which account was served last is kept in memory (turns); after a restart
// the round starts again at the first account, which is as fair.

// quantumShare is the share of a claim's batch one account may take per
// turn: with the default batch of 2,048 an account takes up to 32 jobs in
// a turn, so one Seek serves many jobs when few accounts are sending, and
// 64 accounts with backlogs share a batch.
const quantumShare = 64

// turns remembers per instance the account Claim served last.
type turns struct {
	mu   sync.Mutex
	last map[uint64]string
}

func (t *turns) get(instance uint64) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last[instance]
}

func (t *turns) set(instance uint64, account string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.last == nil {
		t.last = map[uint64]string{}
	}
	t.last[instance] = account
}

// Claim returns up to max ready jobs of an instance for gateway number via
// to send, system replies first, then the accounts' jobs in turn (see Fair
// share above), each account's in priority, then FIFO, order, with their
// attempt counted and their state shown as sending. Claiming writes
// nothing: the caller (the instance's one dispatcher) records every outcome
// with Finish, and skips (skip reports true for their IDs; nil skips none)
// the jobs it has claimed whose outcomes are not recorded yet. A crash in
// between leaves them queued, to be sent again with the same message ID,
// which WhatsApp drops as a duplicate.
//
// On the way it moves scheduled jobs that have fallen due into the queue,
// fails jobs past their expiry (refunded), fails jobs whose recipient opted
// out, and parks jobs whose recipient has not greeted via; only then does
// it take the write lock. next is the earliest time a job held back by
// backoff or the daily cap becomes ready, or a scheduled job falls due
// (zero if none).
func (s *Store) Claim(instance uint64, via string, max int, skip func(id uint64) bool) (jobs []Job, next time.Time, err error) {
	if skip == nil {
		skip = func(uint64) bool { return false }
	}
	sc := claimScan{s: s, via: via, skip: skip, after: s.turns.get(instance)}
	err = s.db.View(func(tx *bolt.Tx) error { return sc.run(tx, instance, max) })
	if err == nil && sc.dirty {
		err = s.db.Update(func(tx *bolt.Tx) error { return sc.run(tx, instance, max) })
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	if sc.served != "" {
		s.turns.set(instance, sc.served)
	}
	return sc.jobs, sc.next, nil
}

// claimScan is one claim's work in one transaction. In a read-only tx it
// stops at the first job whose state must change and sets dirty; in a
// writable one it changes it.
type claimScan struct {
	s     *Store
	via   string
	skip  func(uint64) bool
	after string // the account served last: this claim starts after it

	tx     *bolt.Tx
	now    time.Time
	jb, rb *bolt.Bucket
	cur    *bolt.Cursor // over the queue

	jobs   []Job
	next   time.Time
	served string   // the account of the last API job taken
	done   [][]byte // queue keys of jobs that ended
	parked []Job    // jobs to park
	dirty  bool
}

// run claims up to max jobs in tx.
func (sc *claimScan) run(tx *bolt.Tx, instance uint64, limit int) error {
	s := sc.s
	*sc = claimScan{s: s, via: sc.via, skip: sc.skip, after: sc.after, tx: tx, now: s.now().UTC()}
	due, promoted, err := s.promoteDue(tx, instance, sc.now)
	if err != nil {
		return err
	}
	if promoted && !tx.Writable() {
		sc.dirty = true
		return nil
	}
	sc.later(due)
	var gw Number
	if err := s.numbers.get(tx.Bucket(bucketNumbers), []byte(sc.via), &gw); err != nil {
		return err
	}
	if c := gw.Pacing.DailyCap; c > 0 {
		if left := gw.Sent.Remaining(sc.now, c); left < limit {
			limit = left
			if left == 0 {
				sc.later(sc.now.Add(gw.Sent.Reset(sc.now)))
				return nil
			}
		}
	}
	sc.jb, sc.rb = tx.Bucket(bucketJobs), tx.Bucket(bucketRegistrations)
	sc.cur = tx.Bucket(bucketQueue).Cursor()
	// The queue changes only after the scan: a cursor may skip keys when its
	// bucket changes under it.
	sys := append(u64(instance), classSystem)
	if _, _, err := sc.walk(sys, sys, limit); err != nil || sc.dirty {
		return err
	}
	if len(sc.jobs) < limit {
		if err := sc.share(append(u64(instance), classAPI), limit); err != nil || sc.dirty {
			return err
		}
	}
	qb := tx.Bucket(bucketQueue)
	for _, k := range sc.done {
		if err := qb.Delete(k); err != nil {
			return err
		}
	}
	for _, j := range sc.parked {
		if err := s.park(tx, j); err != nil {
			return err
		}
	}
	return nil
}

// later keeps the earliest of the times something becomes ready.
func (sc *claimScan) later(t time.Time) {
	if !t.IsZero() && (sc.next.IsZero() || t.Before(sc.next)) {
		sc.next = t
	}
}

// share takes jobs from the accounts under base (an instance's API class)
// in turn until the batch is full or no account has a job ready: rounds
// that each visit every account once, starting after sc.after, taking up
// to a quantum from each.
func (sc *claimScan) share(base []byte, limit int) error {
	quantum := max(1, limit/quantumShare)
	start := base
	if sc.after != "" {
		start = accountEnd(base, []byte(sc.after))
	}
	resume := map[string][]byte{} // where an account's next turn goes on
	empty := map[string]bool{}    // accounts with nothing more to take
	for len(sc.jobs) < limit {
		progress := false
		var first []byte // the round's first account
		wrapped := false
		for pos := start; len(sc.jobs) < limit; {
			k, _ := sc.cur.Seek(pos)
			if k == nil || !bytes.HasPrefix(k, base) {
				if wrapped || bytes.Equal(pos, base) {
					break
				}
				wrapped, pos = true, base
				continue
			}
			acct := queueKeyAccount(k)
			if first == nil {
				first = bytes.Clone(acct)
			} else if wrapped && bytes.Compare(acct, first) >= 0 {
				break // round the circle
			}
			pos = accountEnd(base, acct)
			name := string(acct)
			if empty[name] {
				continue
			}
			from := resume[name]
			if from == nil {
				from = k
			}
			before := len(sc.jobs)
			prefix := append(pos[:len(pos)-1:len(pos)-1], 0) // base, account, 0
			last, exhausted, err := sc.walk(from, prefix, min(quantum, limit-len(sc.jobs)))
			if err != nil || sc.dirty {
				return err
			}
			if len(sc.jobs) > before {
				progress, sc.served = true, name
			}
			if exhausted {
				empty[name] = true
			} else {
				resume[name] = append(bytes.Clone(last), 0) // the first key after it
			}
		}
		if !progress {
			return nil
		}
	}
	return nil
}

// accountEnd is the smallest key after every queue key of account under
// base: base, account, 1 (the keys have base, account, 0, ...).
func accountEnd(base, account []byte) []byte {
	k := make([]byte, 0, len(base)+len(account)+1)
	return append(append(append(k, base...), account...), 1)
}

// walk judges the queue entries from the first key at or after from, while
// they have prefix, and takes up to n ready jobs. It returns the last key
// it judged and whether the entries ran out before n were taken.
func (sc *claimScan) walk(from, prefix []byte, n int) (last []byte, exhausted bool, err error) {
	taken := 0
	for k, _ := sc.cur.Seek(from); k != nil && bytes.HasPrefix(k, prefix); k, _ = sc.cur.Next() {
		if taken == n {
			return last, false, nil
		}
		last = k
		ok, err := sc.judge(k)
		if err != nil || sc.dirty {
			return last, false, err
		}
		if ok {
			taken++
		}
	}
	return last, true, nil
}

// judge looks at one queued job: it takes it if it is ready, notes when it
// will be if it is backing off, and otherwise decides what must change
// (only in a writable tx; in a read-only one it sets dirty).
func (sc *claimScan) judge(k []byte) (taken bool, err error) {
	id := queueKeyJob(k)
	if sc.skip(binary.BigEndian.Uint64(id)) {
		return false, nil
	}
	var j Job
	if err := getJob(sc.jb, id, &j); err != nil {
		return false, err
	}
	now := sc.now
	change := "" // what the job needs written, if anything
	switch {
	case j.Final():
		change = "dequeue"
	case !now.Before(j.ExpiresAt):
		change = "expire"
	case now.Before(j.NotBefore):
		sc.later(j.NotBefore)
		return false, nil
	case j.To != "" && j.Priority != PrioritySystem:
		var reg Registration
		switch sc.s.registrations.get(sc.rb, pairKey(sc.via, j.To), &reg) {
		case ErrNotFound:
			change = "park"
		case nil:
			if !reg.Active() {
				change = "opted out"
			}
		}
	}
	if change != "" && !sc.tx.Writable() {
		sc.dirty = true
		return false, nil
	}
	switch change {
	case "dequeue":
		sc.done = append(sc.done, bytes.Clone(k))
		return false, nil
	case "expire", "opted out":
		state, code, msg := JobExpired, CodeExpired, "not sent within its expiry"
		if change == "opted out" {
			state, code, msg = JobFailed, CodeRecipientOptOut, "the recipient opted out"
		}
		if err := sc.s.end(sc.tx, &j, now, state, code, msg, true); err != nil {
			return false, err
		}
		sc.done = append(sc.done, bytes.Clone(k))
		return false, nil
	case "park":
		j.Waiting, j.UpdatedAt = WaitReregister, now
		sc.parked = append(sc.parked, j)
		return false, nil
	}
	// Shown as the dispatcher holds it; Finish records the attempt.
	j.State, j.Waiting, j.SentVia, j.UpdatedAt = JobSending, "", sc.via, now
	j.Attempts++
	if j.From != "" {
		j.SentVia = j.From
	}
	sc.jobs = append(sc.jobs, j)
	return true, nil
}
