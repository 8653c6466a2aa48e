package registry_test

import (
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"higate/quota"
	"higate/registry"
)

// gauges gathers the store's collector (and the instruments, when the
// fixture has them) and reads one series: name with the label pairs given.
// A series that is not there reads as -1.
func (f *fixture) gauge(reg *prometheus.Registry, name string, labels ...string) float64 {
	f.t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		f.t.Fatal(err)
	}
	return seriesValue(mfs, name, labels...)
}

// seriesValue finds a series among gathered families: a gauge's or
// counter's value, or a histogram's sample count. -1 if it is not there.
func seriesValue(mfs []*dto.MetricFamily, name string, labels ...string) float64 {
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue series
				}
			}
			switch {
			case m.Gauge != nil:
				return m.GetGauge().GetValue()
			case m.Counter != nil:
				return m.GetCounter().GetValue()
			case m.Histogram != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return -1
}

// histogramSum is a histogram's sum of observations.
func histogramSum(mfs []*dto.MetricFamily, name string) float64 {
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetHistogram().GetSampleSum()
		}
	}
	return -1
}

// withMetrics reopens the fixture's store with its instruments and its
// collector registered on a fresh registry.
func (f *fixture) withMetrics() *prometheus.Registry {
	f.t.Helper()
	reg := prometheus.NewRegistry()
	f.metrics = registry.NewMetrics(reg)
	f.store.Close()
	f.open()
	reg.MustRegister(f.store.Collector())
	return reg
}

// The queue gauges follow every way a job enters and leaves the queue and
// the parked jobs (accept, park, greeting, send, expiry), agree with the
// scan that QueueDepth makes, and are counted again from disk on open.
func TestQueueGaugesFollowTheQueue(t *testing.T) {
	f := newFixture(t)
	reg := f.withMetrics()
	id := f.account(quota.Limits{})
	const user = "+4915100000001"
	f.store.Register(0, gw, user, "en", "Hi")
	check := func(step string, depth, parked int) {
		t.Helper()
		if got := f.store.QueueDepth(0); got != depth {
			t.Fatalf("%s: QueueDepth %d, want %d", step, got, depth)
		}
		if got := f.gauge(reg, "higate_queue_depth", "instance_id", "0"); got != float64(depth) {
			t.Errorf("%s: higate_queue_depth %v, want %d", step, got, depth)
		}
		if got := f.gauge(reg, "higate_queue_parked", "instance_id", "0"); got != float64(parked) {
			t.Errorf("%s: higate_queue_parked %v, want %d", step, got, parked)
		}
	}
	check("empty", 0, 0)
	if got := f.gauge(reg, "higate_queue_oldest_age_seconds", "instance_id", "0"); got != 0 {
		t.Errorf("oldest age of an empty queue: %v", got)
	}

	for i := range 3 {
		f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: fmt.Sprint(i)})
		f.advance(30 * time.Second)
	}
	check("accepted", 3, 0)
	if got := f.gauge(reg, "higate_queue_oldest_age_seconds", "instance_id", "0"); got != 90 {
		t.Errorf("oldest age %v, want 90 (the first of three jobs 30 s apart)", got)
	}

	// After a failover the user has not greeted gw2: Claim parks the jobs.
	f.failover(gw2)
	if jobs := f.claim(gw2); len(jobs) != 0 {
		t.Fatalf("claimed %d jobs for a user who has not greeted gw2", len(jobs))
	}
	check("parked", 3, 3)
	if got := f.gauge(reg, "higate_queue_oldest_age_seconds", "instance_id", "0"); got != 0 {
		t.Errorf("oldest age %v with only parked jobs, want 0", got)
	}
	if got := f.gauge(reg, "higate_number_state", "number", gw2, "state", "active"); got != 1 {
		t.Errorf("gw2 active: %v", got)
	}
	if got := f.gauge(reg, "higate_number_state", "number", gw2, "state", "standby"); got != 0 {
		t.Errorf("gw2 standby: %v", got)
	}

	// The greeting puts them back, and queues its confirmation.
	if _, err := f.store.Greet(0, gw2, user, "en", "Hi", "welcome"); err != nil {
		t.Fatal(err)
	}
	check("greeted", 4, 0)

	jobs := f.claim(gw2)
	var outcomes []registry.Outcome
	for i, j := range jobs {
		o := registry.Outcome{JobID: j.ID, Via: gw2, Sent: true}
		if i == 0 {
			o = registry.Outcome{JobID: j.ID, Via: gw2, Code: registry.CodeSendRefused, Error: "refused"}
		}
		outcomes = append(outcomes, o)
	}
	if err := f.store.Finish(outcomes); err != nil {
		t.Fatal(err)
	}
	check("sent", 0, 0)

	// A job past its expiry leaves the queue as expired.
	f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "late"})
	check("one more", 1, 0)
	f.advance(2 * time.Hour)
	if n, err := f.store.Expire(0); err != nil || n != 1 {
		t.Fatalf("expire: %d %v", n, err)
	}
	check("expired", 0, 0)
	for status, want := range map[string]float64{"sent": 3, "failed": 1, "expired": 1, "delivered": 0} {
		if got := f.gauge(reg, "higate_jobs_total", "status", status); got != want {
			t.Errorf("higate_jobs_total{status=%q} = %v, want %v", status, got, want)
		}
	}

	// Counted again from disk on open.
	f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "again"})
	reg = f.withMetrics()
	check("reopened", 1, 0)
}

