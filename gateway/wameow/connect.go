package wameow

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"go.mau.fi/whatsmeow"

	"higate/gateway"
)

// connectLoop connects a paired number, retrying with backoff until one
// attempt succeeds, the transport stops, or WhatsApp halts the number. After
// the first success whatsmeow reconnects on its own (EnableAutoReconnect),
// so the loop ends there. delay is waited before the first attempt.
func (t *Transport) connectLoop(ctx context.Context, delay time.Duration) {
	reported := false
	report := func(err error) {
		// One EventDisconnected per outage: the dispatcher needs to know the
		// number is down, not how many times it tried.
		if reported {
			return
		}
		reported = true
		t.setOnline(false)
		t.emit(gateway.Event{Kind: gateway.EventDisconnected, Reason: unreachable(err)})
	}
	for attempt := 0; ; attempt++ {
		if delay > 0 && !sleep(ctx, delay) {
			return
		}
		if ctx.Err() != nil || t.isHalted() {
			return
		}
		err := t.connectOnce(ctx, report)
		if err == nil || ctx.Err() != nil {
			return
		}
		report(err)
		delay = t.backoff(attempt)
		t.log.Warn("cannot reach WhatsApp; will retry", "err", maskDigits(err.Error()), "retry_in", delay.Round(time.Millisecond))
	}
}

// connectOnce makes one connection attempt. If it takes longer than
// ConnectTimeout, slow is told so at once and the attempt is still awaited:
// whatsmeow holds its socket lock while dialing, so a second attempt could
// not start before the first ends anyway.
func (t *Transport) connectOnce(ctx context.Context, slow func(error)) error {
	res := make(chan error, 1)
	t.wg.Add(1) // the calling worker holds the group open, so Add is safe here
	go func() {
		defer t.wg.Done()
		res <- t.client.Connect(ctx)
	}()
	timer := time.NewTimer(t.opts.ConnectTimeout)
	defer timer.Stop()
	var err error
	select {
	case err = <-res:
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		slow(fmt.Errorf("no answer within %s", t.opts.ConnectTimeout))
		select {
		case err = <-res:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if errors.Is(err, whatsmeow.ErrAlreadyConnected) {
		return nil
	}
	return err
}

// unreachable is the message for a failed connection attempt.
func unreachable(err error) string {
	return "cannot reach WhatsApp: " + maskDigits(err.Error())
}

// backoff is the wait before retry number attempt (0-based): RetryDelay
// doubled per attempt up to maxRetryDelay, with ±20% jitter so numbers that
// lost the same network do not all retry in the same instant.
func (t *Transport) backoff(attempt int) time.Duration {
	d := t.opts.RetryDelay
	for i := 0; i < attempt && d < maxRetryDelay; i++ {
		d *= 2
	}
	d = min(d, maxRetryDelay)
	spread := int64(d) / 5
	if spread <= 0 {
		return d
	}
	return d + time.Duration(rand.Int64N(2*spread+1)-spread)
}

// sleep waits d or until ctx ends; it reports whether the full wait passed.
func sleep(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// setOnline records the connection state and reports whether it changed.
func (t *Transport) setOnline(online bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	changed := t.online != online
	t.online = online
	return changed
}

// halt marks the number as stopped by WhatsApp and closes the connection in
// a worker: the event that caused it arrives on whatsmeow's goroutine, which
// must not wait on the socket. With resume > 0 (a temporary ban) the worker
// then waits that long and connects again, because whatsmeow does not
// reconnect on its own after a ban.
func (t *Transport) halt(resume time.Duration) {
	t.mu.Lock()
	t.halted = true
	t.online = false
	t.mu.Unlock()
	t.spawn(func(ctx context.Context) {
		t.client.Disconnect()
		if resume <= 0 || !sleep(ctx, resume) {
			return
		}
		t.mu.Lock()
		t.halted = false
		t.mu.Unlock()
		t.log.Info("temporary ban over; reconnecting")
		t.connectLoop(ctx, 0)
	})
}

func (t *Transport) isHalted() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.halted
}
