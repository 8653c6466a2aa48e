package ui_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"higate/web/webtest"
)

// TestCrossSiteFormsAreRefused submits forms in Chromium from a page on
// another origin to the portal's and the console's sign-in and to the
// sandbox phone: the browser marks them cross-site, and each is refused
// with 403 before it reaches a handler.
func TestCrossSiteFormsAreRefused(t *testing.T) {
	e := webtest.New(t)
	a := e.NewAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	forms := map[string]string{
		"portal":  fmt.Sprintf(`<form method="post" action="%s/portal/login"><input name="client_id" value="%s"><input name="client_secret" value="%s"><button id="go">go</button></form>`, e.URL, a.ID, a.Secret),
		"console": fmt.Sprintf(`<form method="post" action="%s/console/login"><input name="token" value="%s"><button id="go">go</button></form>`, e.URL, webtest.AdminToken),
	}
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><title>evil</title>"+forms[strings.TrimPrefix(r.URL.Path, "/")])
	}))
	defer evil.Close()

	b := webtest.NewBrowser(t, evil.URL) // the browser starts on the other origin
	for name := range forms {
		b.Visit("/" + name)
		b.Submit("#go")
		if loc := b.Location(); !strings.HasPrefix(loc, e.URL) {
			t.Fatalf("%s: the form did not post to the gateway (at %s)", name, loc)
		}
		b.WaitText("body", "403 forbidden")
		b.WaitText("body", "cross-origin request refused")
	}
}
