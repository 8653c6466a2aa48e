package portal

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"higate/gateway/qr"
	"higate/quota"
	"higate/registry"
	"higate/web/ui"
)

// overviewView is the overview's data.
type overviewView struct {
	Account     registry.Account
	Limits      quota.Limits
	Webhooks    bool // the plan has webhooks
	Used        int  // messages counted in the open window
	Remaining   int
	WindowOpen  bool
	ResetsIn    time.Duration
	ResetsAt    time.Time
	Recipients  int
	Number      string // the instance's active gateway number; "" when it has none
	NumberState registry.State
	JoinPath    string // /join/{instance}
	JoinURL     string // the same, absolute, as the QR code says
	QR          template.HTML
}

// serveOverview shows the plan, the 24-hour window, recipients used, and
// the gateway number with its join page.
func (h *Handler) serveOverview(w http.ResponseWriter, r *http.Request, a registry.Account) {
	u, err := h.Store.UsageOf(a.ClientID)
	if err != nil {
		h.Logger.Error("portal: usage", "err", err)
		h.fail(w, r)
		return
	}
	now := h.Now()
	v := overviewView{Account: a, Limits: a.EffectiveLimits(), Webhooks: a.Plan.Features().Webhooks, Recipients: u.Recipients,
		JoinPath: "/join/" + strconv.FormatUint(a.Instance, 10)}
	v.Remaining = u.Window.Remaining(now, v.Limits.Daily)
	v.WindowOpen = !u.Window.Start.IsZero() && now.Before(u.Window.Start.Add(quota.Window))
	if v.WindowOpen {
		v.Used = u.Window.Used
		v.ResetsIn = u.Window.Reset(now)
		v.ResetsAt = now.Add(v.ResetsIn)
	}
	v.JoinURL = h.baseURL(r) + v.JoinPath
	if n, err := h.Store.ActiveNumber(a.Instance); err == nil {
		v.Number, v.NumberState = n.Number, n.State
		svg, err := qr.SVG(v.JoinURL, fmt.Sprintf("QR code of the join page %s", v.JoinURL))
		if err != nil {
			h.Logger.Error("portal: QR code", "err", err)
		}
		v.QR = template.HTML(svg) // drawn by qr.SVG from escaped values
	} else if !errors.Is(err, registry.ErrNotFound) {
		var e *registry.Error
		if !errors.As(err, &e) {
			h.Logger.Error("portal: active number", "instance", a.Instance, "err", err)
		}
	}
	h.render(w, r, http.StatusOK, "overview.html", "Overview", Prefix, ui.Page{Data: v})
}
