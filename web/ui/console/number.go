package console

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"higate/gateway"
	"higate/gateway/qr"
	"higate/registry"
	"higate/registry/phone"
	"higate/web/ui"
)

// pairingPoll is how often a number's page looks at its pairing: WhatsApp
// rotates the QR code every 20 seconds or so, and the transport holds it
// in memory, so looking is cheap.
const pairingPoll = time.Second

// numberPage is a number's page: its facts, its pairing, its forms.
type numberPage struct {
	numberView
	InstanceName string
	Pairing      pairingView
	Live         string
	GapMS        int64
	JitterMS     int64
	CanRotate    bool // a standby may be made active
	CanRemove    bool // only a number that is not active may be removed
}

// pairingView is a number's pairing as its page shows it.
type pairingView struct {
	Pairs   bool   // the number links to a phone (whatsmeow); simulated numbers need no pairing
	Step    string // gateway.PairingStep, or "stopped" when its connection is not running
	Text    string // what the step means for the operator
	QR      template.HTML
	Code    string // a phone pair code, once asked for
	Message string
	Updated time.Time
}

// numberOf reads the gateway number named in a URL or form, written as
// the admin API accepts it ("+4915...", "4915...", with spaces ...).
func (h *Handler) numberOf(s string) (registry.Number, error) {
	num, err := phone.Normalize(s)
	if err != nil {
		return registry.Number{}, registry.ErrNotFound
	}
	return h.Store.Number(num)
}

func (h *Handler) pairing(n registry.Number) pairingView {
	v := pairingView{Pairs: n.Transport == "whatsmeow"}
	st, err := h.Gateway.Pairing(n.Number)
	if err != nil {
		v.Step, v.Text = "stopped", "The number's connection is not running. Pair again to start it."
		return v
	}
	v.Step, v.Code, v.Message, v.Updated = string(st.Step), st.PairCode, st.Message, st.Updated
	switch st.Step {
	case gateway.PairingWaiting:
		v.Text = "Connecting to WhatsApp for a QR code…"
	case gateway.PairingCode:
		v.Text = "On the phone of " + n.Number + ", open WhatsApp › Settings › Linked devices › Link a device, and scan this code. WhatsApp replaces it every 20 seconds or so; this page follows."
		if st.QR != "" {
			svg, err := qr.SVG(st.QR, "QR code to link "+n.Number+" to this gateway")
			if err != nil {
				h.Logger.Error("pairing QR code", "err", err)
			}
			v.QR = template.HTML(svg) // drawn by qr.SVG, which escapes what it writes
		}
	case gateway.PairingScanned:
		v.Text = "Scanned. Finishing the link…"
	case gateway.PairingSuccess:
		v.Text = "Linked. The number connects by itself from now on."
	case gateway.PairingTimeout:
		v.Text = "The QR codes timed out. Pair again for new ones."
	case gateway.PairingError:
		v.Text = "Pairing failed. Pair again."
	case gateway.PairingPaired:
		v.Text = "Linked: there is nothing to pair."
		if !v.Pairs {
			v.Text, v.Message = "Simulated numbers need no pairing.", ""
		}
	}
	return v
}

func (h *Handler) numberPage(n registry.Number) numberPage {
	p := numberPage{numberView: viewNumber(n, h.Store.Now()), Pairing: h.pairing(n),
		Live: n.Number, GapMS: n.Pacing.Gap.Milliseconds(), JitterMS: n.Pacing.Jitter.Milliseconds(),
		CanRotate: n.Role == registry.RoleStandby, CanRemove: n.Role != registry.RoleActive}
	p.Live = numberHref(n.Number) + "/live"
	if in, err := h.Store.Instance(n.Instance); err == nil {
		p.InstanceName = in.Name
	}
	return p
}

// serveNumber is a number's page: facts, pairing, pacing, rotation.
func (h *Handler) serveNumber(w http.ResponseWriter, r *http.Request) {
	n, err := h.numberOf(mux.Vars(r)["number"])
	if err != nil {
		h.notFound(w, r, "There is no such gateway number. The numbers page lists them all.")
		return
	}
	h.render(w, http.StatusOK, "number.html", h.view(w, r, n.Number, "/console/", h.numberPage(n)))
}

// serveNumberLive streams a number's facts and pairing.
func (h *Handler) serveNumberLive(w http.ResponseWriter, r *http.Request) {
	num := mux.Vars(r)["number"]
	h.stream(w, r, pairingPoll, func() ([]ui.Patch, bool, error) {
		n, err := h.numberOf(num)
		if errors.Is(err, registry.ErrNotFound) {
			return nil, true, nil // removed: the page says so
		} else if err != nil {
			return nil, false, err
		}
		p := h.numberPage(n)
		facts, err := pages.Fragment("number.html", "facts", p)
		if err != nil {
			return nil, false, err
		}
		pairing, err := pages.Fragment("number.html", "pairing", p)
		if err != nil {
			return nil, false, err
		}
		return []ui.Patch{{Target: "number-facts", HTML: facts}, {Target: "pairing", HTML: pairing}}, false, nil
	})
}

