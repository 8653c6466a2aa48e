package registry

import (
	"bytes"
	"encoding/binary"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Per-minute counts for the operator console's charts: how many sends were
// accepted, sent, delivered and failed in each minute, and how deep the
// queues were. The writes that count (Accept, Finish, MarkReceipts and the
// job endings of Claim and Expire) add to their minute inside their own
// transaction, so a count is on disk exactly when what it counts is; a
// group commit that runs a function twice rolls the first count back with
// the rest. A sampler (SampleQueueDepth, once a minute) records the depth.

// Minute is what happened in one minute.
type Minute struct {
	At        time.Time // the minute's start, UTC
	Accepted  int       // API sends accepted
	Sent      int       // messages handed to WhatsApp
	Delivered int       // jobs that reached delivered (or read, with no delivered receipt before)
	Failed    int       // jobs that failed or expired
	Depth     int       // jobs waiting to be sent, parked ones included, when sampled
	Sampled   bool      // Depth was sampled in this minute
}

// StatsRetention is how long per-minute counts are kept (Prune deletes
// older ones): the charts show the last 24 hours.
const StatsRetention = 48 * time.Hour

// minuteKey is the stats key of the minute holding t: u64 Unix minutes.
func minuteKey(t time.Time) []byte { return u64(uint64(t.Unix() / 60)) }

// encode stores a minute as five uvarints: accepted, sent, delivered,
// failed and depth+1 (0 when not sampled). Most minutes are a few bytes.
func (m Minute) encode() []byte {
	depth := uint64(0)
	if m.Sampled {
		depth = uint64(m.Depth) + 1
	}
	b := make([]byte, 0, 5*binary.MaxVarintLen32)
	b = binary.AppendUvarint(b, uint64(m.Accepted))
	b = binary.AppendUvarint(b, uint64(m.Sent))
	b = binary.AppendUvarint(b, uint64(m.Delivered))
	b = binary.AppendUvarint(b, uint64(m.Failed))
	return binary.AppendUvarint(b, depth)
}

var errBadMinute = errors.New("registry: malformed stats record")

func decodeMinute(key, v []byte) (Minute, error) {
	var f [5]uint64
	for i := range f {
		x, n := binary.Uvarint(v)
		if n <= 0 {
			return Minute{}, errBadMinute
		}
		f[i], v = x, v[n:]
	}
	m := Minute{At: time.Unix(int64(binary.BigEndian.Uint64(key))*60, 0).UTC(),
		Accepted: int(f[0]), Sent: int(f[1]), Delivered: int(f[2]), Failed: int(f[3])}
	if f[4] > 0 {
		m.Depth, m.Sampled = int(f[4]-1), true
	}
	return m, nil
}

// addStats adds d's counts to the minute holding now, in tx. The caller's
// transaction is the one that makes what it counts happen.
func addStats(tx *bolt.Tx, now time.Time, d Minute) error {
	b := tx.Bucket(bucketStats)
	k := minuteKey(now)
	var m Minute
	if v := b.Get(k); v != nil {
		var err error
		if m, err = decodeMinute(k, v); err != nil {
			return err
		}
	}
	m.Accepted += d.Accepted
	m.Sent += d.Sent
	m.Delivered += d.Delivered
	m.Failed += d.Failed
	if d.Sampled {
		m.Depth, m.Sampled = d.Depth, true
	}
	return b.Put(k, m.encode())
}

// Stats returns the recorded minutes from from to to (both included),
// oldest first. Minutes in which nothing was counted or sampled are not
// there: the caller fills them in as zero.
func (s *Store) Stats(from, to time.Time) ([]Minute, error) {
	var out []Minute
	end := minuteKey(to)
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketStats).Cursor()
		for k, v := c.Seek(minuteKey(from)); k != nil && bytes.Compare(k, end) <= 0; k, v = c.Next() {
			m, err := decodeMinute(k, v)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

// QueueDepths counts every instance's jobs not yet sent, parked ones
// included, in one pass over the queue: what QueueDepth counts, for all
// instances at once. It reads only waiting jobs, never finished ones.
func (s *Store) QueueDepths() (map[uint64]int, error) {
	out := map[uint64]int{}
	err := s.db.View(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketQueue, bucketParked} {
			c := tx.Bucket(b).Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				if len(k) >= 8 {
					out[binary.BigEndian.Uint64(k)]++
				}
			}
		}
		return nil
	})
	return out, err
}

// SampleQueueDepth records the total queue depth (QueueDepths, summed) in
// the current minute, for the queue-depth chart, and returns the depths.
// The gateway's janitor calls it once a minute.
func (s *Store) SampleQueueDepth() (map[uint64]int, error) {
	depths, err := s.QueueDepths()
	if err != nil {
		return nil, err
	}
	total := 0
	for _, n := range depths {
		total += n
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		return addStats(tx, s.now().UTC(), Minute{Depth: total, Sampled: true})
	})
	return depths, err
}

// pruneStats deletes the minutes older than StatsRetention. The oldest
// minutes come first, so it reads only what it deletes.
func (s *Store) pruneStats() error {
	cutoff := minuteKey(s.now().UTC().Add(-StatsRetention))
	var keys [][]byte
	_ = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketStats).Cursor()
		for k, _ := c.First(); k != nil && bytes.Compare(k, cutoff) < 0 && len(keys) < pruneChunk; k, _ = c.Next() {
			keys = append(keys, bytes.Clone(k))
		}
		return nil
	})
	if len(keys) == 0 {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketStats)
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}
