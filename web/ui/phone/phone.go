// Package phone serves the sandbox phone /sandbox/: a simulated WhatsApp
// user in the browser, so a Trial developer tries the whole loop without a
// phone. The visitor picks or types a phone number (no login: sandbox
// numbers are public test phones, remembered in a cookie), picks one of
// the sandbox instance's simulated gateway numbers, and chats: what they
// type goes to the gateway through the simulated network (sim.Inbound), and
// the gateway's confirmation and the developers' messages (text, images,
// documents, links, group messages) arrive live over Server-Sent Events.
//
// It is mounted only while the sandbox is on, and acts only on instance
// 0's simulated numbers, as the public sandbox API does (issue 11):
// another instance's simulated numbers are an operator's tests.
//
// Pages, by URL, each in the file of the same name:
//
//	GET  /sandbox/                                start.go: pick a number
//	POST /sandbox/                                start.go: open its chat
//	GET  /sandbox/chat/{number}/{gateway}         chat.go: the conversation
//	POST /sandbox/chat/{number}/{gateway}         chat.go: send a message
//	POST /sandbox/chat/{number}/{gateway}/read    chat.go: mark it read
//	GET  /sandbox/chat/{number}/{gateway}/events  events.go: live updates
//	GET  /sandbox/media/{number}/{message}        media.go: an image or document
package phone

import (
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"higate/gateway/sim"
	"higate/registry"
	e164 "higate/registry/phone"
	"higate/web/ui"
)

//go:embed templates
var templates embed.FS

var pages = ui.MustParsePages(templates, "templates", template.FuncMap{
	"digits": e164.Digits,
})

// Deps is what the sandbox phone needs.
type Deps struct {
	Store *registry.Store
	Sim   *sim.Network // the sandbox's network; Mount needs it
	// Done is closed when the server shuts down: live streams end then,
	// so http.Server.Shutdown need not wait for them. Nil: they end when
	// the client goes or the network closes.
	Done   <-chan struct{}
	Logger *slog.Logger // nil discards
}

// Handler serves the sandbox phone's pages.
type Handler struct {
	Deps
}

// New returns the sandbox phone's handler.
func New(d Deps) *Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{Deps: d}
}

// Routes' patterns. Numbers appear in URLs as E.164 ("+4915112345678"):
// a '+' is a plain character in a path.
const (
	chatPath  = "/sandbox/chat/{number:\\+[0-9]+}/{gateway:\\+[0-9]+}"
	mediaPath = "/sandbox/media/{number:\\+[0-9]+}/{message:[0-9A-Za-z]+}"
)

// Mount adds the pages' routes to r. They are not under /sandbox/api/,
// which is the sandbox's JSON API.
func (h *Handler) Mount(r *mux.Router) {
	get := []string{http.MethodGet, http.MethodHead}
	r.Handle("/sandbox", http.RedirectHandler("/sandbox/", http.StatusMovedPermanently)).Methods(get...)
	r.Handle("/sandbox/", ui.Protect(http.HandlerFunc(h.serveStart))).Methods(get...)
	r.Handle("/sandbox/", ui.Protect(http.HandlerFunc(h.openChat))).Methods(http.MethodPost)
	r.Handle(chatPath, ui.Protect(h.chat(h.serveChat))).Methods(get...)
	r.Handle(chatPath, ui.Protect(h.chat(h.send))).Methods(http.MethodPost)
	r.Handle(chatPath+"/read", ui.Protect(h.chat(h.markRead))).Methods(http.MethodPost)
	r.Handle(chatPath+"/events", ui.Protect(h.chat(h.serveEvents))).Methods(http.MethodGet)
	r.Handle(mediaPath, ui.Protect(http.HandlerFunc(h.serveMedia))).Methods(get...)
}

// chatRequest is a chat page's request: the visitor's number and the
// gateway number they talk to, both checked.
type chatRequest struct {
	User    string
	Gateway registry.Number
}

// chatURL is the chat page of user with gw.
func chatURL(user, gw string) string { return "/sandbox/chat/" + user + "/" + gw }

// chat checks the numbers of a chat URL before the page's handler runs: a
// number that is not E.164 in its normal form, a gateway number as the
// user, or a gateway number that is not instance 0's simulated one is a
// 404 page.
func (h *Handler) chat(next func(http.ResponseWriter, *http.Request, chatRequest)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vars := mux.Vars(r)
		user, err := h.userNumber(vars["number"])
		if err == nil && user != vars["number"] {
			err = errors.New("not in normal form")
		}
		if err != nil {
			h.notFound(w, r, "There is no sandbox phone "+vars["number"]+": "+err.Error())
			return
		}
		gw, err := h.gateway(vars["gateway"])
		if err != nil {
			h.notFound(w, r, err.Error())
			return
		}
		next(w, r, chatRequest{User: user, Gateway: gw})
	})
}

// userNumber normalizes a number the visitor typed and checks that it may
// be a simulated user: any number but a gateway number.
func (h *Handler) userNumber(s string) (string, error) {
	num, err := e164.Normalize(s)
	if err != nil {
		return "", errors.New("type a number with its country code, e.g. +49 151 23456789")
	}
	if _, err := h.Store.Number(num); err == nil {
		return "", errors.New(num + " is a gateway number; type a user's number")
	}
	return num, nil
}

// gateway returns instance 0's simulated gateway number s.
func (h *Handler) gateway(s string) (registry.Number, error) {
	n, err := h.Store.Number(s)
	if err != nil || n.Transport != "sim" || n.Instance != registry.SandboxInstance {
		return n, errors.New(s + " is not a gateway number of the sandbox")
	}
	return n, nil
}

// gateways lists instance 0's simulated gateway numbers, the active one
// first, then in the instance's (failover) order.
func (h *Handler) gateways() ([]registry.Number, error) {
	in, err := h.Store.Instance(registry.SandboxInstance)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []registry.Number
	for _, num := range in.Numbers {
		n, err := h.Store.Number(num)
		if err != nil || n.Transport != "sim" {
			continue
		}
		if n.Role == registry.RoleActive {
			out = append([]registry.Number{n}, out...)
		} else {
			out = append(out, n)
		}
	}
	return out, nil
}

func (h *Handler) render(w http.ResponseWriter, status int, name string, page ui.Page) {
	page.Surface = "sandbox"
	if err := pages.Render(w, status, name, page); err != nil {
		h.Logger.Error("sandbox phone: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request, why string) {
	if strings.HasSuffix(r.URL.Path, "/events") {
		http.Error(w, why, http.StatusNotFound) // an EventSource shows no page
		return
	}
	h.render(w, http.StatusNotFound, "start.html", ui.Page{Title: "Not found", Error: why,
		Data: h.startView(r, "")})
}

// internal logs err once and answers 500.
func (h *Handler) internal(w http.ResponseWriter, what string, err error) {
	h.Logger.Error("sandbox phone: "+what, "err", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}
