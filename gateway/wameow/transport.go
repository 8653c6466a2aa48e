// Package wameow connects one gateway number to real WhatsApp through
// whatsmeow (go.mau.fi/whatsmeow), as a linked device of the number's phone.
//
// It is the only package that imports whatsmeow. Device state lives in
// whatsmeow's SQL store on pure-Go SQLite, one file per number under
// <data dir>/whatsmeow/, so a paired number survives a restart. whatsmeow's
// events are translated into gateway.Events; nothing here exits or panics
// the process, whatever WhatsApp answers.
package wameow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"go.mau.fi/whatsmeow/types"

	"higate/gateway"
)

// Compile-time checks: Transport is a gateway transport that needs pairing.
var (
	_ gateway.Transport = (*Transport)(nil)
	_ gateway.Pairer    = (*Transport)(nil)
)

// Defaults for Options.
const (
	DefaultConnectTimeout = 15 * time.Second
	DefaultRetryDelay     = 5 * time.Second
	// maxRetryDelay caps the reconnect backoff: WhatsApp should not see a
	// number hammering it, and an operator fixing the network should not wait
	// much longer than this for the number to come back.
	maxRetryDelay = 5 * time.Minute
)

// Options configures a Transport. The zero value of every field but Number
// (and Dir, for Open) is usable.
type Options struct {
	// Dir is the data directory; the device database is
	// Dir/whatsmeow/<digits>.db. Only Open uses it.
	Dir string
	// Number is the gateway number in E.164 ("+4915112345678").
	Number string
	// Logger receives the transport's and whatsmeow's log lines; nil
	// discards them.
	Logger *slog.Logger
	// Typing sends a "typing..." chat state before each send and "paused"
	// after it, as a person's phone would.
	Typing bool
	// ConnectTimeout bounds one connection attempt; past it the number is
	// reported unreachable (default 15 s). The attempt itself may still
	// finish later.
	ConnectTimeout time.Duration
	// RetryDelay is the wait before the first reconnect after a failed
	// attempt; it doubles per failure up to 5 minutes, with jitter
	// (default 5 s).
	RetryDelay time.Duration
	// Now is the clock for event times, ban expiry and group-cache age
	// (default time.Now).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = DefaultRetryDelay
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Transport is one gateway number on real WhatsApp. It implements
// gateway.Transport and gateway.Pairer.
//
// Its life is one Start and one Stop: after Stop (or after WhatsApp logged
// the number out) Open a new Transport to connect or pair again. Stop closes
// the device database.
type Transport struct {
	opts   Options
	number string // E.164
	digits string // number without "+", the user part of its JID
	log    *slog.Logger
	client Client
	// closeStore closes the device database (Open only).
	closeStore func() error

	mu      sync.Mutex
	started bool
	stopped bool
	runCtx  context.Context // cancelled by Stop; the connection lives on it
	cancel  context.CancelFunc
	// halted is set once WhatsApp ended the connection in a way that needs a
	// human (or a ban expiry); no reconnect is attempted while it is set.
	halted bool
	online bool // last connection state reported, so each change is reported once

	pairing     gateway.PairingState
	pairRunning bool
	pairGen     int           // counts pairing loops started
	pairChanged chan struct{} // closed and replaced on every pairing change
	wrongPhone  string        // E.164 of a phone that tried to link as another number

	// Events are delivered by one goroutine, in order, so that a handler may
	// call Stop without deadlocking the goroutine that observed the event.
	queue []gateway.Event
	wake  chan struct{}

	jidMu sync.Mutex
	jids  map[string]types.JID // recipient digits -> JID WhatsApp answered

	groups groupCache

	wg sync.WaitGroup // background workers; Stop waits for them
}

// New returns a Transport over c, for tests (with a fake Client) and for
// Open. Number must be E.164; New does not validate it, Open does.
func New(opts Options, c Client) *Transport {
	opts = opts.withDefaults()
	digits := strings.TrimPrefix(opts.Number, "+")
	t := &Transport{
		opts:        opts,
		number:      "+" + digits,
		digits:      digits,
		client:      c,
		pairChanged: make(chan struct{}),
		wake:        make(chan struct{}, 1),
		jids:        make(map[string]types.JID),
	}
	t.log = opts.Logger.With("component", "wameow", "gateway", mask(t.number))
	t.pairing = gateway.PairingState{Step: gateway.PairingWaiting, Message: "not started", Updated: opts.Now()}
	if c.Paired() {
		t.pairing = gateway.PairingState{Step: gateway.PairingPaired, Updated: opts.Now()}
	}
	c.AddEventHandler(t.onEvent)
	return t
}

// Number returns the gateway number in E.164.
func (t *Transport) Number() string { return t.number }

var errStopped = errors.New("wameow: transport stopped; open a new one")

// Start connects a paired number, or starts pairing an unpaired one, and
// returns at once. ctx's values are kept but not its cancellation: the
// connection lives until Stop, so an admin request that starts a pairing
// does not end it when the request returns.
func (t *Transport) Start(ctx context.Context, handle func(gateway.Event)) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.stopped:
		return errStopped
	case t.started:
		return errors.New("wameow: transport already started")
	}
	t.started = true
	t.runCtx, t.cancel = context.WithCancel(context.WithoutCancel(ctx))
	go t.deliver(t.runCtx, handle)
	if t.client.Paired() {
		t.log.Info("connecting")
		t.spawnLocked(func(ctx context.Context) { t.connectLoop(ctx, 0) })
	} else {
		t.log.Info("not paired; starting pairing")
		t.startPairingLocked()
	}
	return nil
}