// numberAction runs a number page's form: act with the number, then back
// to its page with notice, or with what went wrong.
func (h *Handler) numberAction(w http.ResponseWriter, r *http.Request, act func(n registry.Number) (notice string, err error)) {
	n, err := h.numberOf(mux.Vars(r)["number"])
	if err != nil {
		h.notFound(w, r, "There is no such gateway number. The numbers page lists them all.")
		return
	}
	notice, err := act(n)
	if err != nil {
		h.failed(w, r, numberHref(n.Number), err)
		return
	}
	done(w, r, numberHref(n.Number), notice)
}

// pairAgain starts pairing afresh (after a logout, a timeout).
func (h *Handler) pairAgain(w http.ResponseWriter, r *http.Request) {
	h.numberAction(w, r, func(n registry.Number) (string, error) {
		if err := h.Admin.PairAgain(r.Context(), n.Number); err != nil {
			return "", err
		}
		h.Logger.Info("pairing restarted from the console", "number", phone.Mask(n.Number))
		return "Pairing started again for " + n.Number + ".", nil
	})
}

// pairCode asks WhatsApp for a code to type on the phone instead of scanning.
func (h *Handler) pairCode(w http.ResponseWriter, r *http.Request) {
	h.numberAction(w, r, func(n registry.Number) (string, error) {
		code, err := h.Admin.PairCode(r.Context(), n.Number)
		if err != nil {
			return "", err
		}
		return "Pair code for " + n.Number + ": " + code + ". On the phone, open WhatsApp › Settings › Linked devices › Link a device › Link with phone number instead, and type it.", nil
	})
}

// setPacing is the pacing form.
func (h *Handler) setPacing(w http.ResponseWriter, r *http.Request) {
	h.numberAction(w, r, func(n registry.Number) (string, error) {
		var p Pacing
		var err error
		if p.GapMS, err = formInt(r, "gap_ms"); err != nil {
			return "", err
		}
		if p.JitterMS, err = formInt(r, "jitter_ms"); err != nil {
			return "", err
		}
		cap, err := formInt(r, "daily_cap")
		if err != nil {
			return "", err
		}
		p.DailyCap = int(cap)
		if err := h.Admin.SetPacing(r.Context(), n.Number, p); err != nil {
			return "", err
		}
		return fmt.Sprintf("Pacing of %s saved: gap %d ms, jitter up to %d ms, daily cap %s.", n.Number, p.GapMS, p.JitterMS, capText(p.DailyCap)), nil
	})
}

func capText(c int) string {
	if c == 0 {
		return "none"
	}
	return formatInt(c)
}

// formInt reads a whole-number form field; empty is 0.
func formInt(r *http.Request, field string) (int64, error) {
	s := r.PostFormValue(field)
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, registry.Errorf(registry.CodeBadRequest, "use a whole number", "%s %q is not a number", field, s)
	}
	return v, nil
}

// rotate makes a standby its instance's active number now.
func (h *Handler) rotate(w http.ResponseWriter, r *http.Request) {
	h.numberAction(w, r, func(n registry.Number) (string, error) {
		if err := h.Admin.Rotate(r.Context(), n.Instance, n.Number); err != nil {
			return "", err
		}
		h.Logger.Info("number rotated in from the console", "instance", n.Instance, "number", phone.Mask(n.Number))
		return fmt.Sprintf("%s is now the active number of instance %d; the number it replaced is retired. Its users must greet the new number before they get messages from it.", n.Number, n.Instance), nil
	})
}

// removeNumber takes a standby or retired number out of its instance.
func (h *Handler) removeNumber(w http.ResponseWriter, r *http.Request) {
	n, err := h.numberOf(mux.Vars(r)["number"])
	if err != nil {
		h.notFound(w, r, "There is no such gateway number. The numbers page lists them all.")
		return
	}
	if err := h.Admin.RemoveNumber(r.Context(), n.Number); err != nil {
		h.failed(w, r, numberHref(n.Number), err)
		return
	}
	h.Logger.Info("number removed from the console", "instance", n.Instance, "number", phone.Mask(n.Number))
	done(w, r, fmt.Sprintf("/console/?from=%d#inst-%d-h", n.Instance, n.Instance), n.Number+" removed from instance "+strconv.FormatUint(n.Instance, 10)+".")
}
