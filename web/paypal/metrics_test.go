package paypal_test

import (
	"bytes"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"higate/web/paypal"
	"higate/web/paypal/paypaltest"
)

// Every call to PayPal is counted by what came of it.
func TestCallsAreCountedByOutcome(t *testing.T) {
	fake := paypaltest.New(t)
	fake.AddPlan("P-TRIAL", true, "MONTH", 1)
	reg := prometheus.NewRegistry()
	c, err := paypal.New(paypal.Config{ClientID: paypaltest.ClientID, Secret: paypaltest.Secret, APIBase: fake.URL,
		WebhookID: paypaltest.WebhookID, Metrics: paypal.NewMetrics(reg)})
	if err != nil {
		t.Fatal(err)
	}
	d := fake.Event(paypal.EventSubscriptionActivated, "subscription", map[string]any{"id": "I-1"})
	_ = c.Verify(t.Context(), d.Header, d.Body)
	_ = c.Verify(t.Context(), d.Header, bytes.Replace(d.Body, []byte(`"I-1"`), []byte(`"I-2"`), 1))
	sub, _ := c.CreateSubscription(t.Context(), paypal.NewSubscription{PlanID: "P-TRIAL", CustomID: "chk_1",
		ReturnURL: "https://gw.example.com/r", CancelURL: "https://gw.example.com/c"})
	_, _ = c.CreateSubscription(t.Context(), paypal.NewSubscription{PlanID: "P-NOPE", CustomID: "x",
		ReturnURL: "https://gw.example.com/r", CancelURL: "https://gw.example.com/c"})
	_, _ = c.Subscription(t.Context(), sub.ID)
	_, _ = c.Subscription(t.Context(), "I-NOPE")

	want := map[[2]string]float64{
		{"verify_webhook", "ok"}: 1, {"verify_webhook", "unverified"}: 1,
		{"create_subscription", "ok"}: 1, {"create_subscription", "error"}: 1,
		{"get_subscription", "ok"}: 1, {"get_subscription", "not_found"}: 1,
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[[2]string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "higate_paypal_calls_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var call, outcome string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "call":
					call = l.GetValue()
				case "outcome":
					outcome = l.GetValue()
				}
			}
			if v := m.GetCounter().GetValue(); v != 0 {
				got[[2]string{call, outcome}] = v
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("counted %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s %s: %v, want %v", k[0], k[1], got[k], v)
		}
	}
}
