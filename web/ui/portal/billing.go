package portal

import (
	"net/http"

	"higate/quota"
	"higate/registry"
	"higate/web/ui"
)

// billingView is the billing page's data.
type billingView struct {
	Account   registry.Account
	Limits    quota.Limits
	Renews    bool    // a PayPal subscription renews it
	Offers    []Offer // empty when billing is off on this server
	Dedicated bool
}

// serveBilling shows the plan, when it ends or renews, and where to buy
// or change one when the server sells plans through PayPal.
func (h *Handler) serveBilling(w http.ResponseWriter, r *http.Request, a registry.Account) {
	v := billingView{Account: a, Limits: a.EffectiveLimits(), Renews: a.PayPal.SubscriptionID != "",
		Offers: h.Offers, Dedicated: a.Plan.Features().Dedicated}
	h.render(w, r, http.StatusOK, "billing.html", "Billing", "/portal/billing", ui.Page{Data: v})
}
