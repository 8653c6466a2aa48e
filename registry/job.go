package registry

import (
	"encoding/binary"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// JobState is where a job stands.
type JobState string

// The job states. Scheduled jobs wait for their send_at (schedule.go);
// queued and sending jobs are in the queue; the rest are final except that
// sent may still advance to delivered and read.
const (
	JobScheduled JobState = "scheduled"
	JobQueued    JobState = "queued"
	JobSending   JobState = "sending"
	JobSent      JobState = "sent"
	JobDelivered JobState = "delivered"
	JobRead      JobState = "read"
	JobFailed    JobState = "failed"
	JobExpired   JobState = "expired"
	JobCanceled  JobState = "canceled"
)

// Job priorities. System replies (confirmations, hints) go before every
// API send. High, normal and low order one account's own sends only: the
// queue shares the sending slots between accounts first (see queue.go), so
// an account's high priority never takes another account's turn. The
// stored values keep normal at 1, the one API priority of earlier versions.
const (
	PrioritySystem = 0
	PriorityNormal = 1
	PriorityHigh   = 2
	PriorityLow    = 3
	// PriorityAPI is the priority of an API send that names none.
	PriorityAPI = PriorityNormal
)

// ParsePriority reads an API priority: "high", "normal" or "low" ("" is
// normal).
func ParsePriority(s string) (uint8, error) {
	switch s {
	case "", "normal":
		return PriorityNormal, nil
	case "high":
		return PriorityHigh, nil
	case "low":
		return PriorityLow, nil
	}
	return 0, Errorf(CodeBadRequest, `use "high", "normal" or "low"`, "priority %q is not a priority", s)
}

// PriorityName is the API name of a job priority: high, normal or low, and
// system for system replies.
func PriorityName(p uint8) string {
	switch p {
	case PrioritySystem:
		return "system"
	case PriorityHigh:
		return "high"
	case PriorityLow:
		return "low"
	}
	return "normal"
}

// priorityRank orders one account's queued jobs: high, normal, low.
func priorityRank(p uint8) byte {
	switch p {
	case PriorityHigh, PrioritySystem:
		return 0
	case PriorityLow:
		return 2
	}
	return 1
}

// Job is one outbound message.
type Job struct {
	ID             uint64    `json:"id"`
	Account        string    `json:"account,omitempty"` // empty for system replies
	Instance       uint64    `json:"instance"`
	Priority       uint8     `json:"priority"`
	Kind           string    `json:"kind"` // text, image, document, url, audio, video, location, contact
	To             string    `json:"to,omitempty"`
	GroupName      string    `json:"group_name,omitempty"`
	GroupAdmin     string    `json:"group_admin,omitempty"`
	From           string    `json:"from,omitempty"` // send only from this gateway number (system replies)
	Text           string    `json:"text,omitempty"` // text, or the URL of a url message
	Caption        string    `json:"caption,omitempty"`
	Filename       string    `json:"filename,omitempty"`
	Mimetype       string    `json:"mimetype,omitempty"`
	Media          string    `json:"media,omitempty"`     // SHA-256 of the spooled media file
	Latitude       float64   `json:"latitude,omitempty"`  // a location's, in degrees
	Longitude      float64   `json:"longitude,omitempty"` // a location's, in degrees
	PlaceName      string    `json:"place_name,omitempty"`
	PlaceAddress   string    `json:"place_address,omitempty"`
	ContactName    string    `json:"contact_name,omitempty"`
	ContactNumber  string    `json:"contact_number,omitempty"` // E.164
	MessageID      string    `json:"message_id"`               // fixed before the first attempt, reused on retries
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
	SendAt         time.Time `json:"send_at,omitzero"` // not sent before this; scheduled until then
	// When it reached each step (zero until it has): WhatsApp took it, the
	// recipient's phone has it, the recipient opened it. A read receipt
	// that comes first sets DeliveredAt too (reading it says it arrived).
	SentAt      time.Time `json:"sent_at,omitzero"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
	ReadAt      time.Time `json:"read_at,omitzero"`
}

// Final reports whether the job has left the queue for good (or never
// entered it, when canceled while scheduled).
func (j Job) Final() bool {
	return j.State != JobQueued && j.State != JobSending && j.State != JobScheduled
}

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

// Queue classes: every system reply goes before any API send.
const (
	classSystem byte = 0
	classAPI    byte = 1
)

// queueKey is a queued job's key in the queue: u64 instance, u8 class,
// account, 0, u8 priority rank, u64 job. So an instance's system replies
// come first, then each account's jobs together, in priority then FIFO
// order, which lets Claim go from account to account with one Seek each
// (queue.go). System replies have no account. A key is at least 19 bytes;
// the 17-byte keys of earlier versions are rewritten when the registry is
// opened (upgradeQueue).
func queueKey(j Job) []byte {
	class, account := classAPI, j.Account
	if j.Priority == PrioritySystem {
		class, account = classSystem, ""
	}
	k := make([]byte, 0, 19+len(account))
	k = binary.BigEndian.AppendUint64(k, j.Instance)
	k = append(append(k, class), account...)
	k = append(k, 0, priorityRank(j.Priority))
	return binary.BigEndian.AppendUint64(k, j.ID)
}

// queueKeyJob is the job ID of a queue key.
func queueKeyJob(k []byte) []byte { return k[len(k)-8:] }

// queueKeyAccount is the account part of a queue key (empty for system
// replies).
func queueKeyAccount(k []byte) []byte { return k[9 : len(k)-10] }

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

// insertJob writes a new job and its indexes (the queue, or the schedule
// for a job whose SendAt is after now; and the account's job list). The
// caller has set everything but the ID, message ID, state and timestamps.
// A scheduled job expires its expiry after its SendAt.
func (s *Store) insertJob(tx *bolt.Tx, j *Job, now time.Time) error {
	jb := tx.Bucket(bucketJobs)
	id, err := jb.NextSequence()
	if err != nil {
		return err
	}
	j.ID, j.MessageID, j.State = id, s.msgIDs.forJob(id), JobQueued
	j.CreatedAt, j.UpdatedAt, j.ExpiresAt = now, now, now.Add(s.jobExpiry)
	if !j.SendAt.After(now) {
		j.SendAt = time.Time{}
	} else {
		j.State, j.ExpiresAt = JobScheduled, j.SendAt.Add(s.jobExpiry)
	}
	if err := putJob(jb, u64(id), *j); err != nil {
		return err
	}
	index, key := bucketQueue, queueKey(*j)
	if j.State == JobScheduled {
		index, key = bucketScheduled, scheduledKey(*j)
	}
	if err := tx.Bucket(index).Put(key, nil); err != nil {
		return err
	}
	s.noteJob() // the account's job list catches up in the background (jobindex.go)
	if j.State == JobQueued {
		s.db.pending.queue(j.Instance, 1, 0)
	} else { // counted in the queue when it falls due (promote)
		s.db.pending.schedule(j.Instance, 1)
	}
	if j.Media != "" {
		return addMediaRef(tx, j.Media, 1)
	}
	return nil
}
