package registry

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

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
			var iv InstanceView
			if err := json.Unmarshal(v, &iv.Instance); err != nil {
				return err
			}
			for _, num := range iv.Numbers {
				var n Number
				if err := getJSON(nb, []byte(num), &n); err != nil {
					return fmt.Errorf("number %s of instance %d: %w", num, iv.ID, err)
				}
				if n.Role == RoleActive {
					iv.Active = n.Number
				}
				iv.NumberViews = append(iv.NumberViews, n)
			}
			out = append(out, iv)
		}
		return nil
	})
	return out, next, err
}
