package registry

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"higate/quota"
)

// AccountStatus is whether an account may send.
type AccountStatus string

// The account statuses.
const (
	StatusActive    AccountStatus = "active"
	StatusExpired   AccountStatus = "expired"
	StatusSuspended AccountStatus = "suspended"
)

// Account is a developer's account. The client secret itself is never
// stored, only its SHA-256: secrets are 32 random bytes, so a fast hash is
// as safe as a slow one and keeps authentication off the hot path's profile.
type Account struct {
	ClientID   string        `json:"client_id"`
	SecretHash string        `json:"secret_hash"`
	Email      string        `json:"email"`
	Plan       quota.Plan    `json:"plan"`
	Status     AccountStatus `json:"status"`
	PeriodEnd  time.Time     `json:"period_end,omitzero"` // zero: no end (operator accounts)
	Instance   uint64        `json:"instance"`
	Limits     quota.Limits  `json:"limits,omitzero"` // operator overrides; zero fields keep the plan's
	CreatedAt  time.Time     `json:"created_at"`
	PayPal     PayPalRefs    `json:"paypal,omitzero"`
	Webhook    Webhook       `json:"webhook,omitzero"`

	// PaidThrough is the end of the paid (or trial) period. PeriodEnd, which
	// Authenticate enforces, is this plus the operator's grace period, so a
	// late renewal does not cut a paying customer off.
	PaidThrough time.Time `json:"paid_through,omitzero"`
}

// PayPalRefs link an account to its PayPal subscription and payments.
type PayPalRefs struct {
	SubscriptionID string   `json:"subscription_id,omitempty"`
	Transactions   []string `json:"transactions,omitempty"`
}

// Webhook is an Enterprise account's webhook settings.
type Webhook struct {
	URL    string   `json:"url,omitempty"`
	Token  string   `json:"token,omitempty"`  // echoed in inbound payloads (WhatsMate's "token")
	Secret string   `json:"secret,omitempty"` // HMAC key for X-Higate-Signature
	Events []string `json:"events,omitempty"` // "inbound", "job.status"; empty means all
	Active bool     `json:"active"`
	Fails  int      `json:"fails"` // consecutive failed deliveries
}

// Limits are the account's effective limits: its plan's, with overrides.
func (a Account) EffectiveLimits() quota.Limits { return a.Plan.Effective(a.Limits) }

// NewAccount describes an account to create.
type NewAccount struct {
	Email     string
	Plan      quota.Plan
	Instance  uint64
	Limits    quota.Limits
	PeriodEnd time.Time
	PayPal    PayPalRefs
}

// Credentials are returned once, when an account is created or its secret rotated.
type Credentials struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	Instance     uint64 `json:"instance"`
	Plan         string `json:"plan"`
}

// RandomHex returns n random bytes as hex, for secrets and tokens.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateAccount creates an account and returns its credentials; the secret
// is not recoverable afterwards.
func (s *Store) CreateAccount(na NewAccount) (Credentials, error) {
	a, secret, err := s.newAccount(na)
	if err != nil {
		return Credentials{}, err
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return s.insertAccount(tx, a) }); err != nil {
		return Credentials{}, err
	}
	return Credentials{ClientID: a.ClientID, ClientSecret: secret, Instance: a.Instance, Plan: string(a.Plan)}, nil
}

// newAccount builds an active account with fresh credentials; it returns
// the secret, of which only the hash is in the account.
func (s *Store) newAccount(na NewAccount) (Account, string, error) {
	if _, err := quota.Parse(string(na.Plan)); err != nil {
		return Account{}, "", Errorf(CodeBadRequest, "use trial, forever-green or enterprise", "%v", err)
	}
	secret := RandomHex(32)
	return Account{
		ClientID: "hg_" + RandomHex(12), SecretHash: hashSecret(secret), Email: na.Email,
		Plan: na.Plan, Status: StatusActive, PeriodEnd: na.PeriodEnd, Instance: na.Instance,
		Limits: na.Limits, CreatedAt: s.now().UTC(), PayPal: na.PayPal,
	}, secret, nil
}

// insertAccount writes a new account. Its instance must exist; a dedicated
// instance gets it as its one owner.
func (s *Store) insertAccount(tx *bolt.Tx, a Account) error {
	ib := tx.Bucket(bucketInstances)
	var in Instance
	if err := getJSON(ib, u64(a.Instance), &in); err != nil {
		return Errorf(CodeBadRequest, "create the instance first", "instance %d does not exist", a.Instance)
	}
	if in.Dedicated {
		if in.Owner != "" {
			return Errorf(CodeConflict, "omit instance to get a new dedicated one",
				"instance %d is dedicated to another account", in.ID)
		}
		in.Owner = a.ClientID
		if err := putJSON(ib, u64(in.ID), in); err != nil {
			return err
		}
	}
	return s.putAccount(tx, a)
}

// Account returns the account with the given client ID.
func (s *Store) Account(clientID string) (Account, error) {
	var a Account
	err := s.db.View(func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bucketAccounts), []byte(clientID), &a) })
	return a, err
}

// Accounts lists every account.
func (s *Store) Accounts() ([]Account, error) {
	var out []Account
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAccounts).ForEach(func(_, v []byte) error {
			var a Account
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			out = append(out, a)
			return nil
		})
	})
	return out, err
}

