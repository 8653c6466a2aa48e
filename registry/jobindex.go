package registry

import (
	"bytes"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketAccountJobs indexes each account's jobs: client ID \x00 u64 job ->
// u64 created-at (Unix nanoseconds). The developer portal's job list (and
// the job list of the API) reads one account's jobs newest first without
// touching anyone else's; created-at in the value lets a time filter skip
// jobs without decoding them. System replies (no account) are not in it.
var bucketAccountJobs = []byte("account_jobs")

// Bounds of one JobsOf call.
const (
	// DefaultJobsLimit is the page size when a filter asks for none.
	DefaultJobsLimit = 50
	// MaxJobsLimit is the largest page JobsOf returns.
	MaxJobsLimit = 500
	// jobsScanBudget is how many index entries one JobsOf call reads at
	// most. A status filter that matches few of an account's jobs would
	// otherwise read all of them for one page; with the budget a call
	// stays bounded and returns a cursor to go on from.
	jobsScanBudget = 10_000
)

// JobFilter selects an account's jobs for JobsOf. The zero value is the
// newest DefaultJobsLimit jobs in any state.
type JobFilter struct {
	// State keeps only jobs in this state; "" keeps every state. Jobs
	// being sent are queued on disk (the gateway knows which are in hand).
	State JobState
	// Number keeps only jobs to this recipient (E.164) or, for group
	// messages, whose group admin it is; "" keeps every job.
	Number string
	// Since and Until keep jobs created at or after Since and before
	// Until; a zero time is no bound.
	Since, Until time.Time
	// Limit is the most jobs to return: DefaultJobsLimit when 0, at most
	// MaxJobsLimit.
	Limit int
	// Before is the cursor of a previous call (its next): only jobs with a
	// smaller ID, that is older ones. 0 starts at the newest job.
	Before uint64
}

// Accepts do not write the index: with many accounts sending, each new
// entry lands on its account's own page of the index, so every accept
// dirtied (and the commit rewrote) one more page, which cost 40% of the
// registry's accepts/s with 100 accounts (BenchmarkAccept). The index is
// instead brought up to date in the background (runIndexer) a few
// thousand jobs at a time, when each page it touches takes many entries
// at once. The watermark in meta says how far it is: every job with an ID
// up to it is in the index (or has been pruned). JobsOf reads the jobs
// after it, the tail, from the end of the jobs bucket.
var metaIndexedThrough = []byte("account_jobs_through")

const (
	// indexEvery is how often the indexer looks for new jobs, and
	// indexBatch how many new jobs wake it before then: together they keep
	// the tail that JobsOf reads short.
	indexEvery = 250 * time.Millisecond
	indexBatch = 2048
	// indexChunk bounds one catch-up transaction; a longer tail takes
	// several.
	indexChunk = 20_000
)

// indexer brings the account job index up to date (runIndexer).
type indexer struct {
	fresh atomic.Int64 // jobs inserted since the last catch-up (about: a re-run group counts twice)
	wake  chan struct{}
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once // stops it once
}

// noteJob tells the indexer about a new job (insertJob).
func (s *Store) noteJob() {
	if s.index.fresh.Add(1) == indexBatch {
		select {
		case s.index.wake <- struct{}{}:
		default:
		}
	}
}

// runIndexer indexes new jobs every indexEvery, or sooner when indexBatch
// of them are waiting, until stopIndexer.
func (s *Store) runIndexer() {
	defer close(s.index.done)
	t := time.NewTicker(indexEvery)
	defer t.Stop()
	var logged time.Time // the last error logged
	for {
		select {
		case <-s.index.stop:
			return
		case <-t.C:
		case <-s.index.wake:
		}
		if s.index.fresh.Swap(0) == 0 {
			continue
		}
		more, err := s.catchUpIndex()
		switch {
		case err != nil:
			// JobsOf still finds the jobs in the tail; try again at the
			// next tick, and say so once a minute at most (a full disk
			// fails every try).
			if time.Since(logged) >= time.Minute {
				s.log.Error("index account jobs", "err", err)
				logged = time.Now()
			}
			s.index.fresh.Add(1)
		case more: // go on at once
			s.index.fresh.Add(1)
			select {
			case s.index.wake <- struct{}{}:
			default:
			}
		}
	}
}

func (s *Store) stopIndexer() {
	if s.index.stop == nil {
		return // Open failed before starting it
	}
	s.index.once.Do(func() {
		close(s.index.stop)
		<-s.index.done
	})
}

// catchUpIndex indexes up to indexChunk jobs after the watermark and moves
// it; more reports that there are jobs after those.
func (s *Store) catchUpIndex() (more bool, err error) {
	err = s.batch(func(tx *bolt.Tx) error {
		more = false
		ib := tx.Bucket(bucketAccountJobs)
		through := indexedThrough(tx)
		c := tx.Bucket(bucketJobs).Cursor()
		n := 0
		for k, v := c.Seek(u64(through + 1)); k != nil; k, v = c.Next() {
			if n == indexChunk {
				more = true
				break
			}
			if err := indexJobRecord(ib, k, v); err != nil {
				return err
			}
			through, n = binary.BigEndian.Uint64(k), n+1
		}
		if n == 0 {
			return nil
		}
		return setIndexedThrough(tx, through)
	})
	return more, err
}

// indexedThrough is the index's watermark: every job with an ID up to it
// is in the index.
func indexedThrough(tx *bolt.Tx) uint64 {
	if v := tx.Bucket(bucketMeta).Get(metaIndexedThrough); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func setIndexedThrough(tx *bolt.Tx, id uint64) error {
	return tx.Bucket(bucketMeta).Put(metaIndexedThrough, u64(id))
}

// indexJobRecord adds the job stored at key to its account's index;
// system replies (no account) are not in it.
func indexJobRecord(ib *bolt.Bucket, key, v []byte) error {
	account, created, ok := jobIndexFields(v)
	if !ok {
		var j Job
		if err := decodeJob(v, &j); err != nil {
			return err
		}
		account, created = []byte(j.Account), j.CreatedAt
	}
	if len(account) == 0 {
		return nil
	}
	return ib.Put(accountKey(string(account), binary.BigEndian.Uint64(key)),
		binary.BigEndian.AppendUint64(nil, uint64(created.UnixNano())))
}

// unindexJob removes a job from its account's index (Prune).
func unindexJob(tx *bolt.Tx, j Job) error {
	if j.Account == "" {
		return nil
	}
	return tx.Bucket(bucketAccountJobs).Delete(accountKey(j.Account, j.ID))
}

// indexAccountJobs creates the index and fills it from the jobs when the
// registry was written before it existed, and sets the watermark of one
// written before the index was kept in the background (its accepts wrote
// the index, so it holds every job). Open calls it.
func indexAccountJobs(tx *bolt.Tx) error {
	last := uint64(0)
	if k, _ := tx.Bucket(bucketJobs).Cursor().Last(); k != nil {
		last = binary.BigEndian.Uint64(k)
	}
	if tx.Bucket(bucketAccountJobs) != nil {
		if tx.Bucket(bucketMeta).Get(metaIndexedThrough) == nil {
			return setIndexedThrough(tx, last)
		}
		return nil
	}
	ib, err := tx.CreateBucket(bucketAccountJobs)
	if err != nil {
		return err
	}
	err = tx.Bucket(bucketJobs).ForEach(func(k, v []byte) error { return indexJobRecord(ib, k, v) })
	if err != nil {
		return err
	}
	return setIndexedThrough(tx, last)
}

// JobsOf returns the account's jobs that match f, newest first, and the
// cursor of the next page (f.Before for the next call): the ID of the last
// job this call looked at, or 0 when there are no more. It reads the jobs
// the index has not taken in yet (a few thousand at most, see
// runIndexer), then the account's own entries of the index, never another
// account's older jobs. One call reads at most a bounded number of
// entries, so a page may hold fewer than f.Limit jobs, or none, with a
// cursor that is not 0: following it goes on where the call stopped. Since
// relies on job IDs growing with their creation time, which the
// registry's one writer ensures.
func (s *Store) JobsOf(clientID string, f JobFilter) ([]Job, uint64, error) {
	p := jobPage{account: clientID, f: f, limit: f.Limit}
	switch {
	case p.limit <= 0:
		p.limit = DefaultJobsLimit
	case p.limit > MaxJobsLimit:
		p.limit = MaxJobsLimit
	}
	if !f.Since.IsZero() {
		p.since = f.Since.UnixNano()
	}
	if !f.Until.IsZero() {
		p.until = f.Until.UnixNano()
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		through := indexedThrough(tx)
		if done, err := p.tail(tx, through); done || err != nil {
			return err
		}
		return p.indexed(tx, through)
	})
	return p.out, p.next, err
}

// jobPage is one JobsOf call under way.
type jobPage struct {
	account      string
	f            JobFilter
	limit        int
	since, until int64 // Unix nanoseconds; 0 is no bound
	out          []Job
	next         uint64 // the cursor to return
	scanned      int
	last         uint64 // the last job looked at
}

// full reports whether the page is done short of the end: it holds limit
// jobs, or the scan budget is spent. The next page goes on from the last
// job looked at.
func (p *jobPage) full() bool {
	if len(p.out) == p.limit || p.scanned == jobsScanBudget {
		p.next = p.last
		return true
	}
	return false
}

// tail reads the jobs newer than the watermark, newest first, from the
// jobs bucket; done when the page needs nothing older.
func (p *jobPage) tail(tx *bolt.Tx, through uint64) (done bool, err error) {
	if p.f.Before != 0 && p.f.Before <= through+1 {
		return false, nil // the page starts in the index
	}
	c := tx.Bucket(bucketJobs).Cursor()
	var k, v []byte
	if p.f.Before != 0 {
		k, v = lastBefore(c, u64(p.f.Before))
	} else {
		k, v = c.Last()
	}
	for ; k != nil && binary.BigEndian.Uint64(k) > through; k, v = c.Prev() {
		if p.full() {
			return true, nil
		}
		p.scanned, p.last = p.scanned+1, binary.BigEndian.Uint64(k)
		if a, ok := jobAccountOf(v); ok && string(a) != p.account {
			continue // another account's: not decoded
		}
		var j Job
		if err := decodeJob(v, &j); err != nil {
			return true, err
		}
		if j.Account != p.account {
			continue
		}
		if stop, err := p.consider(j.CreatedAt.UnixNano(), func() (Job, error) { return j, nil }); stop || err != nil {
			return true, err
		}
	}
	return false, nil
}

// indexed reads the account's entries of the index up to the watermark,
// newest first.
func (p *jobPage) indexed(tx *bolt.Tx, through uint64) error {
	jb := tx.Bucket(bucketJobs)
	c := tx.Bucket(bucketAccountJobs).Cursor()
	prefix := append([]byte(p.account), 0)
	bound := through + 1
	if p.f.Before != 0 {
		bound = min(bound, p.f.Before)
	}
	k, v := lastBefore(c, accountKey(p.account, bound))
	for ; k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, v = c.Prev() {
		if p.full() {
			return nil
		}
		id := k[len(prefix):]
		p.scanned, p.last = p.scanned+1, binary.BigEndian.Uint64(id)
		load := func() (Job, error) {
			var j Job
			return j, getJob(jb, id, &j)
		}
		if stop, err := p.consider(int64(binary.BigEndian.Uint64(v)), load); stop || err != nil {
			return err
		}
	}
	return nil
}

// consider adds the account's job created at created to the page if it
// matches the filter; load reads it (only when the times match). stop
// means no older job can match.
func (p *jobPage) consider(created int64, load func() (Job, error)) (stop bool, err error) {
	if p.until != 0 && created >= p.until {
		return false, nil
	}
	if p.since != 0 && created < p.since {
		return true, nil // every job from here on is older still
	}
	j, err := load()
	if err == ErrNotFound {
		return false, nil // pruned since it was indexed
	}
	if err != nil {
		return true, err
	}
	if p.f.State != "" && j.State != p.f.State {
		return false, nil
	}
	if p.f.Number != "" && j.To != p.f.Number && (j.To != "" || j.GroupAdmin != p.f.Number) {
		return false, nil
	}
	p.out = append(p.out, j)
	return false, nil
}