// Scheduled jobs have their own gauge and enter the queue gauges only when
// they fall due; a cancel takes a job out of the schedule, the queue or
// the parked jobs, and the gauges keep agreeing with the scan.
func TestQueueGaugesFollowScheduleAndCancel(t *testing.T) {
	f := newFixture(t)
	reg := f.withMetrics()
	id := f.account(quota.Limits{})
	const user = "+4915100000001"
	f.store.Register(0, gw, user, "en", "Hi")
	check := func(step string, depth, parked, scheduled int) {
		t.Helper()
		if got := f.store.QueueDepth(0); got != depth {
			t.Fatalf("%s: QueueDepth %d, want %d", step, got, depth)
		}
		if got := f.store.Scheduled(0); got != scheduled {
			t.Fatalf("%s: Scheduled %d, want %d", step, got, scheduled)
		}
		for _, g := range []struct {
			name string
			want int
		}{{"higate_queue_depth", depth}, {"higate_queue_parked", parked}, {"higate_queue_scheduled", scheduled}} {
			if got := f.gauge(reg, g.name, "instance_id", "0"); got != float64(g.want) {
				t.Errorf("%s: %s %v, want %d", step, g.name, got, g.want)
			}
		}
	}
	later := func(d time.Duration, text string) registry.Job {
		return f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: text, SendAt: f.clock().Add(d)})
	}
	cancel := func(j registry.Job) {
		t.Helper()
		if got, err := f.store.Cancel(id, j.ID); err != nil || got.State != registry.JobCanceled {
			t.Fatalf("cancel %d: %v %+v", j.ID, err, got)
		}
	}

	first, second := later(10*time.Minute, "first"), later(20*time.Minute, "second")
	now := f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "now"})
	check("accepted", 1, 0, 2)
	if got := f.gauge(reg, "higate_queue_oldest_age_seconds", "instance_id", "0"); got != 0 {
		t.Errorf("oldest age %v of a job queued just now", got)
	}
	cancel(now)
	cancel(second)
	cancel(second) // again: counts nothing twice
	check("canceled", 0, 0, 1)

	// Due: Expire (as Claim would) moves it into the queue.
	f.advance(15 * time.Minute)
	if _, err := f.store.Expire(0); err != nil {
		t.Fatal(err)
	}
	check("due", 1, 0, 0)
	if got := f.gauge(reg, "higate_queue_oldest_age_seconds", "instance_id", "0"); got != 300 {
		t.Errorf("oldest age %v, want 300 (queued at its send_at, 5 minutes ago)", got)
	}

	// Parked after a failover, then canceled there.
	f.failover(gw2)
	if jobs := f.claim(gw2); len(jobs) != 0 {
		t.Fatalf("claimed %d jobs for a user who has not greeted gw2", len(jobs))
	}
	check("parked", 1, 1, 0)
	cancel(first)
	check("canceled parked", 0, 0, 0)
	if got := f.gauge(reg, "higate_jobs_total", "status", "canceled"); got != 3 {
		t.Errorf("higate_jobs_total{status=\"canceled\"} = %v, want 3", got)
	}

	// Counted again from disk on open.
	f.store.Register(0, gw2, user, "en", "Hi")
	later(time.Hour, "again")
	reg = f.withMetrics()
	check("reopened", 0, 0, 1)
}

