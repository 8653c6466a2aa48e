package registry

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"higate/quota"
)

// Billing keeps its indexes and markers in the meta bucket under these
// prefixes, so lookups by PayPal reference are one Get instead of a scan of
// every account.
const (
	metaEvent       = "paypal/event/"      // PayPal webhook event ID -> time processed
	metaSubscriber  = "paypal/sub/"        // PayPal subscription ID -> client ID
	metaTransaction = "paypal/txn/"        // PayPal transaction (sale) ID -> client ID
	metaPending     = "paypal/pending/"    // checkout reference -> PendingCheckout
	metaNotice      = "notice/"            // kind / client ID -> stamp of the last notice sent
	metaUndelivered = "creds/undelivered/" // client ID -> time the credentials mail was first due
)

// Period is a paid period: payment runs out at PaidThrough and access ends
// Grace later (Account.PeriodEnd).
type Period struct {
	PaidThrough time.Time
	Grace       time.Duration
}

// apply sets the account's period. It never shortens a period: PayPal
// events arrive out of order, and an older one must not take back what a
// newer one granted.
func (p Period) apply(a *Account) {
	if p.PaidThrough.After(a.PaidThrough) {
		a.PaidThrough = p.PaidThrough.UTC()
	}
	a.PeriodEnd = a.PaidThrough.Add(p.Grace)
}

// reactivate lifts an expiry, but never an operator's suspension: paying
// does not undo what the operator decided.
func reactivate(a *Account) {
	if a.Status == StatusExpired {
		a.Status = StatusActive
	}
}

// CreateSubscriberAccount creates the account of a PayPal subscription
// (na.PayPal.SubscriptionID) unless the subscription has one already, in
// which case it returns that account, empty credentials and false. The check
// and the insert are one transaction, so a repeated or concurrent activation
// creates one account. The new account is marked as having undelivered
// credentials until MarkCredentialsDelivered.
func (s *Store) CreateSubscriberAccount(na NewAccount, p Period) (Account, Credentials, bool, error) {
	sub := na.PayPal.SubscriptionID
	if sub == "" {
		return Account{}, Credentials{}, false, Errorf(CodeBadRequest, "give the PayPal subscription ID", "a subscriber account needs a subscription ID")
	}
	a, secret, err := s.newAccount(na)
	if err != nil {
		return Account{}, Credentials{}, false, err
	}
	now := a.CreatedAt
	p.apply(&a)
	created := false
	err = s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if id := meta.Get([]byte(metaSubscriber + sub)); id != nil {
			// Decode into a fresh value: fields the stored account omits
			// must not keep the new account's values.
			var existing Account
			err := getJSON(tx.Bucket(bucketAccounts), id, &existing)
			a = existing
			return err
		}
		if err := s.insertAccount(tx, a); err != nil {
			return err
		}
		for _, txn := range a.PayPal.Transactions {
			if err := meta.Put([]byte(metaTransaction+txn), []byte(a.ClientID)); err != nil {
				return err
			}
		}
		if err := putJSON(meta, []byte(metaUndelivered+a.ClientID), now); err != nil {
			return err
		}
		created = true
		return meta.Put([]byte(metaSubscriber+sub), []byte(a.ClientID))
	})
	if err != nil || !created {
		return a, Credentials{}, false, err
	}
	return a, Credentials{ClientID: a.ClientID, ClientSecret: secret, Instance: a.Instance, Plan: string(a.Plan)}, true, nil
}

// AccountBySubscription returns the account of a PayPal subscription;
// ErrNotFound if it has none.
func (s *Store) AccountBySubscription(subscriptionID string) (Account, error) {
	return s.accountByMeta(metaSubscriber + subscriptionID)
}

// AccountByPayment returns the account that a PayPal transaction ID (or
// subscription ID: a trial has no transaction yet) and e-mail address both
// belong to; ErrNotFound otherwise. The address is compared without regard
// to case, as mail systems do.
func (s *Store) AccountByPayment(ref, email string) (Account, error) {
	ref, email = strings.TrimSpace(ref), strings.TrimSpace(email)
	if ref == "" || email == "" {
		return Account{}, ErrNotFound
	}
	a, err := s.accountByMeta(metaTransaction + ref)
	if err == ErrNotFound {
		a, err = s.accountByMeta(metaSubscriber + ref)
	}
	if err != nil {
		return Account{}, err
	}
	if !strings.EqualFold(a.Email, email) {
		return Account{}, ErrNotFound
	}
	return a, nil
}

