package gateway_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"higate/gateway"
	"higate/registry"
)

// withMetrics gives the service its instruments, registered on reg.
func withMetrics(reg *prometheus.Registry) func(*gateway.Options) {
	return func(o *gateway.Options) { o.Metrics = gateway.NewMetrics(reg) }
}

// Every attempt is counted by outcome, and every sent one's time since
// its accept observed; an unpaced number never waits.
func TestSendsAreCountedByOutcome(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := newHarness(t, registry.Pacing{}, withMetrics(reg))
	const user, absent = "+4915100000001", "+4915100000009"
	h.net.SetOnWhatsApp(absent, false)
	h.queue(user, 3)
	h.queue(absent, 1)
	h.waitFor("4 attempts", func() bool {
		return attempts(t, reg, "sent")+attempts(t, reg, "failed") == 4
	})
	if sent, failed := attempts(t, reg, "sent"), attempts(t, reg, "failed"); sent != 3 || failed != 1 {
		t.Errorf("attempts: %v sent, %v failed; want 3 and 1", sent, failed)
	}
	if n := histogram(t, reg, "higate_send_accept_to_sent_seconds").GetSampleCount(); n != 3 {
		t.Errorf("%d accept-to-sent times observed, want 3", n)
	}
	if n := histogram(t, reg, "higate_pacing_wait_seconds").GetSampleCount(); n != 0 {
		t.Errorf("%d pacing waits on an unpaced number", n)
	}
}

// A paced number waits before every send but its first, and each wait is
// counted with how long it was.
func TestPacingWaitsAreMeasured(t *testing.T) {
	const gap, jitter = 400 * time.Millisecond, 10 * time.Millisecond
	reg := prometheus.NewRegistry()
	h := newHarness(t, registry.Pacing{Gap: gap, Jitter: jitter}, withMetrics(reg))
	const user = "+4915100000001"
	h.queue(user, 4)
	h.waitFor("4 messages", func() bool { return len(h.net.Messages(user)) == 4 })
	if n := histogram(t, reg, "higate_pacing_wait_seconds").GetSampleCount(); n != 3 {
		t.Errorf("%d pacing waits for 4 sends, want 3", n)
	}
	if sum := histogram(t, reg, "higate_pacing_wait_seconds").GetSampleSum(); sum <= 0 || sum > 3*(gap+jitter).Seconds() {
		t.Errorf("pacing waits sum to %v s, want at most 3 x %v", sum, gap+jitter)
	}
}

func attempts(t *testing.T, reg *prometheus.Registry, outcome string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "higate_send_attempts_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return -1
}

// histogram is the named histogram of reg (its one series).
func histogram(t *testing.T, reg *prometheus.Registry, name string) *dto.Histogram {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetHistogram()
		}
	}
	t.Fatalf("no %s", name)
	return nil
}
