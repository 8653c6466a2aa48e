// Package join serves the opt-in page /join/{instance}: what a developer
// shares with their users. It shows the instance's active gateway number, a
// QR code of https://wa.me/<digits>?text=<greeting> with the greeting in
// the visitor's language (Accept-Language, or the switcher's ?lang=), the
// same link to tap, the confirmation the gateway will send, and the word
// that stops messages. It reads the active number on every request, so
// after a failover it shows the new one.
package join

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gorilla/mux"
	"golang.org/x/text/language"

	"higate/gateway/qr"
	"higate/lang"
	"higate/registry"
	"higate/web/ui"
)

//go:embed templates
var templates embed.FS

var pages = ui.MustParsePages(templates, "templates", nil)

// Deps is what the page needs.
type Deps struct {
	Store  *registry.Store
	Logger *slog.Logger // nil discards
}

// Handler serves the join page.
type Handler struct {
	Deps
	matcher language.Matcher
	tags    []language.Tag
}

// New returns the join page's handler.
func New(d Deps) *Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	tags := lang.Supported()
	return &Handler{Deps: d, matcher: language.NewMatcher(tags), tags: tags}
}

// Mount adds the page's route to r.
func (h *Handler) Mount(r *mux.Router) {
	r.Handle("/join/{instance}", ui.Protect(http.HandlerFunc(h.serveJoin))).Methods(http.MethodGet, http.MethodHead)
}

// view is the page's data.
type view struct {
	Number       string // E.164
	Link         string // the wa.me link, for the QR code and the button
	QR           template.HTML
	Intro        string
	OrSend       string
	Confirmation string
	Stop         string
	Text         pageText
	Languages    []languageLink
	Unavailable  string // why there is no number to show
}

type languageLink struct {
	Tag, Name, Href string
	Current         bool
}

func (h *Handler) serveJoin(w http.ResponseWriter, r *http.Request) {
	tag := h.language(r)
	t := texts[tag.String()]
	w.Header().Set("Vary", "Accept-Language")
	page := ui.Page{Title: t.Title, Surface: "join", Lang: tag.String(), Dir: direction(tag)}
	v := view{Text: t, Languages: h.links(r, tag)}
	page.Data = &v

	instance, err := strconv.ParseUint(mux.Vars(r)["instance"], 10, 64)
	if err == nil {
		_, err = h.Store.Instance(instance)
	}
	if err != nil {
		v.Unavailable = "There is no gateway here. Check the link you were given."
		h.render(w, http.StatusNotFound, page)
		return
	}
	active, err := h.Store.ActiveNumber(instance)
	if err != nil {
		if !errors.Is(err, registry.ErrNotFound) {
			var e *registry.Error
			if !errors.As(err, &e) {
				h.Logger.Error("join page: active number", "instance", instance, "err", err)
			}
		}
		v.Unavailable = "This gateway has no WhatsApp number right now. Please try again later."
		h.render(w, http.StatusServiceUnavailable, page)
		return
	}
	greeting, stop := lang.Keywords(tag)
	v.Number = active.Number
	v.Link = waLink(active.Number, greeting)
	svg, err := qr.SVG(v.Link, fmt.Sprintf("QR code: WhatsApp %s, message %s", active.Number, greeting))
	if err != nil {
		h.Logger.Error("join page: QR code", "err", err)
	}
	v.QR = template.HTML(svg) // drawn by qr.SVG from escaped values
	v.Intro = fmt.Sprintf(t.Intro, greeting)
	v.OrSend = fmt.Sprintf(t.OrSend, greeting, active.Number)
	v.Confirmation = lang.Confirmation(tag, active.Number)
	v.Stop = fmt.Sprintf(t.Stop, stop)
	h.render(w, http.StatusOK, page)
}

func (h *Handler) render(w http.ResponseWriter, status int, page ui.Page) {
	if err := pages.Render(w, status, "join.html", page); err != nil {
		h.Logger.Error("join page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// language picks the page's language: ?lang= from the switcher, then the
// browser's Accept-Language, then English.
func (h *Handler) language(r *http.Request) language.Tag {
	if q := r.URL.Query().Get("lang"); q != "" {
		if tag := lang.Match(q); hasText(tag) {
			return tag
		}
	}
	accept, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if len(accept) > 0 {
		if _, i, conf := h.matcher.Match(accept...); conf != language.No && hasText(h.tags[i]) {
			return h.tags[i]
		}
	}
	return language.English
}

func hasText(tag language.Tag) bool { _, ok := texts[tag.String()]; return ok }

func (h *Handler) links(r *http.Request, current language.Tag) []languageLink {
	out := make([]languageLink, 0, len(h.tags))
	for _, tag := range h.tags {
		t, ok := texts[tag.String()]
		if !ok {
			continue
		}
		out = append(out, languageLink{Tag: tag.String(), Name: t.Name,
			Href: r.URL.Path + "?lang=" + url.QueryEscape(tag.String()), Current: tag == current})
	}
	return out
}

// waLink is the click-to-chat link that opens WhatsApp on a chat with the
// number and the greeting typed in (wa.me wants the digits only).
func waLink(number, greeting string) string {
	text := strings.ReplaceAll(url.QueryEscape(greeting), "+", "%20")
	return "https://wa.me/" + strings.TrimPrefix(number, "+") + "?text=" + text
}

func direction(tag language.Tag) string {
	base, _ := tag.Base()
	switch base.String() {
	case "ar", "he":
		return "rtl"
	}
	return "ltr"
}
