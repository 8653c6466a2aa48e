package paypal_test

import (
	"testing"

	"higate/web/paypal"
)

func TestParseEvent(t *testing.T) {
	for _, c := range []struct {
		name, body string
		ok         bool
	}{
		{"subscription", `{"id":"WH-1","event_type":"BILLING.SUBSCRIPTION.ACTIVATED","resource":{"id":"I-1","status":"ACTIVE","plan_id":"P-1","custom_id":"chk_1","subscriber":{"email_address":"a@b.c"}}}`, true},
		{"no id", `{"event_type":"X","resource":{}}`, false},
		{"no type", `{"id":"WH-1","resource":{}}`, false},
		{"resource not an object", `{"id":"WH-1","event_type":"X","resource":"I-1"}`, false},
		{"no resource", `{"id":"WH-1","event_type":"X"}`, false},
		{"not JSON", `id=WH-1`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := paypal.ParseEvent([]byte(c.body))
			if (err == nil) != c.ok {
				t.Fatalf("err %v", err)
			}
		})
	}

	e, _ := paypal.ParseEvent([]byte(`{"id":"WH-1","event_type":"BILLING.SUBSCRIPTION.ACTIVATED","resource":{"id":"I-1","custom_id":"chk_1","subscriber":{"email_address":"a@b.c"}}}`))
	sub, err := e.Subscription()
	if err != nil || sub.ID != "I-1" || sub.CustomID != "chk_1" || sub.Subscriber.EmailAddress != "a@b.c" {
		t.Fatalf("subscription %+v %v", sub, err)
	}
	e, _ = paypal.ParseEvent([]byte(`{"id":"WH-2","event_type":"PAYMENT.SALE.REFUNDED","resource":{"id":"RF-1","sale_id":"TX-1","billing_agreement_id":"I-1","amount":{"total":"9.00","currency":"USD"}}}`))
	sale, err := e.Sale()
	if err != nil || sale.TransactionID() != "TX-1" || sale.BillingAgreementID != "I-1" || sale.Amount.Total != "9.00" {
		t.Fatalf("refund %+v %v", sale, err)
	}
	e, _ = paypal.ParseEvent([]byte(`{"id":"WH-3","event_type":"PAYMENT.SALE.COMPLETED","resource":{"id":"TX-2"}}`))
	if sale, _ := e.Sale(); sale.TransactionID() != "TX-2" {
		t.Fatalf("sale %+v", sale)
	}
}

// FuzzParseEvent feeds webhook bodies to the parser: it must never panic,
// and an event it accepts has an ID, a type and a resource object.
func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(`{"id":"WH-1","event_type":"PAYMENT.SALE.COMPLETED","resource":{"id":"TX-1","billing_agreement_id":"I-1"}}`))
	f.Add([]byte(`{"id":"WH-1","event_type":"BILLING.SUBSCRIPTION.ACTIVATED","resource":{"id":"I-1"}}`))
	f.Add([]byte(`{"id":"","resource":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := paypal.ParseEvent(body)
		if err != nil {
			return
		}
		if e.ID == "" || e.EventType == "" || len(e.Resource) == 0 {
			t.Fatalf("accepted %q as %+v", body, e)
		}
		_, _ = e.Subscription()
		_, _ = e.Sale()
	})
}
