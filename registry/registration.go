package registry

import (
	"time"

	bolt "go.etcd.io/bbolt"
)

// Registration records that a user greeted a gateway number. It belongs to
// that number: after a rotation users must greet the new number, because
// WhatsApp punishes messages from a number the recipient never wrote to.
type Registration struct {
	Instance     uint64    `json:"instance"`
	Gateway      string    `json:"gateway"`   // E.164 of the gateway number greeted
	Recipient    string    `json:"recipient"` // E.164 of the user
	RegisteredAt time.Time `json:"registered_at"`
	Lang         string    `json:"lang"` // BCP 47 tag of the greeting's language
	Greeting     string    `json:"greeting"`
	OptedOutAt   time.Time `json:"opted_out_at,omitzero"`
}

// Active reports whether the user may be messaged.
func (r Registration) Active() bool { return r.OptedOutAt.IsZero() }

// Register records (or renews, after an opt-out) a user's greeting. It is
// idempotent: a repeat greeting updates language and text and keeps the
// first registration time.
func (s *Store) Register(instance uint64, gateway, recipient, lang, greeting string) (Registration, error) {
	var r Registration
	err := s.batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRegistrations)
		key := pairKey(gateway, recipient)
		r = Registration{}
		if err := getJSON(b, key, &r); err != nil && err != ErrNotFound {
			return err
		}
		now := s.now().UTC()
		if r.RegisteredAt.IsZero() || !r.Active() {
			r.RegisteredAt = now
		}
		r.Instance, r.Gateway, r.Recipient, r.Lang, r.Greeting, r.OptedOutAt = instance, gateway, recipient, lang, greeting, time.Time{}
		return putJSON(b, key, r)
	})
	return r, err
}

// OptOut marks the user's registration on gateway opted out. It returns the
// registration (with its language, for the reply) and whether one existed.
func (s *Store) OptOut(gateway, recipient string) (Registration, bool, error) {
	var r Registration
	var found bool
	err := s.batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRegistrations)
		key := pairKey(gateway, recipient)
		r, found = Registration{}, false
		switch err := getJSON(b, key, &r); err {
		case ErrNotFound:
			return nil
		case nil:
		default:
			return err
		}
		found = true
		if r.Active() {
			r.OptedOutAt = s.now().UTC()
		}
		return putJSON(b, key, r)
	})
	return r, found, err
}

// Registration returns the user's registration on gateway.
func (s *Store) Registration(gateway, recipient string) (Registration, error) {
	var r Registration
	err := s.db.View(func(tx *bolt.Tx) error {
		return getJSON(tx.Bucket(bucketRegistrations), pairKey(gateway, recipient), &r)
	})
	return r, err
}

// TakeHint reports whether sender may be sent the "say Hi" hint now, and if
// so records it: at most one hint a day per sender and gateway number.
func (s *Store) TakeHint(gateway, sender string) (bool, error) {
	var ok bool
	err := s.batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHints)
		key := pairKey(gateway, sender)
		now := s.now().UTC()
		var last time.Time
		if err := getJSON(b, key, &last); err != nil && err != ErrNotFound {
			return err
		}
		ok = last.IsZero() || now.Sub(last) >= 24*time.Hour
		if !ok {
			return nil
		}
		return putJSON(b, key, now)
	})
	return ok, err
}
