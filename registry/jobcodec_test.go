package registry

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/encoding/protowire"
)

func fullJob() Job {
	at := time.Date(2026, 11, 22, 4, 5, 6, 789, time.UTC)
	return Job{ID: 1 << 40, Account: "acct", Instance: 7, Priority: PriorityAPI, Kind: "document",
		To: "+4915100000001", GroupName: "Team ü", GroupAdmin: "+4915100000002", From: "+15550000001",
		Text: "hello 👍", Caption: "cap", Filename: "a.pdf", Mimetype: "application/pdf", Media: "ab12",
		MessageID: "3EB0ABCDEF", State: JobFailed, Waiting: WaitReregister, Attempts: 3,
		NotBefore: at.Add(time.Second), ErrorCode: CodeSendRefused, Error: "refused", SentVia: "+15550000003",
		CountedAt: at, Refunded: true, IdempotencyKey: "key-1", CreatedAt: at, UpdatedAt: at.Add(time.Minute),
		ExpiresAt: at.Add(24 * time.Hour), SendAt: at.Add(time.Hour),
		Latitude: -33.856784, Longitude: 151.215297, PlaceName: "Opera House", PlaceAddress: "Bennelong Point",
		ContactName: "Ada; FRS", ContactNumber: "+442079460018",
		SentAt: at.Add(time.Hour + time.Second), DeliveredAt: at.Add(time.Hour + 2*time.Second), ReadAt: at.Add(2 * time.Hour)}
}

// earlierJob is fullJob without the fields added with the kinds beyond
// WhatsMate's and with scheduling, as an earlier version wrote every job.
func earlierJob() Job {
	j := fullJob()
	j.SendAt = time.Time{}
	j.Latitude, j.Longitude, j.PlaceName, j.PlaceAddress, j.ContactName, j.ContactNumber = 0, 0, "", "", "", ""
	j.SentAt, j.DeliveredAt, j.ReadAt = time.Time{}, time.Time{}, time.Time{}
	return j
}

// earlierRecord is earlierJob as the version before the new kinds stored
// it, byte for byte: such records must still decode.
const earlierRecord = "08808080808020120461636374180720012a08646f63756d656e74320e2b343931353130303030303030313a07546561" +
	"6d20c3bc420e2b343931353130303030303030324a0c2b3135353530303030303031520a68656c6c6f20f09f918d5a03" +
	"6361706205612e7064666a0f6170706c69636174696f6e2f7064667204616231327a0a33454230414243444546820106" +
	"6661696c65648a01186177616974696e672072652d726567697374726174696f6e9001069801aa84beccd493a1ea31a0" +
	"01ec07aa010772656675736564b2010c2b3135353530303030303033b801aadce792cd93a1ea31c00101ca01056b6579" +
	"2d31d001aadce792cd93a1ea31d801aabca2978c97a1ea31e001aadcdfa7dfb8c8ea31"

func TestJobCodecRoundTrip(t *testing.T) {
	for _, j := range []Job{fullJob(), {}, {ID: 1, State: JobQueued, Attempts: -1}, {Kind: "location", Latitude: math.Copysign(0, -1), Longitude: -180}} {
		data, err := encodeJob(j)
		if err != nil {
			t.Fatal(err)
		}
		var got Job
		if err := decodeJob(data, &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, j) {
			t.Fatalf("round trip\n got %+v\nwant %+v", got, j)
		}
	}
}

// Records of the version before the new kinds decode to the same job, and
// the new fields come back as they were written.
func TestJobCodecReadsEarlierRecords(t *testing.T) {
	data, err := hex.DecodeString(earlierRecord)
	if err != nil {
		t.Fatal(err)
	}
	var got Job
	if err := decodeJob(data, &got); err != nil || !reflect.DeepEqual(got, earlierJob()) {
		t.Fatalf("earlier record: %v\n got %+v\nwant %+v", err, got, earlierJob())
	}
	if now, _ := encodeJob(earlierJob()); !bytes.Equal(now, data) {
		t.Fatalf("a job without the new fields is stored differently now:\n%x\n%s", now, earlierRecord)
	}
}

// Jobs written as JSON by earlier versions are still read.
func TestJobCodecReadsJSON(t *testing.T) {
	want := fullJob()
	data, _ := json.Marshal(want)
	var got Job
	if err := decodeJob(data, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v", got)
	}
}

// A later version's fields are skipped; a cut record is an error.
func TestJobCodecSkipsUnknownFieldsAndRejectsTruncation(t *testing.T) {
	data, _ := encodeJob(fullJob())
	later := protowire.AppendTag(data, 99, protowire.BytesType)
	later = protowire.AppendString(later, "from the future")
	later = protowire.AppendTag(later, 100, protowire.Fixed64Type)
	later = protowire.AppendFixed64(later, 1)
	var got Job
	if err := decodeJob(later, &got); err != nil || !reflect.DeepEqual(got, fullJob()) {
		t.Fatalf("with unknown fields: %v %+v", err, got)
	}
	if err := decodeJob(data[:len(data)-3], &got); err == nil {
		t.Fatal("truncated record decoded without error")
	}
}

func BenchmarkJobCodec(b *testing.B) {
	j := fullJob()
	b.Run("protowire", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			data, _ := encodeJob(j)
			var got Job
			if err := decodeJob(data, &got); err != nil {
				b.Fatal(err)
			}
		}
		data, _ := encodeJob(j)
		b.ReportMetric(float64(len(data)), "bytes")
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			data, _ := json.Marshal(j)
			var got Job
			if err := json.Unmarshal(data, &got); err != nil {
				b.Fatal(err)
			}
		}
		data, _ := json.Marshal(j)
		b.ReportMetric(float64(len(data)), "bytes")
	})
}

