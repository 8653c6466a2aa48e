package registry

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The outbox's indexes. Deliveries keep their order per conversation, so
// only the head of each conversation may go; the sender asks, on every
// poll, which heads are due. Scanning every pending delivery for that
// would cost as much as the backlog (a receiver that is down for an hour
// leaves thousands), so the heads that may go are kept in order of when
// they are due, and a poll reads only those that are.
var (
	// bucketOutboxQueue holds every pending delivery of an active webhook,
	// in order within its conversation:
	// client ID \x00 conversation \x00 u64 delivery -> nothing.
	bucketOutboxQueue = []byte("outbox_queue")
	// bucketOutboxHeads remembers the due entry of each conversation's
	// head: client ID \x00 conversation -> due key. A conversation has one
	// while its webhook is active and its queue is not empty.
	bucketOutboxHeads = []byte("outbox_heads")
	// bucketOutboxDue orders the heads by when they are due:
	// u64 next attempt (Unix ns), u64 delivery -> client ID \x00 conversation.
	bucketOutboxDue = []byte("outbox_due")
	// bucketOutboxPendingV1 is the index of earlier versions, in order per
	// account (client ID \x00 u64 delivery); upgradeOutbox replaces it.
	bucketOutboxPendingV1 = []byte("outbox_pending")
)

// convKey names a conversation in the indexes. A NUL in a conversation
// (from a group name, say) would make keys ambiguous, so none is kept.
func convKey(account, conversation string) []byte {
	return []byte(account + "\x00" + string(bytes.ReplaceAll([]byte(conversation), []byte{0}, nil)))
}

func lineKey(conv []byte, id uint64) []byte {
	k := make([]byte, 0, len(conv)+9)
	k = append(append(k, conv...), 0)
	return append(k, u64(id)...)
}

func outboxDueKey(at time.Time, id uint64) []byte {
	ns := uint64(0)
	if at.After(time.Unix(0, 0)) {
		ns = uint64(at.UnixNano())
	}
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, ns)
	binary.BigEndian.PutUint64(k[8:], id)
	return k
}

// queueHead returns the ID of the first pending delivery of a conversation.
func queueHead(tx *bolt.Tx, conv []byte) (uint64, bool) {
	prefix := append(bytes.Clone(conv), 0)
	k, _ := tx.Bucket(bucketOutboxQueue).Cursor().Seek(prefix)
	if k == nil || !bytes.HasPrefix(k, prefix) || len(k) != len(prefix)+8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(k[len(prefix):]), true
}

// rehead makes the due index hold exactly the conversation's head, when the
// webhook is active; call it after anything that may change the head or
// its next attempt.
func rehead(tx *bolt.Tx, conv []byte, active bool) error {
	hb, db := tx.Bucket(bucketOutboxHeads), tx.Bucket(bucketOutboxDue)
	if old := hb.Get(conv); old != nil {
		if err := db.Delete(bytes.Clone(old)); err != nil {
			return err
		}
	}
	id, ok := queueHead(tx, conv)
	if !active || !ok {
		return hb.Delete(conv)
	}
	var d Delivery
	if err := getJSON(tx.Bucket(bucketOutbox), u64(id), &d); err != nil {
		return err
	}
	dk := outboxDueKey(d.NextAt, id)
	if err := db.Put(dk, bytes.Clone(conv)); err != nil {
		return err
	}
	return hb.Put(conv, dk)
}

// accountConversations returns the conversations of the account that have
// pending deliveries, skipping from one to the next.
func accountConversations(tx *bolt.Tx, account string) [][]byte {
	var out [][]byte
	prefix := []byte(account + "\x00")
	c := tx.Bucket(bucketOutboxQueue).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(k) >= len(prefix)+9; {
		conv := bytes.Clone(k[:len(k)-9])
		out = append(out, conv)
		k, _ = c.Seek(append(bytes.Clone(conv), 1))
	}
	return out
}

// holdAccount takes an account's pending deliveries out of the line when
// its webhook is switched off: they become held, as do events that come
// while it is off, and wait for a replay (or the retention). t counts the
// deliveries taken out of the line.
func holdAccount(tx *bolt.Tx, t *tally, account string) error {
	ob, qb := tx.Bucket(bucketOutbox), tx.Bucket(bucketOutboxQueue)
	prefix := []byte(account + "\x00")
	var keys [][]byte // collected first: bbolt forbids deleting under a cursor's feet
	c := qb.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	convs := map[string]bool{}
	for _, k := range keys {
		if len(k) < len(prefix)+9 {
			continue
		}
		convs[string(k[:len(k)-9])] = true
		id := binary.BigEndian.Uint64(k[len(k)-8:])
		var d Delivery
		if err := getJSON(ob, u64(id), &d); err == nil && d.State == DeliveryPending {
			d.State = DeliveryHeld
			if err := putJSON(ob, u64(id), d); err != nil {
				return err
			}
		}
		if err := qb.Delete(k); err != nil {
			return err
		}
		t.line(-1) // found by the scan above
	}
	for conv := range convs {
		if err := rehead(tx, []byte(conv), false); err != nil {
			return err
		}
	}
	return nil
}

// reheadAccount puts the heads of all the account's conversations in the
// due index (or takes them out, when the webhook is off).
func reheadAccount(tx *bolt.Tx, account string, active bool) error {
	for _, conv := range accountConversations(tx, account) {
		if err := rehead(tx, conv, active); err != nil {
			return err
		}
	}
	return nil
}

// upgradeOutbox creates the outbox indexes and, for a registry written by
// an earlier version, moves its pending deliveries from the per-account
// index into the per-conversation one. Those deliveries have no
// conversation recorded, so each account's keep their order among
// themselves, as they were promised when they were queued.
func upgradeOutbox(tx *bolt.Tx) error {
	fresh := tx.Bucket(bucketOutboxQueue) == nil
	for _, name := range [][]byte{bucketOutboxQueue, bucketOutboxHeads, bucketOutboxDue} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	old := tx.Bucket(bucketOutboxPendingV1)
	if !fresh || old == nil {
		return nil
	}
	qb, ab := tx.Bucket(bucketOutboxQueue), tx.Bucket(bucketAccounts)
	accounts := map[string]bool{}
	err := old.ForEach(func(k, _ []byte) error {
		i := bytes.IndexByte(k, 0)
		if i < 0 || len(k) != i+9 {
			return nil
		}
		account := string(k[:i])
		accounts[account] = true
		return qb.Put(lineKey(convKey(account, ""), binary.BigEndian.Uint64(k[i+1:])), nil)
	})
	if err != nil {
		return err
	}
	for account := range accounts {
		var a Account
		if v := ab.Get([]byte(account)); v != nil && json.Unmarshal(v, &a) == nil && a.Webhook.Active {
			if err := reheadAccount(tx, account, true); err != nil {
				return err
			}
		} else if err := holdAccount(tx, nil, account); err != nil { // before Open counts
			return err
		}
	}
	return tx.DeleteBucket(bucketOutboxPendingV1)
}
