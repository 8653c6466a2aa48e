package ui_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"higate/registry"
	"higate/web/forwarded"
	"higate/web/ui"
)

// TestTrustedProxyDecidesClientAndSecureCookie: the login rate limiter's
// key and the session cookie's Secure flag follow the trusted-proxy
// decision: X-Forwarded-For and X-Forwarded-Proto count from a trusted
// proxy only.
func TestTrustedProxyDecidesClientAndSecureCookie(t *testing.T) {
	store, err := registry.Open(t.TempDir(), registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	sessions := ui.Sessions{Store: store, Kind: registry.SessionConsole, Cookie: "higate_console", Path: "/console/"}
	trusted, _ := forwarded.ParseProxies("127.0.0.1")
	for _, c := range []struct {
		name       string
		proxies    forwarded.Proxies
		wantKey    string
		wantSecure bool
	}{
		{"untrusted", nil, "127.0.0.1", false},
		{"trusted", trusted, "198.51.100.7", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var key string
			rec := httptest.NewRecorder()
			c.proxies.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				key = ui.ClientKey(r)
				if err := sessions.Start(w, r, ""); err != nil {
					t.Fatal(err)
				}
			})).ServeHTTP(rec, func() *http.Request {
				r := httptest.NewRequest("POST", "/console/login", nil)
				r.RemoteAddr = "127.0.0.1:5000"
				r.Header.Set("X-Forwarded-For", "198.51.100.7")
				r.Header.Set("X-Forwarded-Proto", "https")
				return r
			}())
			if key != c.wantKey {
				t.Errorf("ClientKey %q, want %q", key, c.wantKey)
			}
			cookies := rec.Result().Cookies()
			if len(cookies) != 1 || cookies[0].Secure != c.wantSecure {
				t.Errorf("cookies %v, want one with Secure %v", cookies, c.wantSecure)
			}
		})
	}
}
