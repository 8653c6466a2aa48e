package registry

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/encoding/protowire"
)

// Jobs are the one record every message writes three times (accepted, sent,
// delivered), inside the single write transaction. They are stored in
// protobuf's wire format, field by field with protowire, rather than as
// JSON: a third of the size and several times faster to write and read,
// measured in BenchmarkJobCodec. Fields are numbered below; a number is
// never reused, and a reader skips numbers it does not know, so the record
// can grow. Records written as JSON by earlier versions (they start with
// '{', which no protobuf field here can) are still read.
const (
	jobID             protowire.Number = 1
	jobAccount        protowire.Number = 2
	jobInstance       protowire.Number = 3
	jobPriority       protowire.Number = 4
	jobKind           protowire.Number = 5
	jobTo             protowire.Number = 6
	jobGroupName      protowire.Number = 7
	jobGroupAdmin     protowire.Number = 8
	jobFrom           protowire.Number = 9
	jobText           protowire.Number = 10
	jobCaption        protowire.Number = 11
	jobFilename       protowire.Number = 12
	jobMimetype       protowire.Number = 13
	jobMedia          protowire.Number = 14
	jobMessageID      protowire.Number = 15
	jobState          protowire.Number = 16
	jobWaiting        protowire.Number = 17
	jobAttempts       protowire.Number = 18
	jobNotBefore      protowire.Number = 19
	jobErrorCode      protowire.Number = 20
	jobError          protowire.Number = 21
	jobSentVia        protowire.Number = 22
	jobCountedAt      protowire.Number = 23
	jobRefunded       protowire.Number = 24
	jobIdempotencyKey protowire.Number = 25
	jobCreatedAt      protowire.Number = 26
	jobUpdatedAt      protowire.Number = 27
	jobExpiresAt      protowire.Number = 28
	// SendAt is scheduling's; 29 to 39 were left free for fields added on
	// other branches while the kinds were.
	jobSendAt protowire.Number = 29

	// The fields of the kinds beyond WhatsMate's. They start at 40, leaving
	// the numbers before free for fields added meanwhile on other branches;
	// a gap costs nothing. Degrees are doubles (fixed 64 bits), as protobuf
	// stores them.
	jobLatitude      protowire.Number = 40
	jobLongitude     protowire.Number = 41
	jobPlaceName     protowire.Number = 42
	jobPlaceAddress  protowire.Number = 43
	jobContactName   protowire.Number = 44
	jobContactNumber protowire.Number = 45

	// When each step was reached.
	jobSentAt      protowire.Number = 46
	jobDeliveredAt protowire.Number = 47
	jobReadAt      protowire.Number = 48
)

// encodeJob returns the stored form of j. Zero fields are left out.
func encodeJob(j Job) ([]byte, error) {
	b := make([]byte, 0, 128+len(j.Text)+len(j.Caption))
	b = appendUint(b, jobID, j.ID)
	b = appendString(b, jobAccount, j.Account)
	b = appendUint(b, jobInstance, j.Instance)
	b = appendUint(b, jobPriority, uint64(j.Priority))
	b = appendString(b, jobKind, j.Kind)
	b = appendString(b, jobTo, j.To)
	b = appendString(b, jobGroupName, j.GroupName)
	b = appendString(b, jobGroupAdmin, j.GroupAdmin)
	b = appendString(b, jobFrom, j.From)
	b = appendString(b, jobText, j.Text)
	b = appendString(b, jobCaption, j.Caption)
	b = appendString(b, jobFilename, j.Filename)
	b = appendString(b, jobMimetype, j.Mimetype)
	b = appendString(b, jobMedia, j.Media)
	b = appendString(b, jobMessageID, j.MessageID)
	b = appendString(b, jobState, string(j.State))
	b = appendString(b, jobWaiting, j.Waiting)
	b = appendInt(b, jobAttempts, int64(j.Attempts))
	b = appendTime(b, jobNotBefore, j.NotBefore)
	b = appendInt(b, jobErrorCode, int64(j.ErrorCode))
	b = appendString(b, jobError, j.Error)
	b = appendString(b, jobSentVia, j.SentVia)
	b = appendTime(b, jobCountedAt, j.CountedAt)
	if j.Refunded {
		b = appendUint(b, jobRefunded, 1)
	}
	b = appendString(b, jobIdempotencyKey, j.IdempotencyKey)
	b = appendTime(b, jobCreatedAt, j.CreatedAt)
	b = appendTime(b, jobUpdatedAt, j.UpdatedAt)
	b = appendTime(b, jobExpiresAt, j.ExpiresAt)
	b = appendTime(b, jobSendAt, j.SendAt)
	b = appendDouble(b, jobLatitude, j.Latitude)
	b = appendDouble(b, jobLongitude, j.Longitude)
	b = appendString(b, jobPlaceName, j.PlaceName)
	b = appendString(b, jobPlaceAddress, j.PlaceAddress)
	b = appendString(b, jobContactName, j.ContactName)
	b = appendString(b, jobContactNumber, j.ContactNumber)
	b = appendTime(b, jobSentAt, j.SentAt)
	b = appendTime(b, jobDeliveredAt, j.DeliveredAt)
	b = appendTime(b, jobReadAt, j.ReadAt)
	return b, nil
}

