// Package registry is Higate's durable state in one BoltDB file: accounts,
// instances, gateway numbers, registrations, recipient use, quota windows,
// jobs, events and the webhook outbox. Only this package imports bbolt.
//
// Every mutation is one short transaction with no network I/O inside it.
// Writes that arrive concurrently (send accepts, registrations, send
// outcomes, receipts) go through a group commit so that many share one
// fsync; their functions are written to be safe to run twice, as it may do.
package registry

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketAccounts      = []byte("accounts")      // client ID -> Account
	bucketDue           = []byte("due")           // u64 paid-through Unix seconds, client ID -> nothing (see dueKey)
	bucketUsage         = []byte("usage")         // client ID -> Usage
	bucketRecipients    = []byte("recipients")    // client ID \x00 recipient -> first sent at
	bucketInstances     = []byte("instances")     // u64 -> Instance
	bucketNumbers       = []byte("numbers")       // E.164 -> Number
	bucketRegistrations = []byte("registrations") // gateway \x00 recipient -> Registration
	bucketHints         = []byte("hints")         // gateway \x00 sender -> last hint time
	bucketJobs          = []byte("jobs")          // u64 -> Job
	bucketQueue         = []byte("sendqueue")     // u64 instance, u8 class, account, 0, u8 priority, u64 job -> nothing (see queueKey)
	bucketScheduled     = []byte("scheduled")     // u64 instance, u64 send_at Unix ns, u64 job -> nothing (see schedule.go)
	bucketParked        = []byte("parked")        // u64 instance, recipient, 0, u64 job -> nothing (see parked.go)
	bucketMessageIDs    = []byte("msgids")        // WhatsApp message ID -> u64 job, of earlier versions (see messageIDs)
	bucketIdempotency   = []byte("idempotency")   // client ID \x00 key -> u64 job, request fingerprint
	bucketMedia         = []byte("media")         // sha256 hex -> u64 reference count
	bucketEvents        = []byte("events")        // u64 -> Event
	bucketOutbox        = []byte("outbox")        // u64 -> Delivery (webhooks)
	bucketMeta          = []byte("meta")          // misc keys (processed PayPal events ...)
	bucketSessions      = []byte("sessions")      // kind \x00 subject \x00 sha256(token) -> Session (see session.go)
	bucketStats         = []byte("stats")         // u64 Unix minute -> Minute counts (see stats.go)
	bucketEmails        = []byte("emails")        // lower-case e-mail \x00 client ID -> nothing (see accountsearch.go)
	bucketInMedia       = []byte("inmedia")       // u64 -> InboundMedia (see inmedia.go)
	allBuckets          = [][]byte{bucketAccounts, bucketDue, bucketUsage, bucketRecipients, bucketInstances, bucketNumbers,
		bucketRegistrations, bucketHints, bucketJobs, bucketQueue, bucketScheduled, bucketParked, bucketMessageIDs, bucketIdempotency,
		bucketMedia, bucketEvents, bucketOutbox, bucketMeta, bucketSessions, bucketStats, bucketEmails,
		bucketInMedia}
)

// Options configure a Store. The zero value is usable.
type Options struct {
	Now       func() time.Time // defaults to time.Now
	Logger    *slog.Logger     // defaults to discarding
	JobExpiry time.Duration    // how long a job may wait before it fails as expired; default 24h
	Retention time.Duration    // how long finished jobs, deliveries and events are kept (Prune); default 30 days
	// Metrics, if set, measures the group commit and counts jobs by status
	// (NewMetrics); nil measures nothing. The gauges read at scrape time
	// are Collector's.
	Metrics *Metrics
}

// Store is the registry. It is safe for concurrent use.
type Store struct {
	db        *boltDB
	commits   *committer
	dir       string
	now       func() time.Time
	log       *slog.Logger
	jobExpiry time.Duration
	retention time.Duration
	msgIDs    messageIDs
	linkKey   []byte     // signs inbound media links (inmedia.go)
	mediaMu   sync.Mutex // orders media spooling against the janitor's deletes
	full      *diskFull  // turns writes failing for lack of space into 503s
	// spoolFault, when set, fails SpoolMedia's write with it (export_test.go).
	spoolFault atomic.Pointer[error]

	// index keeps the account job index up to date (jobindex.go).
	index indexer

	// turns is which account each instance's Claim served last (claim.go).
	turns turns

	// Decoded hot records for the write path; see decodeCache.
	accounts  decodeCache[Account]
	instances decodeCache[Instance]
	numbers   decodeCache[Number]
	// Registrations have no slices, so sharing is no concern.
	registrations decodeCache[Registration]
}