// Stop disconnects, ends pairing and reconnect attempts, waits for the
// transport's goroutines and closes the device database. After Stop returns
// no new handler call starts. Stop is safe to call more than once and from
// inside the event handler.
func (t *Transport) Stop() {
	t.mu.Lock()
	if t.stopped {
		t.mu.Unlock()
		return
	}
	t.stopped = true
	t.queue = nil
	cancel := t.cancel
	t.mu.Unlock()
	if cancel != nil {
		cancel() // first, so a dial in progress gives up and Disconnect is not kept waiting
	}
	t.client.Disconnect()
	t.wg.Wait()
	if t.closeStore != nil {
		if err := t.closeStore(); err != nil {
			t.log.Warn("close device store", "err", err)
		}
	}
	t.log.Info("stopped")
}

// spawnLocked runs fn as a background worker on the transport's run
// context, unless the transport is stopping. t.mu must be held, so that no
// worker is added after Stop began waiting.
func (t *Transport) spawnLocked(fn func(ctx context.Context)) {
	if t.stopped || t.runCtx == nil {
		return
	}
	ctx := t.runCtx
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		fn(ctx)
	}()
}

func (t *Transport) spawn(fn func(ctx context.Context)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.spawnLocked(fn)
}

// emit queues ev for the handler, stamped with the gateway number and time,
// and logs the change. It never blocks.
func (t *Transport) emit(ev gateway.Event) {
	ev.Gateway = t.number
	ev.At = t.opts.Now()
	t.logEvent(ev)
	t.mu.Lock()
	if !t.started || t.stopped {
		t.mu.Unlock()
		return
	}
	t.queue = append(t.queue, ev)
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// deliver hands queued events to handle, one at a time, until Stop.
func (t *Transport) deliver(ctx context.Context, handle func(gateway.Event)) {
	for {
		t.mu.Lock()
		if t.stopped {
			t.mu.Unlock()
			return
		}
		if len(t.queue) == 0 {
			t.mu.Unlock()
			select {
			case <-t.wake:
				continue
			case <-ctx.Done():
				return
			}
		}
		ev := t.queue[0]
		t.queue = t.queue[1:]
		t.mu.Unlock()
		if handle != nil {
			handle(ev)
		}
	}
}

// logEvent writes the one log line every state change gets. Bodies and full
// numbers stay out of it.
func (t *Transport) logEvent(ev gateway.Event) {
	attrs := []any{"event", string(ev.Kind)}
	if ev.Reason != "" {
		attrs = append(attrs, "reason", ev.Reason)
	}
	if ev.Code != 0 {
		attrs = append(attrs, "code", ev.Code)
	}
	if !ev.Until.IsZero() {
		attrs = append(attrs, "until", ev.Until)
	}
	switch ev.Kind {
	case gateway.EventInbound:
		t.log.Debug("inbound message", "from", mask(ev.From), "group", ev.GroupID != "", "id", ev.MessageID)
	case gateway.EventReceipt:
		t.log.Debug("receipt", "receipt", ev.Receipt, "messages", len(ev.MessageIDs))
	case gateway.EventPairing:
		// logged by setPairing with the step
	case gateway.EventConnected:
		t.log.Info("connection state changed", attrs...)
	default:
		t.log.Warn("connection state changed", attrs...)
	}
}

// digitsOf validates an E.164 number and returns its digits.
func digitsOf(number string) (string, error) {
	d, ok := strings.CutPrefix(number, "+")
	if !ok || len(d) < 7 || len(d) > 15 || strings.Trim(d, "0123456789") != "" || d[0] == '0' {
		return "", fmt.Errorf("wameow: %q is not an E.164 number (+ and 7 to 15 digits)", number)
	}
	return d, nil
}
