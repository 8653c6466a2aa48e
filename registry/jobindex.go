package registry

import (
	"bytes"
	"encoding/binary"
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

func accountJobKey(clientID string, id uint64) []byte {
	k := make([]byte, 0, len(clientID)+9)
	k = append(append(k, clientID...), 0)
	return binary.BigEndian.AppendUint64(k, id)
}

// indexJob adds a new job to its account's index, in the transaction that
// writes the job.
func indexJob(tx *bolt.Tx, j Job) error {
	if j.Account == "" {
		return nil
	}
	return tx.Bucket(bucketAccountJobs).Put(accountJobKey(j.Account, j.ID),
		binary.BigEndian.AppendUint64(nil, uint64(j.CreatedAt.UnixNano())))
}

// unindexJob removes a job from its account's index (Prune).
func unindexJob(tx *bolt.Tx, j Job) error {
	if j.Account == "" {
		return nil
	}
	return tx.Bucket(bucketAccountJobs).Delete(accountJobKey(j.Account, j.ID))
}

// indexAccountJobs creates the index, and fills it from the jobs when the
// registry was written before it existed (Open calls it).
func indexAccountJobs(tx *bolt.Tx) error {
	if tx.Bucket(bucketAccountJobs) != nil {
		return nil
	}
	if _, err := tx.CreateBucket(bucketAccountJobs); err != nil {
		return err
	}
	return tx.Bucket(bucketJobs).ForEach(func(_, v []byte) error {
		var j Job
		if err := decodeJob(v, &j); err != nil {
			return err
		}
		return indexJob(tx, j)
	})
}

// JobsOf returns the account's jobs that match f, newest first, and the
// cursor of the next page (f.Before for the next call): the ID of the last
// job this call looked at, or 0 when there are no more. It reads only the
// account's own entries of the index, never another account's jobs. One
// call reads at most a bounded number of entries, so a page may hold fewer
// than f.Limit jobs, or none, with a cursor that is not 0: following it
// goes on where the call stopped. Since relies on job IDs growing with
// their creation time, which the registry's one writer ensures.
func (s *Store) JobsOf(clientID string, f JobFilter) ([]Job, uint64, error) {
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = DefaultJobsLimit
	case limit > MaxJobsLimit:
		limit = MaxJobsLimit
	}
	var since, until int64
	if !f.Since.IsZero() {
		since = f.Since.UnixNano()
	}
	if !f.Until.IsZero() {
		until = f.Until.UnixNano()
	}
	prefix := append([]byte(clientID), 0)
	var out []Job
	var next uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		jb := tx.Bucket(bucketJobs)
		c := tx.Bucket(bucketAccountJobs).Cursor()
		// Seek lands on the first key at or after the bound (or nowhere),
		// so the newest job under it is one step back.
		bound := append(bytes.Clone(prefix), 0xff) // after every key of the account
		if f.Before != 0 {
			bound = accountJobKey(clientID, f.Before)
		}
		k, v := c.Seek(bound)
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		scanned, last := 0, uint64(0)
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, v = c.Prev() {
			if len(out) == limit || scanned == jobsScanBudget {
				next = last // there is more, older than the last one looked at
				return nil
			}
			scanned, last = scanned+1, binary.BigEndian.Uint64(k[len(prefix):])
			created := int64(binary.BigEndian.Uint64(v))
			if until != 0 && created >= until {
				continue
			}
			if since != 0 && created < since {
				return nil // every job from here on is older still
			}
			var j Job
			if err := getJob(jb, k[len(prefix):], &j); err != nil {
				if err == ErrNotFound {
					continue
				}
				return err
			}
			if f.State != "" && j.State != f.State {
				continue
			}
			if f.Number != "" && j.To != f.Number && (j.To != "" || j.GroupAdmin != f.Number) {
				continue
			}
			out = append(out, j)
		}
		return nil
	})
	return out, next, err
}
