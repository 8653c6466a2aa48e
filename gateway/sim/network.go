package sim

import (
	"errors"
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

	mu      sync.RWMutex
	numbers map[string]*Number // gateway numbers ever attached
	groups  map[string]*group  // by ID
	order   []*group           // groups in creation order, for stable listings

	stopSync chan struct{}
	syncDone chan struct{}
}

// user is a simulated WhatsApp user: anyone who is not a gateway number.
type user struct {
	off atomic.Bool // set off WhatsApp by SetOnWhatsApp; everyone else is on it

	mu     sync.Mutex
	inbox  []Message
	unread map[string][]int // gateway number -> indexes into inbox not yet read
}

// group is a WhatsApp group; it is guarded by Network.mu.
type group struct {
	id, name, admin string
	members         []string
}

func (g *group) public() gateway.Group {
	return gateway.Group{ID: g.id, Name: g.name, Admin: g.admin, Members: slices.Clone(g.members)}
}

// Open opens the network whose state is kept under dir, creating dir if it
// does not exist, and restores the state a previous Open left there (even
// if that process was killed).
func Open(dir string, opts Options) (*Network, error) {
	n := &Network{
		now:      opts.Now,
		log:      opts.Logger,
		numbers:  make(map[string]*Number),
		groups:   make(map[string]*group),
		stopSync: make(chan struct{}),
		syncDone: make(chan struct{}),
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
	j, err := openJournal(filepath.Join(dir, journalName), n.apply)
	if err != nil {
		return nil, err
	}
	n.j = j
	for _, num := range n.numbers {
		num.resumeFault()
	}
	go n.syncLoop()
	return n, nil
}

// Close stops every number still started, flushes the journal to disk and
// closes it. Calling it again does nothing.
func (n *Network) Close() error {
	if n.closed.Swap(true) {
		return nil
	}
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

// user returns the simulated user `number`, creating it. Creating one needs
// no journal record: a user who has done nothing is indistinguishable from
// one who does not exist.
func (n *Network) user(number string) *user {
	if u, ok := n.users.Load(number); ok {
		return u.(*user)
	}
	u, _ := n.users.LoadOrStore(number, &user{})
	return u.(*user)
}

// SetOnWhatsApp puts user `number` on WhatsApp or takes them off it. Every
// number is on WhatsApp unless set off here, so tests can make numbers that
// are not.
func (n *Network) SetOnWhatsApp(number string, on bool) error {
	if err := checkE164("number", number); err != nil {
		return err
	}
	return n.setOn(number, on)
}

// setOn journals and applies a change of a user's WhatsApp presence; it does
// nothing when there is no change.
func (n *Network) setOn(number string, on bool) error {
	u := n.user(number)
	if u.off.Load() == !on {
		return nil
	}
	u.mu.Lock() // serialises concurrent changes so the journal ends in the right state
	defer u.mu.Unlock()
	if err := n.j.append(&record{Op: opUser, N: number, Off: !on}); err != nil {
		return err
	}
	u.off.Store(!on)
	return nil
}

// CreateGroup creates a group named name, created by admin, with admin, the
// members and (unless it is "") the gateway number gw as members. Everyone
// named is on WhatsApp from then on. A second call with the same name and
// admin returns the existing group with any new members added, because the
// public API tells groups apart by exactly that pair, and so a demo can
// create its groups at every start.
func (n *Network) CreateGroup(name, admin string, members []string, gw string) (gateway.Group, error) {
	if name == "" {
		return gateway.Group{}, errors.New("sim: a group needs a name")
	}
	all := append([]string{admin}, members...)
	if gw != "" {
		all = append(all, gw)
	}
	for _, m := range all {
		if err := checkE164("group member", m); err != nil {
			return gateway.Group{}, err
		}
	}
	for _, m := range all {
		if err := n.setOn(m, true); err != nil {
			return gateway.Group{}, err
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	var g *group
	for _, c := range n.order {
		if c.name == name && c.admin == admin {
			g = c
			break
		}
	}
	if g == nil {
		id := newGroupID()
		for n.groups[id] != nil {
			id = newGroupID()
		}
		rec := &groupRecord{ID: id, Name: name, Admin: admin, Members: dedupe(all)}
		if err := n.j.append(&record{Op: opGroup, Group: rec}); err != nil {
			return gateway.Group{}, err
		}
		g = n.addGroup(rec)
		return g.public(), nil
	}
	for _, m := range all {
		if err := n.joinLocked(g, m); err != nil {
			return gateway.Group{}, err
		}
	}
	return g.public(), nil
}

// AddToGroup adds number to the group, for instance a standby gateway number
// that must be able to take over the group's messages.
func (n *Network) AddToGroup(groupID, number string) error {
	if err := checkE164("number", number); err != nil {
		return err
	}
	if err := n.setOn(number, true); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	g := n.groups[groupID]
	if g == nil {
		return fmt.Errorf("sim: no group %q", groupID)
	}
	return n.joinLocked(g, number)
}

func (n *Network) joinLocked(g *group, number string) error {
	if slices.Contains(g.members, number) {
		return nil
	}
	if err := n.j.append(&record{Op: opJoin, GroupID: g.id, N: number}); err != nil {
		return err
	}
	g.members = append(g.members, number)
	return nil
}

func (n *Network) addGroup(rec *groupRecord) *group {
	g := &group{id: rec.ID, name: rec.Name, admin: rec.Admin, members: rec.Members}
	n.groups[g.id] = g
	n.order = append(n.order, g)
	return g
}

// groupsOf lists the groups number is a member of, oldest first.
func (n *Network) groupsOf(number string) []gateway.Group {
	n.mu.RLock()
	defer n.mu.RUnlock()
	var out []gateway.Group
	for _, g := range n.order {
		if slices.Contains(g.members, number) {
			out = append(out, g.public())
		}
	}
	return out
}

// Groups lists every group on the network, oldest first.
func (n *Network) Groups() []gateway.Group {
	n.mu.RLock()
	defer n.mu.RUnlock()
	out := make([]gateway.Group, 0, len(n.order))
	for _, g := range n.order {
		out = append(out, g.public())
	}
	return out
}

// Messages returns what simulated user `number` has received, oldest first;
// an empty (not nil) slice if nothing, so it encodes as a JSON array.
func (n *Network) Messages(number string) []Message {
	v, ok := n.users.Load(number)
	if !ok {
		return []Message{}
	}
	u := v.(*user)
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.inbox)
}

// Read makes user `number` read everything gateway number gw sent them: gw
// gets one read receipt listing the messages that were not read yet.
func (n *Network) Read(number, gw string) error {
	if err := checkE164("number", number); err != nil {
		return err
	}
	num, err := n.known(gw)
	if err != nil {
		return err
	}
	v, ok := n.users.Load(number)
	if !ok {
		return nil
	}
	u := v.(*user)
	u.mu.Lock()
	defer u.mu.Unlock()
	idx := u.unread[gw]
	if len(idx) == 0 {
		return nil
	}
	ids := make([]string, len(idx))
	for k, i := range idx {
		ids[k] = u.inbox[i].ID
	}
	at := n.now().Round(0)
	ev := gateway.Event{Kind: gateway.EventReceipt, Gateway: gw, At: at, MessageIDs: ids, Receipt: gateway.ReceiptRead}
	buf, err := encode(&record{Op: opRead, N: number, GW: gw, IDs: ids, At: at})
	if err != nil {
		return err
	}
	if err := num.enqueue(buf, pending{ev: ev}, false); err != nil {
		return err
	}
	delete(u.unread, gw)
	return nil
}

// deliver puts m into user u's inbox as unread.
func (u *user) deliver(m Message) {
	if u.unread == nil {
		u.unread = make(map[string][]int)
	}
	u.unread[m.From] = append(u.unread[m.From], len(u.inbox))
	u.inbox = append(u.inbox, m)
}

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

// dedupe returns s without repeats, keeping first occurrences in order.
func dedupe(s []string) []string {
	out := make([]string, 0, len(s))
	for _, v := range s {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
