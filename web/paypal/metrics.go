package paypal

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics count the calls a Client makes to PayPal by outcome. A nil
// *Metrics counts nothing.
type Metrics struct {
	calls *prometheus.CounterVec
}

// NewMetrics makes the client's counters and registers them on reg (nil
// registers them nowhere).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{calls: promauto.With(reg).NewCounterVec(prometheus.CounterOpts{
		Name: "higate_paypal_calls_total",
		Help: "Calls to the PayPal API by call (verify_webhook, get_subscription, create_subscription) and outcome (ok, error, not_found, unverified).",
	}, []string{"call", "outcome"})}
	for _, call := range []string{"verify_webhook", "get_subscription", "create_subscription"} {
		m.calls.WithLabelValues(call, "ok")
		m.calls.WithLabelValues(call, "error")
	}
	return m
}

// call counts one call to PayPal. An error is "not_found" when PayPal
// answered 404 and "error" otherwise (no answer, or another refusal).
func (m *Metrics) call(name string, err error) {
	if m == nil {
		return
	}
	outcome := "ok"
	switch {
	case err == ErrUnverified:
		outcome = "unverified"
	case IsNotFound(err):
		outcome = "not_found"
	case err != nil:
		outcome = "error"
	}
	m.calls.WithLabelValues(name, outcome).Inc()
}
