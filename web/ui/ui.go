// Package ui is what Higate's web pages share: the layout, the stylesheet and
// the small script, security headers and CSRF protection, server-side
// sessions, login rate limits and Server-Sent Events.
//
// Each surface is a package of its own under web/ui, named after its URL:
// join (/join/{instance}), portal (/portal/), console (/console/) and phone
// (/sandbox/). A surface keeps one handler per page file and its templates in
// its own templates/ folder, parsed once at start-up with the layout here.
// Pages work without JavaScript; static/app.js makes them better (live
// updates, copy buttons), and nothing is loaded from another origin.
package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed templates/*.html static
var files embed.FS

// staticVersion is a hash of the static files, appended to their URLs so
// browsers may cache them for a year and still see a new build at once.
var staticVersion = func() string {
	h := sha256.New()
	_ = fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := files.ReadFile(p)
			h.Write([]byte(p))
			h.Write(b)
		}
		return err
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}()

// StaticPrefix is where Static is mounted.
const StaticPrefix = "/static/"

// Static serves the shared stylesheet and script under StaticPrefix.
func Static() http.Handler {
	sub, _ := fs.Sub(files, "static")
	fileServer := http.StripPrefix(StaticPrefix, http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w.Header())
		if r.URL.Query().Get("v") == staticVersion {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		fileServer.ServeHTTP(w, r)
	})
}

// Page is what every page's template gets: the layout reads the fields,
// the page's own "content" template reads Data.
type Page struct {
	Title   string    // the page's title, before " · Higate"
	Surface string    // "join", "portal", "console" or "sandbox": the header's name and style
	Nav     []NavItem // the surface's menu; empty when signed out
	Current string    // the Href of the page, to mark it in the menu
	Lang    string    // the page's language tag; default "en"
	Dir     string    // "rtl" for Hebrew and Arabic pages; default "ltr"
	Flash   string    // a one-off notice ("Secret rotated")
	Error   string    // what went wrong with the last form, shown above the content
	Data    any       // the page's own data
}

// NavItem is one link of a surface's menu. A Form item is a button that
// POSTs (sign out), so that no GET changes state.
type NavItem struct {
	Href, Label string
	Form        bool
}

// Pages is a surface's page templates, each parsed with the shared layout.
type Pages struct {
	byName map[string]*template.Template
}

// Funcs are the template functions every page may use beside its own.
var Funcs = template.FuncMap{
	"static":  func(name string) string { return StaticPrefix + name + "?v=" + staticVersion },
	"percent": func(used, limit int) int { return percent(used, limit) },
}

func percent(used, limit int) int {
	if limit <= 0 {
		return 0
	}
	return min(100, used*100/limit)
}

// ParsePages parses each *.html in dir of fsys as a page: a clone of the
// layout with the surface's partials (files named _*.html, shared by its
// pages) and the page file, which defines "content". Embed partials with a
// pattern that names them (//go:embed templates/*.html): embedding the
// directory itself leaves out files whose names begin with "_". It fails on the first
// template that does not parse, so a broken page stops start-up, not a
// request.
func ParsePages(fsys fs.FS, dir string, funcs template.FuncMap) (*Pages, error) {
	base, err := template.New("layout").Funcs(Funcs).Funcs(funcs).ParseFS(files, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("ui: layout: %w", err)
	}
	names, err := fs.Glob(fsys, path.Join(dir, "*.html"))
	if err != nil {
		return nil, err
	}
	var partials []string
	for _, n := range names {
		if strings.HasPrefix(path.Base(n), "_") {
			partials = append(partials, n)
		}
	}
	if len(partials) > 0 {
		if base, err = base.ParseFS(fsys, partials...); err != nil {
			return nil, fmt.Errorf("ui: partials of %s: %w", dir, err)
		}
	}
	p := &Pages{byName: map[string]*template.Template{}}
	for _, n := range names {
		name := path.Base(n)
		if strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("ui: page %s: %w", n, err)
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("ui: page %s defines no \"content\"", n)
		}
		p.byName[name] = t
	}
	return p, nil
}

// MustParsePages is ParsePages for package-level variables: a template
// that does not parse panics at start-up.
func MustParsePages(fsys fs.FS, dir string, funcs template.FuncMap) *Pages {
	p, err := ParsePages(fsys, dir, funcs)
	if err != nil {
		panic(err)
	}
	return p
}

// Render writes page name with status. It renders into a buffer first, so
// a template error becomes a clean 500 instead of half a page.
func (p *Pages) Render(w http.ResponseWriter, status int, name string, page Page) error {
	t, ok := p.byName[name]
	if !ok {
		return fmt.Errorf("ui: no page %q", name)
	}
	if page.Lang == "" {
		page.Lang = "en"
	}
	if page.Dir == "" {
		page.Dir = "ltr"
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", page); err != nil {
		return fmt.Errorf("ui: render %s: %w", name, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// Fragment renders one named template of page name (a table body, a list)
// without the layout, for Server-Sent Events that patch a part of a page.
func (p *Pages) Fragment(name, fragment string, data any) (string, error) {
	t, ok := p.byName[name]
	if !ok {
		return "", fmt.Errorf("ui: no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, fragment, data); err != nil {
		return "", fmt.Errorf("ui: render %s/%s: %w", name, fragment, err)
	}
	return buf.String(), nil
}
