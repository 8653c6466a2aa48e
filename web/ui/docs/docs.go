// Package docs serves /docs, the API reference for client authors, rendered
// on the server from the contract (web/openapi/openapi.yaml) with the shared
// layout and stylesheet of web/ui: every operation grouped by tag, with its
// method, path, authentication, parameters, body fields and an example, and
// the statuses it answers; and the webhooks Higate sends, with their
// headers, body fields and what Higate makes of the receiver's answer. The
// page loads nothing from another origin and needs no JavaScript.
package docs

import (
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/gorilla/mux"

	"higate/web/ui"
)

//go:embed templates
var templates embed.FS

var pages = ui.MustParsePages(templates, "templates", template.FuncMap{"prose": prose, "lower": strings.ToLower})

// Path is where the reference is served.
const Path = "/docs"

// Deps is what the page needs.
type Deps struct {
	Reference *Reference   // from Build
	Logger    *slog.Logger // nil discards
}

// Handler serves the reference.
type Handler struct {
	Deps
}

// New returns the reference's handler.
func New(d Deps) *Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{Deps: d}
}

// Mount adds the page's route to r.
func (h *Handler) Mount(r *mux.Router) {
	r.Handle(Path, ui.Protect(http.HandlerFunc(h.serveDocs))).Methods(http.MethodGet, http.MethodHead)
}

func (h *Handler) serveDocs(w http.ResponseWriter, r *http.Request) {
	page := ui.Page{Title: "API reference", Surface: "docs", Data: h.Reference}
	if err := pages.Render(w, http.StatusOK, "docs.html", page); err != nil {
		h.Logger.Error("docs page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// codeSpan is text between backticks in the document's descriptions.
var codeSpan = regexp.MustCompile("`([^`]+)`")

// prose turns a description into HTML: escaped, with `code` spans as <code>.
// Descriptions are plain text with backticks, not full Markdown, so this is
// all the rendering they need.
func prose(s string) template.HTML {
	return template.HTML(codeSpan.ReplaceAllString(template.HTMLEscapeString(s), "<code>$1</code>")) // escaped above; only <code> is added
}