// Open opens (creating if needed) the registry in dir: dir/higate.db and the
// media spool dir/media. Only a missing database file means a new registry:
// an empty, truncated or corrupt one is refused with an error wrapping
// ErrDamaged, and one that another process holds (after waiting a second)
// with an error wrapping ErrInUse. Both errors are one line naming the file
// and what to do (see openDB).
func Open(dir string, opts Options) (*Store, error) {
	if err := os.MkdirAll(filepath.Join(dir, "media"), 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := dbPath(dir)
	bdb, err := openDB(path, false)
	if err != nil {
		return nil, err
	}
	s := &Store{dir: dir, now: opts.Now, log: opts.Logger, jobExpiry: opts.JobExpiry, retention: opts.Retention}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.jobExpiry == 0 {
		s.jobExpiry = 24 * time.Hour
	}
	if s.retention == 0 {
		s.retention = 30 * 24 * time.Hour
	}
	s.full = &diskFull{log: s.log}
	s.db = &boltDB{DB: bdb, full: s.full}
	s.commits = newCommitter(s.db, opts.Metrics)
	// Creating the buckets and loading the message IDs read pages that
	// quickCheck did not; a corrupt one is refused like the others.
	err = guard(path, func() error {
		return s.db.Update(func(tx *bolt.Tx) error {
			newIndex := tx.Bucket(bucketDue) == nil
			newEmails := tx.Bucket(bucketEmails) == nil
			for _, b := range allBuckets {
				if _, err := tx.CreateBucketIfNotExists(b); err != nil {
					return err
				}
			}
			if newIndex {
				if err := indexDue(tx); err != nil {
					return err
				}
			}
			if newEmails {
				if err := indexEmails(tx); err != nil {
					return err
				}
			}
			if err := upgradeOutbox(tx); err != nil {
				return err
			}
			if err := indexAccountJobs(tx); err != nil {
				return err
			}
			if err := indexAccountDeliveries(tx); err != nil {
				return err
			}
			if err := upgradeQueue(tx); err != nil {
				return err
			}
			ids, err := loadMessageIDs(tx)
			s.msgIDs = ids
			if err != nil {
				return err
			}
			s.linkKey, err = loadMediaLinkKey(tx)
			return err
		})
	})
	if err == nil {
		// Counted once here, then kept up to date by every write.
		err = guard(path, func() error {
			return s.db.View(func(tx *bolt.Tx) error {
				s.db.counts = countAll(tx)
				s.db.counts.metrics = opts.Metrics
				return nil
			})
		})
	}
	if err == nil {
		s.index.wake, s.index.stop, s.index.done = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
		s.index.fresh.Store(1) // jobs left after the watermark by the last run are taken in at the first tick
		go s.runIndexer()
	}
	if err != nil {
		s.Close()
		var fe *fileError
		if errors.As(err, &fe) {
			return nil, err
		}
		return nil, fmt.Errorf("create buckets: %w", err)
	}
	return s, nil
}

// dbPath is the database file of the registry in dir.
func dbPath(dir string) string { return filepath.Join(dir, "higate.db") }

// Close commits what is waiting to be and closes the database.
func (s *Store) Close() error {
	s.stopIndexer()
	s.commits.close()
	return s.db.Close()
}

// Now is the store's clock.
func (s *Store) Now() time.Time { return s.now() }

// Size is the size of the database file in bytes.
func (s *Store) Size() int64 {
	var n int64
	_ = s.db.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
	return n
}

// u64 encodes an ID as an 8-byte big-endian key, so keys sort by ID.
func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func pairKey(a, b string) []byte { return []byte(a + "\x00" + b) }

// accountKey is the key of an account's indexes of its jobs and its
// webhook deliveries: client ID \x00 u64 ID, in ID order per account.
func accountKey(clientID string, id uint64) []byte {
	k := make([]byte, 0, len(clientID)+9)
	k = append(append(k, clientID...), 0)
	return binary.BigEndian.AppendUint64(k, id)
}

// lastBefore moves c to the last key before bound, the bucket's last key
// when none is at or after bound, and returns it: where a walk back from
// bound (newest first, for keys in time order) starts.
func lastBefore(c *bolt.Cursor, bound []byte) (k, v []byte) {
	if k, _ = c.Seek(bound); k == nil {
		return c.Last()
	}
	return c.Prev()
}

// getJSON decodes the value at key into v; ErrNotFound when absent. Decoding
// copies the value out, so v stays valid after the transaction.
func getJSON(b *bolt.Bucket, key []byte, v any) error {
	data := b.Get(key)
	if data == nil {
		return ErrNotFound
	}
	return json.Unmarshal(data, v)
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// batch runs fn in a group-committed transaction (see committer). fn may run
// more than once, so it must only touch the tx and assign its results afresh
// each run.
func (s *Store) batch(fn func(tx *bolt.Tx) error) error { return s.commits.run(fn) }
