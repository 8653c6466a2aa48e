package registry

import (
	"bytes"
	"encoding/binary"

	bolt "go.etcd.io/bbolt"
)

// Parked jobs. After a failover or rotation, a queued job whose recipient
// has not greeted the instance's new gateway number cannot be sent (DESIGN:
// never cold). Claim takes such a job out of the queue and parks it under
// its recipient, so later claims do not scan it again and again, and the
// recipient's greeting puts it straight back (unparkRecipient, in the
// greeting's transaction). A change of the active number puts every parked
// job of the instance back, for Claim to judge against the new number.
// Parked jobs still count in QueueDepth, and Expire ends them in time.

// parkedKey is u64 instance, recipient, 0, u64 job.
func parkedKey(j Job) []byte {
	k := append(parkedPrefix(j.Instance, j.To), 0, 0, 0, 0, 0, 0, 0, 0)
	binary.BigEndian.PutUint64(k[len(k)-8:], j.ID)
	return k
}

// parkedPrefix is the prefix of a recipient's parked jobs, or with no
// recipient of all of an instance's.
func parkedPrefix(instance uint64, recipient string) []byte {
	k := u64(instance)
	if recipient != "" {
		k = append(append(k, recipient...), 0)
	}
	return k
}

// park moves a job from the queue to the parked jobs, marked as waiting.
func (s *Store) park(tx *bolt.Tx, j Job) error {
	if err := putJob(tx.Bucket(bucketJobs), u64(j.ID), j); err != nil {
		return err
	}
	if err := tx.Bucket(bucketQueue).Delete(queueKey(j)); err != nil {
		return err
	}
	s.db.pending.queue(j.Instance, -1, 1) // Claim found it in the queue, and a queued job is not parked
	return tx.Bucket(bucketParked).Put(parkedKey(j), nil)
}

// unpark puts the parked jobs under prefix back in the queue, no longer
// waiting.
func (s *Store) unpark(tx *bolt.Tx, prefix []byte) error {
	pb, jb, qb := tx.Bucket(bucketParked), tx.Bucket(bucketJobs), tx.Bucket(bucketQueue)
	var keys [][]byte
	c := pb.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		if err := pb.Delete(k); err != nil {
			return err
		}
		var j Job
		if err := getJob(jb, k[len(k)-8:], &j); err != nil {
			return err
		}
		j.Waiting = ""
		if err := putJob(jb, u64(j.ID), j); err != nil {
			return err
		}
		if err := qb.Put(queueKey(j), nil); err != nil {
			return err
		}
		s.db.pending.queue(j.Instance, 1, -1)
	}
	return nil
}

// unparkRecipient puts a recipient's parked jobs back, on their greeting.
func (s *Store) unparkRecipient(tx *bolt.Tx, instance uint64, recipient string) error {
	return s.unpark(tx, parkedPrefix(instance, recipient))
}

// unparkAll puts all of an instance's parked jobs back, when its active
// number changes.
func (s *Store) unparkAll(tx *bolt.Tx, instance uint64) error {
	return s.unpark(tx, parkedPrefix(instance, ""))
}
