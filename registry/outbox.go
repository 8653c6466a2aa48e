package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

var bucketPending = []byte("outbox_pending") // client ID \x00 u64 delivery -> nothing, while pending

func init() { allBuckets = append(allBuckets, bucketPending) }

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
)

// Delivery is one webhook POST waiting in, or done with, the outbox.
// Deliveries to one account go out in ID order: a pending head blocks the
// ones behind it, so the receiver sees events in the order they happened.
type Delivery struct {
	ID          uint64          `json:"id"`
	Account     string          `json:"account"`
	Event       string          `json:"event"`
	Body        json.RawMessage `json:"body"`
	State       DeliveryState   `json:"state"`
	Attempts    int             `json:"attempts"`
	NextAt      time.Time       `json:"next_at"`
	LastStatus  int             `json:"last_status,omitempty"`
	LastError   string          `json:"last_error,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	DeliveredAt time.Time       `json:"delivered_at,omitzero"`
}

// Wants reports whether the webhook subscribes to event.
func (w Webhook) Wants(event string) bool {
	return w.Active && w.URL != "" && (len(w.Events) == 0 || slices.Contains(w.Events, event))
}

func pendingKey(account string, id uint64) []byte {
	return append([]byte(account+"\x00"), u64(id)...)
}

// AddDelivery queues a webhook delivery for the account if its webhook
// wants the event. It reports whether one was queued.
func (s *Store) AddDelivery(clientID, event string, body any) (bool, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return false, err
	}
	var queued bool
	err = s.batch(func(tx *bolt.Tx) error {
		queued = false
		var a Account
		if err := getJSON(tx.Bucket(bucketAccounts), []byte(clientID), &a); err != nil {
			return err
		}
		if !a.Webhook.Wants(event) {
			return nil
		}
		queued = true
		return s.addDelivery(tx, clientID, event, data)
	})
	return queued, err
}

func (s *Store) addDelivery(tx *bolt.Tx, clientID, event string, body []byte) error {
	ob := tx.Bucket(bucketOutbox)
	id, err := ob.NextSequence()
	if err != nil {
		return err
	}
	now := s.now().UTC()
	d := Delivery{ID: id, Account: clientID, Event: event, Body: body, State: DeliveryPending, NextAt: now, CreatedAt: now}
	if err := putJSON(ob, u64(id), d); err != nil {
		return err
	}
	return tx.Bucket(bucketPending).Put(pendingKey(clientID, id), nil)
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
// the account's webhook wants it. Written in the same transaction, the
// event cannot be lost, and a slow receiver never holds up sending.
func (s *Store) statusChanged(tx *bolt.Tx, j Job) error {
	if j.Account == "" || j.State == JobQueued || j.State == JobSending {
		return nil
	}
	var a Account
	if err := s.accounts.get(tx.Bucket(bucketAccounts), []byte(j.Account), &a); err != nil || !a.Webhook.Wants(EventJobStatus) {
		return nil
	}
	data, err := json.Marshal(JobStatusEvent{Event: EventJobStatus, ID: j.IDString(), Status: string(j.State),
		Number: j.To, ErrorCode: j.ErrorCode, Error: j.Error, At: j.UpdatedAt.Format(time.RFC3339Nano)})
	if err != nil {
		return err
	}
	return s.addDelivery(tx, j.Account, EventJobStatus, data)
}

// DueDeliveries returns, for each account with an active webhook, the head
// of its pending deliveries if it is due at now; at most max.
func (s *Store) DueDeliveries(max int) ([]Delivery, error) {
	var out []Delivery
	err := s.db.View(func(tx *bolt.Tx) error {
		now := s.now()
		ob, ab := tx.Bucket(bucketOutbox), tx.Bucket(bucketAccounts)
		c := tx.Bucket(bucketPending).Cursor()
		for k, _ := c.First(); k != nil && len(out) < max; {
			i := bytes.IndexByte(k, 0)
			account := string(k[:i])
			var d Delivery
			if err := getJSON(ob, k[i+1:], &d); err != nil {
				return err
			}
			var a Account
			if getJSON(ab, []byte(account), &a) == nil && a.Webhook.Active && !now.Before(d.NextAt) {
				out = append(out, d)
			}
			// Skip the rest of this account's queue: only its head may go.
			k, _ = c.Seek(append([]byte(account), 1))
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
// count; a failure schedules a retry, gives up when asked, and deactivates
// the webhook when the receiver is gone or after maxFails consecutive
// failures. It reports whether this attempt deactivated the webhook.
func (s *Store) DeliveryResult(id uint64, at Attempt, maxFails int) (deactivated bool, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
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
			if (at.Gone || a.Webhook.Fails >= maxFails) && a.Webhook.Active {
				a.Webhook.Active, deactivated = false, true
				err := addEvent(tx, now, Event{Kind: "webhook_deactivated", Instance: a.Instance,
					Detail: fmt.Sprintf("account %s: webhook switched off after %d failures (last: %s)", a.ClientID, a.Webhook.Fails, at.Error)})
				if err != nil {
					return err
				}
			}
		}
		if d.State != DeliveryPending {
			if err := tx.Bucket(bucketPending).Delete(pendingKey(d.Account, d.ID)); err != nil {
				return err
			}
		}
		if err := putJSON(ob, u64(id), d); err != nil {
			return err
		}
		return s.putAccount(tx, a)
	})
	return deactivated, err
}

// Deliveries returns the account's most recent deliveries, newest first.
func (s *Store) Deliveries(clientID string, limit int) ([]Delivery, error) {
	var out []Delivery
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			var d Delivery
			if err := json.Unmarshal(v, &d); err != nil {
				return err
			}
			if d.Account == clientID {
				out = append(out, d)
			}
		}
		return nil
	})
	return out, err
}

// Replay re-activates the account's webhook and puts its failed deliveries,
// and any still pending, back at the head of the line in their original
// order. It returns how many failed deliveries were re-queued.
func (s *Store) Replay(clientID string) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		n = 0
		now := s.now().UTC()
		ob, ab, pb := tx.Bucket(bucketOutbox), tx.Bucket(bucketAccounts), tx.Bucket(bucketPending)
		var a Account
		if err := getJSON(ab, []byte(clientID), &a); err != nil {
			return err
		}
		a.Webhook.Active, a.Webhook.Fails = true, 0
		if err := s.putAccount(tx, a); err != nil {
			return err
		}
		// Collect first: bbolt forbids writing a bucket while iterating it.
		var replay []Delivery
		err := ob.ForEach(func(_, v []byte) error {
			var d Delivery
			if err := json.Unmarshal(v, &d); err != nil {
				return err
			}
			if d.Account == clientID && d.State != DeliveryDelivered {
				replay = append(replay, d)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, d := range replay {
			if d.State == DeliveryFailed {
				n++
			}
			d.State, d.NextAt, d.CreatedAt = DeliveryPending, now, now // a fresh 24 hours of retries
			if err := pb.Put(pendingKey(clientID, d.ID), nil); err != nil {
				return err
			}
			if err := putJSON(ob, u64(d.ID), d); err != nil {
				return err
			}
		}
		return nil
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
