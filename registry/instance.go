package registry

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"higate/quota"
)

// SandboxInstance is the instance of the simulated network.
const SandboxInstance uint64 = 0

// Instance is the {instance_number} of the API: a set of gateway numbers,
// one active and the rest standby, that a group of accounts sends through.
type Instance struct {
	ID            uint64   `json:"id"`
	Name          string   `json:"name"`
	Dedicated     bool     `json:"dedicated"`       // belongs to one Enterprise account
	Owner         string   `json:"owner,omitempty"` // client ID of that account
	Numbers       []string `json:"numbers"`         // in order: failover takes the first healthy standby
	NoAutoReplies bool     `json:"no_auto_replies"`
}

// Role is a gateway number's part in its instance.
type Role string

// The roles.
const (
	RoleActive  Role = "active"
	RoleStandby Role = "standby"
	RoleRetired Role = "retired"
)

// State is a gateway number's connection state.
type State string

// The number states of DESIGN.md.
const (
	StatePairing      State = "pairing"
	StateActive       State = "active" // connected (serving, or ready to if a standby)
	StateStandby      State = "standby"
	StateDisconnected State = "disconnected"
	StateTempBanned   State = "temp_banned"
	StateBanned       State = "banned"
	StateLoggedOut    State = "logged_out"
	StateRetired      State = "retired"
)

// Number is a gateway number.
type Number struct {
	Number    string      `json:"number"` // E.164
	Instance  uint64      `json:"instance"`
	Transport string      `json:"transport"` // "sim" or "whatsmeow"
	Role      Role        `json:"role"`
	State     State       `json:"state"`
	Reason    string      `json:"reason,omitempty"`
	Since     time.Time   `json:"since"`
	Until     time.Time   `json:"until,omitzero"` // end of a temporary ban
	Pacing    Pacing      `json:"pacing"`
	Sent      quota.Usage `json:"sent"` // for the daily cap
}

// Pacing spaces a number's sends so it looks like a person, not a bot.
type Pacing struct {
	Gap      time.Duration `json:"gap"`       // minimum time between sends
	Jitter   time.Duration `json:"jitter"`    // up to this much is added to each gap
	DailyCap int           `json:"daily_cap"` // sends per 24 hours; 0 means no cap
}

// Connected reports whether the number is connected and usable.
func (n Number) Connected() bool { return n.State == StateActive || n.State == StateStandby }

// Lost reports whether the number is out of service for good: banned or
// logged out. A standby replaces a lost active number.
func (n Number) Lost() bool { return n.State == StateBanned || n.State == StateLoggedOut }

// Serving reports whether an active number can take new sends: it is
// connected, or only disconnected and expected back.
func (n Number) Serving() bool {
	return n.Role == RoleActive && (n.Connected() || n.State == StateDisconnected || n.State == StatePairing)
}

// CreateInstance creates an instance. The sandbox instance is created with
// EnsureInstance, since its ID is fixed.
func (s *Store) CreateInstance(name string, dedicated bool) (Instance, error) {
	var in Instance
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketInstances)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		in = Instance{ID: id, Name: name, Dedicated: dedicated}
		return putJSON(b, u64(id), in)
	})
	return in, err
}

// EnsureInstance creates the instance with a fixed id if it is missing.
func (s *Store) EnsureInstance(id uint64, name string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketInstances)
		if b.Get(u64(id)) != nil {
			return nil
		}
		return putJSON(b, u64(id), Instance{ID: id, Name: name})
	})
}

// Instance returns one instance.
func (s *Store) Instance(id uint64) (Instance, error) {
	var in Instance
	err := s.db.View(func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bucketInstances), u64(id), &in) })
	return in, err
}

// UpdateInstance applies fn to the instance in one transaction.
func (s *Store) UpdateInstance(id uint64, fn func(*Instance) error) (Instance, error) {
	var in Instance
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketInstances)
		if err := getJSON(b, u64(id), &in); err != nil {
			return err
		}
		if err := fn(&in); err != nil {
			return err
		}
		return putJSON(b, u64(id), in)
	})
	return in, err
}

// InstanceView is an instance with its numbers, for listings.
type InstanceView struct {
	Instance
	Active      string   `json:"active"`
	NumberViews []Number `json:"-"`
}

// Instances lists every instance with its numbers.
func (s *Store) Instances() ([]InstanceView, error) {
	var out []InstanceView
	err := s.db.View(func(tx *bolt.Tx) error {
		nb := tx.Bucket(bucketNumbers)
		return tx.Bucket(bucketInstances).ForEach(func(_, v []byte) error {
			iv, err := viewInstance(nb, v)
			if err != nil {
				return err
			}
			out = append(out, iv)
			return nil
		})
	})
	return out, err
}

