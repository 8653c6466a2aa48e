package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"higate/registry"
)

// Metrics are the HTTP layer's instruments, and the Prometheus registry
// that GET /metrics serves. A nil *Metrics turns both off.
type Metrics struct {
	handler http.Handler
	accepts *prometheus.CounterVec
}

// NewMetrics makes the send endpoints' counters, registers them on reg,
// and serves everything registered on reg (the other packages' metrics,
// the Go runtime's and the process's) at /metrics.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	m := &Metrics{
		// ContinueOnError: a collector that fails (it logs why) leaves
		// out its own series, not the whole scrape.
		handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}),
		accepts: promauto.With(reg).NewCounterVec(prometheus.CounterOpts{
			Name: "higate_accepts_total",
			Help: "Send requests by message kind, single or group, and the HTTP status answered: 200 is accepted (queued), the rest are the API's error codes.",
		}, []string{"kind", "target", "code"}),
	}
	return m
}

// Handler serves the metrics in the Prometheus exposition format, without
// a check of its own: for a listener of its own (--metrics-addr).
func (m *Metrics) Handler() http.Handler { return m.handler }

// acceptCounter counts one send endpoint's results. Its 200 series is
// looked up once, when the route is made, so an accepted send costs one
// atomic add; errors find theirs by label.
type acceptCounter struct {
	accepts      *prometheus.CounterVec // nil: count nothing
	kind, target string
	ok           prometheus.Counter
}

func (m *Metrics) acceptCounter(kind string, group bool) acceptCounter {
	if m == nil {
		return acceptCounter{}
	}
	target := "single"
	if group {
		target = "group"
	}
	return acceptCounter{accepts: m.accepts, kind: kind, target: target, ok: m.accepts.WithLabelValues(kind, target, "200")}
}

// count counts a send's result: nil is accepted, an error by its status.
func (c acceptCounter) count(err error) {
	switch {
	case c.accepts == nil:
	case err == nil:
		c.ok.Inc()
	default:
		c.accepts.WithLabelValues(c.kind, c.target, strconv.Itoa(statusOf(err))).Inc()
	}
}

// statusOf is the HTTP status writeError answers err with.
func statusOf(err error) int {
	var e *registry.Error
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &e):
		return e.Code
	case errors.As(err, &tooBig):
		return registry.CodeTooLarge
	}
	return registry.CodeInternal
}

// handleMetrics serves GET /metrics, behind the admin token.
func (s *server) handleMetrics(w http.ResponseWriter, r *http.Request) error {
	if s.Metrics == nil {
		return registry.Errorf(registry.CodeNotFound, "the server was started without metrics", "metrics are off")
	}
	s.Metrics.handler.ServeHTTP(w, r)
	return nil
}
