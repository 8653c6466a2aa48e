package console

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"higate/registry"
	"higate/web/ui"
)

// instancesPerPage bounds the instances on one page of /console/: every
// Enterprise account has an instance of its own.
const instancesPerPage = 25

// instanceView is one instance as the numbers page shows it.
type instanceView struct {
	ID        uint64
	Name      string
	Dedicated bool
	Owner     string
	Status    string // up, reconnecting or down
	Why       string // why it is not up
	Queue     int
	Numbers   []numberView
}

// numberView is one gateway number as the console shows it.
type numberView struct {
	Number    string
	Href      string // its page
	Instance  uint64
	Transport string
	Role      string
	State     string
	Reason    string
	Since     time.Time
	Until     time.Time // end of a temporary ban
	Now       time.Time // for "3 min ago"
	Pacing    registry.Pacing
	Cap       int // sends per 24 hours; 0: no cap
	Sent      int // sends counted against the cap in its current 24-hour window
}

// PacingText says how the number is paced, in words.
func (n numberView) PacingText() string {
	if n.Pacing.Gap <= 0 {
		return "no gap"
	}
	s := "gap " + n.Pacing.Gap.String()
	if n.Pacing.Jitter > 0 {
		s += " + up to " + n.Pacing.Jitter.String()
	}
	return s
}

// numbersView is the numbers page's data.
type numbersView struct {
	Instances []instanceView
	From      uint64 // the page's first instance ID
	Next      string // the next page's URL, if any
	Live      string // the page's event stream
	Sandbox   bool
}

func viewNumber(n registry.Number, now time.Time) numberView {
	v := numberView{Number: n.Number, Href: numberHref(n.Number), Instance: n.Instance, Transport: n.Transport,
		Role: string(n.Role), State: string(n.State), Reason: n.Reason, Since: n.Since, Until: n.Until, Now: now,
		Pacing: n.Pacing, Cap: n.Pacing.DailyCap}
	if v.Cap > 0 {
		v.Sent = v.Cap - n.Sent.Remaining(now, v.Cap)
	}
	return v
}

func numberHref(number string) string { return "/console/numbers/" + url.PathEscape(number) }

func viewInstance(in registry.InstanceView, queue int, now time.Time) instanceView {
	v := instanceView{ID: in.ID, Name: in.Name, Dedicated: in.Dedicated, Owner: in.Owner, Queue: queue}
	var active *registry.Number
	for i, n := range in.NumberViews {
		v.Numbers = append(v.Numbers, viewNumber(n, now))
		if n.Role == registry.RoleActive {
			active = &in.NumberViews[i]
		}
	}
	switch {
	case active == nil:
		v.Status, v.Why = "down", "no active number"
	case active.Connected():
		v.Status = "up"
	case active.State == registry.StateDisconnected:
		v.Status, v.Why = "reconnecting", "the active number is disconnected; sends wait for it"
	default:
		v.Status, v.Why = "down", "the active number is "+strings.ReplaceAll(string(active.State), "_", " ")
	}
	return v
}

// instances reads a page of instances with their numbers and queue depths.
// It reads the page's instances and their queued jobs, nothing else.
func (h *Handler) instances(from uint64) ([]instanceView, uint64, error) {
	ins, next, err := h.Store.InstancesFrom(from, instancesPerPage)
	if err != nil {
		return nil, 0, err
	}
	now := h.Store.Now()
	out := make([]instanceView, 0, len(ins))
	for _, in := range ins {
		out = append(out, viewInstance(in, h.Store.QueueDepth(in.ID), now))
	}
	return out, next, nil
}

// serveNumbers is /console/: every instance's numbers, live.
func (h *Handler) serveNumbers(w http.ResponseWriter, r *http.Request) {
	from, _ := strconv.ParseUint(r.URL.Query().Get("from"), 10, 64)
	ins, next, err := h.instances(from)
	if err != nil {
		h.Logger.Error("numbers page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	v := numbersView{Instances: ins, From: from, Sandbox: h.Sandbox, Live: liveURL(from, ins)}
	if next != 0 {
		v.Next = "/console/?from=" + strconv.FormatUint(next, 10)
	}
	h.render(w, http.StatusOK, "numbers.html", h.view(w, r, "Instances and numbers", "/console/", v))
}

// liveURL is the numbers page's stream: it names the instances the page
// shows, so the stream can tell when the page should be drawn again.
func liveURL(from uint64, ins []instanceView) string {
	return "/console/live?from=" + strconv.FormatUint(from, 10) + "&ids=" + idList(ins)
}

func idList(ins []instanceView) string {
	ids := make([]string, 0, len(ins))
	for _, in := range ins {
		ids = append(ids, strconv.FormatUint(in.ID, 10))
	}
	return strings.Join(ids, ",")
}

// serveNumbersLive streams the numbers page's instance fragments.
func (h *Handler) serveNumbersLive(w http.ResponseWriter, r *http.Request) {
	from, _ := strconv.ParseUint(r.URL.Query().Get("from"), 10, 64)
	shown := r.URL.Query().Get("ids")
	h.stream(w, r, h.Poll, func() ([]ui.Patch, bool, error) {
		ins, _, err := h.instances(from)
		if err != nil {
			return nil, false, err
		}
		if idList(ins) != shown {
			return nil, true, nil // an instance came or went: draw the page again
		}
		patches := make([]ui.Patch, 0, len(ins))
		for _, in := range ins {
			html, err := pages.Fragment("numbers.html", "instance", in)
			if err != nil {
				return nil, false, err
			}
			patches = append(patches, ui.Patch{Target: fmt.Sprintf("inst-%d", in.ID), HTML: html})
		}
		return patches, false, nil
	})
}

// createInstance is the new-instance form.
func (h *Handler) createInstance(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	id, err := h.Admin.CreateInstance(r.Context(), name)
	if err != nil {
		h.failed(w, r, "/console/", err)
		return
	}
	h.Logger.Info("instance created from the console", "instance", id)
	done(w, r, fmt.Sprintf("/console/?from=%d#inst-%d-h", id, id), fmt.Sprintf("Instance %d (%s) created. Add its gateway numbers below.", id, name))
}

// addNumber is an instance's add-number form. The new number's page shows
// its pairing, so the browser goes there.
func (h *Handler) addNumber(w http.ResponseWriter, r *http.Request) {
	instance, err := strconv.ParseUint(mux.Vars(r)["id"], 10, 64)
	if err != nil {
		h.notFound(w, r, "There is no such instance.")
		return
	}
	n := NewNumber{Number: strings.TrimSpace(r.PostFormValue("number")), Transport: r.PostFormValue("transport"), Role: r.PostFormValue("role")}
	if n.Role == "" {
		n.Role = string(registry.RoleStandby)
	}
	if !slices.Contains([]string{"sim", "whatsmeow"}, n.Transport) {
		n.Transport = "whatsmeow"
	}
	back := fmt.Sprintf("/console/?from=%d#inst-%d-h", instance, instance)
	if err := h.Admin.AddNumber(r.Context(), instance, n); err != nil {
		h.failed(w, r, back, err)
		return
	}
	added, err := h.numberOf(n.Number)
	if err != nil {
		done(w, r, back, "Number added.")
		return
	}
	h.Logger.Info("number added from the console", "instance", instance, "transport", n.Transport, "role", n.Role)
	msg := fmt.Sprintf("%s added to instance %d as %s.", added.Number, instance, added.Role)
	if added.Transport == "whatsmeow" {
		msg += " Scan the QR code below with the phone of that number to link it."
	}
	done(w, r, numberHref(added.Number), msg)
}
