package registry_test

import (
	"testing"
	"time"

	"higate/quota"
	"higate/registry"
)

// The per-minute counts follow what happens to jobs, in the minute it
// happens: an accept, a send, a delivery (once, however many receipts), a
// failure; a rejected accept counts nothing, the depth sampler records the
// queue, and Prune drops minutes past StatsRetention.
func TestStatsCountEachMinute(t *testing.T) {
	f := newFixture(t)
	id := f.account(quota.Limits{Daily: 100})
	const user, stranger = "+4915100000001", "+4915100000002"
	if _, err := f.store.Register(0, gw, user, "en", "Hi"); err != nil {
		t.Fatal(err)
	}
	minute0 := f.clock().Truncate(time.Minute)

	a := f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "a"})
	b := f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "b"})
	c := f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "c"})
	if _, err := f.store.Accept(registry.SendRequest{ClientID: id, Kind: "text", To: stranger, Text: "x"}); registry.ErrorCode(err) != registry.CodeNotRegistered {
		t.Fatalf("send to a stranger: %v", err)
	}
	depths, err := f.store.SampleQueueDepth()
	if err != nil || depths[0] != 3 {
		t.Fatalf("sampled depths %v, %v; want 3 on instance 0", depths, err)
	}

	f.advance(time.Minute)
	jobs, _, err := f.store.Claim(0, gw, 10, nil)
	if err != nil || len(jobs) != 3 {
		t.Fatalf("claim: %d jobs, %v", len(jobs), err)
	}
	err = f.store.Finish([]registry.Outcome{
		{JobID: a.ID, Via: gw, Sent: true},
		{JobID: b.ID, Via: gw, Sent: true},
		{JobID: c.ID, Via: gw, Code: registry.CodeSendRefused, Error: "refused"},
	})
	if err != nil {
		t.Fatal(err)
	}
	jobA, _ := f.store.Job(a.ID)
	jobB, _ := f.store.Job(b.ID)
	// A is delivered then read, B is read at once: two deliveries.
	if err := f.store.MarkReceipts([]string{jobA.MessageID}, "delivered"); err != nil {
		t.Fatal(err)
	}
	if err := f.store.MarkReceipts([]string{jobA.MessageID, jobB.MessageID}, "read"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.SampleQueueDepth(); err != nil {
		t.Fatal(err)
	}

	got, err := f.store.Stats(minute0, minute0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []registry.Minute{
		{At: minute0, Accepted: 3, Depth: 3, Sampled: true},
		{At: minute0.Add(time.Minute), Sent: 2, Delivered: 2, Failed: 1, Depth: 0, Sampled: true},
	}
	if len(got) != len(want) {
		t.Fatalf("stats %+v, want %+v", got, want)
	}
	for i := range want {
		if !got[i].At.Equal(want[i].At) || got[i].Accepted != want[i].Accepted || got[i].Sent != want[i].Sent ||
			got[i].Delivered != want[i].Delivered || got[i].Failed != want[i].Failed ||
			got[i].Depth != want[i].Depth || got[i].Sampled != want[i].Sampled {
			t.Errorf("minute %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	// A range that excludes the first minute leaves it out.
	if only, _ := f.store.Stats(minute0.Add(time.Minute), minute0.Add(time.Minute)); len(only) != 1 || only[0].Sent != 2 {
		t.Errorf("one-minute range: %+v", only)
	}

	// Expiry counts as a failure too.
	d := f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "d"})
	f.advance(2 * time.Hour) // past the fixture's one-hour job expiry
	if n, err := f.store.Expire(0); err != nil || n != 1 {
		t.Fatalf("expire %d, %v", n, err)
	}
	if j, _ := f.store.Job(d.ID); j.State != registry.JobExpired {
		t.Fatalf("job d %s", j.State)
	}
	late, _ := f.store.Stats(f.clock(), f.clock())
	if len(late) != 1 || late[0].Failed != 1 {
		t.Errorf("the expiry's minute: %+v", late)
	}

	// 48 hours on, Prune drops the old minutes and keeps the recent one.
	f.advance(registry.StatsRetention - time.Hour)
	if _, err := f.store.Prune(); err != nil {
		t.Fatal(err)
	}
	all, _ := f.store.Stats(minute0.Add(-time.Hour), f.clock())
	if len(all) != 1 || all[0].Failed != 1 {
		t.Errorf("after prune: %+v, want only the expiry's minute", all)
	}
}
