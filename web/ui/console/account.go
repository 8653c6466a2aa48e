package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/gorilla/mux"

	"higate/quota"
	"higate/registry"
)

// accountView is an account's page.
type accountView struct {
	accountRow
	PaidThrough   time.Time
	CreatedAt     time.Time
	PlanValue     string
	Limits        quota.Limits
	WindowUsed    int
	WindowResets  time.Time // zero when no window is open
	Recipients    int
	Subscription  string
	Webhook       string // its URL, if set
	WebhookActive bool
	Plans         []planOption
	Suspended     bool
}

// serveAccount is one account's page: what it is, what it has used, and
// the forms that change it.
func (h *Handler) serveAccount(w http.ResponseWriter, r *http.Request) {
	a, err := h.Store.Account(mux.Vars(r)["client_id"])
	if errors.Is(err, registry.ErrNotFound) {
		h.notFound(w, r, "There is no such account. Search for it on the accounts page.")
		return
	}
	if err != nil {
		h.Logger.Error("account page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	use, err := h.Store.UsageOf(a.ClientID)
	if err != nil {
		h.Logger.Error("account page: usage", "err", err)
	}
	now := h.Store.Now()
	limits := a.EffectiveLimits()
	v := accountView{accountRow: viewAccountRow(a), PaidThrough: a.PaidThrough, CreatedAt: a.CreatedAt,
		PlanValue: string(a.Plan), Limits: limits, WindowUsed: limits.Daily - use.Window.Remaining(now, limits.Daily),
		Recipients: use.Recipients, Subscription: a.PayPal.SubscriptionID, Webhook: a.Webhook.URL,
		WebhookActive: a.Webhook.Active, Plans: plans, Suspended: a.Status == registry.StatusSuspended}
	if v.WindowUsed > 0 {
		v.WindowResets = now.Add(use.Window.Reset(now))
	}
	h.render(w, http.StatusOK, "account.html", h.view(w, r, "Account "+a.ClientID, "/console/accounts", v))
}

// changeAccount runs an account page's forms: suspend, resume, extend by
// days, change plan.
func (h *Handler) changeAccount(w http.ResponseWriter, r *http.Request) {
	id, action := mux.Vars(r)["client_id"], mux.Vars(r)["action"]
	back := "/console/accounts/" + url.PathEscape(id)
	var notice string
	var err error
	switch action {
	case "suspend":
		err, notice = h.Admin.Suspend(r.Context(), id), "Account suspended: its API calls are refused (474) until it is resumed."
	case "resume":
		err, notice = h.Admin.Resume(r.Context(), id), "Account resumed."
	case "extend":
		var days int64
		if days, err = formInt(r, "days"); err == nil {
			err = h.Admin.Extend(r.Context(), id, int(days))
			notice = fmt.Sprintf("Paid period extended by %d days.", days)
		}
	case "plan":
		plan := r.PostFormValue("plan")
		err, notice = h.Admin.ChangePlan(r.Context(), id, plan), "Plan changed to "+quota.Plan(plan).Name()+"."
	}
	if err != nil {
		h.failed(w, r, back, err)
		return
	}
	h.Logger.Info("account changed from the console", "account", id, "action", action)
	done(w, r, back, notice)
}
