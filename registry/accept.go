package registry

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"higate/quota"
	"higate/registry/phone"
)

// SendRequest is a validated API send, ready to be accepted. Media, if any,
// has been spooled already (SpoolMedia) and is named by its SHA-256.
type SendRequest struct {
	ClientID       string
	Instance       uint64
	Kind           string // text, image, document, url, audio, video, location, contact
	To             string // E.164, for a single message
	GroupName      string // for a group message
	GroupAdmin     string
	Text           string
	Caption        string
	Filename       string
	Mimetype       string
	Media          string
	Latitude       float64 // location, degrees
	Longitude      float64
	PlaceName      string // location, optional
	PlaceAddress   string // location, optional
	ContactName    string // contact
	ContactNumber  string // contact, E.164
	IdempotencyKey string
	// SendAt, when after the time of accept, schedules the send: it is not
	// sent before then (schedule.go). At most MaxScheduleAhead ahead.
	SendAt time.Time
	// Priority orders the account's own jobs: PriorityHigh, PriorityNormal
	// (also for 0) or PriorityLow.
	Priority uint8
}

// Accepted is the outcome of Accept: the job, and the account's window for
// the RateLimit-* headers (set on errors too, where it was read).
type Accepted struct {
	Job       Job
	Duplicate bool // the Idempotency-Key named an earlier job for the same request; nothing new was queued
	Limit     int
	Remaining int
	Reset     time.Duration
}

// Accept checks and queues one send in a single group-committed transaction:
// plan, registration, recipient cap, 24-hour window, then the job and its
// media reference. When it returns without error the job is on disk.
// Rejections are *Error values with the codes of DESIGN.md.
//
// An Idempotency-Key the account used before returns that job (Duplicate)
// if the request is the same one (same endpoint, same canonical request:
// see fingerprint), and a 409 if it is not, so a key reused by mistake
// does not silently swallow a different message.
func (s *Store) Accept(req SendRequest) (Accepted, error) {
	var out Accepted
	var reject error
	err := s.batch(func(tx *bolt.Tx) error {
		out, reject = Accepted{}, nil
		err := s.accept(tx, req, &out)
		if _, ok := err.(*Error); ok {
			// A rejection writes nothing, so the batch may commit the others.
			reject = err
			return nil
		}
		return err
	})
	if err != nil {
		return out, fmt.Errorf("accept: %w", err)
	}
	return out, reject
}

// accept does Accept's work in tx, filling out as far as it gets: the
// window figures are set even when it rejects the send.
func (s *Store) accept(tx *bolt.Tx, req SendRequest, out *Accepted) error {
	now := s.now().UTC()
	var acct Account
	if err := s.accounts.get(tx.Bucket(bucketAccounts), []byte(req.ClientID), &acct); err != nil {
		return errBadCredentials
	}
	if err := s.usable(acct); err != nil {
		return err
	}
	ub := tx.Bucket(bucketUsage)
	var use Usage
	if err := getJSON(ub, []byte(req.ClientID), &use); err != nil && err != ErrNotFound {
		return err
	}
	limits := acct.EffectiveLimits()
	out.Limit, out.Remaining, out.Reset = limits.Daily, use.Window.Remaining(now, limits.Daily), use.Window.Reset(now)

	var sum [sha256.Size]byte
	if req.IdempotencyKey != "" {
		sum = req.fingerprint()
		if v := tx.Bucket(bucketIdempotency).Get(pairKey(req.ClientID, req.IdempotencyKey)); v != nil {
			// A key stored before requests were fingerprinted has no
			// fingerprint; it replays as it always did.
			if fp := idempotencyFingerprint(v); fp != nil && !bytes.Equal(fp, sum[:]) {
				return Errorf(CodeConflict, "use a new Idempotency-Key for every new message; reuse a key only to retry the identical request",
					"the Idempotency-Key was used for a different request (another endpoint or body)")
			}
			out.Duplicate = true
			return getJob(tx.Bucket(bucketJobs), idempotencyJob(v), &out.Job)
		}
	}
	if err := planAllows(acct.Plan, req.Kind); err != nil {
		return err
	}
	if err := CheckSendAt(req.SendAt, now); err != nil {
		return err
	}
	priority := req.Priority
	switch priority {
	case 0: // none given (PrioritySystem is not an API priority)
		priority = PriorityNormal
	case PriorityNormal, PriorityHigh, PriorityLow:
	default:
		return Errorf(CodeBadRequest, `use "high", "normal" or "low"`, "priority %d is not a priority", priority)
	}
	active, err := s.activeNumber(tx, req.Instance)
	if err != nil || !active.Serving() {
		return Errorf(CodeUnavailable, "retry later; GET /v1/gateway/status?instance=N tells when it is back",
			"instance %d has no usable gateway number right now", req.Instance)
	}

	newRecipient := false
	if req.To != "" {
		var reg Registration
		err := s.registrations.get(tx.Bucket(bucketRegistrations), pairKey(active.Number, req.To), &reg)
		if err != nil || !reg.Active() {
			return notRegistered(req.To, active.Number)
		}
		newRecipient = tx.Bucket(bucketRecipients).Get(pairKey(req.ClientID, req.To)) == nil
		if newRecipient && use.Recipients >= limits.Recipients {
			return Errorf(CodeRecipientCap, "upgrade your plan to reach more recipients",
				"the plan's limit of %d recipients in total is reached", limits.Recipients)
		}
	}
	// A scheduled send counts against the window open at its send_at:
	// now if that is the window open now, else when it falls due.
	counted := countsAtAccept(use.Window, now, req.SendAt)
	window, ok := use.Window, true
	if counted {
		window, ok = use.Window.Take(now, limits.Daily)
	}
	if !ok {
		reset := use.Window.Reset(now)
		e := Errorf(CodeQuota, fmt.Sprintf("wait until the window resets at %s (in %d s), or upgrade",
			now.Add(reset).Format(time.RFC3339), int(reset.Seconds())),
			"the plan's %d messages for this 24-hour window are used up", limits.Daily)
		e.RetryAfter = reset
		return e
	}

	// Every check passed: from here on, write.
	use.Window = window
	if newRecipient {
		use.Recipients++
		if err := putJSON(tx.Bucket(bucketRecipients), pairKey(req.ClientID, req.To), now); err != nil {
			return err
		}
	}
	if err := putJSON(ub, []byte(req.ClientID), use); err != nil {
		return err
	}
	j := Job{
		Account: req.ClientID, Instance: req.Instance, Priority: priority, Kind: req.Kind, To: req.To,
		GroupName: req.GroupName, GroupAdmin: req.GroupAdmin, Text: req.Text, Caption: req.Caption,
		Filename: req.Filename, Mimetype: req.Mimetype, Media: req.Media,
		Latitude: req.Latitude, Longitude: req.Longitude, PlaceName: req.PlaceName, PlaceAddress: req.PlaceAddress,
		ContactName: req.ContactName, ContactNumber: req.ContactNumber,
		IdempotencyKey: req.IdempotencyKey, SendAt: req.SendAt,
	}
	if counted {
		j.CountedAt = now
	}
	if err := s.insertJob(tx, &j, now); err != nil {
		return err
	}
	if err := addStats(tx, now, Minute{Accepted: 1}); err != nil { // the console's charts
		return err
	}
	if req.IdempotencyKey != "" {
		if err := tx.Bucket(bucketIdempotency).Put(pairKey(req.ClientID, req.IdempotencyKey), idempotencyValue(j.ID, sum)); err != nil {
			return err
		}
	}
	out.Job, out.Remaining, out.Reset = j, window.Remaining(now, limits.Daily), window.Reset(now)
	return nil
}

