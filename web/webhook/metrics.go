package webhook

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"higate/registry"
)

// Metrics are the sender's instruments: delivery attempts by event and
// outcome, deliveries given up, and webhooks switched off. (The backlog is
// a gauge of the registry's collector.) A nil *Metrics measures nothing.
type Metrics struct {
	attempts    *prometheus.CounterVec
	gaveUp      prometheus.Counter
	deactivated prometheus.Counter
}

// NewMetrics makes the sender's instruments and registers them on reg
// (nil registers them nowhere).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	m := &Metrics{
		attempts: f.NewCounterVec(prometheus.CounterOpts{
			Name: "higate_webhook_attempts_total",
			Help: "Webhook delivery attempts by event and outcome: ok (2xx), or failed (no response, a redirect, or HTTP 4xx/5xx; retried with backoff).",
		}, []string{"event", "outcome"}),
		gaveUp: f.NewCounter(prometheus.CounterOpts{
			Name: "higate_webhook_gave_up_total",
			Help: "Webhook deliveries given up: retried for 24 hours, or answered 410 Gone.",
		}),
		deactivated: f.NewCounter(prometheus.CounterOpts{
			Name: "higate_webhook_deactivated_total",
			Help: "Webhooks switched off after repeated failures or a 410 Gone; their events are held for a replay.",
		}),
	}
	for _, e := range []string{registry.EventInbound, registry.EventJobStatus} {
		m.attempts.WithLabelValues(e, "ok")
		m.attempts.WithLabelValues(e, "failed")
	}
	return m
}

// attempt records one delivery attempt and what came of it.
func (m *Metrics) attempt(event string, at registry.Attempt, deactivated bool) {
	if m == nil {
		return
	}
	outcome := "failed"
	if at.OK {
		outcome = "ok"
	}
	m.attempts.WithLabelValues(event, outcome).Inc()
	if at.GiveUp {
		m.gaveUp.Inc()
	}
	if deactivated {
		m.deactivated.Inc()
	}
}