// viewInstance decodes a stored instance with its numbers' records.
func viewInstance(nb *bolt.Bucket, v []byte) (InstanceView, error) {
	var iv InstanceView
	if err := json.Unmarshal(v, &iv.Instance); err != nil {
		return iv, err
	}
	for _, num := range iv.Numbers {
		var n Number
		if err := getJSON(nb, []byte(num), &n); err != nil {
			return iv, fmt.Errorf("number %s of instance %d: %w", num, iv.ID, err)
		}
		if n.Role == RoleActive {
			iv.Active = n.Number
		}
		iv.NumberViews = append(iv.NumberViews, n)
	}
	return iv, nil
}

// AddNumber adds a gateway number to an instance. A number may join with
// role active only where the instance has no active number: taking over
// from a working one would leave every registered user unreachable (they
// greeted the old number), so that is a 409 whose remedy is the safe way,
// a standby and then a rotation. Where the active number is banned or
// logged out, a standby takes over by itself once it connects (TakeOver).
func (s *Store) AddNumber(n Number) (Number, error) {
	err := s.db.Update(func(tx *bolt.Tx) error {
		ib, nb := tx.Bucket(bucketInstances), tx.Bucket(bucketNumbers)
		var in Instance
		if err := getJSON(ib, u64(n.Instance), &in); err != nil {
			return Errorf(CodeNotFound, "list instances with GET /admin/api/instances", "instance %d does not exist", n.Instance)
		}
		var old Number
		if getJSON(nb, []byte(n.Number), &old) == nil && old.Role != RoleRetired {
			return Errorf(CodeConflict, "remove it first", "number %s already serves instance %d", n.Number, old.Instance)
		}
		if n.Role == RoleActive {
			cur, err := s.activeNumber(tx, in.ID)
			switch {
			case err == nil && cur.Lost():
				return Errorf(CodeConflict, "add it as standby: a standby takes over by itself once it connects, since the active number is "+string(cur.State),
					"instance %d already has an active number, %s (%s)", in.ID, cur.Number, cur.State)
			case err == nil:
				return Errorf(CodeConflict, "add it as standby, then rotate (POST /admin/api/instances/{id}/rotate); users must greet the new number",
					"instance %d already has an active number, %s", in.ID, cur.Number)
			case err != ErrNotFound:
				return err
			}
			// The instance's first active number: jobs parked for want of
			// one are judged against it.
			if err := s.unparkAll(tx, in.ID); err != nil {
				return err
			}
		}
		n.Since = s.now().UTC()
		if n.State == "" {
			n.State = StateDisconnected
		}
		if !slices.Contains(in.Numbers, n.Number) {
			in.Numbers = append(in.Numbers, n.Number)
		}
		if err := putJSON(ib, u64(in.ID), in); err != nil {
			return err
		}
		return putJSON(nb, []byte(n.Number), n)
	})
	return n, err
}

// demoteActive gives the instance's active number the role to.
func demoteActive(nb *bolt.Bucket, in Instance, to Role) error {
	for _, num := range in.Numbers {
		var n Number
		if err := getJSON(nb, []byte(num), &n); err != nil {
			return err
		}
		if n.Role == RoleActive {
			n.Role = to
			if err := putJSON(nb, []byte(num), n); err != nil {
				return err
			}
		}
	}
	return nil
}

// RemoveNumber takes a standby or retired number out of its instance.
func (s *Store) RemoveNumber(number string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		ib, nb := tx.Bucket(bucketInstances), tx.Bucket(bucketNumbers)
		var n Number
		if err := getJSON(nb, []byte(number), &n); err != nil {
			return Errorf(CodeNotFound, "list the gateway numbers with GET /admin/api/instances", "number %s is not a gateway number", number)
		}
		if n.Role == RoleActive {
			return Errorf(CodeConflict, "rotate another number in first", "number %s is the active number", number)
		}
		var in Instance
		if err := getJSON(ib, u64(n.Instance), &in); err != nil {
			return err
		}
		in.Numbers = slices.DeleteFunc(in.Numbers, func(s string) bool { return s == number })
		if err := putJSON(ib, u64(in.ID), in); err != nil {
			return err
		}
		return nb.Delete([]byte(number))
	})
}

// Number returns one gateway number.
func (s *Store) Number(number string) (Number, error) {
	var n Number
	err := s.db.View(func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bucketNumbers), []byte(number), &n) })
	return n, err
}

// Numbers lists every gateway number.
func (s *Store) Numbers() ([]Number, error) {
	var out []Number
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketNumbers).ForEach(func(_, v []byte) error {
			var n Number
			if err := json.Unmarshal(v, &n); err != nil {
				return err
			}
			out = append(out, n)
			return nil
		})
	})
	return out, err
}

