package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"higate/registry"
	"higate/web/webhook"
)

// scrape reads GET /metrics with the admin token and parses the
// exposition format.
func (e *env) scrape() scraped {
	e.t.Helper()
	r := e.admin("GET", "/metrics", nil)
	if r.status != 200 {
		e.t.Fatalf("GET /metrics: %d %s", r.status, r.raw)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		e.t.Fatalf("GET /metrics: Content-Type %q", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(r.raw))
	if err != nil {
		e.t.Fatalf("parse /metrics: %v\n%s", err, r.raw)
	}
	return scraped(mfs)
}

// scraped is one scrape's metric families by name.
type scraped map[string]*dto.MetricFamily

// value is the series of name with the label pairs given: a counter's or
// gauge's value, or a histogram's count. -1 when there is no such series.
func (s scraped) value(name string, labels ...string) float64 {
	mf := s[name]
	if mf == nil {
		return -1
	}
series:
	for _, m := range mf.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, lp := range m.GetLabel() {
				found = found || lp.GetName() == labels[i] && lp.GetValue() == labels[i+1]
			}
			if !found {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return -1
}

// jobsIn counts the jobs in the registry that are in one of states.
func (e *env) jobsIn(states ...registry.JobState) int {
	e.t.Helper()
	jobs, err := e.store.Jobs("")
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, j := range jobs {
		for _, s := range states {
			if j.State == s {
				n++
			}
		}
	}
	return n
}

// The acceptance test of issue 13's metrics: /metrics, scraped during an
// end-to-end run, shows that run's accepts (by kind and result code) and
// deliveries, and is closed without the admin token.
func TestMetricsShowTheAcceptsAndDeliveriesOfARun(t *testing.T) {
	e := newEnv(t)
	for _, h := range [][]string{nil, {"Authorization", "Bearer wrong-token-0123456789"}} {
		r := e.do("GET", "/metrics", nil, h...)
		if r.status != http.StatusUnauthorized || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("/metrics with %v: %d %v, want 401 with a Bearer challenge", h, r.status, r.header)
		}
	}

	a := e.newAccount(map[string]any{"email": "m@example.com", "plan": "trial"})
	const user, stranger = "+4915100000001", "+4915100000002"
	e.register(user, sandboxGW) // its confirmation is a job too
	for i := range 3 {
		if r := e.send(a, "/v3/whatsapp/single/text/message/0", map[string]string{"number": user, "message": fmt.Sprint("api: ", i)}); r.status != 200 {
			t.Fatalf("send: %d %s", r.status, r.raw)
		}
	}
	if r := e.send(a, "/v3/whatsapp/single/url/message/0", map[string]string{"number": user, "url": "https://example.com/"}); r.status != 200 {
		t.Fatalf("send url: %d %s", r.status, r.raw)
	}
	if r := e.send(a, "/v3/whatsapp/single/text/message/0", map[string]string{"number": stranger, "message": "api: x"}); r.status != 472 {
		t.Fatalf("send to a stranger: %d, want 472", r.status)
	}
	bad := account{a.id, "wrong"}
	if r := e.send(bad, "/v3/whatsapp/single/text/message/0", map[string]string{"number": user, "message": "api: x"}); r.status != 474 {
		t.Fatalf("send with a wrong secret: %d, want 474", r.status)
	}
	e.waitMessages(user, 4, fromAPI)
	const jobs = 5 // 4 sends and the greeting's confirmation
	e.eventually("every job delivered", func() bool { return e.jobsIn(registry.JobDelivered) == jobs })

	var m scraped
	e.eventually("the deliveries in the metrics", func() bool {
		m = e.scrape()
		return m.value("higate_jobs_total", "status", "delivered") == jobs
	})
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"higate_accepts_total", []string{"kind", "text", "target", "single", "code", "200"}, 3},
		{"higate_accepts_total", []string{"kind", "url", "target", "single", "code", "200"}, 1},
		{"higate_accepts_total", []string{"kind", "text", "target", "single", "code", "472"}, 1},
		{"higate_accepts_total", []string{"kind", "text", "target", "single", "code", "474"}, 1},
		{"higate_jobs_total", []string{"status", "sent"}, jobs},
		{"higate_jobs_total", []string{"status", "delivered"}, jobs},
		{"higate_jobs_total", []string{"status", "failed"}, 0},
		{"higate_send_attempts_total", []string{"outcome", "sent"}, jobs},
		{"higate_send_accept_to_sent_seconds", nil, jobs},
		{"higate_send_sent_to_delivered_seconds", nil, jobs},
		{"higate_queue_depth", []string{"instance_id", "0"}, 0},
		{"higate_queue_oldest_age_seconds", []string{"instance_id", "0"}, 0},
		{"higate_number_state", []string{"number", sandboxGW, "state", "active"}, 1},
		{"higate_number_state", []string{"number", sandboxGW, "state", "banned"}, 0},
		{"higate_webhook_backlog", nil, 0},
		{"higate_pacing_wait_seconds", nil, 0},
	} {
		if got := m.value(c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if n := m.value("higate_commit_batch_size"); n < 1 {
		t.Errorf("higate_commit_batch_size counted %v commits", n)
	}
	if m.value("higate_registry_size_bytes") <= 0 {
		t.Error("higate_registry_size_bytes missing")
	}

	// The user reads everything: every job is counted as read.
	if r := e.do("POST", "/sandbox/api/read", map[string]string{"number": user, "gateway": sandboxGW}); r.status != 200 {
		t.Fatalf("read: %d %s", r.status, r.raw)
	}
	e.eventually("the reads in the metrics", func() bool {
		return e.scrape().value("higate_jobs_total", "status", "read") == jobs
	})
}

// While an instance's number is disconnected, its jobs wait: the queue
// depth, the oldest job's age and the number's state show it, and the
// queue drains when the number is back.
func TestMetricsShowAStalledQueue(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "m@example.com", "plan": "trial"})
	const user = "+4915100000001"
	e.register(user, sandboxGW)
	e.eventually("the confirmation delivered", func() bool { return e.jobsIn(registry.JobDelivered) == 1 })
	fault := func(kind string) {
		t.Helper()
		if r := e.admin("POST", "/sandbox/api/numbers/"+sandboxGW+"/fault", map[string]string{"kind": kind}); r.status != 200 {
			t.Fatalf("fault %s: %d %s", kind, r.status, r.raw)
		}
	}
	fault("disconnect")
	e.eventually("the number disconnected", func() bool {
		return e.scrape().value("higate_number_state", "number", sandboxGW, "state", "disconnected") == 1
	})
	for i := range 2 {
		if r := e.send(a, "/v3/whatsapp/single/text/message/0", map[string]string{"number": user, "message": fmt.Sprint("api: ", i)}); r.status != 200 {
			t.Fatalf("send: %d %s", r.status, r.raw)
		}
	}
	e.clock.Advance(150 * time.Second)
	m := e.scrape()
	if got := m.value("higate_queue_depth", "instance_id", "0"); got != 2 {
		t.Errorf("higate_queue_depth %v, want 2", got)
	}
	if got := m.value("higate_queue_oldest_age_seconds", "instance_id", "0"); got != 150 {
		t.Errorf("higate_queue_oldest_age_seconds %v, want 150", got)
	}
	fault("clear")
	e.eventually("the queue drained", func() bool {
		m := e.scrape()
		return m.value("higate_queue_depth", "instance_id", "0") == 0 && m.value("higate_queue_oldest_age_seconds", "instance_id", "0") == 0
	})
	if got := e.scrape().value("higate_send_accept_to_sent_seconds"); got != 3 {
		t.Errorf("%v accept-to-sent times, want 3", got)
	}
}