// AccountByTransaction returns the account that recorded a PayPal
// transaction; ErrNotFound if none did. Refunds name only the sale.
func (s *Store) AccountByTransaction(txn string) (Account, error) {
	return s.accountByMeta(metaTransaction + txn)
}

func (s *Store) accountByMeta(key string) (Account, error) {
	var a Account
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketMeta).Get([]byte(key))
		if id == nil {
			return ErrNotFound
		}
		return getJSON(tx.Bucket(bucketAccounts), id, &a)
	})
	return a, err
}

// RecordSale records a PayPal sale on the account and extends its period.
// A transaction already recorded changes nothing and returns false, so a
// repeated PAYMENT.SALE.COMPLETED never pays twice.
func (s *Store) RecordSale(clientID, txn string, p Period) (Account, bool, error) {
	recorded := false
	var a Account
	err := s.db.Update(func(tx *bolt.Tx) error {
		recorded = false
		meta := tx.Bucket(bucketMeta)
		b := tx.Bucket(bucketAccounts)
		if err := getJSON(b, []byte(clientID), &a); err != nil {
			return err
		}
		if meta.Get([]byte(metaTransaction+txn)) != nil {
			return nil
		}
		a.PayPal.Transactions = append(a.PayPal.Transactions, txn)
		p.apply(&a)
		reactivate(&a)
		if err := meta.Put([]byte(metaTransaction+txn), []byte(clientID)); err != nil {
			return err
		}
		recorded = true
		return s.putAccount(tx, a)
	})
	return a, recorded, err
}

// ExtendPaid extends the account's paid period to p (never shortening it)
// and lifts an expiry.
func (s *Store) ExtendPaid(clientID string, p Period) (Account, error) {
	return s.UpdateAccount(clientID, func(a *Account) error { p.apply(a); reactivate(a); return nil })
}

// ExtendDays adds days to the paid period, counting from now if it has
// already run out: an operator recording an offline payment.
func (s *Store) ExtendDays(clientID string, days int, grace time.Duration) (Account, error) {
	if days <= 0 || days > 3660 {
		return Account{}, Errorf(CodeBadRequest, "give days between 1 and 3660", "days %d is out of range", days)
	}
	now := s.now().UTC()
	return s.UpdateAccount(clientID, func(a *Account) error {
		from := a.PaidThrough
		if from.Before(now) {
			from = now
		}
		Period{PaidThrough: from.AddDate(0, 0, days), Grace: grace}.apply(a)
		reactivate(a)
		return nil
	})
}

// EndPeriod ends the account's paid period and access at the given time and
// marks it expired (a suspension stays): PayPal suspended the subscription,
// or the payment was refunded.
func (s *Store) EndPeriod(clientID string, at time.Time) (Account, error) {
	return s.UpdateAccount(clientID, func(a *Account) error {
		if a.PaidThrough.IsZero() || a.PaidThrough.After(at) {
			a.PaidThrough = at.UTC()
		}
		a.PeriodEnd = at.UTC()
		if a.Status == StatusActive {
			a.Status = StatusExpired
		}
		return nil
	})
}

// SetStatus sets the account's status: an operator suspending or resuming it.
func (s *Store) SetStatus(clientID string, status AccountStatus) (Account, error) {
	switch status {
	case StatusActive, StatusExpired, StatusSuspended:
	default:
		return Account{}, Errorf(CodeBadRequest, "use active, expired or suspended", "unknown status %q", status)
	}
	return s.UpdateAccount(clientID, func(a *Account) error { a.Status = status; return nil })
}

// ExpireIfDue marks an active account expired if its access has ended. The
// check is repeated inside the transaction, so it cannot undo an extension
// that raced with it. It reports whether it changed the account.
func (s *Store) ExpireIfDue(clientID string) (Account, bool, error) {
	expired := false
	now := s.now()
	a, err := s.UpdateAccount(clientID, func(a *Account) error {
		expired = a.Status == StatusActive && !a.PeriodEnd.IsZero() && now.After(a.PeriodEnd)
		if expired {
			a.Status = StatusExpired
		}
		return nil
	})
	return a, expired, err
}

