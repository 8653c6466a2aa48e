package mail

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics count a Mailer's deliveries by outcome. A nil *Metrics counts
// nothing.
type Metrics struct {
	ok, failed prometheus.Counter
}

// NewMetrics makes the mailer's counters and registers them on reg (nil
// registers them nowhere).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	sends := promauto.With(reg).NewCounterVec(prometheus.CounterOpts{
		Name: "higate_smtp_sends_total",
		Help: "Mails handed to the SMTP server, by outcome: ok (accepted) or error (refused, or the server could not be reached).",
	}, []string{"outcome"})
	return &Metrics{ok: sends.WithLabelValues("ok"), failed: sends.WithLabelValues("error")}
}

func (m *Metrics) sent(err error) {
	switch {
	case m == nil:
	case err == nil:
		m.ok.Inc()
	default:
		m.failed.Inc()
	}
}
