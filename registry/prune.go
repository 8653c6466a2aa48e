package registry

import (
	"bytes"
	"encoding/json"

	bolt "go.etcd.io/bbolt"
)

// pruneChunk bounds how many records of one kind a Prune call deletes, so
// the write lock it takes stays short; the janitor calls it again a minute
// later for the rest.
const pruneChunk = 5000

// Pruned counts what Prune deleted.
type Pruned struct {
	Jobs, Deliveries, Events int
	Media                    int // inbound media files (inmedia.go)
}

// Prune deletes what is older than the registry's retention (Options):
// finished jobs (with their idempotency key), webhook deliveries that are
// delivered, given up or held (kept while the webhook was off), and
// operator events, and inbound media files (they arrived with deliveries
// the same age). Without it the registry, and
// with it the memory its file maps, would grow for as long as the gateway
// runs. Jobs still queued and deliveries still pending are kept, however
// old. The oldest records are first in each bucket (keys are sequence
// numbers), so the scan stops at the first one inside the retention.
func (s *Store) Prune() (Pruned, error) {
	if err := s.pruneSessions(); err != nil {
		return Pruned{}, err
	}
	if err := s.pruneStats(); err != nil {
		return Pruned{}, err
	}
	cutoff := s.now().UTC().Add(-s.retention)
	var jobs, deliveries, events, media [][]byte
	err := s.db.View(func(tx *bolt.Tx) error {
		jobs = oldKeys(tx.Bucket(bucketJobs), func(v []byte) (old, drop bool) {
			var j Job
			if decodeJob(v, &j) != nil {
				return false, false
			}
			return j.CreatedAt.Before(cutoff), j.Final() && j.UpdatedAt.Before(cutoff)
		})
		deliveries = oldKeys(tx.Bucket(bucketOutbox), func(v []byte) (old, drop bool) {
			var d Delivery
			if json.Unmarshal(v, &d) != nil {
				return false, false
			}
			return d.CreatedAt.Before(cutoff), d.State != DeliveryPending
		})
		events = oldKeys(tx.Bucket(bucketEvents), func(v []byte) (old, drop bool) {
			var e Event
			if json.Unmarshal(v, &e) != nil {
				return false, false
			}
			return e.At.Before(cutoff), true
		})
		media = pruneInboundMedia(tx, cutoff)
		return nil
	})
	if err != nil || len(jobs)+len(deliveries)+len(events)+len(media) == 0 {
		return Pruned{}, err
	}
	// Inbound media files go before their records: a crash in between
	// leaves records without files (answered 404, deleted by the next
	// Prune), never files that no record names.
	s.removeInboundFiles(media)
	err = s.db.Update(func(tx *bolt.Tx) error {
		for _, k := range jobs {
			if err := deleteJob(tx, k); err != nil {
				return err
			}
		}
		for _, k := range deliveries {
			if err := deleteDelivery(tx, k); err != nil {
				return err
			}
		}
		for _, bk := range []struct {
			bucket []byte
			keys   [][]byte
		}{{bucketEvents, events}, {bucketInMedia, media}} {
			b := tx.Bucket(bk.bucket)
			for _, k := range bk.keys {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return Pruned{}, err
	}
	return Pruned{Jobs: len(jobs), Deliveries: len(deliveries), Events: len(events), Media: len(media)}, nil
}

// oldKeys walks a bucket of sequence-numbered records from the oldest and
// returns the keys of up to pruneChunk records that judge says to drop. It
// stops at the first record that is not old.
func oldKeys(b *bolt.Bucket, judge func(v []byte) (old, drop bool)) [][]byte {
	var out [][]byte
	c := b.Cursor()
	for k, v := c.First(); k != nil && len(out) < pruneChunk; k, v = c.Next() {
		old, drop := judge(v)
		if !old {
			break
		}
		if drop {
			out = append(out, bytes.Clone(k))
		}
	}
	return out
}

// deleteJob deletes a job with what points at it: its idempotency key, its
// entry in the account's job index and an entry in the msgids index of
// earlier versions. A finished job has no
// queue key or media reference left.
func deleteJob(tx *bolt.Tx, key []byte) error {
	jb := tx.Bucket(bucketJobs)
	var j Job
	if err := getJob(jb, key, &j); err != nil {
		return nil // gone already
	}
	if j.IdempotencyKey != "" {
		ib, ik := tx.Bucket(bucketIdempotency), pairKey(j.Account, j.IdempotencyKey)
		if v := ib.Get(ik); v != nil && bytes.Equal(idempotencyJob(v), key) {
			if err := ib.Delete(ik); err != nil {
				return err
			}
		}
	}
	if err := unindexJob(tx, j); err != nil {
		return err
	}
	mb := tx.Bucket(bucketMessageIDs)
	if bytes.Equal(mb.Get([]byte(j.MessageID)), key) {
		if err := mb.Delete([]byte(j.MessageID)); err != nil {
			return err
		}
	}
	return jb.Delete(key)
}