// ConvertTrial turns a Trial account into Forever Green, keeping its client
// ID, secret, instance and registrations, and extends its period to p. It
// reports whether the account was a Trial. The plan changes as ChangePlan
// changes it: both plans are shared ones, so the account stays where it is,
// unless it was on a dedicated instance; then it moves to shared (nil: the
// lowest shared instance).
func (s *Store) ConvertTrial(clientID string, p Period, shared *uint64) (Account, bool, error) {
	converted := false
	var a Account
	err := s.db.Update(func(tx *bolt.Tx) error {
		converted = false
		if err := getJSON(tx.Bucket(bucketAccounts), []byte(clientID), &a); err != nil {
			return err
		}
		if converted = a.Plan == quota.Trial; converted {
			if _, err := s.changePlan(tx, &a, PlanChange{Plan: quota.ForeverGreen, Shared: shared}); err != nil {
				return err
			}
		}
		p.apply(&a)
		reactivate(&a)
		return s.putAccount(tx, a)
	})
	return a, converted, err
}

// EventProcessed reports whether a PayPal webhook event has been processed.
func (s *Store) EventProcessed(eventID string) (bool, error) {
	seen := false
	err := s.db.View(func(tx *bolt.Tx) error {
		seen = tx.Bucket(bucketMeta).Get([]byte(metaEvent+eventID)) != nil
		return nil
	})
	return seen, err
}

// MarkEventProcessed records a PayPal webhook event as processed, so a
// redelivery of it is a no-op.
func (s *Store) MarkEventProcessed(eventID string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketMeta), []byte(metaEvent+eventID), s.now().UTC())
	})
}

// PendingCheckout is a subscription started on the checkout page and not yet
// activated. Its Ref is the subscription's custom_id at PayPal, which ties
// the PayPal subscription back to the checkout that created it.
type PendingCheckout struct {
	Ref            string    `json:"ref"`
	Offer          string    `json:"offer"` // checkout offer: trial, forever-green, forever-green-yearly, enterprise
	PlanID         string    `json:"plan_id"`
	SubscriptionID string    `json:"subscription_id,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

// SavePendingCheckout stores (or replaces) a pending checkout.
func (s *Store) SavePendingCheckout(p PendingCheckout) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketMeta), []byte(metaPending+p.Ref), p)
	})
}

// PendingCheckout returns a pending checkout; ErrNotFound if there is none.
func (s *Store) PendingCheckout(ref string) (PendingCheckout, error) {
	var p PendingCheckout
	err := s.db.View(func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bucketMeta), []byte(metaPending+ref), &p) })
	return p, err
}

// PrunePendingCheckouts deletes pending checkouts created before t: anyone
// may start a checkout, so abandoned ones must not pile up.
func (s *Store) PrunePendingCheckouts(before time.Time) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		n = 0
		b := tx.Bucket(bucketMeta)
		// Collect first: deleting under a cursor makes it skip keys.
		var stale [][]byte
		prefix := []byte(metaPending)
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var p PendingCheckout
			if err := json.Unmarshal(v, &p); err != nil || p.CreatedAt.Before(before) {
				stale = append(stale, bytes.Clone(k))
			}
		}
		for _, k := range stale {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(stale)
		return nil
	})
	return n, err
}

// FirstNotice records that the notice kind with stamp (e.g. the period end
// a reminder was about, or the quota window it was about) was sent to the
// account. It reports whether this stamp is new for that kind, so each
// notice goes out once.
func (s *Store) FirstNotice(clientID, kind, stamp string) (bool, error) {
	first := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		key := []byte(metaNotice + kind + "/" + clientID)
		b := tx.Bucket(bucketMeta)
		first = string(b.Get(key)) != stamp
		if !first {
			return nil
		}
		return b.Put(key, []byte(stamp))
	})
	return first, err
}

// ForgetNotice forgets the last notice of kind, so the next FirstNotice of
// it is first again: the notice could not be sent after all.
func (s *Store) ForgetNotice(clientID, kind string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Delete([]byte(metaNotice + kind + "/" + clientID))
	})
}

// Undelivered lists the accounts whose credentials mail has been due since
// before t and has not been delivered.
func (s *Store) Undelivered(before time.Time) ([]string, error) {
	var out []string
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketMeta).Cursor()
		prefix := []byte(metaUndelivered)
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var due time.Time
			if err := json.Unmarshal(v, &due); err != nil || due.Before(before) {
				out = append(out, string(k[len(prefix):]))
			}
		}
		return nil
	})
	return out, err
}

// MarkCredentialsDelivered records that the account's credentials mail went out.
func (s *Store) MarkCredentialsDelivered(clientID string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Delete([]byte(metaUndelivered + clientID))
	})
}
