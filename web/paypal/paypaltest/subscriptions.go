package paypaltest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// Subscription is a subscription's state at the fake PayPal. Tests change
// it with SetSubscription, Approve and Pay, as a buyer and PayPal's billing
// would change the real one.
type Subscription struct {
	ID            string
	PlanID        string
	CustomID      string
	Status        string // APPROVAL_PENDING, ACTIVE, SUSPENDED, CANCELLED, EXPIRED
	Email         string
	StartTime     time.Time
	NextBilling   time.Time // zero: none
	LastPayment   time.Time // zero: none yet
	Amount        string    // of the last payment
	TrialCycles   int       // completed
	RegularCycles int       // completed
	ReturnURL     string
	CancelURL     string
	Payments      []string // transaction IDs of Pay, oldest first
}

// Subscription returns a subscription's state.
func (s *Server) Subscription(id string) (Subscription, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, ok := s.subs[id]
	return sub, ok
}

// SetSubscription inserts or replaces a subscription. An empty ID gets one.
func (s *Server) SetSubscription(sub Subscription) Subscription {
	if sub.ID == "" {
		sub.ID = s.nextID("I")
	}
	s.mu.Lock()
	s.subs[sub.ID] = sub
	s.mu.Unlock()
	return sub
}

// UpdateSubscription changes a subscription in place.
func (s *Server) UpdateSubscription(id string, fn func(*Subscription)) Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[id]
	fn(&sub)
	s.subs[id] = sub
	return sub
}

// Approve is the buyer approving a subscription at time at: it becomes
// ACTIVE. A plan with a trial starts its trial; one without is charged its
// first cycle at once, and the returned transaction ID names that payment.
func (s *Server) Approve(id, email string, at time.Time) (Subscription, string) {
	s.mu.Lock()
	sub := s.subs[id]
	plan := s.plans[sub.PlanID]
	s.mu.Unlock()
	sub.Status, sub.Email, sub.StartTime = "ACTIVE", email, at.UTC()
	txn := ""
	if first := plan.BillingCycles; len(first) > 0 && first[0].TenureType == "TRIAL" {
		sub.NextBilling = advance(at, first[0])
		s.SetSubscription(sub)
	} else {
		sub.NextBilling = at.UTC()
		s.SetSubscription(sub)
		sub, txn = s.Pay(id, at)
	}
	return sub, txn
}

// Pay is PayPal charging the subscription's next regular cycle at time at.
// It completes any trial, moves the next billing time one cycle on, and
// returns the transaction ID.
func (s *Server) Pay(id string, at time.Time) (Subscription, string) {
	txn := s.nextID("TX")
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[id]
	plan := s.plans[sub.PlanID]
	var regular BillingCycle
	for _, c := range plan.BillingCycles {
		if c.TenureType == "REGULAR" {
			regular = c
		} else if sub.TrialCycles < c.TotalCycles {
			sub.TrialCycles = c.TotalCycles
		}
	}
	from := sub.NextBilling
	if from.IsZero() {
		from = at
	}
	sub.NextBilling = advance(from, regular)
	sub.LastPayment, sub.RegularCycles = at.UTC(), sub.RegularCycles+1
	if sub.Amount == "" {
		sub.Amount = "9.00"
	}
	sub.Payments = append(sub.Payments, txn)
	s.subs[id] = sub
	return sub, txn
}

// advance moves t on by one cycle of c.
func advance(t time.Time, c BillingCycle) time.Time {
	n := c.Frequency.IntervalCount
	switch c.Frequency.IntervalUnit {
	case "DAY":
		return t.AddDate(0, 0, n).UTC()
	case "WEEK":
		return t.AddDate(0, 0, 7*n).UTC()
	case "YEAR":
		return t.AddDate(n, 0, 0).UTC()
	}
	return t.AddDate(0, n, 0).UTC()
}

// createSubscription is the documented request body; anything else is
// refused.
type createSubscription struct {
	PlanID             string          `json:"plan_id"`
	StartTime          string          `json:"start_time,omitempty"`
	Quantity           string          `json:"quantity,omitempty"`
	ShippingAmount     json.RawMessage `json:"shipping_amount,omitempty"`
	Subscriber         json.RawMessage `json:"subscriber,omitempty"`
	AutoRenewal        bool            `json:"auto_renewal,omitempty"`
	CustomID           string          `json:"custom_id"`
	Plan               json.RawMessage `json:"plan,omitempty"`
	ApplicationContext *struct {
		BrandName          string          `json:"brand_name"`
		Locale             string          `json:"locale"`
		ShippingPreference string          `json:"shipping_preference"`
		UserAction         string          `json:"user_action"`
		PaymentMethod      json.RawMessage `json:"payment_method"`
		ReturnURL          string          `json:"return_url"`
		CancelURL          string          `json:"cancel_url"`
	} `json:"application_context"`
}

