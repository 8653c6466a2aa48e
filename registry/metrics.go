package registry

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	bolt "go.etcd.io/bbolt"
)

// Metrics are the registry's instruments that change as it writes: the
// group commit's batches and latency, jobs reaching each status, and how
// long a sent message takes to be delivered. They are updated once per
// committed transaction, never per call. A nil *Metrics measures nothing.
type Metrics struct {
	commitBatch     prometheus.Histogram
	commitDuration  prometheus.Histogram
	jobs            [len(jobStatuses)]prometheus.Counter
	sentToDelivered prometheus.Histogram
}

// NewMetrics makes the registry's instruments and registers them on reg
// (nil registers them nowhere, for tests that read them directly).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	m := &Metrics{
		commitBatch: f.NewHistogram(prometheus.HistogramOpts{
			Name:    "higate_commit_batch_size",
			Help:    "Writes (accepts, send outcomes, receipts, greetings, webhook results) that shared one group-committed transaction.",
			Buckets: []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000},
		}),
		commitDuration: f.NewHistogram(prometheus.HistogramOpts{
			Name:    "higate_commit_duration_seconds",
			Help:    "Time to run and commit (fsync included) one group-committed transaction.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 13), // 0.5 ms to 2 s
		}),
		sentToDelivered: f.NewHistogram(prometheus.HistogramOpts{
			Name:    "higate_send_sent_to_delivered_seconds",
			Help:    "Time from a message leaving for WhatsApp to its first receipt (delivered, or read).",
			Buckets: prometheus.ExponentialBuckets(0.05, 4, 10), // 50 ms to 3.6 h
		}),
	}
	jobs := f.NewCounterVec(prometheus.CounterOpts{
		Name: "higate_jobs_total",
		Help: "Jobs (API sends and the gateway's own replies) that reached a status: sent, delivered, read, failed, expired or canceled. A read job counts as delivered too.",
	}, []string{"status"})
	for i, s := range jobStatuses {
		m.jobs[i] = jobs.WithLabelValues(string(s))
	}
	return m
}

// observeCommit records one group transaction of n calls begun at start.
func (m *Metrics) observeCommit(n int, start time.Time) {
	if m == nil {
		return
	}
	m.commitBatch.Observe(float64(n))
	m.commitDuration.Observe(time.Since(start).Seconds())
}

// Collector returns the registry's gauges, read when Prometheus scrapes:
// per instance the queue depth, the parked and the scheduled jobs and the age of the oldest
// queued job; per gateway number its state; the webhook backlog; and the
// size of the registry file and the free space beside it. None of them
// scans the queue or the outbox: the lengths are the running counts (see
// counts.go), the oldest job is a seek per priority, and instances and
// numbers are few.
func (s *Store) Collector() prometheus.Collector {
	byInstance := []string{"instance_id"}
	return &collector{s: s,
		depth: prometheus.NewDesc("higate_queue_depth",
			"Jobs of an instance not yet sent: queued, in backoff, being sent, or parked.", byInstance, nil),
		parked: prometheus.NewDesc("higate_queue_parked",
			"Jobs of an instance parked until their recipient greets its new gateway number (after a failover or rotation).", byInstance, nil),
		scheduled: prometheus.NewDesc("higate_queue_scheduled",
			"Jobs of an instance scheduled for a later send_at, not yet due: not in its queue depth until they are.", byInstance, nil),
		oldest: prometheus.NewDesc("higate_queue_oldest_age_seconds",
			"Age of the oldest job in an instance's queue (parked jobs not counted); 0 when the queue is empty.", byInstance, nil),
		state: prometheus.NewDesc("higate_number_state",
			"1 for a gateway number's current state, 0 for the others; transport is sim or whatsmeow.",
			[]string{"instance_id", "number", "transport", "state"}, nil),
		backlog: prometheus.NewDesc("higate_webhook_backlog",
			"Webhook deliveries pending (in line, or waiting for a retry) for active webhooks.", nil, nil),
		size: prometheus.NewDesc("higate_registry_size_bytes",
			"Size of the registry file, higate.db.", nil, nil),
		free: prometheus.NewDesc("higate_data_free_bytes",
			"Space free for Higate on the data directory's file system.", nil, nil),
	}
}

