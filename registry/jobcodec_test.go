package registry

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

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
		ExpiresAt: at.Add(24 * time.Hour)}
}

func TestJobCodecRoundTrip(t *testing.T) {
	for _, j := range []Job{fullJob(), {}, {ID: 1, State: JobQueued, Attempts: -1}} {
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
