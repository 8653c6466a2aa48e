package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"higate/registry"
	"higate/registry/phone"
)

// Dialer makes the transport for a gateway number (sim or whatsmeow); the
// command wires the concrete ones in.
type Dialer func(n registry.Number) (Transport, error)

// Hooks let the layer above observe traffic without the gateway knowing
// about webhooks. Each may be nil.
type Hooks struct {
	// Inbound is called for every inbound message after the router handled it.
	Inbound func(instance registry.Instance, ev Event)
	// Alert is called for events an operator must hear about (bans, failover,
	// an instance going down).
	Alert func(e registry.Event)
}

// Options configure a Service.
type Options struct {
	Store  *registry.Store
	Dial   Dialer
	Logger *slog.Logger
	Hooks  Hooks
	// Batch is how many jobs a dispatcher claims at once when its number has
	// no pacing gap; default 2048. Large batches matter under load: a
	// batch's outcomes are one write transaction, which waits its turn
	// behind the accepts in the group commit (at 1,000 connections, 512
	// jobs a batch delivered 11,000-12,000 of 16,000 accepts/s; 2,048 kept
	// up, docs/BENCHMARKS.md).
	Batch int
	// Backoff is the wait before retry n (1-based) of a transient failure;
	// default exponential from 1 s to 5 min with jitter.
	Backoff func(attempt int) time.Duration
	// SendTimeout bounds one send; default 60 s.
	SendTimeout time.Duration
	// Lookups limits the is-on-WhatsApp queries of CheckOnWhatsApp.
	Lookups LookupLimit
	// Metrics, if set, measures sends and pacing (NewMetrics).
	Metrics *Metrics
}

// Service runs the gateway numbers of every instance: their transports,
// one dispatcher per instance, the inbound router and failover.
type Service struct {
	opts  Options
	store *registry.Store
	log   *slog.Logger

	mu      sync.Mutex
	lines   map[string]Transport // running transports by E.164
	stopped map[string]bool      // numbers whose transport stopped for good (EventStopped)
	workers map[uint64]*dispatcher
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	receipts chan Event
	changes  changes // for Changes
	lookups  lookups // CheckOnWhatsApp's cache and rate limits (lookup.go)
}

// NewService returns a Service; Start runs it.
func NewService(opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Batch <= 0 {
		opts.Batch = 2048
	}
	if opts.Backoff == nil {
		opts.Backoff = defaultBackoff
	}
	if opts.SendTimeout == 0 {
		opts.SendTimeout = time.Minute
	}
	return &Service{
		opts: opts, store: opts.Store, log: opts.Logger.With("component", "gateway"),
		lines: map[string]Transport{}, stopped: map[string]bool{}, workers: map[uint64]*dispatcher{},
		receipts: make(chan Event, 4096),
	}
}

func defaultBackoff(attempt int) time.Duration {
	d := time.Second << min(attempt-1, 9)
	d = min(d, 5*time.Minute)
	return d/2 + rand.N(d/2+1)
}

// Start starts every gateway number's transport and one dispatcher per
// instance. Jobs a crash left in flight are still queued and go out again
// with their message IDs (see registry.Store.Claim).
func (s *Service) Start(ctx context.Context) error {
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	if _, err := s.store.SweepMedia(time.Hour); err != nil {
		s.log.Warn("sweep media", "err", err)
	}
	s.wg.Add(1)
	go s.applyReceipts()
	numbers, err := s.store.Numbers()
	if err != nil {
		return err
	}
	for _, n := range numbers {
		if n.Role == registry.RoleRetired {
			continue
		}
		if err := s.startLine(n); err != nil {
			s.log.Error("start gateway number", "number", phone.Mask(n.Number), "err", err)
		}
	}
	instances, err := s.store.Instances()
	if err != nil {
		return err
	}
	for _, in := range instances {
		s.Wake(in.ID)
	}
	s.wg.Add(1)
	go s.janitor()
	return nil
}

// Stop stops the dispatchers, then the transports. Jobs in flight stay in
// the registry and resume at the next Start. Stop is safe to call twice.
func (s *Service) Stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.mu.Lock()
	lines := s.lines
	s.lines = map[string]Transport{}
	s.mu.Unlock()
	s.wg.Wait()
	for _, t := range lines {
		t.Stop()
	}
}

// startLine dials and starts a number's transport, replacing any running
// one: a number re-added after retirement, or paired again after a logout,
// needs a fresh transport (whatsmeow's cannot start twice). The old one is
// stopped before the new one is dialled, since both would open the same
// device store.
func (s *Service) startLine(n registry.Number) error {
	s.stopLine(n.Number)
	t, err := s.opts.Dial(n)
	if err != nil {
		return fmt.Errorf("dial %s: %w", n.Transport, err)
	}
	s.mu.Lock()
	if cur := s.lines[n.Number]; cur != nil {
		// Another caller started this number meanwhile; keep theirs. (The
		// sim hands out one transport per number, so it may be this one.)
		s.mu.Unlock()
		if cur != t {
			t.Stop()
		}
		return nil
	}
	s.lines[n.Number] = t
	delete(s.stopped, n.Number) // a fresh transport tries again
	s.mu.Unlock()
	return t.Start(s.ctx, s.handle)
}

