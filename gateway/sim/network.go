package sim

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"higate/gateway"
)

// syncEvery is how often the background loop fsyncs the journal and records
// how far each number's handler has got. A crash of the machine (not just
// the process) can lose at most this much.
const syncEvery = 100 * time.Millisecond

// Network is a simulated WhatsApp network: simulated users with inboxes,
// groups, and the gateway numbers attached to it. All methods are safe for
// concurrent use. Create one with Open and Close it when done.
type Network struct {
	now    func() time.Time
	log    *slog.Logger
	j      *journal
	closed atomic.Bool

	// users maps E.164 to *user. A sync.Map, because the send path looks
	// users up from many goroutines and rarely adds one.
	users sync.Map

	// media keeps the bytes of the media in the inboxes (media.go).
	media mediaStore
	// lookups counts the numbers IsOnWhatsApp was asked about (Lookups).
	lookups atomic.Int64
	done    chan struct{} // closed by Close

	mu      sync.RWMutex
	numbers map[string]*Number // gateway numbers ever attached
	groups  map[string]*group  // by ID
	order   []*group           // groups in creation order, for stable listings

	stopSync chan struct{}
	syncDone chan struct{}
}

// Open opens the network whose state is kept under dir, creating dir if it
// does not exist, and restores the state a previous Open left there (even
// if that process was killed). It compacts the journal first if it has
// outgrown that state (see the package documentation).
func Open(dir string, opts Options) (*Network, error) {
	n := &Network{
		now:      opts.Now,
		log:      opts.Logger,
		numbers:  make(map[string]*Number),
		groups:   make(map[string]*group),
		stopSync: make(chan struct{}),
		syncDone: make(chan struct{}),
		done:     make(chan struct{}),
	}
	switch {
	case opts.MediaLimit == 0:
		n.media.limit = defaultMediaLimit
	case opts.MediaLimit > 0:
		n.media.limit = opts.MediaLimit
	}
	if n.now == nil {
		n.now = time.Now
	}
	if n.log == nil {
		n.log = discardLogger()
	}
	n.log = n.log.With("component", "sim")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sim: create data directory: %w", err)
	}
	path := filepath.Join(dir, journalName)
	n.removeLeftover(path)
	replayed, err := replayJournal(path, n.apply)
	if err != nil {
		return nil, err
	}
	n.compact(path, replayed)
	if n.j, err = openJournal(path); err != nil {
		return nil, err
	}
	for _, num := range n.numbers {
		num.resumeFault()
	}
	go n.syncLoop()
	return n, nil
}

// Close stops every number still started, flushes the journal to disk and
// closes it. Like Stop, it must not be called from a handler. Calling it
// again does nothing.
func (n *Network) Close() error {
	if n.closed.Swap(true) {
		return nil
	}
	close(n.done)
	for _, num := range n.numberList() {
		num.Stop()
		num.stopFaultTimer()
	}
	close(n.stopSync)
	<-n.syncDone
	for _, num := range n.numberList() {
		num.flushAck()
	}
	return n.j.close()
}

// syncLoop fsyncs the journal in the background and records the numbers'
// handler progress, so neither costs anything on the send path.
func (n *Network) syncLoop() {
	defer close(n.syncDone)
	t := time.NewTicker(syncEvery)
	defer t.Stop()
	for {
		select {
		case <-n.stopSync:
			return
		case <-t.C:
			for _, num := range n.numberList() {
				num.flushAck()
			}
			if err := n.j.sync(); err != nil {
				n.log.Error("journal sync failed", "err", err)
			}
		}
	}
}

func (n *Network) numberList() []*Number {
	n.mu.RLock()
	defer n.mu.RUnlock()
	list := make([]*Number, 0, len(n.numbers))
	for _, num := range n.numbers {
		list = append(list, num)
	}
	return list
}

// Attach returns the Transport of gateway number `number`, making it a
// gateway number of this network if it was not one. The same number always
// gives the same *Number. A number that is not E.164 still gets a *Number,
// whose Start fails, because Attach has no error to return.
func (n *Network) Attach(number string) *Number {
	n.mu.RLock()
	num := n.numbers[number]
	n.mu.RUnlock()
	if num != nil {
		return num
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if num := n.numbers[number]; num != nil {
		return num
	}
	num = newNumber(n, number)
	if validE164(number) {
		if err := n.j.append(&record{Op: opAttach, N: number}); err != nil {
			n.log.Error("journal attach failed", "err", err)
		}
	}
	n.numbers[number] = num
	return num
}

// known returns the gateway number `number`, or an error if it was never
// attached.
func (n *Network) known(number string) (*Number, error) {
	n.mu.RLock()
	num := n.numbers[number]
	n.mu.RUnlock()
	if num == nil {
		return nil, fmt.Errorf("sim: %s is not a gateway number on this network", number)
	}
	return num, nil
}

// Lookups is how many numbers the network's gateway numbers have asked
// IsOnWhatsApp about since Open, as WhatsApp would count them.
func (n *Network) Lookups() int64 { return n.lookups.Load() }

// Profile returns the profile gateway number `number` last set.
func (n *Network) Profile(number string) gateway.Profile {
	num, err := n.known(number)
	if err != nil {
		return gateway.Profile{}
	}
	num.mu.Lock()
	defer num.mu.Unlock()
	return gateway.Profile{Image: slices.Clone(num.profile.Image), About: num.profile.About}
}