// A write that does not commit (here: the disk is full) counts nothing.
func TestQueueGaugesIgnoreWritesThatDoNotCommit(t *testing.T) {
	f := newFixture(t)
	reg := f.withMetrics()
	id := f.account(quota.Limits{})
	const user = "+4915100000001"
	f.store.Register(0, gw, user, "en", "Hi")
	f.store.FailCommits(syscall.ENOSPC)
	if _, err := f.store.Accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "x"}); err == nil {
		t.Fatal("accept committed on a full disk")
	}
	f.store.FailCommits(nil)
	if got := f.gauge(reg, "higate_queue_depth", "instance_id", "0"); got != 0 {
		t.Errorf("higate_queue_depth %v after a failed commit, want 0", got)
	}
	f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "y"})
	if got := f.gauge(reg, "higate_queue_depth", "instance_id", "0"); got != 1 {
		t.Errorf("higate_queue_depth %v, want 1", got)
	}
}

// Receipts count jobs as delivered and read, and time sent -> delivered
// on the registry's clock.
func TestReceiptsCountDeliveriesAndTheirLatency(t *testing.T) {
	f := newFixture(t)
	reg := f.withMetrics()
	id := f.account(quota.Limits{})
	const user = "+4915100000001"
	f.store.Register(0, gw, user, "en", "Hi")
	for i := range 3 {
		f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: fmt.Sprint(i)})
	}
	jobs := f.claim(gw)
	var outcomes []registry.Outcome
	var msgIDs []string
	for _, j := range jobs {
		outcomes = append(outcomes, registry.Outcome{JobID: j.ID, Via: gw, Sent: true})
		msgIDs = append(msgIDs, j.MessageID)
	}
	if err := f.store.Finish(outcomes); err != nil {
		t.Fatal(err)
	}
	f.advance(4 * time.Second)
	// Two are delivered, then read; the third is read at once.
	if err := f.store.MarkReceipts(msgIDs[:2], "delivered"); err != nil {
		t.Fatal(err)
	}
	if err := f.store.MarkReceipts(msgIDs, "read"); err != nil {
		t.Fatal(err)
	}
	// A repeated receipt changes nothing.
	if err := f.store.MarkReceipts(msgIDs, "delivered"); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for status, want := range map[string]float64{"sent": 3, "delivered": 3, "read": 3} {
		if got := seriesValue(mfs, "higate_jobs_total", "status", status); got != want {
			t.Errorf("higate_jobs_total{status=%q} = %v, want %v", status, got, want)
		}
	}
	if n := seriesValue(mfs, "higate_send_sent_to_delivered_seconds"); n != 3 {
		t.Errorf("%v delivery latencies observed, want 3", n)
	}
	if sum := histogramSum(mfs, "higate_send_sent_to_delivered_seconds"); sum != 12 {
		t.Errorf("delivery latencies sum to %v s, want 3 x 4 s", sum)
	}
}

