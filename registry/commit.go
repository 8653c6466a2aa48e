package registry

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// maxGroup bounds how many calls share one transaction, so one commit's
// pages stay a bounded write.
const maxGroup = 2000

// errClosed answers calls made after Close.
var errClosed = errors.New("registry is closed")

// committer is the registry's group commit. Concurrent writers (accepts,
// greetings, the dispatcher's outcomes and receipts) hand it their
// transaction functions; one goroutine runs everything that is waiting in a
// single bbolt transaction, so they share its page writes and fsyncs, and
// whatever arrives meanwhile goes into the next one as soon as it is done.
//
// Unlike bbolt's own DB.Batch it has no delay to tune: a lone caller
// commits at once, and under load a transaction takes everything that
// queued up during the one before. DB.Batch closes a batch when its timer
// fires, even while the previous batch still holds the write lock, so
// under load it commits several small batches one after another; measured
// with cmd/higate-bench (docs/BENCHMARKS.md) this gave more accepts/s at a
// lower latency than DB.Batch with its best delay.
type committer struct {
	db   *boltDB
	m    *Metrics // nil: not measured
	mu   sync.Mutex
	wait []call // guarded by mu
	shut bool   // guarded by mu
	wake chan struct{}
	done chan struct{}
}

type call struct {
	fn  func(*bolt.Tx) error
	err chan error
}

func newCommitter(db *boltDB, m *Metrics) *committer {
	c := &committer{db: db, m: m, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go c.loop()
	return c
}

// run runs fn in a group transaction and returns when that has committed.
// fn may run more than once (when another function of its group fails, the
// group is run again without it), so it must only touch the tx and assign
// its results afresh each run. An error from fn rolls back only fn.
func (c *committer) run(fn func(*bolt.Tx) error) error {
	ch := make(chan error, 1)
	c.mu.Lock()
	if c.shut {
		c.mu.Unlock()
		return errClosed
	}
	c.wait = append(c.wait, call{fn: fn, err: ch})
	select { // under mu: close may not close wake in between
	case c.wake <- struct{}{}:
	default:
	}
	c.mu.Unlock()
	return <-ch
}

// close commits what is waiting and stops the loop.
func (c *committer) close() {
	c.mu.Lock()
	if !c.shut {
		c.shut = true
		close(c.wake)
	}
	c.mu.Unlock()
	<-c.done
}

func (c *committer) loop() {
	defer close(c.done)
	for range c.wake {
		for {
			c.mu.Lock()
			n := min(len(c.wait), maxGroup)
			group := c.wait[:n:n]
			c.wait = c.wait[n:]
			c.mu.Unlock()
			if n == 0 {
				break
			}
			c.commit(group)
		}
	}
}

// commit runs a group in one transaction. A function that fails is taken
// out and gets its error after running alone; the rest run again.
func (c *committer) commit(group []call) {
	for len(group) > 0 {
		failed := -1
		start := time.Now()
		err := c.db.Update(func(tx *bolt.Tx) error {
			for i, cl := range group {
				if err := safely(cl.fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		c.m.observeCommit(len(group), start)
		if failed < 0 {
			for _, cl := range group {
				cl.err <- err // nil, or the commit's own error
			}
			return
		}
		cl := group[failed]
		group = append(group[:failed:failed], group[failed+1:]...)
		start = time.Now()
		err = c.db.Update(func(tx *bolt.Tx) error { return safely(cl.fn, tx) })
		c.m.observeCommit(1, start)
		cl.err <- err
	}
}

// safely turns a panic in fn into an error, so one bad call cannot take the
// committer (and every caller waiting on it) down.
func safely(fn func(*bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in registry transaction: %v", p)
		}
	}()
	return fn(tx)
}

// boltDB is the registry's database. Its Update is bbolt's, except that a
// commit that fails for lack of disk space returns the 503 of diskFull,
// which every write of the registry (the group commit's and the direct
// ones) goes through this way.
type boltDB struct {
	*bolt.DB
	full *diskFull
	// counts are the running totals of queues and outbox (counts.go);
	// nil until Open has counted what is on disk.
	counts *counts
	// pending is the tally of the write transaction under way: only the
	// holder of bbolt's write lock touches it.
	pending *tally
	// commitFault, when set, makes every Update fail with it after its
	// function ran, rolling back as a failed commit does (export_test.go).
	commitFault atomic.Pointer[error]
}

// Update runs fn in a read-write transaction and commits it. What fn
// notes in the transaction's tally (db.pending) is added to the counts
// once, if the transaction commits.
func (db *boltDB) Update(fn func(*bolt.Tx) error) error {
	t := newTally()
	err := db.DB.Update(func(tx *bolt.Tx) error {
		db.pending = t
		defer func() { db.pending = nil }() // still under the write lock
		if err := fn(tx); err != nil {
			return err
		}
		if f := db.commitFault.Load(); f != nil {
			return *f
		}
		return nil
	})
	if err == nil && db.counts != nil {
		db.counts.apply(t)
	}
	t.release()
	return db.full.check("commit", err)
}