// fingerprint is the SHA-256 of the endpoint and the canonical request that
// an Idempotency-Key stands for. The canonical request is the send after
// validation: the number in E.164, the text in NFC, media by its SHA-256.
// So a retry that spells the number or orders the JSON differently is the
// same request, and one that changes what would be sent is not.
func (req SendRequest) fingerprint() [sha256.Size]byte {
	scope := "single"
	if req.GroupName != "" {
		scope = "group"
	}
	endpoint := "POST /v3/whatsapp/" + scope + "/" + req.Kind + "/message/" + strconv.FormatUint(req.Instance, 10)
	h := sha256.New()
	fields := []string{endpoint, req.To, req.GroupName, req.GroupAdmin, req.Text, req.Caption, req.Filename, req.Mimetype, req.Media}
	switch req.Kind {
	// Only these kinds add their fields, so the fingerprints of the others
	// stay what earlier versions stored with their keys.
	case "location":
		fields = append(fields, strconv.FormatFloat(req.Latitude, 'g', -1, 64), strconv.FormatFloat(req.Longitude, 'g', -1, 64),
			req.PlaceName, req.PlaceAddress)
	case "contact":
		fields = append(fields, req.ContactName, req.ContactNumber)
	}
	// send_at and priority join the fingerprint only when given, so a
	// request without them keeps the fingerprint of earlier versions.
	if !req.SendAt.IsZero() || (req.Priority != 0 && req.Priority != PriorityNormal) {
		fields = append(fields, "send_at", req.SendAt.UTC().Format(time.RFC3339Nano), "priority", PriorityName(req.Priority))
	}
	for _, f := range fields {
		// Each field is length-prefixed, so no two requests share an encoding.
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(f))))
		h.Write([]byte(f))
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// notRegistered is the 472 for a recipient who has not greeted gateway.
func notRegistered(recipient, gateway string) *Error {
	d := phone.Digits(gateway)
	return Errorf(CodeNotRegistered,
		fmt.Sprintf("ask them to say Hi to %s: https://wa.me/%s?text=Hi", gateway, d),
		"%s has not registered with this instance's gateway number %s, or opted out", recipient, gateway)
}

// planAllows says whether a plan may send a kind of message. Every plan of
// DESIGN.md may send all eight kinds: audio, video, locations and contacts
// cost WhatsApp no more than an image or a document, and a plan's daily
// limit already bounds them. The check stays so an operator's plan table
// can take one away without touching the accept path.
func planAllows(p quota.Plan, kind string) error {
	switch kind {
	case "text", "image", "document", "url", "audio", "video", "location", "contact":
		return nil
	}
	return Errorf(CodeNotInPlan, "upgrade your plan", "%s messages are not in the %s plan", kind, p)
}