// The webhook backlog counts pending deliveries of active webhooks: a
// success takes one out, switching the webhook off holds them, a replay
// puts them back, and open counts them from disk.
func TestWebhookBacklogGauge(t *testing.T) {
	f := newFixture(t)
	reg := f.withMetrics()
	acct := f.webhookAccount()
	backlog := func(step string, want float64) {
		t.Helper()
		if got := f.gauge(reg, "higate_webhook_backlog"); got != want {
			t.Errorf("%s: higate_webhook_backlog %v, want %v", step, got, want)
		}
	}
	first := f.add(acct, "491", "a")
	f.add(acct, "491", "b")
	f.add(acct, "492", "c")
	backlog("three added", 3)
	f.result(first, registry.Attempt{OK: true, Status: 200})
	backlog("one delivered", 2)
	if _, err := f.store.UpdateWebhook(acct, func(w *registry.Webhook) error { w.Active = false; return nil }); err != nil {
		t.Fatal(err)
	}
	backlog("webhook off", 0)
	f.add(acct, "492", "held while off")
	backlog("held while off", 0)
	if n, err := f.store.Replay(acct); err != nil || n != 3 {
		t.Fatalf("replay: %d %v", n, err)
	}
	backlog("replayed", 3)
	reg = f.withMetrics()
	backlog("reopened", 3)
}

// The group commit's histograms count every call that went through it,
// however many shared a transaction.
func TestCommitMetricsCountEveryCall(t *testing.T) {
	f := newFixture(t)
	reg := f.withMetrics()
	id := f.account(quota.Limits{Daily: 1000, Recipients: 1000})
	const user = "+4915100000001"
	f.store.Register(0, gw, user, "en", "Hi")
	mfs, _ := reg.Gather()
	before := histogramSum(mfs, "higate_commit_batch_size")
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() { f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: fmt.Sprint(i)}) })
	}
	wg.Wait()
	mfs, _ = reg.Gather()
	if got := histogramSum(mfs, "higate_commit_batch_size") - before; got != 50 {
		t.Errorf("batch sizes of the accepts sum to %v, want 50", got)
	}
	if n := seriesValue(mfs, "higate_commit_duration_seconds"); n != seriesValue(mfs, "higate_commit_batch_size") || n < 1 {
		t.Errorf("%v commit durations for %v batches", n, seriesValue(mfs, "higate_commit_batch_size"))
	}
}

// A job records when it reached each step: sent when Finish records it,
// delivered and read with their receipts; a read receipt that comes first
// dates the delivery too. A receipt that repeats moves nothing.
func TestJobsRecordWhenEachStepWasReached(t *testing.T) {
	f := newFixture(t)
	id := f.account(quota.Limits{})
	const user = "+4915100000001"
	f.store.Register(0, gw, user, "en", "Hi")
	for i := range 2 {
		f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: fmt.Sprint(i)})
	}
	jobs := f.claim(gw)
	f.advance(time.Second)
	sentAt := f.clock()
	if err := f.store.Finish([]registry.Outcome{{JobID: jobs[0].ID, Via: gw, Sent: true}, {JobID: jobs[1].ID, Via: gw, Sent: true}}); err != nil {
		t.Fatal(err)
	}
	f.advance(2 * time.Second)
	deliveredAt := f.clock()
	if err := f.store.MarkReceipts([]string{jobs[0].MessageID}, "delivered"); err != nil {
		t.Fatal(err)
	}
	f.advance(3 * time.Second)
	readAt := f.clock()
	if err := f.store.MarkReceipts([]string{jobs[0].MessageID, jobs[1].MessageID}, "read"); err != nil {
		t.Fatal(err)
	}
	f.advance(time.Second)
	if err := f.store.MarkReceipts([]string{jobs[0].MessageID, jobs[1].MessageID}, "delivered"); err != nil {
		t.Fatal(err)
	}
	for i, want := range [][3]time.Time{{sentAt, deliveredAt, readAt}, {sentAt, readAt, readAt}} {
		j, err := f.store.Job(jobs[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := [3]time.Time{j.SentAt, j.DeliveredAt, j.ReadAt}; got != want {
			t.Errorf("job %d: sent, delivered, read at %v, want %v", i, got, want)
		}
	}
}
