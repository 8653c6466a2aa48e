package web

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
)

//go:embed templates/admin
var adminTemplates embed.FS

// pages are the admin HTML pages, parsed once; a missing template fails
// at start-up, not at the first request.
var pages = template.Must(template.ParseFS(adminTemplates, "templates/admin/*.html"))

// handlePairPage serves the pairing page. It holds no secret: the operator
// types the admin token into it, and its script sends the token as the
// Authorization header to the admin API, never in a URL.
func (s *server) handlePairPage(w http.ResponseWriter, r *http.Request) error {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, "pair.html", map[string]string{"Number": r.URL.Query().Get("number")}); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' blob:; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(buf.Bytes())
	return err
}