// SetState records a number's new connection state and returns the number,
// and whether anything changed (a repeated event changes nothing).
func (s *Store) SetState(number string, state State, reason string, until time.Time) (Number, bool, error) {
	var n Number
	var changed bool
	// Group-committed: when many numbers change at once (a mass ban), their
	// states share commits instead of queueing one fsync each.
	err := s.batch(func(tx *bolt.Tx) error {
		nb := tx.Bucket(bucketNumbers)
		n = Number{}
		if err := getJSON(nb, []byte(number), &n); err != nil {
			return err
		}
		changed = n.State != state || n.Reason != reason
		if !changed {
			return nil
		}
		n.State, n.Reason, n.Until, n.Since = state, reason, until, s.now().UTC()
		return putJSON(nb, []byte(number), n)
	})
	return n, changed, err
}

// SetPacing changes a number's pacing.
func (s *Store) SetPacing(number string, p Pacing) error {
	_, err := s.UpdatePacing(number, func(cur *Pacing) error { *cur = p; return nil })
	return err
}

// UpdatePacing applies fn to a number's pacing in one transaction and
// returns the pacing that results; ErrNotFound if number is not a gateway
// number. An error from fn changes nothing.
func (s *Store) UpdatePacing(number string, fn func(*Pacing) error) (Pacing, error) {
	var n Number
	err := s.db.Update(func(tx *bolt.Tx) error {
		nb := tx.Bucket(bucketNumbers)
		if err := getJSON(nb, []byte(number), &n); err != nil {
			return err
		}
		if err := fn(&n.Pacing); err != nil {
			return err
		}
		return putJSON(nb, []byte(number), n)
	})
	return n.Pacing, err
}

// Activate makes number the active number of its instance; the previous
// active number gets role previous (retired on rotation and failover).
func (s *Store) Activate(number string, previous Role) (Number, error) {
	var n Number
	err := s.db.Update(func(tx *bolt.Tx) error {
		ib, nb := tx.Bucket(bucketInstances), tx.Bucket(bucketNumbers)
		if err := getJSON(nb, []byte(number), &n); err != nil {
			return Errorf(CodeNotFound, "list the gateway numbers with GET /admin/api/instances", "number %s is not a gateway number", number)
		}
		if n.Role == RoleActive {
			return nil
		}
		if n.Role != RoleStandby {
			return Errorf(CodeConflict, "add it again as a standby", "number %s is %s, not standby", number, n.Role)
		}
		var in Instance
		if err := getJSON(ib, u64(n.Instance), &in); err != nil {
			return err
		}
		if err := demoteActive(nb, in, previous); err != nil {
			return err
		}
		if err := s.unparkAll(tx, in.ID); err != nil {
			return err
		}
		n.Role = RoleActive
		if n.State == StateStandby {
			n.State = StateActive
		}
		return putJSON(nb, []byte(number), n)
	})
	return n, err
}

// TakeOver makes the standby number active if its instance has no usable
// active number (none, or one that is banned or logged out), and retires
// the lost one. The number must be connected. Check and change are one
// transaction, so of two standbys that come up at once, or a failover and
// a standby connecting, only one takes over. It returns the number, the
// active number it replaced (zero if there was none) and whether it took
// over; it changes nothing and reports false when the instance's active
// number is usable or the number is not a connected standby.
func (s *Store) TakeOver(number string) (n, replaced Number, ok bool, err error) {
	err = s.batch(func(tx *bolt.Tx) error { // group-committed, like SetState
		ib, nb := tx.Bucket(bucketInstances), tx.Bucket(bucketNumbers)
		n, ok, replaced = Number{}, false, Number{}
		if err := getJSON(nb, []byte(number), &n); err != nil {
			return err
		}
		if n.Role != RoleStandby || !n.Connected() {
			return nil
		}
		cur, err := s.activeNumber(tx, n.Instance)
		switch {
		case err == nil && !cur.Lost():
			return nil
		case err == nil:
			replaced = cur
		case err != ErrNotFound:
			return err
		}
		var in Instance
		if err := getJSON(ib, u64(n.Instance), &in); err != nil {
			return err
		}
		if err := demoteActive(nb, in, RoleRetired); err != nil {
			return err
		}
		if err := s.unparkAll(tx, in.ID); err != nil {
			return err
		}
		n.Role, n.State = RoleActive, StateActive
		ok = true
		return putJSON(nb, []byte(number), n)
	})
	return n, replaced, ok, err
}

// ActiveNumber returns the instance's active number; ErrNotFound if it has none.
func (s *Store) ActiveNumber(instance uint64) (Number, error) {
	var n Number
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = s.activeNumber(tx, instance)
		return err
	})
	return n, err
}

func (s *Store) activeNumber(tx *bolt.Tx, instance uint64) (Number, error) {
	var in Instance
	if err := s.instances.get(tx.Bucket(bucketInstances), u64(instance), &in); err != nil {
		return Number{}, err
	}
	nb := tx.Bucket(bucketNumbers)
	for _, num := range in.Numbers {
		var n Number
		if err := s.numbers.get(nb, []byte(num), &n); err != nil {
			return Number{}, err
		}
		if n.Role == RoleActive {
			return n, nil
		}
	}
	return Number{}, ErrNotFound
}
