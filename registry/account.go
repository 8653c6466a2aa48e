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
	"net/mail"
	"strings"
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

// MaxEmailBytes is the longest e-mail address accepted: what fits in an
// SMTP path (RFC 5321, section 4.5.3.1.3).
const MaxEmailBytes = 254

// CheckEmail validates an e-mail address a client gives and returns it
// without surrounding spaces. It must be a bare address (no display name,
// no comment, no angle brackets) of at most MaxEmailBytes bytes whose
// domain has a dot: credentials and notices are mailed to it, so a typo
// caught here is a customer who gets their mail.
func CheckEmail(addr string) (string, error) {
	addr = strings.TrimSpace(addr)
	const remedy = "give a plain e-mail address, e.g. dev@example.com"
	switch {
	case addr == "":
		return "", Errorf(CodeBadRequest, remedy, "email is missing")
	case len(addr) > MaxEmailBytes:
		return "", Errorf(CodeBadRequest, fmt.Sprintf("use an address of at most %d bytes", MaxEmailBytes),
			"email is %d bytes long, over the limit of %d", len(addr), MaxEmailBytes)
	}
	parsed, err := mail.ParseAddress(addr)
	if err != nil || parsed.Name != "" || parsed.Address != addr {
		return "", Errorf(CodeBadRequest, remedy, "email is not a valid e-mail address")
	}
	at := strings.LastIndexByte(addr, '@')
	local, domain := addr[:at], addr[at+1:]
	if len(local) > 64 {
		return "", Errorf(CodeBadRequest, "use an address whose part before the @ has at most 64 bytes",
			"email is not a valid e-mail address: the part before the @ is %d bytes long", len(local))
	}
	// A domain literal ([192.0.2.1]) or a name without a dot (localhost)
	// is valid syntax, and never a customer's mailbox.
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.HasPrefix(domain, "[") {
		return "", Errorf(CodeBadRequest, remedy+", with a domain name such as example.com",
			"email is not a valid e-mail address: %q is not a domain name", domain)
	}
	return addr, nil
}

// CreateAccount creates an account and returns its credentials; the secret
// is not recoverable afterwards. The e-mail address must pass CheckEmail.
func (s *Store) CreateAccount(na NewAccount) (Credentials, error) {
	email, err := CheckEmail(na.Email)
	if err != nil {
		return Credentials{}, err
	}
	na.Email = email
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

// putAccount writes an account and keeps the due index in step; every
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

// ErrBadCredentials is Authenticate's error for a client ID or secret that
// is wrong (it never says which); its other errors are about an account
// whose credentials were right (suspended, expired).
var ErrBadCredentials = errBadCredentials

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

// CheckUsable reports, as Authenticate does, whether the account may use
// the API now: an error (474, with the remedy) when it is suspended or has
// expired. The web pages sign a developer in once and check it again on
// each request.
func (s *Store) CheckUsable(a Account) error { return s.usable(a) }

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

// PlanChange is a change of an account's plan (ChangePlan).
type PlanChange struct {
	Plan quota.Plan
	// Shared is the instance an account moves to when it leaves its
	// dedicated instance; nil means the lowest-numbered shared instance.
	Shared *uint64
}

// Move says where a plan change put the account.
type Move struct {
	From, To uint64
	Created  bool // To is a new dedicated instance: it needs a gateway number
}

// Moved reports whether the account changed instance.
func (m Move) Moved() bool { return m.From != m.To }

// ChangePlan changes the account's plan and puts the account on an
// instance that fits the new plan, in one transaction; its limits follow
// the plan (operator overrides stay). Every change of plan goes through
// here, by hand (the admin API) or from PayPal (ConvertTrial), so a plan
// and its instance cannot disagree:
//
//   - To a plan with a dedicated number (Enterprise), an account that does
//     not own its instance gets a new dedicated instance of its own, as a
//     new Enterprise account does: it must not keep a shared instance,
//     whose number's profile and inbound messages it would then control.
//     (Setting enterprise again is how an Enterprise account the operator
//     once put on a shared instance gets its own.)
//   - To a plan without one, an account on a dedicated instance moves to
//     c.Shared (or the lowest shared instance). The
//     dedicated instance keeps its numbers and loses its owner, for the
//     operator to give to another Enterprise account or wind down; the
//     account's webhook is switched off and its URL forgotten, since
//     webhooks are Enterprise's.
//
// An account whose instance already fits its new plan stays on it. Users must greet
// the number of the new instance before it can message them, as after a
// rotation; jobs already queued go out from the instance they were
// accepted for.
func (s *Store) ChangePlan(clientID string, c PlanChange) (Account, Move, error) {
	if _, err := quota.Parse(string(c.Plan)); err != nil {
		return Account{}, Move{}, Errorf(CodeBadRequest, "use trial, forever-green or enterprise", "%v", err)
	}
	var a Account
	var mv Move
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := getJSON(tx.Bucket(bucketAccounts), []byte(clientID), &a); err != nil {
			return err
		}
		var err error
		if mv, err = s.changePlan(tx, &a, c); err != nil {
			return err
		}
		return s.putAccount(tx, a)
	})
	return a, mv, err
}

