package ui

import (
	"net/http"
)

// contentSecurityPolicy allows nothing from another origin and no inline
// script or style: pages use the shared files under /static/, and QR codes
// are inline SVG markup (data: images are allowed for pasted previews).
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
}

// Protect wraps a surface's handler: security headers on every response,
// and CSRF protection for every form. A state-changing request that a
// browser marks as cross-site (Sec-Fetch-Site), or whose Origin is not this
// host, is refused with 403 before it reaches the handler; forms need no
// hidden token, so they work without JavaScript and after a restart.
func Protect(h http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte("403 forbidden: this form was sent from another site (cross-origin request refused)\n"))
	}))
	guarded := cop.Handler(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w.Header())
		guarded.ServeHTTP(w, r)
	})
}
