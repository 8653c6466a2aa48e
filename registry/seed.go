package registry

import (
	"bytes"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"higate/quota"
)

// seedChunk is how many records one seeding transaction writes: large
// enough that the fsync per transaction stops mattering, small enough that
// a transaction's dirty pages stay a few megabytes.
const seedChunk = 10_000

// SeedRegistrations writes registrations in bulk, seedChunk to a
// transaction, for imports and the scale benchmark (a million greetings one
// Register at a time take minutes). Each registration is stored as Register
// would store it: RegisteredAt is set to now where zero, and an existing
// registration of the same gateway number and recipient is replaced.
func (s *Store) SeedRegistrations(regs []Registration) error {
	now := s.now().UTC()
	for chunk := range slices.Chunk(regs, seedChunk) {
		// Sorted keys make each transaction append to neighbouring pages
		// instead of touching pages all over the tree.
		keyed := make([]keyedValue, 0, len(chunk))
		for _, r := range chunk {
			if r.RegisteredAt.IsZero() {
				r.RegisteredAt = now
			}
			keyed = append(keyed, keyedValue{pairKey(r.Gateway, r.Recipient), r})
		}
		slices.SortFunc(keyed, func(a, b keyedValue) int { return bytes.Compare(a.key, b.key) })
		err := s.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketRegistrations)
			for _, kv := range keyed {
				if err := putJSON(b, kv.key, kv.value); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("seed registrations: %w", err)
		}
	}
	return nil
}

type keyedValue struct {
	key   []byte
	value any
}

// SeedAccounts creates accounts in bulk, seedChunk to a transaction, and
// returns their credentials in the order given. It checks what
// CreateAccount checks (the plan, and that the instance exists).
func (s *Store) SeedAccounts(nas []NewAccount) ([]Credentials, error) {
	creds := make([]Credentials, 0, len(nas))
	now := s.now().UTC()
	for chunk := range slices.Chunk(nas, seedChunk) {
		accts := make([]Account, 0, len(chunk))
		for _, na := range chunk {
			if _, err := quota.Parse(string(na.Plan)); err != nil {
				return nil, Errorf(CodeBadRequest, "use trial, forever-green or enterprise", "%v", err)
			}
			secret := RandomHex(32)
			a := Account{
				ClientID: "hg_" + RandomHex(12), SecretHash: hashSecret(secret), Email: na.Email,
				Plan: na.Plan, Status: StatusActive, PeriodEnd: na.PeriodEnd, Instance: na.Instance,
				Limits: na.Limits, CreatedAt: now, PayPal: na.PayPal,
			}
			accts = append(accts, a)
			creds = append(creds, Credentials{ClientID: a.ClientID, ClientSecret: secret, Instance: a.Instance, Plan: string(a.Plan)})
		}
		err := s.db.Update(func(tx *bolt.Tx) error {
			ib := tx.Bucket(bucketInstances)
			for _, a := range accts {
				if ib.Get(u64(a.Instance)) == nil {
					return Errorf(CodeBadRequest, "create the instance first", "instance %d does not exist", a.Instance)
				}
				if err := s.putAccount(tx, a); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("seed accounts: %w", err)
		}
	}
	return creds, nil
}
