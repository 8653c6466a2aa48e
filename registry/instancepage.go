package registry

import (
	"encoding/binary"

	bolt "go.etcd.io/bbolt"
)

// InstancesFrom lists up to limit instances whose IDs are from on, in ID
// order, each with its numbers, and the ID the next page starts from (0
// when there is none): the operator console shows instances a page at a
// time, since every Enterprise account has one of its own.
func (s *Store) InstancesFrom(from uint64, limit int) ([]InstanceView, uint64, error) {
	var out []InstanceView
	var next uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		nb := tx.Bucket(bucketNumbers)
		c := tx.Bucket(bucketInstances).Cursor()
		for k, v := c.Seek(u64(from)); k != nil; k, v = c.Next() {
			if len(out) == limit {
				next = binary.BigEndian.Uint64(k)
				return nil
			}
			iv, err := viewInstance(nb, v)
			if err != nil {
				return err
			}
			out = append(out, iv)
		}
		return nil
	})
	return out, next, err
}
