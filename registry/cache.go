package registry

import (
	"bytes"
	"encoding/json"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// decodeCacheSize bounds each decode cache; when full it starts afresh,
// which is cheap and keeps the hot records (they come straight back).
const decodeCacheSize = 8192

// decodeCache remembers records decoded from JSON along with the bytes they
// were decoded from. A lookup reads the stored bytes as getJSON does and
// decodes only if they differ from the remembered ones, so it returns what
// getJSON would, without the decoding; put remembers what it writes. It
// exists for the records every send reads or rewrites inside write
// transactions: the account, its instance, gateway number and recipient's
// registration when accepting (jobs are not JSON; see getJob). bbolt
// has one writer, so decoding there is CPU spent while
// every other accept waits; the profile of the accept run showed JSON
// decoding as the largest part of the time the write lock was held.
// The zero value is empty and ready.
//
// Values share slices with the cache, so callers must only read them
// (Account and Instance have slices; Number and Registration do not).
// Paths that modify an Account or Instance decode it with getJSON.
type decodeCache[T any] struct {
	mu sync.RWMutex
	m  map[string]decodedRecord[T]
}

type decodedRecord[T any] struct {
	raw []byte
	v   T
}

// get is getJSON through the cache, for a zero *v.
func (c *decodeCache[T]) get(b *bolt.Bucket, key []byte, v *T) error {
	data := b.Get(key)
	if data == nil {
		return ErrNotFound
	}
	c.mu.RLock()
	r, ok := c.m[string(key)]
	c.mu.RUnlock()
	if ok && bytes.Equal(r.raw, data) {
		*v = r.v
		return nil
	}
	var fresh T
	if err := json.Unmarshal(data, &fresh); err != nil {
		return err
	}
	c.remember(key, bytes.Clone(data), fresh)
	*v = fresh
	return nil
}

// put is putJSON that remembers what it wrote, so that the next get of
// the record (in this or a later transaction) need not decode it. Should
// the transaction roll back, the stored bytes differ from the remembered
// ones and get decodes them.
func (c *decodeCache[T]) put(b *bolt.Bucket, key []byte, v T) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := b.Put(key, data); err != nil {
		return err
	}
	c.remember(key, data, v)
	return nil
}

func (c *decodeCache[T]) remember(key, data []byte, v T) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= decodeCacheSize {
		c.m = make(map[string]decodedRecord[T])
	}
	c.m[string(key)] = decodedRecord[T]{raw: data, v: v}
	c.mu.Unlock()
}