func (s *Service) line(number string) Transport {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lines[number]
}

// Wake tells an instance's dispatcher to look at its queue now, starting the
// dispatcher if the instance has none yet.
func (s *Service) Wake(instance uint64) {
	s.changes.fire() // its queue has changed, or its number has
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.worker(instance)
	if d == nil {
		return
	}
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// worker returns the instance's dispatcher, starting it if there is none
// yet; nil when the service is not running. s.mu is held.
func (s *Service) worker(instance uint64) *dispatcher {
	if s.ctx == nil || s.ctx.Err() != nil {
		return nil
	}
	d := s.workers[instance]
	if d == nil {
		d = &dispatcher{svc: s, instance: instance, wake: make(chan struct{}, 1)}
		s.workers[instance] = d
		s.wg.Add(1)
		go d.run(s.ctx)
	}
	return d
}

// Cancel cancels one of the account's jobs that has not left
// (registry.Store.Cancel: scheduled, queued or awaiting re-registration),
// unless the instance's dispatcher holds it right now: then the send goes
// on and Cancel answers 409. Racing the dispatcher, exactly one of the two
// happens: the job is reserved for the cancel under the lock the
// dispatcher takes to hold what it claimed, and a job that a claim read
// before the cancel committed is dropped, not sent.
func (s *Service) Cancel(clientID string, id uint64) (registry.Job, error) {
	j, err := s.store.Job(id)
	if err == nil && j.Account == clientID && !j.Final() {
		s.mu.Lock()
		d := s.worker(j.Instance)
		s.mu.Unlock()
		if d != nil {
			if !d.beginCancel(id) {
				return j, registry.Errorf(registry.CodeConflict, "a message that is being sent cannot be called back; GET the job to see how it went",
					"job %d is being sent right now", id)
			}
			j, err := s.store.Cancel(clientID, id)
			d.endCancel(id, err == nil)
			return j, err
		}
	}
	return s.store.Cancel(clientID, id)
}

// janitor removes spooled media whose jobs have ended, and what the
// registry keeps past its retention.
func (s *Service) janitor() {
	defer s.wg.Done()
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			if _, err := s.store.SweepMedia(5 * time.Minute); err != nil {
				s.log.Warn("sweep media", "err", err)
			}
			if _, err := s.store.SampleQueueDepth(); err != nil { // the console's queue-depth chart
				s.log.Warn("sample queue depth", "err", err)
			}
			if p, err := s.store.Prune(); err != nil {
				s.log.Warn("prune the registry", "err", err)
			} else if p != (registry.Pruned{}) {
				s.log.Info("pruned the registry past its retention", "jobs", p.Jobs, "deliveries", p.Deliveries, "events", p.Events, "media", p.Media)
			}
		}
	}
}

// InstanceUp reports whether the instance's active number is connected now.
func (s *Service) InstanceUp(instance uint64) bool {
	n, err := s.store.ActiveNumber(instance)
	return err == nil && n.Connected()
}

