package registry

import (
	"bytes"
	"encoding/binary"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Running totals for monitoring. A scrape must not scan the queue or the
// outbox (both grow with a backlog, which is when someone looks), so the
// registry keeps their lengths as it changes them.
//
// A write transaction's functions note what they change in a tally (only
// the holder of bbolt's write lock touches it, so it needs no lock of its
// own), and the tally is applied once the transaction has committed. A
// function the group commit runs twice, or a transaction that rolls back,
// therefore counts nothing twice or wrongly; Open counts what is on disk.

// jobStatuses are the job states counted as they are reached, in the
// order of tally.jobs.
var jobStatuses = [...]JobState{JobSent, JobDelivered, JobRead, JobFailed, JobExpired, JobCanceled}

// tally is what one write transaction changed. Its methods do nothing on
// a nil tally (a write outside boltDB.Update, as when Open upgrades the
// outbox before it counts).
type tally struct {
	lines     []lineDelta // per instance
	outbox    int64       // pending webhook deliveries in line
	jobs      [len(jobStatuses)]int64
	delivered []time.Duration // sent -> delivered, per job
}

type lineDelta struct {
	instance                  uint64
	queued, parked, scheduled int64
}

var tallies = sync.Pool{New: func() any { return new(tally) }}

func newTally() *tally { return tallies.Get().(*tally) }

// release returns t to the pool, emptied but keeping its capacity, so a
// write transaction allocates no tally.
func (t *tally) release() {
	t.lines, t.delivered = t.lines[:0], t.delivered[:0]
	t.outbox, t.jobs = 0, [len(jobStatuses)]int64{}
	tallies.Put(t)
}

// queue notes jobs entering (positive) or leaving (negative) an instance's
// queue and parked jobs.
func (t *tally) queue(instance uint64, queued, parked int64) {
	if t == nil {
		return
	}
	for i := range t.lines {
		if t.lines[i].instance == instance {
			t.lines[i].queued += queued
			t.lines[i].parked += parked
			return
		}
	}
	t.lines = append(t.lines, lineDelta{instance: instance, queued: queued, parked: parked})
}

// schedule notes jobs entering (positive) or leaving (negative) an
// instance's schedule: not queued yet, so not in its queue count.
func (t *tally) schedule(instance uint64, n int64) {
	if t == nil {
		return
	}
	for i := range t.lines {
		if t.lines[i].instance == instance {
			t.lines[i].scheduled += n
			return
		}
	}
	t.lines = append(t.lines, lineDelta{instance: instance, scheduled: n})
}

// line notes webhook deliveries entering or leaving the line.
func (t *tally) line(n int64) {
	if t != nil {
		t.outbox += n
	}
}

// job notes a job reaching a state; queued and sending are not counted.
func (t *tally) job(s JobState) {
	if t == nil {
		return
	}
	for i, js := range jobStatuses {
		if js == s {
			t.jobs[i]++
			return
		}
	}
}

// deliveredAfter notes how long a job took from sent to delivered.
func (t *tally) deliveredAfter(d time.Duration) {
	if t != nil {
		t.delivered = append(t.delivered, max(d, 0))
	}
}

// counts are the totals the tallies of committed transactions add up to.
type counts struct {
	metrics *Metrics // nil: no job counters or latencies

	mu        sync.Mutex // taken once per committed write, and per scrape
	queued    map[uint64]int64
	parked    map[uint64]int64
	scheduled map[uint64]int64
	outbox    int64
}

// apply adds a committed transaction's tally.
func (c *counts) apply(t *tally) {
	if len(t.lines) > 0 || t.outbox != 0 {
		c.mu.Lock()
		for _, l := range t.lines {
			c.queued[l.instance] += l.queued
			c.parked[l.instance] += l.parked
			c.scheduled[l.instance] += l.scheduled
		}
		c.outbox += t.outbox
		c.mu.Unlock()
	}
	if m := c.metrics; m != nil {
		for i, n := range t.jobs {
			if n > 0 {
				m.jobs[i].Add(float64(n))
			}
		}
		for _, d := range t.delivered {
			m.sentToDelivered.Observe(d.Seconds())
		}
	}
}

// queuedOf is an instance's queue length (jobs in hand included, until
// their outcomes are recorded).
func (c *counts) queuedOf(instance uint64) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.queued[instance]
}

// lengths returns the queue, parked and scheduled lengths per instance and
// the webhook line's. A commit that has not been applied yet may be missing,
// never half there; a length below zero (a release applied before its
// accept, which the dispatcher makes all but impossible) reads as zero.
func (c *counts) lengths() (queued, parked, scheduled map[uint64]int64, outbox int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	queued, parked = make(map[uint64]int64, len(c.queued)), make(map[uint64]int64, len(c.parked))
	scheduled = make(map[uint64]int64, len(c.scheduled))
	for id, n := range c.scheduled {
		scheduled[id] = max(n, 0)
	}
	for id, n := range c.queued {
		queued[id] = max(n, 0)
	}
	for id, n := range c.parked {
		parked[id] = max(n, 0)
	}
	return queued, parked, scheduled, max(c.outbox, 0)
}

// countAll counts what is on disk: every queued, parked and scheduled job,
// per instance, and every delivery in the webhook line. Open calls it once,
// before anything else writes.
func countAll(tx *bolt.Tx) *counts {
	c := &counts{queued: map[uint64]int64{}, parked: map[uint64]int64{}, scheduled: map[uint64]int64{}}
	for _, b := range []struct {
		name []byte
		to   map[uint64]int64
	}{{bucketQueue, c.queued}, {bucketParked, c.parked}, {bucketScheduled, c.scheduled}} {
		cur := tx.Bucket(b.name).Cursor()
		for k, _ := cur.First(); k != nil; k, _ = cur.Next() {
			if len(k) >= 8 {
				b.to[binary.BigEndian.Uint64(k)]++
			}
		}
	}
	c.outbox = int64(tx.Bucket(bucketOutboxQueue).Stats().KeyN)
	return c
}

// deleteKey deletes key from b if it is there, and reports whether it was,
// for the counts. (A queue key's value is empty, which Get does not tell
// from an absent key.) It seeks once, as Bucket.Delete does.
func deleteKey(b *bolt.Bucket, key []byte) (bool, error) {
	c := b.Cursor()
	if k, _ := c.Seek(key); !bytes.Equal(k, key) {
		return false, nil
	}
	return true, c.Delete()
}

// putKey puts key with an empty value into b and reports whether it is new.
func putKey(b *bolt.Bucket, key []byte) (bool, error) {
	if k, _ := b.Cursor().Seek(key); bytes.Equal(k, key) {
		return false, nil
	}
	return true, b.Put(key, nil)
}
