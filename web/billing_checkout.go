package web

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"higate/registry"
	"higate/web/paypal"
)

// checkoutOff is the answer of the checkout pages when billing is off: there
// is nothing to buy here.
var checkoutOff = registry.Errorf(registry.CodeNotFound, "ask the operator how to buy a plan", "there is no checkout on this server")

// handleCheckout serves the checkout page of one offer: a PayPal button
// whose subscription the server creates (handleCreateSubscription).
func (s *server) handleCheckout(w http.ResponseWriter, r *http.Request) error {
	if !s.Billing.Enabled() {
		return checkoutOff
	}
	b := s.Billing
	of, ok := b.offerByKey(mux.Vars(r)["offer"])
	if !ok {
		return registry.Errorf(registry.CodeNotFound, "see /checkout/trial, /checkout/forever-green, /checkout/forever-green-yearly or /checkout/enterprise",
			"no such offer")
	}
	return b.page(w, "checkout.html", map[string]any{"Offer": of, "Offers": b.offers, "ClientID": b.ppClient})
}

// page renders a page into a buffer first, so a template error is a clean
// 500 and not half a page.
func (b *Billing) page(w http.ResponseWriter, name string, data any) error {
	var buf bytes.Buffer
	if err := b.pages.ExecuteTemplate(&buf, name, data); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(buf.Bytes())
	return err
}

// handleCreateSubscription creates the PayPal subscription for the checkout
// page's button, with a pending reference of ours as its custom_id, so the
// subscription leads back to the checkout (and its return page) and the
// browser cannot choose what the subscription says.
func (s *server) handleCreateSubscription(w http.ResponseWriter, r *http.Request) error {
	b, err := s.billing()
	if err != nil {
		return err
	}
	var body struct {
		Offer string `json:"offer"`
	}
	if err := decode(w, r, 4<<10, &body); err != nil {
		return err
	}
	of, ok := b.offerByKey(body.Offer)
	if !ok {
		return badRequest("offer", "use trial, forever-green, forever-green-yearly or enterprise")
	}
	p := registry.PendingCheckout{Ref: "chk_" + registry.RandomHex(12), Offer: of.Key, PlanID: of.PlanID, CreatedAt: b.now().UTC()}
	if err := b.store.SavePendingCheckout(p); err != nil {
		return err
	}
	returnURL := b.public + "/checkout/return?ref=" + url.QueryEscape(p.Ref)
	sub, err := b.pp.CreateSubscription(r.Context(), paypal.NewSubscription{PlanID: of.PlanID, CustomID: p.Ref, BrandName: "Higate",
		ReturnURL: returnURL, CancelURL: b.public + "/checkout/" + of.Key})
	if err != nil {
		b.log.Error("create subscription", "offer", of.Key, "err", err)
		return registry.Errorf(registry.CodeUnavailable, "retry in a minute", "PayPal did not create the subscription")
	}
	p.SubscriptionID = sub.ID
	if err := b.store.SavePendingCheckout(p); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": sub.ID, "approve_url": sub.ApproveURL, "return_url": returnURL})
	return nil
}

// handleCheckoutReturn is where PayPal sends the buyer back. It syncs the
// subscription of the checkout at once, so the credentials need not wait
// for the webhook, and says what happens next. Only a reference the server
// issued leads to a PayPal call; the subscription ID in the query, which
// anyone can write, is not trusted.
func (s *server) handleCheckoutReturn(w http.ResponseWriter, r *http.Request) error {
	if !s.Billing.Enabled() {
		return checkoutOff
	}
	b := s.Billing
	view := map[string]any{"State": "unknown"}
	p, err := b.store.PendingCheckout(r.URL.Query().Get("ref"))
	if err == nil && p.SubscriptionID != "" {
		view["Offer"] = p.Offer
		sub, letters, err := b.syncLocked(r.Context(), p.SubscriptionID)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 2*time.Minute)
		b.send(ctx, letters...)
		cancel()
		a, aerr := b.store.AccountBySubscription(p.SubscriptionID)
		switch {
		case aerr == nil:
			view["State"], view["Email"], view["Plan"] = "active", maskEmail(a.Email), a.Plan.Name()
		case err != nil:
			b.log.Error("return page: sync", "subscription", p.SubscriptionID, "err", err)
			view["State"] = "pending"
		case sub.ID == "":
			view["State"] = "unknown"
		case sub.Status == paypal.StatusApprovalPending || sub.Status == paypal.StatusApproved || sub.Status == paypal.StatusActive:
			view["State"] = "pending"
		default:
			view["State"], view["Status"] = "inactive", strings.ToLower(string(sub.Status))
		}
	}
	return b.page(w, "return.html", view)
}

// syncLocked is sync for callers that do not hold b.mu.
func (b *Billing) syncLocked(ctx context.Context, subscriptionID string) (paypal.Subscription, []letter, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sync(ctx, subscriptionID)
}

// maskEmail shows enough of an address for its owner to recognize it, and
// not all of it to whoever else sees the page.
func maskEmail(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" {
		return "your PayPal address"
	}
	first, _ := utf8.DecodeRuneInString(local)
	return string(first) + "***@" + domain
}