// A webhook's deliveries and failures are counted, and what waits for a
// failing receiver is the backlog.
func TestMetricsCountWebhookDeliveries(t *testing.T) {
	e := newEnv(t, func(e *env) {
		e.hookOptions = func(o *webhook.Options) { o.Backoff = func(int) time.Duration { return time.Hour } }
	})
	rc := newReceiver(t)
	e.enterprise(rc, []string{"inbound"}, false)
	const customer = "+4915112340001"
	e.greet(customer, dedicatedGW, "Hello")
	e.eventually("one delivery", func() bool { return len(rc.received()) == 1 })
	e.eventually("it is counted", func() bool {
		return e.scrape().value("higate_webhook_attempts_total", "event", "inbound", "outcome", "ok") == 1
	})

	rc.status.Store(500)
	e.greet(customer, dedicatedGW, "one")
	e.greet(customer, dedicatedGW, "two")
	var m scraped
	e.eventually("the failure counted", func() bool {
		m = e.scrape()
		return m.value("higate_webhook_attempts_total", "event", "inbound", "outcome", "failed") == 1
	})
	// The first is retried in an hour; the second waits behind it.
	if got := m.value("higate_webhook_backlog"); got != 2 {
		t.Errorf("higate_webhook_backlog %v, want 2", got)
	}
}
