package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"higate/quota"
	"higate/registry"
)

// defaultGrace is the grace period when no Billing is configured.
const defaultGrace = 3 * 24 * time.Hour

// Grace is how long access continues after the paid period. A nil Billing
// (no billing configured at all) has the default.
func (b *Billing) Grace() time.Duration {
	if b == nil {
		return defaultGrace
	}
	return b.grace
}

// recoverAccepted is the one answer of POST /api/recover, whatever the
// outcome, so the endpoint cannot tell anyone which accounts exist.
var recoverAccepted = map[string]string{"status": "accepted",
	"message": "If the transaction ID and e-mail address belong to an account, a new client secret is on its way to that address."}

// handleRecover mails a new secret to an account's address when both its
// PayPal transaction (or subscription) ID and that address are given. The
// work happens after the response, so neither the body nor the time taken
// differs between a match and a miss.
func (s *server) handleRecover(w http.ResponseWriter, r *http.Request) error {
	b, err := s.billing()
	if err != nil {
		return err
	}
	var body struct {
		TransactionID string `json:"transaction_id" max:"100"`
		Email         string `json:"email"`
	}
	if err := decode(w, r, 4<<10, &body); err != nil {
		return err
	}
	if body.TransactionID == "" || body.Email == "" {
		return badRequest("transaction_id and email", "give the PayPal transaction ID and the e-mail address of the account")
	}
	// Only the address's form is checked here, which says nothing about
	// which accounts exist.
	if body.Email, err = registry.CheckEmail(body.Email); err != nil {
		return err
	}
	b.background(func(ctx context.Context) { b.recoverAccount(ctx, body.TransactionID, body.Email) })
	writeJSON(w, http.StatusAccepted, recoverAccepted)
	return nil
}

// recoverAccount rotates the secret of the account matching ref and email
// and mails the new one. At most one recovery per account and hour goes
// through, so knowing a transaction ID is not a way to keep rotating
// someone's secret.
func (b *Billing) recoverAccount(ctx context.Context, ref, email string) {
	a, err := b.store.AccountByPayment(ref, email)
	if errors.Is(err, registry.ErrNotFound) {
		b.log.Info("recovery request matched no account")
		return
	}
	if err != nil {
		b.log.Error("recovery lookup", "err", err)
		return
	}
	if first, err := b.store.FirstNotice(a.ClientID, "recover", b.now().UTC().Truncate(time.Hour).Format(time.RFC3339)); err != nil || !first {
		b.log.Info("recovery refused: one an hour", "account", a.ClientID)
		return
	}
	creds, err := b.store.RotateSecret(a.ClientID)
	if err != nil {
		b.log.Error("recovery: rotate secret", "account", a.ClientID, "err", err)
		return
	}
	b.log.Info("credentials recovered", "account", a.ClientID)
	b.send(ctx, b.credentialsLetter(a, creds, "recovered"))
}

// handleRotateSecret lets a developer replace their secret with the
// current credentials; the new one is in this response only.
func (s *server) handleRotateSecret(w http.ResponseWriter, r *http.Request) error {
	acct, err := s.Store.Authenticate(r.Header.Get("X-WM-CLIENT-ID"), r.Header.Get("X-WM-CLIENT-SECRET"))
	if err != nil {
		return err
	}
	creds, err := s.Store.RotateSecret(acct.ClientID)
	if err != nil {
		return err
	}
	s.log.Info("secret rotated by its owner", "account", acct.ClientID)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, creds)
	return nil
}

// billingAccountView is an account as the billing admin routes show it.
type billingAccountView struct {
	ClientID       string       `json:"client_id"`
	Email          string       `json:"email"`
	Plan           string       `json:"plan"`
	Status         string       `json:"status"`
	Instance       uint64       `json:"instance"`
	PaidThrough    string       `json:"paid_through,omitempty"`
	PeriodEnd      string       `json:"period_end,omitempty"`
	Limits         quota.Limits `json:"limits"`
	SubscriptionID string       `json:"subscription_id,omitempty"`
}