// getJob decodes the job at key; ErrNotFound when absent. Jobs have no
// decode cache (see decodeCache): remembering them saved about 2 µs per
// message (BenchmarkClaimFinish 11.8 against 13-14.8 µs) for about 5 MB of
// heap at 10,000 messages/s, which the RSS target of the scale stage needs
// more.
func getJob(b *bolt.Bucket, key []byte, j *Job) error {
	data := b.Get(key)
	if data == nil {
		return ErrNotFound
	}
	return decodeJob(data, j)
}

// putJob writes a job at key.
func putJob(b *bolt.Bucket, key []byte, j Job) error {
	data, err := encodeJob(j)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// decodeJob reads a stored job into *j, which it resets first.
func decodeJob(data []byte, j *Job) error {
	*j = Job{}
	if isJSONJob(data) {
		return json.Unmarshal(data, j)
	}
	return walkJob(data, func(f jobField) bool {
		switch f.typ {
		case protowire.VarintType:
			setJobNumber(j, f.num, f.value)
		case protowire.BytesType:
			setJobString(j, f.num, string(f.bytes))
		case protowire.Fixed64Type:
			setJobFixed64(j, f.num, f.value)
		}
		return true
	})
}

// isJSONJob tells the JSON records of earlier versions: they start with
// '{', which no protobuf field here can.
func isJSONJob(data []byte) bool { return len(data) > 0 && data[0] == '{' }

// jobField is one field of a stored job as walkJob reads it: the value of
// a varint or fixed64, or the bytes of a string.
type jobField struct {
	num   protowire.Number
	typ   protowire.Type
	value uint64
	bytes []byte
}

// walkJob calls fn with each field of a job's protobuf record, in order,
// until fn returns false. It is the one reader of the wire format: decodeJob
// and the readers that want a field or two without decoding the job use it.
func walkJob(data []byte, fn func(jobField) (more bool)) error {
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return fmt.Errorf("job record: %w", protowire.ParseError(n))
		}
		data = data[n:]
		f := jobField{num: num, typ: typ}
		switch typ {
		case protowire.VarintType:
			f.value, n = protowire.ConsumeVarint(data)
		case protowire.BytesType:
			f.bytes, n = protowire.ConsumeBytes(data)
		case protowire.Fixed64Type:
			f.value, n = protowire.ConsumeFixed64(data)
		default: // a field of a later version
			n = protowire.ConsumeFieldValue(num, typ, data)
		}
		if n < 0 {
			return fmt.Errorf("job record field %d: %w", num, protowire.ParseError(n))
		}
		data = data[n:]
		if !fn(f) {
			return nil
		}
	}
	return nil
}

// jobAccountOf reads only a stored job's account (JobsOf's tail passes over
// other accounts' jobs without decoding them); ok is false when the record
// does not say, and for JSON records of early versions.
func jobAccountOf(data []byte) (account []byte, ok bool) {
	if isJSONJob(data) {
		return nil, false
	}
	err := walkJob(data, func(f jobField) bool {
		if f.num == jobAccount && f.typ == protowire.BytesType {
			account, ok = f.bytes, true
			return false
		}
		return true
	})
	return account, ok && err == nil
}

