package registry

import (
	"encoding/binary"
	"encoding/json"

	bolt "go.etcd.io/bbolt"
)

// EventQuery selects operator events, newest first, for the console's
// events page.
type EventQuery struct {
	Before uint64           // only events with a smaller ID (EventPage.Next); 0 starts at the newest
	Limit  int              // at most this many; default 50
	Match  func(Event) bool // nil matches every event
	// MaxScan bounds how many events one call reads, matching or not
	// (default 5,000), so a filter that matches nothing costs a bounded
	// read, not a walk through 30 days of events; the page then offers to
	// look further back from where it stopped.
	MaxScan int
}

// EventPage is one page of events, newest first.
type EventPage struct {
	Events []Event
	Next   uint64 // Before for the next page; 0 when no older events are left
	// Scanned is how many events were read; when it reached MaxScan before
	// the page was full, older events may still match.
	Scanned int
}

// FindEvents returns a page of the events q selects.
func (s *Store) FindEvents(q EventQuery) (EventPage, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	if q.MaxScan <= 0 {
		q.MaxScan = 5000
	}
	var page EventPage
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		var k, v []byte
		if q.Before != 0 {
			k, v = lastBefore(c, u64(q.Before))
		} else {
			k, v = c.Last()
		}
		for ; k != nil; k, v = c.Prev() {
			if len(page.Events) == q.Limit || page.Scanned == q.MaxScan {
				page.Next = binary.BigEndian.Uint64(k) + 1
				return nil
			}
			page.Scanned++
			var e Event
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			if q.Match == nil || q.Match(e) {
				page.Events = append(page.Events, e)
			}
		}
		return nil
	})
	return page, err
}