func viewBillingAccount(a registry.Account) billingAccountView {
	v := billingAccountView{ClientID: a.ClientID, Email: a.Email, Plan: string(a.Plan), Status: string(a.Status),
		Instance: a.Instance, Limits: a.EffectiveLimits(), SubscriptionID: a.PayPal.SubscriptionID}
	if !a.PaidThrough.IsZero() {
		v.PaidThrough = a.PaidThrough.Format(time.RFC3339)
	}
	if !a.PeriodEnd.IsZero() {
		v.PeriodEnd = a.PeriodEnd.Format(time.RFC3339)
	}
	return v
}

// accountNotFound turns the registry's ErrNotFound into a 404.
func accountNotFound(err error) error {
	if errors.Is(err, registry.ErrNotFound) {
		return registry.Errorf(registry.CodeNotFound, "list accounts with GET /admin/api/accounts", "no such account")
	}
	return err
}

// handleExtendAccount records an offline payment: {days} more, counted from
// the end of the paid period, or from now if it has run out.
func (s *server) handleExtendAccount(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Days int `json:"days"`
	}
	if err := decode(w, r, 4<<10, &body); err != nil {
		return err
	}
	a, err := s.Store.ExtendDays(mux.Vars(r)["client_id"], body.Days, s.Billing.Grace())
	if err != nil {
		return accountNotFound(err)
	}
	s.log.Info("account extended by the operator", "account", a.ClientID, "days", body.Days)
	writeJSON(w, http.StatusOK, viewBillingAccount(a))
	return nil
}

// handleAccountStatus suspends or resumes an account by hand.
func (s *server) handleAccountStatus(status registry.AccountStatus) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.Store.SetStatus(mux.Vars(r)["client_id"], status)
		if err != nil {
			return accountNotFound(err)
		}
		s.log.Info("account status set by the operator", "account", a.ClientID, "status", status)
		writeJSON(w, http.StatusOK, viewBillingAccount(a))
		return nil
	}
}

// handleAccountPlan changes an account's plan by hand {plan}. The account
// moves with it where the plan needs (registry.Store.ChangePlan): an
// upgrade to Enterprise gets a new dedicated instance, a downgrade leaves
// its dedicated instance for a shared one (sharedInstance). The answer is
// the account as it is now, its instance included.
func (s *server) handleAccountPlan(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Plan string `json:"plan"`
	}
	if err := decode(w, r, 4<<10, &body); err != nil {
		return err
	}
	a, mv, err := s.Store.ChangePlan(mux.Vars(r)["client_id"], registry.PlanChange{Plan: quota.Plan(body.Plan), Shared: s.sharedInstance()})
	if err != nil {
		return accountNotFound(err)
	}
	s.log.Info("account plan set by the operator", "account", a.ClientID, "plan", a.Plan, "from_instance", mv.From, "instance", mv.To)
	s.recordMove(a, mv)
	writeJSON(w, http.StatusOK, viewBillingAccount(a))
	return nil
}

// sharedInstance is where an account goes when a plan change takes it off
// its dedicated instance: where new Trial and Forever Green accounts go.
// That is the billing's --shared-instance when PayPal billing is on,
// instance 0 when the sandbox is on, and otherwise nil, which makes the
// registry take the lowest-numbered shared instance.
func (s *server) sharedInstance() *uint64 {
	switch {
	case s.Billing.Enabled():
		id := s.Billing.shared
		return &id
	case s.Sim != nil:
		id := registry.SandboxInstance
		return &id
	}
	return nil
}

// recordMove tells the operator, through the events, what a plan change
// did to the account's instance and what it needs from them.
func (s *server) recordMove(a registry.Account, mv registry.Move) {
	var e registry.Event
	switch {
	case mv.Created:
		e = registry.Event{Kind: "enterprise_account", Instance: mv.To,
			Detail: fmt.Sprintf("account %s moved from instance %d to its new dedicated instance %d, which needs a gateway number", a.ClientID, mv.From, mv.To)}
		s.log.Warn("operator alert: " + e.Detail)
	case mv.Moved():
		e = registry.Event{Kind: "account_moved", Instance: mv.To,
			Detail: fmt.Sprintf("account %s moved from dedicated instance %d to shared instance %d; instance %d has no owner now", a.ClientID, mv.From, mv.To, mv.From)}
	default:
		return
	}
	if err := s.Store.AddEvent(e); err != nil {
		s.log.Error("record event", "err", err)
	}
}
