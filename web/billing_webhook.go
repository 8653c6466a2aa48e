package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"higate/registry"
	"higate/web/paypal"
)

// webhookBodyLimit bounds a PayPal webhook body; real ones are a few KB.
const webhookBodyLimit = 256 << 10

// handlePayPalWebhook receives PayPal's webhook events. A signature PayPal
// disowns gets 400 and changes nothing. Anything that fails after that is a
// 500 or 503, so PayPal delivers the event again later; an event already
// processed is acknowledged and ignored.
func (s *server) handlePayPalWebhook(w http.ResponseWriter, r *http.Request) error {
	b, err := s.billing()
	if err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, webhookBodyLimit))
	if err != nil {
		return err
	}
	if err := checkBodyText(body); err != nil {
		return err
	}
	ev, err := paypal.ParseEvent(body)
	if err != nil {
		// The parser's words (Go's JSON errors) are for the log only.
		b.log.Warn("webhook body is not an event", "err", err)
		return registry.Errorf(registry.CodeBadRequest, "only PayPal may call this; it sends a webhook event as JSON",
			"the body is not a PayPal webhook event")
	}
	if err := b.pp.Verify(r.Context(), r.Header, body); err != nil {
		if errors.Is(err, paypal.ErrUnverified) {
			b.log.Warn("webhook with a bad signature refused", "event", ev.ID, "type", ev.EventType)
			return registry.Errorf(registry.CodeBadRequest, "only PayPal may call this", "webhook signature verification failed")
		}
		b.log.Error("cannot verify webhook", "event", ev.ID, "err", err)
		return registry.Errorf(registry.CodeUnavailable, "retry later", "cannot verify the webhook signature now")
	}
	// Mails go out after the response's context may be gone (PayPal hangs
	// up after a while); a credentials mail must not be cut off halfway.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 2*time.Minute)
	defer cancel()
	if err := b.HandleEvent(ctx, ev); err != nil {
		return fmt.Errorf("paypal event %s (%s): %w", ev.ID, ev.EventType, err)
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// HandleEvent applies a verified webhook event, once: a redelivery of an
// event already processed changes nothing. Mails go out after the state
// change has committed.
func (b *Billing) HandleEvent(ctx context.Context, ev paypal.Event) error {
	letters, err := b.handleEvent(ctx, ev)
	b.send(ctx, letters...)
	return err
}

func (b *Billing) handleEvent(ctx context.Context, ev paypal.Event) ([]letter, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if seen, err := b.store.EventProcessed(ev.ID); err != nil || seen {
		if seen {
			b.log.Info("event already processed", "event", ev.ID, "type", ev.EventType)
		}
		return nil, err
	}
	var letters []letter
	var err error
	switch ev.EventType {
	case paypal.EventSubscriptionActivated, paypal.EventSubscriptionUpdated, paypal.EventSubscriptionCancelled,
		paypal.EventSubscriptionSuspended, paypal.EventSubscriptionExpired, paypal.EventSubscriptionPaymentFailed:
		res, rerr := ev.Subscription()
		if rerr != nil {
			return nil, b.unreadable(ev, rerr)
		}
		_, letters, err = b.sync(ctx, res.ID)
		if err == nil && ev.EventType == paypal.EventSubscriptionPaymentFailed {
			if a, err := b.store.AccountBySubscription(res.ID); err == nil {
				letters = append(letters, letter{to: a.Email, tmpl: "payment_failed.txt", data: b.mailFor(a)})
			}
		}
	case paypal.EventSaleCompleted, paypal.EventSaleRefunded, paypal.EventSaleReversed:
		sale, rerr := ev.Sale()
		if rerr != nil {
			return nil, b.unreadable(ev, rerr)
		}
		if ev.EventType == paypal.EventSaleCompleted {
			letters, err = b.saleCompleted(ctx, sale)
		} else {
			letters, err = b.saleReversed(ctx, sale)
		}
	default:
		b.log.Info("event type ignored", "event", ev.ID, "type", ev.EventType)
	}
	if err != nil {
		return letters, err
	}
	b.log.Info("event processed", "event", ev.ID, "type", ev.EventType)
	return letters, b.store.MarkEventProcessed(ev.ID)
}

// unreadable settles a verified event whose resource cannot be decoded: a
// redelivery would fail the same way, so it is logged and marked processed
// rather than left for PayPal to retry for days.
func (b *Billing) unreadable(ev paypal.Event, err error) error {
	b.log.Error("event resource unreadable: ignored", "event", ev.ID, "type", ev.EventType, "err", err)
	return b.store.MarkEventProcessed(ev.ID)
}