// InstanceStatus reports whether the instance is up as GET
// /v1/gateway/status means it: its active number is connected, or
// disconnected and reconnecting by itself (sends are still accepted and go
// out when it is back). It is down with no active number, or one that is
// pairing, banned, temporarily banned, logged out, or stopped for good
// (EventStopped: it needs a human). An unknown instance is
// registry.ErrNotFound.
func (s *Service) InstanceStatus(instance uint64) (up bool, err error) {
	if _, err := s.store.Instance(instance); err != nil {
		return false, err
	}
	n, err := s.store.ActiveNumber(instance)
	if errors.Is(err, registry.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	switch n.State {
	case registry.StateActive, registry.StateStandby:
		return true, nil
	case registry.StateDisconnected:
		return !s.isStopped(n.Number), nil
	}
	return false, nil
}

// isStopped reports whether a number's transport has stopped for good
// since it was last started.
func (s *Service) isStopped(number string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopped[number]
}

// markStopped records whether a number's transport has stopped for good
// (EventStopped): it stays "disconnected" in the registry, like a number
// that is only reconnecting, and this tells the two apart. It is memory
// only, as a restart starts every transport afresh.
func (s *Service) markStopped(number string, stopped bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if stopped {
		s.stopped[number] = true
	} else {
		delete(s.stopped, number)
	}
}

// AddNumber adds a gateway number to an instance and starts its transport
// (for whatsmeow this starts pairing).
func (s *Service) AddNumber(n registry.Number) (registry.Number, error) {
	n, err := s.store.AddNumber(n)
	if err != nil {
		return n, err
	}
	if err := s.startLine(n); err != nil {
		return n, err
	}
	s.Wake(n.Instance)
	return n, nil
}

// UpdatePacing changes a number's pacing (registry.Store.UpdatePacing) and
// wakes its instance's dispatcher, so a send waiting for the old gap's slot
// is timed by the new one.
func (s *Service) UpdatePacing(number string, fn func(*registry.Pacing) error) (registry.Pacing, error) {
	p, err := s.store.UpdatePacing(number, fn)
	if err != nil {
		return p, err
	}
	if n, err := s.store.Number(number); err == nil {
		s.Wake(n.Instance)
	}
	return p, nil
}

// RemoveNumber stops a standby or retired number and takes it out of its instance.
func (s *Service) RemoveNumber(number string) error {
	if err := s.store.RemoveNumber(number); err != nil {
		return err
	}
	s.stopLine(number)
	s.changes.fire()
	return nil
}

// stopLine stops and forgets a number's transport, if it has one running.
func (s *Service) stopLine(number string) {
	s.mu.Lock()
	t := s.lines[number]
	delete(s.lines, number)
	s.mu.Unlock()
	if t != nil {
		t.Stop()
	}
}

// Pairing reports a number's pairing progress.
func (s *Service) Pairing(number string) (PairingState, error) {
	t := s.line(number)
	if t == nil {
		return PairingState{}, registry.ErrNotFound
	}
	p, ok := t.(Pairer)
	if !ok {
		return PairingState{Step: PairingPaired, Message: "simulated numbers need no pairing"}, nil
	}
	return p.Pairing(), nil
}

// PairPhone asks WhatsApp for a phone-number pair code for number.
func (s *Service) PairPhone(ctx context.Context, number string) (string, error) {
	p, ok := s.line(number).(Pairer)
	if !ok {
		return "", errors.New("this number's transport does not pair")
	}
	return p.PairPhone(ctx)
}

// SetProfile sets the picture and about text of an instance's active number.
func (s *Service) SetProfile(ctx context.Context, instance uint64, p Profile) error {
	n, err := s.store.ActiveNumber(instance)
	if err != nil {
		return registry.Errorf(registry.CodeUnavailable, "retry later", "instance %d has no active number", instance)
	}
	t := s.line(n.Number)
	if t == nil {
		return registry.Errorf(registry.CodeUnavailable, "retry later", "the gateway number is not running")
	}
	return t.SetProfile(ctx, p)
}

// FindGroup finds a group of the instance's active number by name, and by
// the creator's number where several share the name.
func (s *Service) FindGroup(ctx context.Context, instance uint64, name, admin string) (Group, error) {
	n, err := s.store.ActiveNumber(instance)
	if err != nil || !n.Serving() {
		return Group{}, registry.Errorf(registry.CodeUnavailable, "retry later", "instance %d has no usable gateway number", instance)
	}
	t := s.line(n.Number)
	if t == nil {
		return Group{}, registry.Errorf(registry.CodeUnavailable, "retry later", "the gateway number is not running")
	}
	groups, err := t.Groups(ctx)
	if err != nil {
		// The transport's error is for the operator's log, not for the client.
		s.log.Warn("list groups", "number", phone.Mask(n.Number), "err", err)
		return Group{}, registry.Errorf(registry.CodeUnavailable, "retry later", "cannot list the gateway number's groups right now")
	}
	return pickGroup(groups, name, admin)
}

func pickGroup(groups []Group, name, admin string) (Group, error) {
	var found []Group
	for _, g := range groups {
		if g.Name == name && (admin == "" || g.Admin == admin) {
			found = append(found, g)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return Group{}, registry.Errorf(registry.CodeNotFound,
			"check group_name and group_admin; the gateway number must be a member of the group",
			"no group named %q%s on this instance", name, ifAdmin(admin))
	}
	return Group{}, registry.Errorf(registry.CodeNotFound, "give group_admin, the creator's number, to say which one",
		"%d groups are named %q on this instance", len(found), name)
}

func ifAdmin(admin string) string {
	if admin == "" {
		return ""
	}
	return " created by " + admin
}

// Restart stops a number's transport and starts a fresh one: for a number
// that was logged out (its device store is gone) this starts pairing again.
func (s *Service) Restart(number string) error {
	n, err := s.store.Number(number)
	if err != nil {
		return registry.Errorf(registry.CodeNotFound, "add it with POST /admin/api/instances/{id}/numbers", "%s is not a gateway number", number)
	}
	return s.startLine(n)
}

// Sending reports whether a queued job is in its dispatcher's hands now: the
// registry records a job only when its attempt has ended, so this is what
// the job status API shows as "sending".
func (s *Service) Sending(j registry.Job) bool {
	if j.State != registry.JobQueued {
		return false
	}
	s.mu.Lock()
	d := s.workers[j.Instance]
	s.mu.Unlock()
	return d != nil && d.inHand(j.ID)
}

// Running reports whether the service has started and not stopped: its
// dispatchers and transports are at work.
func (s *Service) Running() bool {
	return s.ctx != nil && s.ctx.Err() == nil
}
