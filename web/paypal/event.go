package paypal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// The webhook event types Higate acts on.
const (
	EventSubscriptionActivated     = "BILLING.SUBSCRIPTION.ACTIVATED"
	EventSubscriptionUpdated       = "BILLING.SUBSCRIPTION.UPDATED"
	EventSubscriptionCancelled     = "BILLING.SUBSCRIPTION.CANCELLED"
	EventSubscriptionSuspended     = "BILLING.SUBSCRIPTION.SUSPENDED"
	EventSubscriptionExpired       = "BILLING.SUBSCRIPTION.EXPIRED"
	EventSubscriptionPaymentFailed = "BILLING.SUBSCRIPTION.PAYMENT.FAILED"
	EventSaleCompleted             = "PAYMENT.SALE.COMPLETED"
	EventSaleRefunded              = "PAYMENT.SALE.REFUNDED"
	EventSaleReversed              = "PAYMENT.SALE.REVERSED"
)

// Event is a webhook event. Its resource is decoded on demand into one of
// the resource types below, Higate's own, so a change in the library's
// structs cannot silently drop a field Higate relies on.
type Event struct {
	ID           string          `json:"id"`
	EventType    string          `json:"event_type"`
	ResourceType string          `json:"resource_type"`
	Summary      string          `json:"summary"`
	Resource     json.RawMessage `json:"resource"`
}

// ParseEvent decodes a webhook body. It checks only the envelope: an ID, a
// type, and a resource object.
func ParseEvent(body []byte) (Event, error) {
	var e Event
	if err := json.Unmarshal(body, &e); err != nil {
		return Event{}, fmt.Errorf("paypal: webhook event: %w", err)
	}
	if e.ID == "" || e.EventType == "" {
		return Event{}, errors.New("paypal: webhook event without id or event_type")
	}
	if r := bytes.TrimSpace(e.Resource); len(r) == 0 || r[0] != '{' {
		return Event{}, errors.New("paypal: webhook event without a resource object")
	}
	return e, nil
}

// SubscriptionResource is the resource of a BILLING.SUBSCRIPTION.* event.
type SubscriptionResource struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	PlanID     string `json:"plan_id"`
	CustomID   string `json:"custom_id"`
	Subscriber struct {
		EmailAddress string `json:"email_address"`
	} `json:"subscriber"`
}

// Subscription decodes the event's resource as a subscription.
func (e Event) Subscription() (SubscriptionResource, error) {
	var r SubscriptionResource
	if err := json.Unmarshal(e.Resource, &r); err != nil {
		return r, fmt.Errorf("paypal: %s resource: %w", e.EventType, err)
	}
	if r.ID == "" {
		return r, fmt.Errorf("paypal: %s resource without id", e.EventType)
	}
	return r, nil
}

// SaleResource is the resource of a PAYMENT.SALE.* event: the sale itself
// for COMPLETED and REVERSED, a refund (naming its sale) for REFUNDED.
type SaleResource struct {
	ID                 string `json:"id"`
	State              string `json:"state"`
	SaleID             string `json:"sale_id"`              // refunds: the sale refunded
	BillingAgreementID string `json:"billing_agreement_id"` // the subscription, for subscription payments
	Custom             string `json:"custom"`
	CreateTime         string `json:"create_time"`
	Amount             struct {
		Total    string `json:"total"`
		Currency string `json:"currency"`
	} `json:"amount"`
}

// Sale decodes the event's resource as a sale or refund.
func (e Event) Sale() (SaleResource, error) {
	var r SaleResource
	if err := json.Unmarshal(e.Resource, &r); err != nil {
		return r, fmt.Errorf("paypal: %s resource: %w", e.EventType, err)
	}
	if r.ID == "" {
		return r, fmt.Errorf("paypal: %s resource without id", e.EventType)
	}
	return r, nil
}

// TransactionID is the ID of the sale the resource is about: the refunded
// sale for a refund, the sale itself otherwise.
func (r SaleResource) TransactionID() string {
	if r.SaleID != "" {
		return r.SaleID
	}
	return r.ID
}
