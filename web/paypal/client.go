// Package paypal is Higate's narrow view of the PayPal REST API, over
// github.com/plutov/paypal/v4: verifying webhook signatures, reading and
// creating subscriptions, and creating the product and plans once at setup.
// It turns the library's types into small ones of its own, so the rest of
// Higate never depends on the library's quirks.
package paypal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	pp "github.com/plutov/paypal/v4"
)

// The API bases of APIBase's names.
const (
	SandboxAPIBase = pp.APIBaseSandBox
	LiveAPIBase    = pp.APIBaseLive
)

// ErrUnverified is returned by Verify when PayPal says a webhook's signature
// is not its own. The library reports that as a response with status
// FAILURE and a nil error, so it must be checked explicitly.
var ErrUnverified = errors.New("paypal: webhook signature verification failed")

// Config configures a Client.
type Config struct {
	ClientID   string
	Secret     string
	APIBase    string       // "sandbox" or empty (the default), "live", or a URL (tests point it at a fake)
	WebhookID  string       // the webhook's ID at PayPal; Verify needs it, Setup does not
	HTTPClient *http.Client // defaults to one with a 30-second timeout
	Metrics    *Metrics     // counts the calls by outcome (NewMetrics); nil counts nothing
}

// APIBase resolves the name of an API base: "", "sandbox" and "live" name
// PayPal's; anything else must be an absolute http(s) URL.
func APIBase(name string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "sandbox":
		return SandboxAPIBase, nil
	case "live":
		return LiveAPIBase, nil
	}
	u, err := url.Parse(name)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("paypal API base %q: use sandbox, live or an http(s) URL", name)
	}
	return strings.TrimRight(name, "/"), nil
}

// Client talks to PayPal. It is safe for concurrent use: the library
// serializes token refreshes, and every option is set once, in New.
type Client struct {
	api       *pp.Client
	webhookID string
	metrics   *Metrics
}