// numberStates are the states higate_number_state reports for every number.
var numberStates = [...]State{StatePairing, StateActive, StateStandby, StateDisconnected,
	StateTempBanned, StateBanned, StateLoggedOut, StateRetired}

type collector struct {
	s                                                            *Store
	depth, parked, scheduled, oldest, state, backlog, size, free *prometheus.Desc
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.depth, c.parked, c.scheduled, c.oldest, c.state, c.backlog, c.size, c.free} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	queued, parked, scheduled, outbox := c.s.db.counts.lengths()
	now := c.s.now()
	var out []prometheus.Metric
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		out = append(out, prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...))
	}
	// Metrics are built in the read transaction and sent after it, so a
	// slow scrape does not hold the transaction open.
	err := c.s.db.View(func(tx *bolt.Tx) error {
		out = out[:0]
		jb := tx.Bucket(bucketJobs)
		ic := tx.Bucket(bucketInstances).Cursor()
		for k, _ := ic.First(); k != nil; k, _ = ic.Next() {
			if len(k) != 8 {
				continue
			}
			id := binary.BigEndian.Uint64(k)
			label := strconv.FormatUint(id, 10)
			gauge(c.depth, float64(queued[id]+parked[id]), label)
			gauge(c.parked, float64(parked[id]), label)
			gauge(c.scheduled, float64(scheduled[id]), label)
			age := 0.0
			if at, ok := oldestQueued(tx, jb, id); ok {
				age = max(now.Sub(at).Seconds(), 0)
			}
			gauge(c.oldest, age, label)
		}
		err := tx.Bucket(bucketNumbers).ForEach(func(_, v []byte) error {
			var n Number
			if err := json.Unmarshal(v, &n); err != nil {
				return err
			}
			inst := strconv.FormatUint(n.Instance, 10)
			for _, st := range numberStates {
				on := 0.0
				if n.State == st {
					on = 1
				}
				gauge(c.state, on, inst, n.Number, n.Transport, string(st))
			}
			return nil
		})
		gauge(c.size, float64(tx.Size()))
		return err
	})
	if err != nil {
		c.s.log.Error("metrics: read the registry", "err", err)
		ch <- prometheus.NewInvalidMetric(c.depth, err)
		return
	}
	gauge(c.backlog, float64(outbox))
	if free, ok := freeBytes(c.s.dir); ok {
		gauge(c.free, float64(free))
	}
	for _, m := range out {
		ch <- m
	}
}

// oldestQueued returns when the oldest job in an instance's queue entered
// it: when it was accepted, or its send_at for a scheduled one. Queue keys
// sort by class, account and priority, then job ID, and IDs grow with time,
// so the oldest is the first key of one of those runs: a seek for each
// (system replies, and per account its priorities). A job scheduled long
// ago that fell due sorts by its early ID, so a run's first key may not be
// its longest queued; the gauge may then read low, never high.
func oldestQueued(tx *bolt.Tx, jb *bolt.Bucket, instance uint64) (time.Time, bool) {
	prefix := u64(instance)
	c := tx.Bucket(bucketQueue).Cursor()
	var oldest time.Time
	found := false
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(k) >= 19; {
		var j Job
		if getJob(jb, queueKeyJob(k), &j) == nil {
			at := j.CreatedAt
			if j.SendAt.After(at) {
				at = j.SendAt
			}
			if !found || at.Before(oldest) {
				oldest, found = at, true
			}
		}
		// The next run: past every job ID of this one.
		next := append(bytes.Clone(k[:len(k)-8]), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
		if k, _ = c.Seek(next); bytes.Equal(k, next) {
			k, _ = c.Next()
		}
	}
	return oldest, found
}
