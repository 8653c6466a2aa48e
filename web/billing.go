package web

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"github.com/gorilla/mux"

	"higate/quota"
	"higate/registry"
	"higate/web/mail"
	"higate/web/paypal"
)

// PlanIDs are the PayPal plan IDs of what Higate sells (from `higate paypal
// setup`). An empty ID means that offer is not for sale.
type PlanIDs struct {
	Trial              string // 14-day trial, then Forever Green monthly
	ForeverGreen       string // monthly
	ForeverGreenYearly string
	Enterprise         string // quarterly
}

// BillingOptions configure Billing. Store is required; with PayPal nil,
// billing is off (the checkout pages and the PayPal webhook answer 404 and
// 503), while offline payments through the admin API still work.
type BillingOptions struct {
	Store          *registry.Store
	PayPal         *paypal.Client
	PayPalClientID string // public; the checkout page's JS SDK needs it
	Mailer         *mail.Mailer
	Plans          PlanIDs
	PublicURL      string        // how buyers reach this server, e.g. https://gw.example.com
	SharedInstance uint64        // where Trial and Forever Green accounts go
	Grace          time.Duration // access continues this long after the paid period; default 3 days
	RemindBefore   time.Duration // the expiry reminder goes this long before the period ends; default 3 days
	Logger         *slog.Logger
}

// Billing is the account lifecycle: PayPal subscriptions and payments, the
// credentials mail, expiry, reminders and recovery. Its state lives in the
// registry; Billing itself holds only what a restart may lose.
type Billing struct {
	store    *registry.Store
	pp       *paypal.Client
	mailer   *mail.Mailer
	ppClient string
	public   string
	shared   uint64
	grace    time.Duration
	remind   time.Duration
	log      *slog.Logger
	offers   []offer
	pages    *htmltemplate.Template
	mails    *texttemplate.Template

	// mu serializes changes driven by PayPal (webhooks, the return page,
	// the lifecycle tick), so two deliveries about one subscription never
	// both create an account or a dedicated instance.
	mu sync.Mutex
	// bg tracks background mails (recovery, quota), so Close can wait.
	bg sync.WaitGroup
	// quotaSeen remembers the last quota window noticed per account, so a
	// client hammering a closed window costs no database write per request.
	quotaMu   sync.Mutex
	quotaSeen map[string]time.Time
}

// offer is something the checkout page sells.
type offer struct {
	Key    string // in URLs: trial, forever-green, forever-green-yearly, enterprise
	Name   string
	Plan   quota.Plan
	PlanID string
	Trial  bool         // starts with a 14-day free trial
	months int          // one billing cycle
	Limits quota.Limits // for the page
	Term   string       // for the page
}

// next is one billing cycle after t.
func (o offer) next(t time.Time) time.Time { return t.AddDate(0, o.months, 0) }

