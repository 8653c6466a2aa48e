package registry

import (
	"bytes"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

// RecipientState is whether a recipient may be messaged from a gateway
// number.
type RecipientState string

// The recipient states.
const (
	RecipientRegistered    RecipientState = "registered"     // greeted the number and did not opt out
	RecipientOptedOut      RecipientState = "opted_out"      // greeted it, then said STOP
	RecipientNotRegistered RecipientState = "not_registered" // never greeted it (e.g. a number rotated in since)
)

// Recipient is someone an account has sent to, with their registration on
// a gateway number.
type Recipient struct {
	Number       string // E.164
	FirstSent    time.Time
	State        RecipientState
	Registration Registration // zero when State is RecipientNotRegistered
}

// MaxRecipientsLimit is the largest page RecipientsOf returns.
const MaxRecipientsLimit = 500

// RecipientsOf returns the recipients the account has sent to, in number
// order after the number after ("" from the first), at most limit of them
// (50 when 0), each with their registration on gateway (the instance's
// active number; "" for none, when every recipient is not registered). It
// also returns the cursor of the next page ("" when there are no more).
// It reads the account's own recipients and their registrations one by
// one, so it never lists another account's users of a shared number and
// costs the same however many registrations the number has.
func (s *Store) RecipientsOf(clientID, gateway, after string, limit int) ([]Recipient, string, error) {
	switch {
	case limit <= 0:
		limit = 50
	case limit > MaxRecipientsLimit:
		limit = MaxRecipientsLimit
	}
	prefix := append([]byte(clientID), 0)
	var out []Recipient
	var next string
	err := s.db.View(func(tx *bolt.Tx) error {
		rb := tx.Bucket(bucketRegistrations)
		c := tx.Bucket(bucketRecipients).Cursor()
		k, v := c.Seek(prefix)
		if after != "" {
			k, v = c.Seek(pairKey(clientID, after))
			if k != nil && bytes.Equal(k, pairKey(clientID, after)) {
				k, v = c.Next()
			}
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if len(out) == limit {
				next = out[len(out)-1].Number
				return nil
			}
			r := Recipient{Number: string(k[len(prefix):]), State: RecipientNotRegistered}
			if err := json.Unmarshal(v, &r.FirstSent); err != nil {
				return err
			}
			if gateway != "" {
				var reg Registration
				switch err := getJSON(rb, pairKey(gateway, r.Number), &reg); {
				case err == nil && reg.Active():
					r.State, r.Registration = RecipientRegistered, reg
				case err == nil:
					r.State, r.Registration = RecipientOptedOut, reg
				case err != ErrNotFound:
					return err
				}
			}
			out = append(out, r)
		}
		return nil
	})
	return out, next, err
}