func (s *Server) handleCreateSubscription(w http.ResponseWriter, r *http.Request) {
	var req createSubscription
	if !s.decodeStrict(w, r, &req) {
		return
	}
	s.mu.Lock()
	plan, known := s.plans[req.PlanID]
	s.mu.Unlock()
	ac := req.ApplicationContext
	switch {
	case !known || plan.Status != "ACTIVE":
		s.reject(w, http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY", "plan_id %q is not an active plan", req.PlanID)
	case req.CustomID == "" || len(req.CustomID) > 127:
		s.reject(w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "custom_id must be 1 to 127 characters (the fake insists: Higate needs it)")
	case ac == nil || !absoluteURL(ac.ReturnURL) || !absoluteURL(ac.CancelURL):
		s.reject(w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "application_context needs absolute return_url and cancel_url")
	case !slices.Contains([]string{"", "GET_FROM_FILE", "NO_SHIPPING", "SET_PROVIDED_ADDRESS"}, ac.ShippingPreference),
		!slices.Contains([]string{"", "CONTINUE", "SUBSCRIBE_NOW"}, ac.UserAction):
		s.reject(w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "application_context shipping_preference or user_action")
	default:
		sub := s.SetSubscription(Subscription{PlanID: req.PlanID, CustomID: req.CustomID, Status: "APPROVAL_PENDING",
			ReturnURL: ac.ReturnURL, CancelURL: ac.CancelURL})
		writeJSON(w, http.StatusCreated, s.subscriptionJSON(sub))
	}
}

func (s *Server) handleGetSubscription(w http.ResponseWriter, r *http.Request) {
	sub, ok := s.Subscription(r.PathValue("id"))
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"name": "RESOURCE_NOT_FOUND", "message": "The specified resource does not exist."})
		return
	}
	writeJSON(w, http.StatusOK, s.subscriptionJSON(sub))
}

func absoluteURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// subscriptionJSON is the subscription as the API shows it.
func (s *Server) subscriptionJSON(sub Subscription) map[string]any {
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	billing := map[string]any{"failed_payments_count": 0,
		"outstanding_balance": map[string]string{"currency_code": "USD", "value": "0.00"}}
	if !sub.NextBilling.IsZero() && sub.Status == "ACTIVE" {
		billing["next_billing_time"] = stamp(sub.NextBilling)
	}
	if !sub.LastPayment.IsZero() {
		billing["last_payment"] = map[string]any{"amount": map[string]string{"currency_code": "USD", "value": sub.Amount},
			"time": stamp(sub.LastPayment)}
	}
	var cycles []map[string]any
	s.mu.Lock()
	plan := s.plans[sub.PlanID]
	s.mu.Unlock()
	for _, c := range plan.BillingCycles {
		done := sub.RegularCycles
		if c.TenureType == "TRIAL" {
			done = sub.TrialCycles
		}
		cycles = append(cycles, map[string]any{"tenure_type": c.TenureType, "sequence": c.Sequence,
			"cycles_completed": done, "total_cycles": c.TotalCycles})
	}
	billing["cycle_executions"] = cycles
	out := map[string]any{
		"id": sub.ID, "plan_id": sub.PlanID, "status": sub.Status, "custom_id": sub.CustomID,
		"quantity": "1", "billing_info": billing, "create_time": stamp(time.Now()),
		"links": []map[string]string{
			{"href": s.URL + "/webhookscr?cmd=_express-checkout&token=" + sub.ID, "rel": "approve", "method": "GET"},
			{"href": s.URL + "/v1/billing/subscriptions/" + sub.ID, "rel": "self", "method": "GET"},
		},
	}
	if sub.Email != "" {
		out["subscriber"] = map[string]any{"email_address": sub.Email, "payer_id": "PAYER" + sub.ID}
	}
	if !sub.StartTime.IsZero() {
		out["start_time"] = stamp(sub.StartTime)
	}
	return out
}
