package registry

import (
	"bytes"
	"encoding/binary"
	"encoding/json"

	bolt "go.etcd.io/bbolt"
)

// bucketAccountDeliveries indexes each account's webhook deliveries:
// client ID \x00 u64 delivery -> nothing. The deliveries list (the portal's
// webhook page, GET /v3/webhook/deliveries) and Replay read one account's
// deliveries through it instead of walking the whole outbox, which keeps
// every Enterprise account's deliveries for the retention (30 days): an
// account with few of them had the page read all the others'.
var bucketAccountDeliveries = []byte("account_deliveries")

// indexAccountDeliveries creates the index, and fills it from the outbox
// when the registry was written before it existed (Open calls it).
func indexAccountDeliveries(tx *bolt.Tx) error {
	if tx.Bucket(bucketAccountDeliveries) != nil {
		return nil
	}
	ab, err := tx.CreateBucket(bucketAccountDeliveries)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketOutbox).ForEach(func(k, v []byte) error {
		account, err := deliveryAccount(v)
		if err != nil {
			return err
		}
		return ab.Put(accountKey(account, binary.BigEndian.Uint64(k)), nil)
	})
}

// deliveryAccount reads only the account of a stored delivery.
func deliveryAccount(v []byte) (string, error) {
	var d struct {
		Account string `json:"account"`
	}
	err := json.Unmarshal(v, &d)
	return d.Account, err
}

// deleteDelivery deletes a delivery with its entry in the account's index
// (Prune). Its conversation's queue holds no finished delivery.
func deleteDelivery(tx *bolt.Tx, key []byte) error {
	ob := tx.Bucket(bucketOutbox)
	v := ob.Get(key)
	if v == nil {
		return nil // gone already
	}
	account, err := deliveryAccount(v)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketAccountDeliveries).Delete(accountKey(account, binary.BigEndian.Uint64(key))); err != nil {
		return err
	}
	return ob.Delete(key)
}

// eachDeliveryOf calls fn with the account's deliveries, newest first,
// until fn returns false or an error.
func eachDeliveryOf(tx *bolt.Tx, clientID string, fn func(d Delivery) (more bool, err error)) error {
	ob := tx.Bucket(bucketOutbox)
	c := tx.Bucket(bucketAccountDeliveries).Cursor()
	prefix := append([]byte(clientID), 0)
	k, _ := lastBefore(c, append(bytes.Clone(prefix), 0xff)) // 0xff: after every key of the account
	for ; k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, _ = c.Prev() {
		var d Delivery
		if err := getJSON(ob, k[len(prefix):], &d); err == ErrNotFound {
			continue
		} else if err != nil {
			return err
		}
		if more, err := fn(d); !more || err != nil {
			return err
		}
	}
	return nil
}
