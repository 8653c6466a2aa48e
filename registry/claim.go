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
// Claim takes the system replies first, then shares the rest of the batch
// between the accounts with jobs queued: deficit round robin with a
// quantum in messages, plus the "new flows first" rule of FQ-CoDel (RFC
// 8290). An account that had nothing queued at the previous claim goes
// before the accounts with a backlog; then the accounts take turns,
// starting with the one after the account served last, each taking up to
// a quantum of jobs per turn. A paced number claims one job at a time, so
// its quantum is one message: an account that sends a message while others
// have thousands waiting gets the very next slot, and accounts with
// backlogs alternate message by message. Priorities order an account's own
// jobs only: they decide which of its jobs goes in its turn, never whose
// turn it is.
//
// A claim first lists the accounts with queued jobs, one Seek each (past
// the end of an account's keys lands on the next account's first key),
// then reads only the jobs it takes and those it must pass over (in hand,
// backing off, or changing state), as before, however many jobs wait.
// Which accounts had jobs queued, and which was served last, is kept in
// memory (turns); after a restart the turns start again at the first
// account, which is as fair. A new account served does not move the turns:
// the accounts with backlogs go on where they were, and the new one, if it
// has more, takes its turn among them from the next claim on.

// quantumShare is the share of a claim's batch one account may take per
// turn: with the default batch of 2,048 an account takes up to 32 jobs in
// a turn, so one Seek serves many jobs when few accounts are sending, and
// 64 accounts with backlogs share a batch.
const quantumShare = 64

// turns remembers per instance the account Claim served last among those
// with a backlog, and the accounts that had jobs queued at the last claim.
type turns struct {
	mu sync.Mutex
	m  map[uint64]turn
}

type turn struct {
	last   string
	queued map[string]bool
}

func (t *turns) get(instance uint64) turn {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[instance]
}

func (t *turns) set(instance uint64, tn turn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[uint64]turn{}
	}
	t.m[instance] = tn
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
	sc := claimScan{s: s, via: via, skip: skip, turn: s.turns.get(instance)}
	err = s.db.View(func(tx *bolt.Tx) error { return sc.run(tx, instance, max) })
	if err == nil && sc.dirty {
		err = s.db.Update(func(tx *bolt.Tx) error { return sc.run(tx, instance, max) })
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	if sc.listed {
		next := turn{last: sc.turn.last, queued: sc.queued}
		if sc.served != "" {
			next.last = sc.served
		}
		s.turns.set(instance, next)
	}
	return sc.jobs, sc.next, nil
}

// claimScan is one claim's work in one transaction. In a read-only tx it
// stops at the first job whose state must change and sets dirty; in a
// writable one it changes it.
type claimScan struct {
	s    *Store
	via  string
	skip func(uint64) bool
	turn turn // of the previous claim

	tx     *bolt.Tx
	now    time.Time
	jb, rb *bolt.Bucket
	cur    *bolt.Cursor // over the queue

	jobs   []Job
	next   time.Time
	listed bool            // the accounts were listed: queued is what they are
	queued map[string]bool // the accounts with jobs queued now
	served string          // the last account with a backlog that a job was taken from
	done   [][]byte        // queue keys of jobs that ended
	parked []Job           // jobs to park
	dirty  bool
}

// run claims up to max jobs in tx.
func (sc *claimScan) run(tx *bolt.Tx, instance uint64, limit int) error {
	s := sc.s
	*sc = claimScan{s: s, via: sc.via, skip: sc.skip, turn: sc.turn, tx: tx, now: s.now().UTC()}
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
	// Room for what the queue holds, up to the limit, so the batch is not
	// grown (and copied) job by job.
	sc.jobs = make([]Job, 0, min(int64(limit), max(s.db.counts.queuedOf(instance), 1)))
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
		s.db.pending.queue(instance, -1, 0) // found by the scan above
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
// until the batch is full or no account has a job ready: in rounds that
// each visit every account once, new accounts first, then the others from
// the one after the account served last, taking up to a quantum from each.
func (sc *claimScan) share(base []byte, limit int) error {
	type account struct {
		name  string
		from  []byte // where its next turn starts
		fresh bool   // it had nothing queued at the previous claim
	}
	var later, earlier []account // after the one served last; up to it
	sc.queued, sc.listed = map[string]bool{}, true
	for k, _ := sc.cur.Seek(base); k != nil && bytes.HasPrefix(k, base); {
		acct := queueKeyAccount(k)
		// Before the first listing (a restart) no account counts as new.
		a := account{name: string(acct), from: k, fresh: sc.turn.queued != nil && !sc.turn.queued[string(acct)]}
		// A new account stays new until it is served (below), however
		// many claims it waits behind other new ones.
		sc.queued[a.name] = !a.fresh
		if sc.turn.last != "" && a.name <= sc.turn.last {
			earlier = append(earlier, a)
		} else {
			later = append(later, a)
		}
		k, _ = sc.cur.Seek(accountEnd(base, acct))
	}
	turns := append(later, earlier...)
	order := make([]account, 0, len(turns))
	for _, fresh := range []bool{true, false} {
		for _, a := range turns {
			if a.fresh == fresh {
				order = append(order, a)
			}
		}
	}
	quantum := max(1, limit/quantumShare)
	for len(sc.jobs) < limit {
		progress := false
		for i := range order {
			a := &order[i]
			if a.from == nil || len(sc.jobs) == limit {
				continue // nothing more to take from it
			}
			before := len(sc.jobs)
			prefix := append(accountEnd(base, []byte(a.name))[:len(base)+len(a.name)], 0) // base, account, 0
			last, exhausted, err := sc.walk(a.from, prefix, min(quantum, limit-len(sc.jobs)))
			if err != nil || sc.dirty {
				return err
			}
			if len(sc.jobs) > before {
				progress, sc.queued[a.name] = true, true
				if !a.fresh {
					sc.served = a.name
				}
			}
			a.from = nil
			if !exhausted {
				a.from = append(bytes.Clone(last), 0) // the first key after it
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
	// The job is read into the batch's next slot, which a job not taken
	// gives back: no copy of every job the scan looks at.
	sc.jobs = append(sc.jobs, Job{})
	j := &sc.jobs[len(sc.jobs)-1]
	defer func() {
		if !taken {
			sc.jobs = sc.jobs[:len(sc.jobs)-1]
		}
	}()
	if err := getJob(sc.jb, id, j); err != nil {
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
		if err := sc.s.end(sc.tx, j, now, state, code, msg, true); err != nil {
			return false, err
		}
		sc.done = append(sc.done, bytes.Clone(k))
		return false, nil
	case "park":
		j.Waiting, j.UpdatedAt = WaitReregister, now
		sc.parked = append(sc.parked, *j)
		return false, nil
	}
	// Shown as the dispatcher holds it; Finish records the attempt.
	j.State, j.Waiting, j.SentVia, j.UpdatedAt = JobSending, "", sc.via, now
	j.Attempts++
	if j.From != "" {
		j.SentVia = j.From
	}
	return true, nil
}
