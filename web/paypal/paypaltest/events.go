package paypaltest

import (
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"
)

// Delivery is a webhook delivery as PayPal would POST it: headers and body.
type Delivery struct {
	Header http.Header
	Body   []byte
}

// Sign signs body as a delivery of the fake's webhook.
func (s *Server) Sign(body []byte) Delivery {
	id := hex.EncodeToString(randomBytes(16))
	at := time.Now().UTC().Format(time.RFC3339)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("PAYPAL-TRANSMISSION-ID", id)
	h.Set("PAYPAL-TRANSMISSION-TIME", at)
	h.Set("PAYPAL-TRANSMISSION-SIG", s.sign(id, at, body))
	h.Set("PAYPAL-CERT-URL", s.URL+"/v1/notifications/certs/CERT-FAKE")
	h.Set("PAYPAL-AUTH-ALGO", "SHA256withRSA")
	return Delivery{Header: h, Body: body}
}

// Event builds and signs an event of type eventType with resource. Each
// call makes a new event ID; to redeliver one event, send the same
// Delivery again.
func (s *Server) Event(eventType, resourceType string, resource any) Delivery {
	body, err := json.Marshal(map[string]any{
		"id": s.nextID("WH"), "event_version": "1.0", "create_time": time.Now().UTC().Format(time.RFC3339),
		"resource_type": resourceType, "event_type": eventType, "summary": eventType, "resource": resource,
	})
	if err != nil {
		panic(err) // resources are maps and structs of strings: marshalling cannot fail
	}
	return s.Sign(body)
}

// SubscriptionEvent is a BILLING.SUBSCRIPTION.* event carrying the
// subscription's current state.
func (s *Server) SubscriptionEvent(eventType, subscriptionID string) Delivery {
	sub, _ := s.Subscription(subscriptionID)
	return s.Event(eventType, "subscription", s.subscriptionJSON(sub))
}

// SaleEvent is a PAYMENT.SALE.* event about transaction txn of the
// subscription: the sale for COMPLETED and REVERSED, a refund of it for
// REFUNDED.
func (s *Server) SaleEvent(eventType, subscriptionID, txn string) Delivery {
	sub, _ := s.Subscription(subscriptionID)
	amount := map[string]string{"total": sub.Amount, "currency": "USD"}
	resource := map[string]any{"id": txn, "state": "completed", "amount": amount, "payment_mode": "INSTANT_TRANSFER",
		"billing_agreement_id": subscriptionID, "custom": sub.CustomID, "create_time": time.Now().UTC().Format(time.RFC3339)}
	switch eventType {
	case "PAYMENT.SALE.REFUNDED":
		resource = map[string]any{"id": s.nextID("RF"), "state": "completed", "sale_id": txn, "amount": amount,
			"billing_agreement_id": subscriptionID, "create_time": time.Now().UTC().Format(time.RFC3339)}
	case "PAYMENT.SALE.REVERSED":
		resource["state"] = "reversed"
	}
	return s.Event(eventType, "sale", resource)
}

// verifyRequest is the documented body of verify-webhook-signature.
type verifyRequest struct {
	AuthAlgo         string          `json:"auth_algo"`
	CertURL          string          `json:"cert_url"`
	TransmissionID   string          `json:"transmission_id"`
	TransmissionSig  string          `json:"transmission_sig"`
	TransmissionTime string          `json:"transmission_time"`
	WebhookID        string          `json:"webhook_id"`
	WebhookEvent     json.RawMessage `json:"webhook_event"`
}

// handleVerify says SUCCESS for deliveries the fake signed, unaltered, and
// FAILURE for anything else, as PayPal does (with status 200 either way).
func (s *Server) handleVerify(w http.ResponseWriter, r *http.Request) {
	var req verifyRequest
	if !s.decodeStrict(w, r, &req) {
		return
	}
	switch {
	case req.WebhookID != WebhookID:
		s.reject(w, http.StatusBadRequest, "INVALID_RESOURCE_ID", "webhook_id %q is not this app's webhook", req.WebhookID)
		return
	case len(req.WebhookEvent) == 0 || req.WebhookEvent[0] != '{':
		s.reject(w, http.StatusBadRequest, "VALIDATION_ERROR", "webhook_event must be the event object")
		return
	}
	status := "FAILURE"
	want := s.sign(req.TransmissionID, req.TransmissionTime, req.WebhookEvent)
	if req.AuthAlgo != "" && req.CertURL != "" && req.TransmissionID != "" &&
		hmac.Equal([]byte(req.TransmissionSig), []byte(want)) {
		status = "SUCCESS"
	}
	writeJSON(w, http.StatusOK, map[string]string{"verification_status": status})
}
