package gateway

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"higate/registry"
)

// Metrics are the dispatchers' instruments: send attempts by outcome, the
// time from accept to sent, and the waits that pacing imposes. A nil
// *Metrics measures nothing.
type Metrics struct {
	attempts     [3]prometheus.Counter // sent, retry, failed
	acceptToSent prometheus.Histogram
	pacing       prometheus.Histogram
}

// NewMetrics makes the dispatchers' instruments and registers them on reg
// (nil registers them nowhere).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	attempts := f.NewCounterVec(prometheus.CounterOpts{
		Name: "higate_send_attempts_total",
		Help: "Send attempts by outcome: sent, retry (a transient failure, tried again after a backoff) or failed (for good).",
	}, []string{"outcome"})
	return &Metrics{
		attempts: [3]prometheus.Counter{attempts.WithLabelValues("sent"), attempts.WithLabelValues("retry"), attempts.WithLabelValues("failed")},
		acceptToSent: f.NewHistogram(prometheus.HistogramOpts{
			Name:    "higate_send_accept_to_sent_seconds",
			Help:    "Time from a job's accept to WhatsApp taking the message (queueing, backoff, pacing and the send itself).",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 10), // 10 ms to 43 min
		}),
		pacing: f.NewHistogram(prometheus.HistogramOpts{
			Name:    "higate_pacing_wait_seconds",
			Help:    "Waits before a send imposed by a number's pacing (minimum gap plus jitter); its count is the number of waits.",
			Buckets: []float64{0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300},
		}),
	}
}

// attempt records a send attempt's outcome; waited is how long the job
// had been in the queue when it was sent.
func (m *Metrics) attempt(o registry.Outcome, waited time.Duration) {
	if m == nil {
		return
	}
	switch {
	case o.Sent:
		m.attempts[0].Inc()
		m.acceptToSent.Observe(max(waited, 0).Seconds())
	case o.Retry:
		m.attempts[1].Inc()
	default:
		m.attempts[2].Inc()
	}
}

// paced records a wait imposed by pacing.
func (m *Metrics) paced(d time.Duration) {
	if m != nil {
		m.pacing.Observe(d.Seconds())
	}
}
