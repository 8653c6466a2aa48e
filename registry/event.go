package registry

import (
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Event is an operator-visible happening: a ban, a rotation, a login.
type Event struct {
	ID       uint64    `json:"id"`
	At       time.Time `json:"at"`
	Kind     string    `json:"kind"`
	Instance uint64    `json:"instance"`
	Number   string    `json:"number,omitempty"`
	Detail   string    `json:"detail,omitempty"`
}

// AddEvent records an event, group-committed with other writers.
func (s *Store) AddEvent(e Event) error {
	return s.batch(func(tx *bolt.Tx) error { return addEvent(tx, s.now(), e) })
}

func addEvent(tx *bolt.Tx, now time.Time, e Event) error {
	b := tx.Bucket(bucketEvents)
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	e.ID, e.At = id, now.UTC()
	return putJSON(b, u64(id), e)
}

// Events returns the newest events, newest first, at most limit.
func (s *Store) Events(limit int) ([]Event, error) {
	var out []Event
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			var e Event
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}
