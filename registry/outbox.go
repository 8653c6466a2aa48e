package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Webhook event names.
const (
	EventInbound   = "inbound"
	EventJobStatus = "job.status"
)

// DeliveryState is where a webhook delivery stands.
type DeliveryState string

// The delivery states.
const (
	DeliveryPending   DeliveryState = "pending"
	DeliveryDelivered DeliveryState = "delivered"
	DeliveryFailed    DeliveryState = "failed" // gave up: 24 h of retries, or 410 Gone
	// DeliveryHeld is an event kept while the webhook was switched off (by
	// 410 Gone, repeated failures or its owner); a replay sends it.
	DeliveryHeld DeliveryState = "held"
)

// Delivery is one webhook POST waiting in, or done with, the outbox.
// Deliveries of one conversation (an account and an end user, see
// Conversation) go out in ID order: a pending head holds back the ones
// behind it, so the receiver sees each conversation's events in the order
// they happened, and one it keeps refusing holds back no other conversation.
type Delivery struct {
	ID           uint64          `json:"id"`
	Account      string          `json:"account"`
	Conversation string          `json:"conversation,omitempty"`
	Event        string          `json:"event"`
	Body         json.RawMessage `json:"body"`
	State        DeliveryState   `json:"state"`
	Attempts     int             `json:"attempts"`
	NextAt       time.Time       `json:"next_at"`
	LastStatus   int             `json:"last_status,omitempty"`
	LastError    string          `json:"last_error,omitempty"`
	// CreatedAt is when the event happened; it never changes.
	CreatedAt time.Time `json:"created_at"`
	// RetrySince starts the current period of retries: CreatedAt, or the
	// last replay. Zero in deliveries of earlier versions: use CreatedAt.
	RetrySince  time.Time `json:"retry_since,omitzero"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
}

// RetryingSince is when the delivery's current period of retries began.
func (d Delivery) RetryingSince() time.Time {
	if d.RetrySince.IsZero() {
		return d.CreatedAt
	}
	return d.RetrySince
}

// Wants reports whether the webhook takes the event now: it is active and
// subscribed to it.
func (w Webhook) Wants(event string) bool {
	return w.Active && w.Keeps(event)
}

// Keeps reports whether the event is kept for the webhook: it has a URL and
// subscribes to the event, whether or not it is switched on. Events kept
// while it is off are held for a replay.
func (w Webhook) Keeps(event string) bool {
	return w.URL != "" && (len(w.Events) == 0 || slices.Contains(w.Events, event))
}

// Conversation names the conversation an event belongs to, the unit in
// which webhook deliveries keep their order: the end user's number (as
// digits), or for a group its admin and name, the pair a send names a
// group by, so a group's messages and its jobs' status events share one.
func Conversation(number, groupAdmin, groupName string) string {
	if groupName != "" {
		return "group:" + strings.TrimPrefix(groupAdmin, "+") + ":" + groupName
	}
	return strings.TrimPrefix(number, "+")
}

// AddDelivery keeps a webhook delivery of an event in the conversation for
// the account, if its webhook subscribes to the event: pending while the
// webhook is on, held while it is off. It reports whether one was kept.
func (s *Store) AddDelivery(clientID, conversation, event string, body any) (bool, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return false, err
	}
	var kept bool
	err = s.batch(func(tx *bolt.Tx) error {
		kept = false
		var a Account
		if err := s.accounts.get(tx.Bucket(bucketAccounts), []byte(clientID), &a); err != nil {
			return err
		}
		if !a.Webhook.Keeps(event) {
			return nil
		}
		kept = true
		return s.addDelivery(tx, a, conversation, event, data)
	})
	return kept, err
}

func (s *Store) addDelivery(tx *bolt.Tx, a Account, conversation, event string, body []byte) error {
	ob := tx.Bucket(bucketOutbox)
	id, err := ob.NextSequence()
	if err != nil {
		return err
	}
	now := s.now().UTC()
	d := Delivery{ID: id, Account: a.ClientID, Conversation: conversation, Event: event, Body: body,
		State: DeliveryPending, NextAt: now, CreatedAt: now, RetrySince: now}
	if !a.Webhook.Active {
		d.State = DeliveryHeld
	}
	if err := putJSON(ob, u64(id), d); err != nil {
		return err
	}
	if err := tx.Bucket(bucketAccountDeliveries).Put(accountKey(a.ClientID, id), nil); err != nil {
		return err
	}
	if d.State != DeliveryPending {
		return nil
	}
	conv := convKey(a.ClientID, conversation)
	if err := tx.Bucket(bucketOutboxQueue).Put(lineKey(conv, id), nil); err != nil {
		return err
	}
	s.db.pending.line(1)
	if tx.Bucket(bucketOutboxHeads).Get(conv) != nil {
		return nil // the conversation's head is earlier and already in line
	}
	return rehead(tx, conv, true)
}

// JobStatusEvent is the body of a job.status webhook.
type JobStatusEvent struct {
	Event     string `json:"event"`
	ID        string `json:"id"`
	Status    string `json:"status"`
	Number    string `json:"number"`
	ErrorCode int    `json:"error_code"`
	Error     string `json:"error"`
	At        string `json:"at"`
}

// statusChanged is called in the transaction of every job state change: a
// final or receipt state of an API job becomes a job.status delivery when
// the account's webhook subscribes to it. Written in the same transaction,
// the event cannot be lost, and a slow receiver never holds up sending.
// The delivery goes in the conversation with the job's recipient.
func (s *Store) statusChanged(tx *bolt.Tx, j Job) error {
	if j.Account == "" || j.State == JobQueued || j.State == JobSending || j.State == JobScheduled {
		return nil
	}
	var a Account
	if err := s.accounts.get(tx.Bucket(bucketAccounts), []byte(j.Account), &a); err != nil || !a.Webhook.Keeps(EventJobStatus) {
		return nil
	}
	data, err := json.Marshal(JobStatusEvent{Event: EventJobStatus, ID: j.IDString(), Status: string(j.State),
		Number: j.To, ErrorCode: j.ErrorCode, Error: j.Error, At: j.UpdatedAt.UTC().Format(time.RFC3339Nano)})
	if err != nil {
		return err
	}
	return s.addDelivery(tx, a, Conversation(j.To, j.GroupAdmin, j.GroupName), EventJobStatus, data)
}

// DueDeliveries returns the heads of conversations whose next attempt is
// due at now, the longest due first; at most max. It reads only those: the
// due index holds one entry per conversation of an active webhook.
func (s *Store) DueDeliveries(max int) ([]Delivery, error) {
	var out []Delivery
	err := s.db.View(func(tx *bolt.Tx) error {
		limit := outboxDueKey(s.now(), ^uint64(0))
		ob := tx.Bucket(bucketOutbox)
		c := tx.Bucket(bucketOutboxDue).Cursor()
		for k, _ := c.First(); k != nil && len(out) < max && bytes.Compare(k, limit) <= 0; k, _ = c.Next() {
			var d Delivery
			if err := getJSON(ob, k[8:], &d); err != nil {
				return err
			}
			if d.State == DeliveryPending {
				out = append(out, d)
			}
		}
		return nil
	})
	return out, err
}

// Attempt is the result of one webhook delivery attempt.
type Attempt struct {
	Status int    // HTTP status; 0 when no response came
	Error  string // what went wrong, if anything
	OK     bool
	GiveUp bool      // stop retrying this delivery (too old, or the receiver is gone)
	Gone   bool      // the receiver answered 410: switch the webhook off now
	Next   time.Time // when to retry a failure
}

// DeliveryResult records an attempt. A success clears the account's failure
// count; a failure schedules a retry, gives up when asked, and switches the
// webhook off when the receiver is gone, or when the account's last
// maxFails attempts failed and this delivery has failed maxFails times
// (what is pending then is held for a replay). It reports whether
// this attempt switched the webhook off. An attempt that was under way
// when the webhook went off is recorded, but counts no failure.
func (s *Store) DeliveryResult(id uint64, at Attempt, maxFails int) (deactivated bool, err error) {
	err = s.batch(func(tx *bolt.Tx) error {
		deactivated = false
		now := s.now().UTC()
		ob, ab := tx.Bucket(bucketOutbox), tx.Bucket(bucketAccounts)
		var d Delivery
		if err := getJSON(ob, u64(id), &d); err != nil {
			return err
		}
		var a Account
		if err := getJSON(ab, []byte(d.Account), &a); err != nil {
			return err
		}
		d.Attempts++
		d.LastStatus, d.LastError = at.Status, at.Error
		if d.State != DeliveryPending {
			// The webhook went off while this attempt was under way and the
			// delivery was held: a success still delivered it; a failure
			// leaves it held for the replay and counts no failure.
			if at.OK {
				d.State, d.DeliveredAt = DeliveryDelivered, now
			}
			return putJSON(ob, u64(id), d)
		}
		switch {
		case at.OK:
			d.State, d.DeliveredAt = DeliveryDelivered, now
			a.Webhook.Fails = 0
		default:
			a.Webhook.Fails++
			d.NextAt = at.Next
			if at.GiveUp {
				d.State = DeliveryFailed
			}
		}
		conv := convKey(d.Account, d.Conversation)
		if d.State != DeliveryPending {
			if ok, err := deleteKey(tx.Bucket(bucketOutboxQueue), lineKey(conv, d.ID)); err != nil {
				return err
			} else if ok {
				s.db.pending.line(-1)
			}
		}
		if err := putJSON(ob, u64(id), d); err != nil {
			return err
		}
		// Conversations are tried in parallel, so a short outage fails
		// many attempts at once; the webhook goes off only when one
		// delivery has failed maxFails times as well, which takes hours of
		// backoff, as it did when an account had one line.
		if !at.OK && a.Webhook.Active && (at.Gone || a.Webhook.Fails >= maxFails && d.Attempts >= maxFails) {
			a.Webhook.Active, deactivated = false, true
			err := addEvent(tx, now, Event{Kind: "webhook_deactivated", Instance: a.Instance,
				Detail: fmt.Sprintf("account %s: webhook switched off after %d failures (last: %s)", a.ClientID, a.Webhook.Fails, at.Error)})
			if err != nil {
				return err
			}
			if err := holdAccount(tx, s.db.pending, a.ClientID); err != nil {
				return err
			}
		} else if err := rehead(tx, conv, a.Webhook.Active); err != nil {
			return err
		}
		return s.putAccount(tx, a)
	})
	return deactivated, err
}

// Deliveries returns the account's most recent deliveries, newest first,
// at most limit, through the account's index (never another's).
func (s *Store) Deliveries(clientID string, limit int) ([]Delivery, error) {
	var out []Delivery
	err := s.db.View(func(tx *bolt.Tx) error {
		return eachDeliveryOf(tx, clientID, func(d Delivery) (bool, error) {
			if len(out) == limit {
				return false, nil
			}
			out = append(out, d)
			return true, nil
		})
	})
	return out, err
}

// UpdateWebhook changes the account's webhook settings and keeps the
// outbox in step: switching the webhook off holds what is pending, and
// switching it on puts what is pending back in line (held and failed
// deliveries wait for Replay).
func (s *Store) UpdateWebhook(clientID string, fn func(*Webhook) error) (Account, error) {
	var a Account
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := getJSON(tx.Bucket(bucketAccounts), []byte(clientID), &a); err != nil {
			return err
		}
		was := a.Webhook.Active
		if err := fn(&a.Webhook); err != nil {
			return err
		}
		if err := s.putAccount(tx, a); err != nil {
			return err
		}
		switch {
		case was && !a.Webhook.Active:
			return holdAccount(tx, s.db.pending, clientID)
		case !was && a.Webhook.Active:
			return reheadAccount(tx, clientID, true)
		}
		return nil
	})
	return a, err
}

// Replay switches the account's webhook on and puts its failed and held
// deliveries back in line with its pending ones, each conversation in its
// original order: what failed first, then what was held while the webhook
// was off. Each gets a fresh period of retries; its created_at stays. It
// returns how many deliveries it put back.
func (s *Store) Replay(clientID string) (int, error) {
	// Find them in a read transaction, so the scan of the outbox does not
	// hold the write lock; the update checks each again.
	var ids []uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		return eachDeliveryOf(tx, clientID, func(d Delivery) (bool, error) {
			if d.State == DeliveryFailed || d.State == DeliveryHeld {
				ids = append(ids, d.ID)
			}
			return true, nil
		})
	})
	slices.Reverse(ids) // oldest first, as they happened
	if err != nil {
		return 0, err
	}
	n := 0
	err = s.db.Update(func(tx *bolt.Tx) error {
		n = 0
		now := s.now().UTC()
		ob, ab, qb := tx.Bucket(bucketOutbox), tx.Bucket(bucketAccounts), tx.Bucket(bucketOutboxQueue)
		var a Account
		if err := getJSON(ab, []byte(clientID), &a); err != nil {
			return err
		}
		a.Webhook.Active, a.Webhook.Fails = true, 0
		if err := s.putAccount(tx, a); err != nil {
			return err
		}
		for _, id := range ids {
			var d Delivery
			if err := getJSON(ob, u64(id), &d); err != nil || d.State != DeliveryFailed && d.State != DeliveryHeld {
				continue // pruned or changed meanwhile
			}
			n++
			d.State, d.NextAt, d.RetrySince = DeliveryPending, now, now
			if err := putJSON(ob, u64(id), d); err != nil {
				return err
			}
			if added, err := putKey(qb, lineKey(convKey(clientID, d.Conversation), id)); err != nil {
				return err
			} else if added {
				s.db.pending.line(1)
			}
		}
		return reheadAccount(tx, clientID, true)
	})
	return n, err
}

// AccountByInstance returns the account a dedicated instance belongs to.
func (s *Store) AccountByInstance(instance uint64) (Account, error) {
	in, err := s.Instance(instance)
	if err != nil {
		return Account{}, err
	}
	if in.Owner == "" {
		return Account{}, ErrNotFound
	}
	return s.Account(in.Owner)
}