// AccountsDue lists the active accounts whose paid period ends by t, soonest
// first, through the due index: billing's periodic look at the few accounts
// near or past their period's end reads only those, not every account (at
// 100,000 accounts a scan read 53 MB of the registry every tick).
func (s *Store) AccountsDue(t time.Time) ([]Account, error) {
	var out []Account
	err := s.db.View(func(tx *bolt.Tx) error {
		ab := tx.Bucket(bucketAccounts)
		c := tx.Bucket(bucketDue).Cursor()
		end := uint64(t.Unix())
		for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= end; k, _ = c.Next() {
			var a Account
			if err := getJSON(ab, k[8:], &a); err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

// dueKey is an account's key in the due index, nil if it has no paid period
// that can end: u64 Unix seconds of PaidThrough, then the client ID.
func dueKey(a Account) []byte {
	if a.Status != StatusActive || a.PaidThrough.IsZero() {
		return nil
	}
	return append(binary.BigEndian.AppendUint64(nil, uint64(a.PaidThrough.Unix())), a.ClientID...)
}

// putAccount writes an account and keeps the due and e-mail indexes in step; every
// write of an account goes through it. The account as it was comes through
// the decode cache: webhook deliveries rewrite their account each time.
func (s *Store) putAccount(tx *bolt.Tx, a Account) error {
	ab, due := tx.Bucket(bucketAccounts), tx.Bucket(bucketDue)
	var old Account
	oldKey := []byte(nil)
	if s.accounts.get(ab, []byte(a.ClientID), &old) == nil {
		oldKey = dueKey(old)
	}
	if newKey := dueKey(a); !bytes.Equal(oldKey, newKey) {
		if oldKey != nil {
			if err := due.Delete(oldKey); err != nil {
				return err
			}
		}
		if newKey != nil {
			if err := due.Put(newKey, nil); err != nil {
				return err
			}
		}
	}
	if err := reindexEmail(tx, old, a); err != nil {
		return err
	}
	return putJSON(ab, []byte(a.ClientID), a)
}

// indexDue builds the due index of a registry written before it existed.
func indexDue(tx *bolt.Tx) error {
	due := tx.Bucket(bucketDue)
	return tx.Bucket(bucketAccounts).ForEach(func(_, v []byte) error {
		var a Account
		if err := json.Unmarshal(v, &a); err != nil {
			return err
		}
		if k := dueKey(a); k != nil {
			return due.Put(k, nil)
		}
		return nil
	})
}

var errBadCredentials = Errorf(CodeUnauthorized, "check the X-WM-CLIENT-ID and X-WM-CLIENT-SECRET headers for typos",
	"invalid client ID or secret")

// Authenticate checks credentials and that the account may send. It
// compares the secret's hash in constant time, and does the same work for an
// unknown client ID so response times do not reveal which IDs exist.
// Every API request starts here, so the account comes through the decode
// cache: the Account returned shares its slices and must only be read.
func (s *Store) Authenticate(clientID, secret string) (Account, error) {
	var a Account
	err := s.db.View(func(tx *bolt.Tx) error {
		return s.accounts.get(tx.Bucket(bucketAccounts), []byte(clientID), &a)
	})
	got := hashSecret(secret)
	if err != nil {
		subtle.ConstantTimeCompare([]byte(got), []byte(got))
		return Account{}, errBadCredentials
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(a.SecretHash)) != 1 {
		return Account{}, errBadCredentials
	}
	if err := s.usable(a); err != nil {
		return Account{}, err
	}
	return a, nil
}

// CheckInstance reports whether the account may use instance: its own only.
func (a Account) CheckInstance(instance uint64) error {
	if a.Instance != instance {
		return Errorf(CodeUnauthorized, fmt.Sprintf("use instance %d in the URL", a.Instance),
			"instance %d is not this account's instance", instance)
	}
	return nil
}

// usable reports whether the account may send now.
func (s *Store) usable(a Account) error {
	switch {
	case a.Status == StatusSuspended:
		return Errorf(CodeUnauthorized, "contact the operator", "the account is suspended")
	case a.Status == StatusExpired || (!a.PeriodEnd.IsZero() && s.now().After(a.PeriodEnd)):
		return Errorf(CodeUnauthorized, "renew your plan", "the account expired on %s", a.PeriodEnd.Format(time.DateOnly))
	}
	return nil
}

// UpdateAccount applies fn to the account inside one transaction.
func (s *Store) UpdateAccount(clientID string, fn func(*Account) error) (Account, error) {
	var a Account
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAccounts)
		if err := getJSON(b, []byte(clientID), &a); err != nil {
			return err
		}
		if err := fn(&a); err != nil {
			return err
		}
		return s.putAccount(tx, a)
	})
	return a, err
}

// RotateSecret gives the account a new secret; the old one stops working at
// once, and so do the account's portal sessions.
func (s *Store) RotateSecret(clientID string) (Credentials, error) {
	secret := RandomHex(32)
	var a Account
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := getJSON(tx.Bucket(bucketAccounts), []byte(clientID), &a); err != nil {
			return err
		}
		a.SecretHash = hashSecret(secret)
		if err := s.putAccount(tx, a); err != nil {
			return err
		}
		// Whoever signed in to the portal with the old secret is signed out.
		_, err := endSessions(tx, SessionPortal, clientID)
		return err
	})
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{ClientID: a.ClientID, ClientSecret: secret, Instance: a.Instance, Plan: string(a.Plan)}, nil
}

// UsageOf returns the account's current window and how many distinct
// recipients it has used.
func (s *Store) UsageOf(clientID string) (Usage, error) {
	var u Usage
	err := s.db.View(func(tx *bolt.Tx) error {
		err := getJSON(tx.Bucket(bucketUsage), []byte(clientID), &u)
		if err == ErrNotFound {
			return nil
		}
		return err
	})
	return u, err
}

// Usage is an account's quota state.
type Usage struct {
	Window     quota.Usage `json:"window"`
	Recipients int         `json:"recipients"`
}