// NewBilling checks the options and parses the embedded page and mail
// templates; it fails if one is missing, so a broken build cannot start.
func NewBilling(o BillingOptions) (*Billing, error) {
	if o.Store == nil {
		return nil, errors.New("billing: no store")
	}
	if o.Grace == 0 {
		o.Grace = 3 * 24 * time.Hour
	}
	if o.RemindBefore == 0 {
		o.RemindBefore = 3 * 24 * time.Hour
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.PayPal != nil {
		if o.Mailer == nil {
			return nil, errors.New("billing: PayPal needs a mailer, to send the credentials")
		}
		u, err := url.Parse(o.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("billing: public URL %q must be an absolute http(s) URL", o.PublicURL)
		}
	}
	b := &Billing{
		store: o.Store, pp: o.PayPal, mailer: o.Mailer, ppClient: o.PayPalClientID,
		public: strings.TrimRight(o.PublicURL, "/"), shared: o.SharedInstance, grace: o.Grace, remind: o.RemindBefore,
		log: o.Logger.With("component", "billing"), quotaSeen: map[string]time.Time{},
	}
	for _, of := range []offer{
		{Key: "trial", Name: "Trial", Plan: quota.Trial, PlanID: o.Plans.Trial, Trial: true, months: 1, Term: "14 days free, then Forever Green monthly"},
		{Key: "forever-green", Name: "Forever Green", Plan: quota.ForeverGreen, PlanID: o.Plans.ForeverGreen, months: 1, Term: "monthly"},
		{Key: "forever-green-yearly", Name: "Forever Green (yearly)", Plan: quota.ForeverGreen, PlanID: o.Plans.ForeverGreenYearly, months: 12, Term: "yearly"},
		{Key: "enterprise", Name: "Enterprise", Plan: quota.Enterprise, PlanID: o.Plans.Enterprise, months: 3, Term: "quarterly"},
	} {
		if of.PlanID != "" {
			of.Limits = of.Plan.Limits()
			b.offers = append(b.offers, of)
		}
	}
	if b.pp != nil && len(b.offers) == 0 {
		return nil, errors.New("billing: PayPal is configured but no plan ID is (run higate paypal setup)")
	}
	var err error
	if b.pages, b.mails, err = parseBillingTemplates(); err != nil {
		return nil, err
	}
	return b, nil
}

// Enabled reports whether PayPal billing is on.
func (b *Billing) Enabled() bool { return b != nil && b.pp != nil }

// Close waits for background mails to finish. It is safe to call twice.
func (b *Billing) Close() { b.bg.Wait() }

// Wait waits for background mails (recovery, quota notices) to finish, so
// tests can assert on what they did.
func (b *Billing) Wait() { b.bg.Wait() }

func (b *Billing) now() time.Time { return b.store.Now() }

func (b *Billing) offerByKey(key string) (offer, bool) {
	for _, of := range b.offers {
		if of.Key == key {
			return of, true
		}
	}
	return offer{}, false
}

func (b *Billing) offerByPlanID(id string) (offer, bool) {
	for _, of := range b.offers {
		if of.PlanID == id {
			return of, true
		}
	}
	return offer{}, false
}

// period is a paid period ending at through, with the configured grace.
func (b *Billing) period(through time.Time) registry.Period {
	return registry.Period{PaidThrough: through, Grace: b.grace}
}

// billing returns the server's Billing, or an error in the documented shape
// when PayPal billing is off.
func (s *server) billing() (*Billing, error) {
	if !s.Billing.Enabled() {
		return nil, registry.Errorf(registry.CodeUnavailable, "the operator has not configured PayPal; ask them",
			"billing is off on this server")
	}
	return s.Billing, nil
}

// billingRoutes adds the billing routes; routes.go calls it.
func (s *server) billingRoutes(r *mux.Router) {
	r.Handle("/checkout/return", s.wrap(s.handleCheckoutReturn)).Methods(http.MethodGet)
	r.Handle("/checkout/{offer}", s.wrap(s.handleCheckout)).Methods(http.MethodGet)
	r.Handle("/paypal/subscriptions", s.wrap(s.handleCreateSubscription)).Methods(http.MethodPost)
	r.Handle("/paypal/webhook", s.wrap(s.handlePayPalWebhook)).Methods(http.MethodPost)
	r.Handle("/api/recover", s.wrap(s.handleRecover)).Methods(http.MethodPost)
	r.Handle("/v3/account/secret", s.wrap(s.handleRotateSecret)).Methods(http.MethodPost)
	r.Handle("/admin/api/accounts/{client_id}/extend", s.adminOnly(s.handleExtendAccount)).Methods(http.MethodPost)
	r.Handle("/admin/api/accounts/{client_id}/suspend", s.adminOnly(s.handleAccountStatus(registry.StatusSuspended))).Methods(http.MethodPost)
	r.Handle("/admin/api/accounts/{client_id}/resume", s.adminOnly(s.handleAccountStatus(registry.StatusActive))).Methods(http.MethodPost)
	r.Handle("/admin/api/accounts/{client_id}/plan", s.adminOnly(s.handleAccountPlan)).Methods(http.MethodPost)
}