// changePlan sets a's plan in tx and moves it between a shared and a
// dedicated instance as ChangePlan says; the caller writes a.
func (s *Store) changePlan(tx *bolt.Tx, a *Account, c PlanChange) (Move, error) {
	mv := Move{From: a.Instance, To: a.Instance}
	dedicated := c.Plan.Features().Dedicated
	a.Plan = c.Plan
	ib := tx.Bucket(bucketInstances)
	var in Instance
	if err := getJSON(ib, u64(a.Instance), &in); err != nil {
		return mv, fmt.Errorf("instance %d of account %s: %w", a.Instance, a.ClientID, err)
	}
	switch {
	case dedicated && !(in.Dedicated && in.Owner == a.ClientID):
		id, err := ib.NextSequence()
		if err != nil {
			return mv, err
		}
		if err := putJSON(ib, u64(id), Instance{ID: id, Name: "dedicated: " + a.Email, Dedicated: true, Owner: a.ClientID}); err != nil {
			return mv, err
		}
		mv.To, mv.Created = id, true
	case !dedicated && in.Dedicated:
		to, err := sharedInstance(ib, c.Shared)
		if err != nil {
			return mv, err
		}
		if in.Owner == a.ClientID {
			in.Owner = ""
			if err := putJSON(ib, u64(in.ID), in); err != nil {
				return mv, err
			}
		}
		mv.To = to
		a.Webhook.URL, a.Webhook.Active, a.Webhook.Fails = "", false, 0
	}
	a.Instance = mv.To
	return mv, nil
}

// sharedInstance checks that *want is a shared (not dedicated) instance,
// or with want nil finds the lowest-numbered one.
func sharedInstance(ib *bolt.Bucket, want *uint64) (uint64, error) {
	if want != nil {
		var in Instance
		if err := getJSON(ib, u64(*want), &in); err != nil {
			return 0, Errorf(CodeConflict, "create it, or choose another shared instance for Trial and Forever Green accounts",
				"shared instance %d does not exist", *want)
		}
		if in.Dedicated {
			return 0, Errorf(CodeConflict, "choose a shared instance for Trial and Forever Green accounts",
				"instance %d is dedicated, not shared", *want)
		}
		return *want, nil
	}
	c := ib.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var in Instance
		if err := json.Unmarshal(v, &in); err != nil {
			return 0, err
		}
		if !in.Dedicated {
			return in.ID, nil
		}
	}
	return 0, Errorf(CodeConflict, "create a shared instance with POST /admin/api/instances, then change the plan",
		"there is no shared instance to move the account to")
}

// CheckDedicated reports whether the account may use what only an
// Enterprise account's own number allows (its profile, webhooks): its plan
// has it, and its instance is dedicated to it. An Enterprise account that
// the operator put on a shared instance gets a 475 too: the shared number
// is not its to configure.
func (s *Store) CheckDedicated(a Account, feature string) error {
	if !a.Plan.Features().Dedicated {
		return Errorf(CodeNotInPlan, "upgrade to Enterprise for "+feature, "the %s plan does not include %s", a.Plan, feature)
	}
	in, err := s.Instance(a.Instance)
	if err != nil && err != ErrNotFound {
		return err
	}
	if err != nil || !in.Dedicated || in.Owner != a.ClientID {
		return Errorf(CodeNotInPlan, "ask the operator for a dedicated instance (POST /admin/api/accounts/{client_id}/plan {\"plan\":\"enterprise\"} gives one)",
			"%s needs a dedicated instance, and instance %d is shared", feature, a.Instance)
	}
	return nil
}
