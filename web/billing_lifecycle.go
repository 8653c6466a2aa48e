package web

import (
	"context"
	"errors"
	"time"

	"higate/quota"
	"higate/registry"
	"higate/web/paypal"
)

// undeliveredAfter is how long a credentials mail may stay undelivered
// before the tick sends new credentials: long enough that the tick never
// races the webhook that is still sending the first mail.
const undeliveredAfter = 10 * time.Minute

// pendingFor is how long an unfinished checkout is kept.
const pendingFor = 7 * 24 * time.Hour

// remindCheckEvery spaces the PayPal reads that decide whether a period
// about to end will renew.
const remindCheckEvery = 6 * time.Hour

// Run calls Tick every interval until ctx ends. The clock is the store's,
// so tests do not run this loop: they call Tick with the time they want.
func (b *Billing) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := b.Tick(ctx, b.now()); err != nil && ctx.Err() == nil {
			b.log.Error("billing tick", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick does what is due at now: resend credentials that never arrived,
// re-read subscriptions whose paid period has come to its end (a Trial then
// becomes Forever Green, a renewal whose webhook was lost is found), remind
// before an expiry that will not renew, and expire what is past its grace.
// Each notice goes out once per period. It returns the first error and
// carries on past it, so one bad account does not stall the others.
func (b *Billing) Tick(ctx context.Context, now time.Time) error {
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	keep(b.resendUndelivered(ctx, now))
	// Only accounts with a paid period that is near its end or past it have
	// anything to do (see tickAccount).
	accts, err := b.store.AccountsDue(now.Add(b.remind))
	if err != nil {
		return err
	}
	for _, a := range accts {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		keep(b.tickAccount(ctx, a, now))
	}
	if b.Enabled() {
		_, err := b.store.PrunePendingCheckouts(now.Add(-pendingFor))
		keep(err)
	}
	return first
}

func (b *Billing) tickAccount(ctx context.Context, a registry.Account, now time.Time) error {
	if a.Status != registry.StatusActive || a.PaidThrough.IsZero() {
		return nil
	}
	stamp := a.PaidThrough.UTC().Format(time.RFC3339)
	if now.Before(a.PaidThrough) {
		if !now.Before(a.PaidThrough.Add(-b.remind)) {
			return b.remindExpiry(ctx, a, stamp, now)
		}
		return nil
	}
	if b.Enabled() && a.PayPal.SubscriptionID != "" {
		// The period is up: PayPal has billed by now, or will within the
		// grace period (it retries failed payments). A look at the end of
		// the period and another halfway through the grace period turn a
		// Trial into Forever Green and catch a renewal whose webhook was lost.
		phase := "end"
		if !now.Before(a.PaidThrough.Add(b.grace / 2)) {
			phase = "grace"
		}
		first, err := b.store.FirstNotice(a.ClientID, "due", stamp+"/"+phase)
		if err != nil {
			return err
		}
		if first {
			_, letters, err := b.syncLocked(ctx, a.PayPal.SubscriptionID)
			b.send(ctx, letters...)
			if err != nil {
				// Look again at the next tick.
				return errors.Join(err, b.store.ForgetNotice(a.ClientID, "due"))
			}
			if a, err = b.store.Account(a.ClientID); err != nil {
				return err
			}
		}
	}
	if a.Status == registry.StatusActive && !a.PeriodEnd.IsZero() && now.After(a.PeriodEnd) {
		return b.expire(ctx, a)
	}
	return nil
}

// remindExpiry mails once per period that it ends soon, unless PayPal is
// going to renew it: an active subscription needs no reminder. Whether it
// is active is asked at most every few hours, since a buyer may cancel
// inside the reminder window.
func (b *Billing) remindExpiry(ctx context.Context, a registry.Account, stamp string, now time.Time) error {
	if b.Enabled() && a.PayPal.SubscriptionID != "" {
		check := stamp + "/" + now.UTC().Truncate(remindCheckEvery).Format(time.RFC3339)
		if first, err := b.store.FirstNotice(a.ClientID, "expiring-check", check); err != nil || !first {
			return err
		}
		sub, err := b.pp.Subscription(ctx, a.PayPal.SubscriptionID)
		if err != nil && !paypal.IsNotFound(err) {
			return errors.Join(err, b.store.ForgetNotice(a.ClientID, "expiring-check"))
		}
		if sub.Status == paypal.StatusActive {
			return nil
		}
	}
	if first, err := b.store.FirstNotice(a.ClientID, "expiring", stamp); err != nil || !first {
		return err
	}
	b.send(ctx, letter{to: a.Email, tmpl: "expiring.txt", data: b.mailFor(a)})
	return nil
}

// expire marks an account past its grace period expired and tells its owner.
func (b *Billing) expire(ctx context.Context, a registry.Account) error {
	a, expired, err := b.store.ExpireIfDue(a.ClientID)
	if err != nil || !expired {
		return err
	}
	b.log.Info("account expired", "account", a.ClientID)
	b.send(ctx, letter{to: a.Email, tmpl: "expired.txt", data: b.mailFor(a)})
	return nil
}

// resendUndelivered gives accounts whose credentials mail never went out a
// new secret and mails it: the first secret exists nowhere else.
func (b *Billing) resendUndelivered(ctx context.Context, now time.Time) error {
	ids, err := b.store.Undelivered(now.Add(-undeliveredAfter))
	if err != nil || b.mailer == nil {
		return err
	}
	for _, id := range ids {
		a, err := b.store.Account(id)
		if errors.Is(err, registry.ErrNotFound) {
			_ = b.store.MarkCredentialsDelivered(id) // the account is gone; nothing to deliver
			continue
		}
		if err != nil {
			return err
		}
		creds, err := b.store.RotateSecret(id)
		if err != nil {
			return err
		}
		b.send(ctx, b.credentialsLetter(a, creds, "resent"))
	}
	return nil
}

// QuotaUsedUp is called when a send is refused with 469: the account's
// owner gets one mail per 24-hour window. It does not block the request.
func (b *Billing) QuotaUsedUp(a registry.Account) {
	if b == nil || b.mailer == nil {
		return
	}
	u, err := b.store.UsageOf(a.ClientID)
	if err != nil || u.Window.Start.IsZero() {
		return
	}
	b.quotaMu.Lock()
	seen := b.quotaSeen[a.ClientID].Equal(u.Window.Start)
	b.quotaSeen[a.ClientID] = u.Window.Start
	b.quotaMu.Unlock()
	if seen {
		return
	}
	b.background(func(ctx context.Context) {
		// The registry's mark survives a restart; the map above only spares it.
		first, err := b.store.FirstNotice(a.ClientID, "quota", u.Window.Start.UTC().Format(time.RFC3339Nano))
		if err != nil || !first {
			return
		}
		d := b.mailFor(a)
		d.ResetAt = u.Window.Start.Add(quota.Window).UTC().Format(time.RFC1123)
		b.send(ctx, letter{to: a.Email, tmpl: "quota.txt", data: d})
	})
}

// billingSendHook is send.go's one-line hook: a 469 may warrant a mail.
func (s *server) billingSendHook(a registry.Account, err error) {
	if registry.ErrorCode(err) == registry.CodeQuota {
		s.Billing.QuotaUsedUp(a)
	}
}
