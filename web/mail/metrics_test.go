package mail_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"higate/web/mail"
	"higate/web/mail/smtptest"
)

// Deliveries are counted by outcome: accepted, or refused by the server.
func TestSendsAreCountedByOutcome(t *testing.T) {
	srv := smtptest.New(t, smtptest.Options{})
	reg := prometheus.NewRegistry()
	m, err := mail.New(mail.Config{URL: srv.URL(), From: "billing@higate.test", RootCAs: srv.RootCAs(), Metrics: mail.NewMetrics(reg)})
	if err != nil {
		t.Fatal(err)
	}
	msg := mail.Message{To: "dev@example.com", Subject: "x", Text: "x"}
	if err := m.Send(t.Context(), msg); err != nil {
		t.Fatal(err)
	}
	srv.Refuse(1)
	if err := m.Send(t.Context(), msg); err == nil {
		t.Fatal("a refused delivery returned no error")
	}
	if err := m.Send(t.Context(), msg); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() == "higate_smtp_sends_total" {
			for _, s := range mf.GetMetric() {
				got[s.GetLabel()[0].GetValue()] = s.GetCounter().GetValue()
			}
		}
	}
	if got["ok"] != 2 || got["error"] != 1 {
		t.Errorf("higate_smtp_sends_total %v, want ok 2, error 1", got)
	}
}
