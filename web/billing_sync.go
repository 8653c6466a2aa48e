package web

import (
	"context"
	"errors"
	"fmt"
	"time"

	"higate/quota"
	"higate/registry"
	"higate/web/paypal"
)

// This file brings accounts in line with PayPal. Every path that grants or
// revokes (webhooks, the return page, the lifecycle tick) goes through
// sync, which reads the subscription's current state from PayPal first:
// events arrive late, twice and out of order, and only the state PayPal
// reports now is the truth. Callers hold b.mu, and send the letters
// returned after releasing it.

// sync re-reads a subscription and applies it. It returns the subscription
// (zero if PayPal does not know it) and the mails to send.
func (b *Billing) sync(ctx context.Context, subscriptionID string) (paypal.Subscription, []letter, error) {
	sub, err := b.pp.Subscription(ctx, subscriptionID)
	if paypal.IsNotFound(err) {
		b.log.Warn("PayPal does not know the subscription", "subscription", subscriptionID)
		return paypal.Subscription{}, nil, nil
	}
	if err != nil {
		return paypal.Subscription{}, nil, err
	}
	letters, err := b.apply(ctx, sub)
	return sub, letters, err
}

// apply makes the account of sub match it: created when the subscription
// entitles its buyer and has no account yet; extended, converted from Trial
// or cut off according to its status otherwise.
func (b *Billing) apply(ctx context.Context, sub paypal.Subscription) ([]letter, error) {
	of, ok := b.offerByPlanID(sub.PlanID)
	if !ok {
		// Not a plan this server sells, e.g. another product on the same PayPal account.
		b.log.Warn("subscription to an unknown plan ignored", "subscription", sub.ID, "plan_id", sub.PlanID)
		return nil, nil
	}
	now := b.now()
	through := paidThrough(sub, of, now)
	acct, err := b.store.AccountBySubscription(sub.ID)
	if errors.Is(err, registry.ErrNotFound) {
		return b.activate(ctx, sub, of, through, now)
	}
	if err != nil {
		return nil, err
	}
	switch sub.Status {
	case paypal.StatusActive:
		if acct.Plan == quota.Trial && trialOver(sub) {
			// The first regular cycle is paid: same account, Forever Green limits.
			a, converted, err := b.store.ConvertTrial(acct.ClientID, b.period(through), &b.shared)
			if err != nil || !converted {
				return nil, err
			}
			b.log.Info("trial converted to Forever Green", "account", a.ClientID)
			return []letter{{to: a.Email, tmpl: "upgraded.txt", data: b.mailFor(a)}}, nil
		}
		_, err := b.store.ExtendPaid(acct.ClientID, b.period(through))
		return nil, err
	case paypal.StatusSuspended:
		if acct.Status != registry.StatusActive {
			return nil, nil
		}
		a, err := b.store.EndPeriod(acct.ClientID, now)
		if err != nil {
			return nil, err
		}
		b.log.Info("PayPal suspended the subscription: access ended", "account", a.ClientID)
		return []letter{{to: a.Email, tmpl: "suspended.txt", data: b.mailFor(a)}}, nil
	case paypal.StatusCancelled, paypal.StatusExpired:
		// No renewal: the account runs out at the end of what was paid.
		if first, err := b.store.FirstNotice(acct.ClientID, "cancelled", sub.ID); err != nil || !first {
			return nil, err
		}
		return []letter{{to: acct.Email, tmpl: "cancelled.txt", data: b.mailFor(acct)}}, nil
	}
	return nil, nil
}

// activate creates the account of a subscription that has none, if the
// subscription entitles its buyer to one now, and returns the credentials
// mail.
func (b *Billing) activate(ctx context.Context, sub paypal.Subscription, of offer, through, now time.Time) ([]letter, error) {
	entitled := sub.Status == paypal.StatusActive ||
		((sub.Status == paypal.StatusCancelled || sub.Status == paypal.StatusExpired) && through.After(now))
	if !entitled {
		b.log.Info("subscription not active: no account", "subscription", sub.ID, "status", sub.Status)
		return nil, nil
	}
	if sub.Email == "" {
		return nil, fmt.Errorf("subscription %s has no subscriber e-mail address", sub.ID)
	}
	plan := planOf(sub, of)
	instance := b.shared
	if plan == quota.Enterprise {
		in, err := b.store.CreateInstance("dedicated: "+sub.Email, true)
		if err != nil {
			return nil, fmt.Errorf("dedicated instance: %w", err)
		}
		instance = in.ID
	}
	a, creds, created, err := b.store.CreateSubscriberAccount(registry.NewAccount{Email: sub.Email, Plan: plan, Instance: instance,
		PayPal: registry.PayPalRefs{SubscriptionID: sub.ID}}, b.period(through))
	if err != nil || !created {
		return nil, err
	}
	b.log.Info("account created for subscription", "account", a.ClientID, "subscription", sub.ID, "plan", plan, "instance", instance)
	if plan == quota.Enterprise {
		detail := fmt.Sprintf("Enterprise account %s needs a gateway number on its dedicated instance %d", a.ClientID, instance)
		b.log.Warn("operator alert: " + detail)
		if err := b.store.AddEvent(registry.Event{Kind: "enterprise_account", Instance: instance, Detail: detail}); err != nil {
			b.log.Error("record event", "err", err)
		}
	}
	return []letter{b.credentialsLetter(a, creds, "new")}, nil
}

