package gateway

import "sync"

// changes tells watchers (the operator console's live pages) that something
// they show has changed: a number's state, a failover or rotation, a number
// added or removed, a queue that grew or shrank. It is a counter and a
// channel closed at the next change, made only when someone waits, so
// firing it on every accept costs a lock and an increment. The zero value
// is ready.
type changes struct {
	mu      sync.Mutex
	version uint64
	next    chan struct{} // closed at the next change; nil while no one waits
}

// fire records a change and wakes every watcher.
func (c *changes) fire() {
	c.mu.Lock()
	c.version++
	if c.next != nil {
		close(c.next)
		c.next = nil
	}
	c.mu.Unlock()
}

// watch returns the number of changes so far and a channel closed at the next.
func (c *changes) watch() (uint64, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.next == nil {
		c.next = make(chan struct{})
	}
	return c.version, c.next
}

// Changes returns how many changes an operator would see have happened so
// far, and a channel that is closed at the next one: a number's state, a
// failover, a rotation, a number added or removed, jobs accepted (Wake) or
// finished. A watcher takes the channel before it reads what it shows, so
// no change slips between the read and the wait:
//
//	for {
//		_, next := svc.Changes()
//		show(read())
//		select {
//		case <-next:
//		case <-ctx.Done():
//			return
//		}
//	}
func (s *Service) Changes() (version uint64, next <-chan struct{}) { return s.changes.watch() }