// jobIndexFields reads only what the account job index needs of a stored
// job: its account and when it was created (the indexer reads thousands of
// records at a time). ok is false for JSON records of early versions and
// records that do not parse: decode those.
func jobIndexFields(data []byte) (account []byte, created time.Time, ok bool) {
	if isJSONJob(data) {
		return nil, time.Time{}, false
	}
	err := walkJob(data, func(f jobField) bool {
		switch {
		case f.num == jobAccount && f.typ == protowire.BytesType:
			account = f.bytes
		case f.num == jobCreatedAt && f.typ == protowire.VarintType:
			created = timeOf(f.value)
		}
		return true
	})
	return account, created, err == nil
}

func setJobNumber(j *Job, num protowire.Number, v uint64) {
	switch num {
	case jobID:
		j.ID = v
	case jobInstance:
		j.Instance = v
	case jobPriority:
		j.Priority = uint8(v)
	case jobAttempts:
		j.Attempts = int(protowire.DecodeZigZag(v))
	case jobNotBefore:
		j.NotBefore = timeOf(v)
	case jobErrorCode:
		j.ErrorCode = int(protowire.DecodeZigZag(v))
	case jobCountedAt:
		j.CountedAt = timeOf(v)
	case jobRefunded:
		j.Refunded = v != 0
	case jobCreatedAt:
		j.CreatedAt = timeOf(v)
	case jobUpdatedAt:
		j.UpdatedAt = timeOf(v)
	case jobExpiresAt:
		j.ExpiresAt = timeOf(v)
	case jobSendAt:
		j.SendAt = timeOf(v)
	case jobSentAt:
		j.SentAt = timeOf(v)
	case jobDeliveredAt:
		j.DeliveredAt = timeOf(v)
	case jobReadAt:
		j.ReadAt = timeOf(v)
	}
}

func setJobFixed64(j *Job, num protowire.Number, v uint64) {
	switch num {
	case jobLatitude:
		j.Latitude = math.Float64frombits(v)
	case jobLongitude:
		j.Longitude = math.Float64frombits(v)
	}
}

func setJobString(j *Job, num protowire.Number, s string) {
	switch num {
	case jobAccount:
		j.Account = s
	case jobKind:
		j.Kind = s
	case jobTo:
		j.To = s
	case jobGroupName:
		j.GroupName = s
	case jobGroupAdmin:
		j.GroupAdmin = s
	case jobFrom:
		j.From = s
	case jobText:
		j.Text = s
	case jobCaption:
		j.Caption = s
	case jobFilename:
		j.Filename = s
	case jobMimetype:
		j.Mimetype = s
	case jobMedia:
		j.Media = s
	case jobMessageID:
		j.MessageID = s
	case jobState:
		j.State = JobState(s)
	case jobWaiting:
		j.Waiting = s
	case jobError:
		j.Error = s
	case jobSentVia:
		j.SentVia = s
	case jobIdempotencyKey:
		j.IdempotencyKey = s
	case jobPlaceName:
		j.PlaceName = s
	case jobPlaceAddress:
		j.PlaceAddress = s
	case jobContactName:
		j.ContactName = s
	case jobContactNumber:
		j.ContactNumber = s
	}
}

func appendUint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendInt(b []byte, num protowire.Number, v int64) []byte {
	return appendUint(b, num, protowire.EncodeZigZag(v))
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

// appendDouble writes v as a protobuf double. Only +0 is left out: -0 has
// a bit set and is kept, so a decoded job encodes to the same bytes.
func appendDouble(b []byte, num protowire.Number, v float64) []byte {
	bits := math.Float64bits(v)
	if bits == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, bits)
}

// Times are nanoseconds since the Unix epoch, in UTC; the zero time is left
// out (its nanoseconds do not fit in an int64).
func appendTime(b []byte, num protowire.Number, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	return appendUint(b, num, protowire.EncodeZigZag(t.UnixNano()))
}

func timeOf(v uint64) time.Time { return time.Unix(0, protowire.DecodeZigZag(v)).UTC() }
