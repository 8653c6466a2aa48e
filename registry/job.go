package registry

import (
	"encoding/binary"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// JobState is where a job stands.
type JobState string

// The job states. Queued and sending jobs are in the queue; the rest are final
// except that sent may still advance to delivered and read.
const (
	JobQueued    JobState = "queued"
	JobSending   JobState = "sending"
	JobSent      JobState = "sent"
	JobDelivered JobState = "delivered"
	JobRead      JobState = "read"
	JobFailed    JobState = "failed"
	JobExpired   JobState = "expired"
)

// Queue priorities: system replies (confirmations, hints) go before API sends.
const (
	PrioritySystem = 0
	PriorityAPI    = 1
)

// Job is one outbound message.
type Job struct {
	ID             uint64    `json:"id"`
	Account        string    `json:"account,omitempty"` // empty for system replies
	Instance       uint64    `json:"instance"`
	Priority       uint8     `json:"priority"`
	Kind           string    `json:"kind"` // text, image, document, url
	To             string    `json:"to,omitempty"`
	GroupName      string    `json:"group_name,omitempty"`
	GroupAdmin     string    `json:"group_admin,omitempty"`
	From           string    `json:"from,omitempty"` // send only from this gateway number (system replies)
	Text           string    `json:"text,omitempty"` // text, or the URL of a url message
	Caption        string    `json:"caption,omitempty"`
	Filename       string    `json:"filename,omitempty"`
	Mimetype       string    `json:"mimetype,omitempty"`
	Media          string    `json:"media,omitempty"` // SHA-256 of the spooled media file
	MessageID      string    `json:"message_id"`      // fixed before the first attempt, reused on retries
	State          JobState  `json:"state"`
	Waiting        string    `json:"waiting,omitempty"` // why a queued job is not moving
	Attempts       int       `json:"attempts"`
	NotBefore      time.Time `json:"not_before,omitzero"`
	ErrorCode      int       `json:"error_code,omitempty"`
	Error          string    `json:"error,omitempty"`
	SentVia        string    `json:"sent_via,omitempty"`
	CountedAt      time.Time `json:"counted_at,omitzero"` // when it was counted against the quota window
	Refunded       bool      `json:"refunded,omitempty"`
	IdempotencyKey string    `json:"idempotency_key,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	ExpiresAt      time.Time `json:"expires_at"`
}

// Final reports whether the job has left the queue for good.
func (j Job) Final() bool { return j.State != JobQueued && j.State != JobSending }

// IDString is the job ID as the API shows it.
func (j Job) IDString() string { return strconv.FormatUint(j.ID, 10) }

// ParseJobID parses an API job ID.
func ParseJobID(s string) (uint64, error) { return strconv.ParseUint(s, 10, 64) }

// idempotencyValue is what the idempotency bucket holds for a key: the
// job's ID, then the fingerprint of the request the key was first used
// with (SendRequest.fingerprint).
func idempotencyValue(id uint64, fingerprint [32]byte) []byte {
	return append(u64(id), fingerprint[:]...)
}

// idempotencyJob is the job key in a stored idempotency value.
func idempotencyJob(v []byte) []byte { return v[:min(len(v), 8)] }

// idempotencyFingerprint is the request fingerprint in a stored
// idempotency value; nil for a value stored before there were any, which
// holds the job's ID alone.
func idempotencyFingerprint(v []byte) []byte {
	if len(v) < 8+32 {
		return nil
	}
	return v[8 : 8+32]
}

func queueKey(j Job) []byte {
	k := make([]byte, 17)
	binary.BigEndian.PutUint64(k, j.Instance)
	k[8] = j.Priority
	binary.BigEndian.PutUint64(k[9:], j.ID)
	return k
}

// Job returns one job.
func (s *Store) Job(id uint64) (Job, error) {
	var j Job
	err := s.db.View(func(tx *bolt.Tx) error { return getJob(tx.Bucket(bucketJobs), u64(id), &j) })
	return j, err
}

// JobByMessageID returns the job that sent a WhatsApp message.
func (s *Store) JobByMessageID(msgID string) (Job, error) {
	var j Job
	err := s.db.View(func(tx *bolt.Tx) error {
		_, err := s.jobOfMessage(tx, msgID, &j)
		return err
	})
	return j, err
}

// insertJob writes a new job and its indexes (the queue, and the account's
// job list). The caller has set everything but the ID, message ID and
// timestamps.
func (s *Store) insertJob(tx *bolt.Tx, j *Job, now time.Time) error {
	jb := tx.Bucket(bucketJobs)
	id, err := jb.NextSequence()
	if err != nil {
		return err
	}
	j.ID, j.MessageID, j.State = id, s.msgIDs.forJob(id), JobQueued
	j.CreatedAt, j.UpdatedAt, j.ExpiresAt = now, now, now.Add(s.jobExpiry)
	if err := putJob(jb, u64(id), *j); err != nil {
		return err
	}
	if err := tx.Bucket(bucketQueue).Put(queueKey(*j), nil); err != nil {
		return err
	}
	if err := indexJob(tx, *j); err != nil { // the account's job list (jobindex.go)
		return err
	}
	if j.Media != "" {
		return addMediaRef(tx, j.Media, 1)
	}
	return nil
}
