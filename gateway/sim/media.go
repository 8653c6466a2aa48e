package sim

import (
	"bytes"
	"slices"
	"sync"
)

// defaultMediaLimit is how many bytes of media a network keeps when
// Options.MediaLimit is 0: some twenty images or documents at the API's
// largest, plenty for the sandbox phone to show a conversation's, and
// little beside the inboxes' own memory.
const defaultMediaLimit = 64 << 20

// mediaStore keeps the bytes of the media in the inboxes, by the hex
// SHA-256 the Message carries, so the sandbox phone can show an image
// after the gateway has deleted its spooled copy. It is bounded twice: a
// file goes when the last inbox message that refers to it drops out (the
// inbox bound), and the oldest files go when together they would pass the
// limit. It lives in memory only: the journal would grow by every image,
// so after a restart the inboxes' older media are gone (Network.Media
// says so with false). The zero value keeps nothing; set limit.
type mediaStore struct {
	mu    sync.Mutex
	limit int
	size  int               // bytes in blobs
	blobs map[string][]byte // by hex SHA-256
	refs  map[string]int    // inbox messages referring to each hash, kept or not
	order []string          // hashes put in blobs, oldest first; some may have gone since
}

// add counts one more inbox message referring to sum, and keeps data as
// its bytes unless they are kept already or do not fit at all. data may
// be nil (a message replayed from the journal): then only the count moves.
func (s *mediaStore) add(sum string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refs == nil {
		s.refs = make(map[string]int)
		s.blobs = make(map[string][]byte)
	}
	s.refs[sum]++
	if _, ok := s.blobs[sum]; ok || len(data) == 0 || len(data) > s.limit {
		return
	}
	for s.size+len(data) > s.limit && len(s.order) > 0 {
		s.drop(s.order[0])
		s.order[0] = ""
		s.order = s.order[1:]
	}
	s.blobs[sum] = bytes.Clone(data) // the caller's buffer is the dispatcher's
	s.size += len(data)
	s.order = append(s.order, sum)
	// Hashes that went because their messages dropped out stay in order
	// until eviction reaches them; past twice the kept ones, sweep them.
	if len(s.order) > 2*len(s.blobs)+16 {
		seen := make(map[string]bool, len(s.blobs))
		s.order = slices.DeleteFunc(s.order, func(h string) bool {
			_, ok := s.blobs[h]
			drop := !ok || seen[h]
			seen[h] = true
			return drop
		})
	}
}

// release counts one inbox message fewer referring to sum, and forgets
// the bytes when none is left. "" does nothing.
func (s *mediaStore) release(sum string) {
	if sum == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refs[sum]--; s.refs[sum] > 0 {
		return
	}
	delete(s.refs, sum)
	s.drop(sum)
}

// drop forgets the bytes of sum, if kept; s.mu held.
func (s *mediaStore) drop(sum string) {
	if b, ok := s.blobs[sum]; ok {
		s.size -= len(b)
		delete(s.blobs, sum)
	}
}

func (s *mediaStore) get(sum string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.blobs[sum]
	return b, ok
}

// Media returns the bytes of the media whose hex SHA-256 is sum (a
// Message's SHA256), while a message in some inbox refers to it and the
// network still keeps it: up to Options.MediaLimit bytes of the newest
// media, in memory, since the last Open. The caller must not modify the
// slice.
func (n *Network) Media(sum string) ([]byte, bool) {
	if sum == "" {
		return nil, false
	}
	return n.media.get(sum)
}

// deliverTo delivers m to u (see user.deliver), counts its media's
// reference, keeping media as its bytes, releases the media of the message
// that dropped out, and tells u's watchers. u.mu is held, or Open is
// replaying.
func (n *Network) deliverTo(u *user, m Message, unread bool, media []byte) {
	if m.SHA256 != "" {
		n.media.add(m.SHA256, media)
	}
	n.media.release(u.deliver(m, unread))
	u.changed()
}
