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
	return s.Greet(instance, gateway, recipient, lang, greeting, "")
}

// Greet is Register that also queues reply (if not empty) as a system reply
// from gateway, in the same transaction: one write for the whole greeting,
// and no registration without its confirmation after a crash.
func (s *Store) Greet(instance uint64, gateway, recipient, lang, greeting, reply string) (Registration, error) {
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
		if err := putJSON(b, key, r); err != nil {
			return err
		}
		if err := s.unparkRecipient(tx, instance, recipient); err != nil {
			return err
		}
		return s.reply(tx, instance, gateway, recipient, reply, now)
	})
	return r, err
}

// reply queues a system reply in tx, unless text is empty.
func (s *Store) reply(tx *bolt.Tx, instance uint64, from, to, text string, now time.Time) error {
	if text == "" {
		return nil
	}
	j := Job{Instance: instance, Priority: PrioritySystem, Kind: "text", To: to, From: from, Text: text}
	return s.insertJob(tx, &j, now)
}

// OptOut marks the user's registration on gateway opted out and, if reply
// gives a text for it, queues that as a system reply in the same
// transaction. reply learns the registration (with its language) and
// whether one existed. OptOut returns the same.
func (s *Store) OptOut(instance uint64, gateway, recipient string, reply func(r Registration, found bool) string) (Registration, bool, error) {
	var r Registration
	var found bool
	err := s.batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRegistrations)
		key := pairKey(gateway, recipient)
		now := s.now().UTC()
		r, found = Registration{}, false
		switch err := getJSON(b, key, &r); err {
		case ErrNotFound:
		case nil:
			found = true
			if r.Active() {
				r.OptedOutAt = now
			}
			if err := putJSON(b, key, r); err != nil {
				return err
			}
		default:
			return err
		}
		if reply == nil {
			return nil
		}
		return s.reply(tx, instance, gateway, recipient, reply(r, found), now)
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

// Hint queues text as the "say Hi" hint to sender, unless sender got one
// from gateway in the last 24 hours: at most one hint a day per sender and
// gateway number. It reports whether it queued one.
func (s *Store) Hint(instance uint64, gateway, sender, text string) (bool, error) {
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
		if err := putJSON(b, key, now); err != nil {
			return err
		}
		return s.reply(tx, instance, gateway, sender, text, now)
	})
	return ok, err
}