// Message IDs have whatsmeow's shape, look unordered, and lead back to
// their job; other IDs lead nowhere.
func TestMessageIDsLeadBackToTheirJob(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seen := map[string]bool{}
	for id := uint64(1); id <= 1000; id++ {
		m := s.msgIDs.forJob(id)
		if len(m) != 22 || m[:4] != "3EB0" || strings.ToUpper(m) != m || seen[m[4:20]] {
			t.Fatalf("message ID %q of job %d", m, id)
		}
		seen[m[4:20]] = true
		if got, ok := s.msgIDs.jobOf(m); !ok || got != id {
			t.Fatalf("job of %q: %d %v, want %d", m, got, ok, id)
		}
	}
	// Not ordered: about half of consecutive pairs go up, as random ones do.
	up := 0
	for id := uint64(1); id < 1000; id++ {
		if s.msgIDs.forJob(id+1) > s.msgIDs.forJob(id) {
			up++
		}
	}
	if up < 300 || up > 700 {
		t.Fatalf("%d of 999 consecutive message IDs go up", up)
	}
	for _, foreign := range []string{"", "3EB0", "ABCDEF0123456789ABCDEF", "3EB0XYZ0123456789ABCDE", "3EB0" + strings.Repeat("0", 19)} {
		if _, ok := s.msgIDs.jobOf(foreign); ok {
			t.Fatalf("%q decoded as ours", foreign)
		}
	}
}

// A job of an earlier version (JSON, random message ID in the msgids index)
// is still found by its message ID and advanced by receipts.
func TestJobsOfEarlierVersionsAreFoundByMessageID(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	old := Job{ID: 42, Kind: "text", To: "+4915100000001", Text: "x", MessageID: "3EB0AAAAAAAAAAAAAAAAAA", State: JobSent}
	err = s.db.Update(func(tx *bolt.Tx) error {
		if err := putJSON(tx.Bucket(bucketJobs), u64(old.ID), old); err != nil {
			return err
		}
		return tx.Bucket(bucketMessageIDs).Put([]byte(old.MessageID), u64(old.ID))
	})
	if err != nil {
		t.Fatal(err)
	}
	if j, err := s.JobByMessageID(old.MessageID); err != nil || j.ID != old.ID {
		t.Fatalf("by message ID: %+v %v", j, err)
	}
	if err := s.MarkReceipts([]string{old.MessageID}, "delivered"); err != nil {
		t.Fatal(err)
	}
	if j, _ := s.Job(old.ID); j.State != JobDelivered {
		t.Fatalf("state %s", j.State)
	}
	if _, err := s.JobByMessageID(s.msgIDs.forJob(old.ID)); err != ErrNotFound {
		t.Fatalf("a made-up ID for job 42 found it: %v", err)
	}
}

// FuzzDecodeJob: whatever the bytes, decoding a stored job returns a job or
// an error, never a panic; and the record of a decoded job decodes to a job
// with the same record (a time keeps its instant, not its location).
func FuzzDecodeJob(f *testing.F) {
	full, _ := encodeJob(fullJob())
	old, _ := json.Marshal(fullJob())
	earlier, _ := hex.DecodeString(earlierRecord)
	location, _ := encodeJob(Job{ID: 9, Kind: "location", Latitude: 90, Longitude: -0.5, PlaceName: "N"})
	contact, _ := encodeJob(Job{ID: 10, Kind: "contact", ContactName: "Ada", ContactNumber: "+442079460018"})
	for _, seed := range [][]byte{full, old, earlier, location, contact, {}, {0x08}, {0x7b}, full[:len(full)/2], {0xc1, 0x02, 1, 2, 3}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var j, k Job
		if decodeJob(data, &j) != nil {
			return
		}
		once, _ := encodeJob(j)
		if err := decodeJob(once, &k); err != nil {
			t.Fatalf("a job's record does not decode: %v", err)
		}
		if twice, _ := encodeJob(k); !bytes.Equal(once, twice) {
			t.Fatalf("round trip changed the job:\n%+v\n%+v", j, k)
		}
		// JobsOf's tail reads only the account of a stored record.
		if a, ok := jobAccountOf(once); string(a) != j.Account || ok != (j.Account != "") {
			t.Fatalf("account of the record %q (%v), want %q", a, ok, j.Account)
		}
		// The indexer reads only the account and the creation time.
		if a, created, ok := jobIndexFields(once); !ok || string(a) != j.Account || !created.Equal(k.CreatedAt) {
			t.Fatalf("index fields of the record %q %v (%v), want %q %v", a, created, ok, j.Account, k.CreatedAt)
		}
	})
}

// FuzzMessageIDs: any message ID a receipt brings is ours or not without a
// panic, and every job ID's message ID leads back to it.
func FuzzMessageIDs(f *testing.F) {
	s, err := Open(f.TempDir(), Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	f.Add("3EB0ABCDEF0123456789AB", uint64(1))
	f.Add("3EB0", uint64(0))
	f.Add("BAE5F00D", uint64(1<<63))
	f.Fuzz(func(t *testing.T, msgID string, job uint64) {
		s.msgIDs.jobOf(msgID)
		if got, ok := s.msgIDs.jobOf(s.msgIDs.forJob(job)); !ok || got != job {
			t.Fatalf("job %d came back as %d %v", job, got, ok)
		}
	})
}