// New returns a client. It does not contact PayPal; the first call fetches
// an OAuth token with the client credentials.
func New(cfg Config) (*Client, error) {
	base, err := APIBase(cfg.APIBase)
	if err != nil {
		return nil, err
	}
	if cfg.ClientID == "" || cfg.Secret == "" {
		return nil, errors.New("paypal: client ID and secret are required")
	}
	api, err := pp.NewClient(cfg.ClientID, cfg.Secret, base)
	if err != nil {
		return nil, fmt.Errorf("paypal: %w", err)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	api.SetHTTPClient(hc)
	// Set once here: the library keeps it in an unguarded field, so setting
	// it per call would race between concurrent requests.
	api.SetReturnRepresentation()
	return &Client{api: api, webhookID: cfg.WebhookID, metrics: cfg.Metrics}, nil
}

// Verify asks PayPal whether body, delivered with header, is a webhook
// event PayPal sent to our webhook. It returns ErrUnverified if PayPal says
// no, and another error if PayPal could not be asked.
func (c *Client) Verify(ctx context.Context, header http.Header, body []byte) error {
	if c.webhookID == "" {
		return errors.New("paypal: no webhook ID configured")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "/", strings.NewReader(string(body)))
	if err != nil {
		return err
	}
	for _, h := range []string{"PAYPAL-AUTH-ALGO", "PAYPAL-CERT-URL", "PAYPAL-TRANSMISSION-ID", "PAYPAL-TRANSMISSION-SIG", "PAYPAL-TRANSMISSION-TIME"} {
		req.Header.Set(h, header.Get(h))
	}
	resp, err := c.api.VerifyWebhookSignature(ctx, req, c.webhookID)
	if err == nil && resp.VerificationStatus != "SUCCESS" {
		err = ErrUnverified
	}
	c.metrics.call("verify_webhook", err)
	if err == ErrUnverified {
		return err
	}
	if err != nil {
		return fmt.Errorf("paypal: verify webhook signature: %w", err)
	}
	return nil
}

// Status is a subscription's status at PayPal.
type Status string

// The subscription statuses.
const (
	StatusApprovalPending Status = "APPROVAL_PENDING"
	StatusApproved        Status = "APPROVED"
	StatusActive          Status = "ACTIVE"
	StatusSuspended       Status = "SUSPENDED"
	StatusCancelled       Status = "CANCELLED"
	StatusExpired         Status = "EXPIRED"
)

// Subscription is what Higate needs to know of a PayPal subscription.
type Subscription struct {
	ID            string
	Status        Status
	PlanID        string
	CustomID      string // our checkout reference
	Email         string // the subscriber's PayPal e-mail address
	StartTime     time.Time
	NextBilling   time.Time // zero once the subscription stops billing
	LastPaymentAt time.Time // zero before the first payment
	TrialCycles   int       // trial billing cycles completed
	RegularCycles int       // regular (paid) billing cycles completed
	ApproveURL    string    // where the buyer approves a new subscription
}

// Subscription reads a subscription's current state. The webhook handler
// calls it before granting or revoking anything: events can arrive late,
// twice or out of order, and the subscription's state now is the truth.
func (c *Client) Subscription(ctx context.Context, id string) (Subscription, error) {
	if id == "" || strings.ContainsAny(id, "/?#") {
		return Subscription{}, fmt.Errorf("paypal: invalid subscription ID %q", id)
	}
	resp, err := c.api.GetSubscriptionDetails(ctx, id)
	c.metrics.call("get_subscription", err)
	if err != nil {
		return Subscription{}, fmt.Errorf("paypal: get subscription %s: %w", id, err)
	}
	return subscription(resp), nil
}

// NewSubscription is a subscription to create for the checkout page.
type NewSubscription struct {
	PlanID    string
	CustomID  string
	BrandName string
	ReturnURL string
	CancelURL string
}

// CreateSubscription creates a subscription awaiting the buyer's approval.
func (c *Client) CreateSubscription(ctx context.Context, ns NewSubscription) (Subscription, error) {
	resp, err := c.api.CreateSubscription(ctx, pp.SubscriptionBase{
		PlanID:   ns.PlanID,
		CustomID: ns.CustomID,
		ApplicationContext: &pp.ApplicationContext{
			BrandName:          ns.BrandName,
			ShippingPreference: pp.ShippingPreferenceNoShipping,
			UserAction:         pp.UserActionSubscribeNow,
			ReturnURL:          ns.ReturnURL,
			CancelURL:          ns.CancelURL,
		},
	})
	c.metrics.call("create_subscription", err)
	if err != nil {
		return Subscription{}, fmt.Errorf("paypal: create subscription: %w", err)
	}
	return subscription(resp), nil
}

// IsNotFound reports whether err is PayPal answering 404, e.g. for a
// subscription ID it does not know.
func IsNotFound(err error) bool {
	var e *pp.ErrorResponse
	return errors.As(err, &e) && e.Response != nil && e.Response.StatusCode == http.StatusNotFound
}

func subscription(r *pp.SubscriptionDetailResp) Subscription {
	s := Subscription{
		ID: r.ID, Status: Status(r.SubscriptionStatus), PlanID: r.PlanID, CustomID: r.CustomID,
		NextBilling: r.BillingInfo.NextBillingTime, LastPaymentAt: r.BillingInfo.LastPayment.Time,
	}
	if r.Subscriber != nil {
		s.Email = r.Subscriber.EmailAddress
	}
	if r.StartTime != nil {
		s.StartTime = time.Time(*r.StartTime)
	}
	for _, ce := range r.BillingInfo.CycleExecutions {
		switch pp.TenureType(ce.TenureType) {
		case pp.TenureTypeTrial:
			s.TrialCycles += ce.CyclesCompleted
		case pp.TenureTypeRegular:
			s.RegularCycles += ce.CyclesCompleted
		}
	}
	for _, l := range r.Links {
		if l.Rel == "approve" {
			s.ApproveURL = l.Href
		}
	}
	return s
}
