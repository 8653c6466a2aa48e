package phone

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strings"

	"higate/registry"
	e164 "higate/registry/phone"
	"higate/web/ui"
)

// startView is the data of the start page.
type startView struct {
	Number   string            // what the visitor typed, to show it again
	Gateway  string            // the gateway number picked
	Gateways []registry.Number // instance 0's simulated numbers, active first
	Recent   []recentChat
}

// recentChat is a number the visitor used lately, as a link to its chat.
type recentChat struct{ Number, Href string }

func (h *Handler) serveStart(w http.ResponseWriter, r *http.Request) {
	v := h.startView(r, "")
	if len(v.Gateways) == 0 {
		h.render(w, http.StatusServiceUnavailable, "start.html", ui.Page{Title: "Sandbox phone",
			Error: "The sandbox has no simulated gateway number right now: ask the operator to add one to instance 0.", Data: v})
		return
	}
	h.render(w, http.StatusOK, "start.html", ui.Page{Title: "Sandbox phone", Data: v})
}

// openChat checks the number typed (or makes a fresh one), remembers it,
// and redirects to its chat.
func (h *Handler) openChat(w http.ResponseWriter, r *http.Request) {
	typed := strings.TrimSpace(r.FormValue("number"))
	gw, err := h.gateway(r.FormValue("gateway"))
	if err != nil {
		v := h.startView(r, typed)
		h.render(w, http.StatusUnprocessableEntity, "start.html", ui.Page{Title: "Sandbox phone",
			Error: "Pick one of the sandbox's gateway numbers.", Data: v})
		return
	}
	var user string
	if r.FormValue("fresh") != "" {
		if user, err = h.freshNumber(); err != nil {
			h.internal(w, "fresh number", err)
			return
		}
	} else if user, err = h.userNumber(typed); err != nil {
		v := h.startView(r, typed)
		v.Gateway = gw.Number
		h.render(w, http.StatusUnprocessableEntity, "start.html", ui.Page{Title: "Sandbox phone", Error: err.Error(), Data: v})
		return
	}
	remember(w, r, user)
	http.Redirect(w, r, chatURL(user, gw.Number), http.StatusSeeOther)
}

func (h *Handler) startView(r *http.Request, typed string) startView {
	v := startView{Number: typed}
	gws, err := h.gateways()
	if err != nil {
		h.Logger.Error("sandbox phone: gateway numbers", "err", err)
	}
	v.Gateways = gws
	if len(gws) > 0 {
		v.Gateway = gws[0].Number
		for _, n := range recent(r) {
			v.Recent = append(v.Recent, recentChat{Number: n, Href: chatURL(n, v.Gateway)})
		}
	}
	return v
}

// freshNumber makes a test number nobody has used: in the fictional +1 555
// range, outside the gateway numbers' +1 555 000 block, with an empty
// inbox and not a gateway number.
func (h *Handler) freshNumber() (string, error) {
	for range 20 {
		k, err := rand.Int(rand.Reader, big.NewInt(9_000_000))
		if err != nil {
			return "", err
		}
		num := fmt.Sprintf("+1555%07d", 1_000_000+k.Int64())
		if _, err := h.userNumber(num); err != nil {
			continue
		}
		if len(h.Sim.Messages(num)) == 0 {
			return num, nil
		}
	}
	return "", fmt.Errorf("no fresh number in 20 tries")
}

// The recent numbers cookie: the last few numbers the visitor used, newest
// first, so they come back to their test phones without a login. It holds
// nothing secret (sandbox numbers are public test phones).
const (
	recentCookie = "higate_sandbox_numbers"
	recentMax    = 5
)

// recent returns the numbers of the cookie that are still well-formed.
func recent(r *http.Request) []string {
	c, err := r.Cookie(recentCookie)
	if err != nil {
		return nil
	}
	var out []string
	for _, s := range strings.Split(c.Value, ".") {
		if num, err := e164.Normalize(s); err == nil && num == s && !slices.Contains(out, num) && len(out) < recentMax {
			out = append(out, num)
		}
	}
	return out
}

// remember puts user first in the recent numbers cookie. '.' separates
// them: a comma would make Go quote the cookie's value.
func remember(w http.ResponseWriter, r *http.Request, user string) {
	list := append([]string{user}, slices.DeleteFunc(recent(r), func(n string) bool { return n == user })...)
	if len(list) > recentMax {
		list = list[:recentMax]
	}
	http.SetCookie(w, &http.Cookie{
		Name: recentCookie, Value: strings.Join(list, "."), Path: "/sandbox/",
		MaxAge: 90 * 24 * 3600, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
}
