package registry

import (
	"bytes"
	"errors"
	"os"

	bolt "go.etcd.io/bbolt"
)

// FailCommits makes every write transaction fail with err when it would
// commit, and roll back, as a commit on a full disk does; nil ends it.
func (s *Store) FailCommits(err error) {
	if err == nil {
		s.db.commitFault.Store(nil)
		return
	}
	s.db.commitFault.Store(&err)
}

// FailSpools makes SpoolMedia's write fail with err, as a write on a full
// disk does; nil ends it.
func (s *Store) FailSpools(err error) {
	if err == nil {
		s.spoolFault.Store(nil)
		return
	}
	s.spoolFault.Store(&err)
}

// NoLinks makes Snapshot hold files open, as on a file system without hard
// links, until the test ends.
func NoLinks(t interface{ Cleanup(func()) }) {
	linkFile = func(string, string) error { return errors.ErrUnsupported }
	t.Cleanup(func() { linkFile = os.Link })
}

// IndexedDeliveries counts the account's entries in the deliveries index.
func (s *Store) IndexedDeliveries(clientID string) (n int) {
	s.db.View(func(tx *bolt.Tx) error {
		prefix := append([]byte(clientID), 0)
		c := tx.Bucket(bucketAccountDeliveries).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			n++
		}
		return nil
	})
	return n
}
