package sim

import (
	"slices"
	"sync"
)

// sentWindow is how many of the message IDs it delivered last a gateway
// number remembers, to drop resends. WhatsApp too recognises only recent
// resends. The gateway resends a message within moments of a crash, far
// inside the window, and the bound keeps a benchmark of millions of
// messages from holding (and journaling) every ID for ever.
const sentWindow = 100_000

// sentIDs is the set of the last sentWindow message IDs a number delivered
// or is delivering. The zero value is empty and ready.
type sentIDs struct {
	mu    sync.Mutex
	set   map[string]struct{}
	order []string // the IDs in set, oldest first
}

// reserve claims id for a send; false means it was delivered (or is being
// delivered) already and the send is to be dropped. Past sentWindow IDs,
// the oldest is forgotten.
func (s *sentIDs) reserve(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.set[id]; dup {
		return false
	}
	if s.set == nil {
		s.set = make(map[string]struct{})
	}
	s.set[id] = struct{}{}
	s.order = append(s.order, id)
	if len(s.order) > sentWindow {
		delete(s.set, s.order[0])
		// Reslicing drops the front without copying; append moves the
		// rest to a fresh array when this one is used up.
		s.order[0] = ""
		s.order = s.order[1:]
	}
	return true
}

// release gives up a claim whose send failed, so a retry can deliver it.
// The claim was made moments ago, so it is found near the end.
func (s *sentIDs) release(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.set[id]; !ok {
		return
	}
	delete(s.set, id)
	for i := len(s.order) - 1; i >= 0; i-- {
		if s.order[i] == id {
			s.order = slices.Delete(s.order, i, i+1)
			return
		}
	}
}

// list returns the remembered IDs, oldest first.
func (s *sentIDs) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.order)
}