// paidThrough is when what the subscription has paid for runs out: PayPal's
// next billing time while it bills, else a cycle after the last payment,
// else the end of the trial.
func paidThrough(sub paypal.Subscription, of offer, now time.Time) time.Time {
	switch {
	case !sub.NextBilling.IsZero():
		return sub.NextBilling
	case !sub.LastPaymentAt.IsZero():
		return of.next(sub.LastPaymentAt)
	case of.Trial && !sub.StartTime.IsZero():
		return sub.StartTime.Add(quota.TrialTerm)
	}
	return now
}

// trialOver reports whether a trial subscription has paid its first regular
// cycle, which is when PayPal's trial ends as Forever Green.
func trialOver(sub paypal.Subscription) bool {
	return sub.RegularCycles > 0 || !sub.LastPaymentAt.IsZero()
}

// planOf is the Higate plan a subscription entitles to now.
func planOf(sub paypal.Subscription, of offer) quota.Plan {
	if of.Plan == quota.Trial && trialOver(sub) {
		return quota.ForeverGreen
	}
	return of.Plan
}

// saleCompleted records a payment: the subscription is synced first (which
// creates the account if the activation was missed), then the sale extends
// the period by a cycle from now, unless PayPal's own date is later.
func (b *Billing) saleCompleted(ctx context.Context, sale paypal.SaleResource) ([]letter, error) {
	if sale.BillingAgreementID == "" {
		b.log.Info("sale without a subscription ignored", "transaction", sale.ID)
		return nil, nil
	}
	sub, letters, err := b.sync(ctx, sale.BillingAgreementID)
	if err != nil {
		return nil, err
	}
	acct, err := b.store.AccountBySubscription(sale.BillingAgreementID)
	if errors.Is(err, registry.ErrNotFound) {
		return letters, nil
	}
	if err != nil {
		return letters, err
	}
	of, _ := b.offerByPlanID(sub.PlanID)
	through := of.next(b.now())
	if acct.PaidThrough.After(through) {
		through = acct.PaidThrough
	}
	if _, recorded, err := b.store.RecordSale(acct.ClientID, sale.ID, b.period(through)); err != nil {
		return letters, err
	} else if recorded {
		b.log.Info("payment recorded", "account", acct.ClientID, "transaction", sale.ID)
	}
	return letters, nil
}

// saleReversed puts the account on hold after a refund or a reversal
// (chargeback) of one of its payments. That is an operator's decision or a
// dispute, so a later sync does not undo it; the operator resumes the
// account by hand if it should go on.
func (b *Billing) saleReversed(ctx context.Context, sale paypal.SaleResource) ([]letter, error) {
	acct, err := b.store.AccountByTransaction(sale.TransactionID())
	if errors.Is(err, registry.ErrNotFound) && sale.BillingAgreementID != "" {
		acct, err = b.store.AccountBySubscription(sale.BillingAgreementID)
	}
	if errors.Is(err, registry.ErrNotFound) {
		b.log.Info("refund or reversal of an unknown payment ignored", "transaction", sale.TransactionID())
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	letters := []letter(nil)
	if acct.PayPal.SubscriptionID != "" {
		if _, letters, err = b.sync(ctx, acct.PayPal.SubscriptionID); err != nil {
			return nil, err
		}
	}
	if acct.Status == registry.StatusSuspended {
		return letters, nil
	}
	a, err := b.store.SetStatus(acct.ClientID, registry.StatusSuspended)
	if err != nil {
		return letters, err
	}
	b.log.Warn("operator alert: payment refunded or reversed, account suspended", "account", a.ClientID, "transaction", sale.TransactionID())
	d := b.mailFor(a)
	d.Reason = "refund"
	return append(letters, letter{to: a.Email, tmpl: "suspended.txt", data: d}), nil
}
