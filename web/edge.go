package web

import (
	"net/http"

	"higate/web/forwarded"
)

// hstsValue asks browsers to use HTTPS only for this host for a year. It
// goes on HTTPS responses only: sent over plain HTTP it would be ignored,
// and a server reached over plain HTTP has not promised HTTPS.
const hstsValue = "max-age=31536000"

// edge wraps the routes in what every request passes through first, from
// the outside in: the trusted-proxy decision (whose address and scheme the
// request has), the access log with the request ID, and HSTS.
func (s *server) edge(routes http.Handler) http.Handler {
	h := hsts(routes)
	h = accessLog(s.Logger.With("component", "access"), h)
	return s.TrustedProxies.Handler(h)
}

// hsts sets Strict-Transport-Security on responses to requests that came
// over HTTPS, directly or through a trusted proxy.
func hsts(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if forwarded.HTTPS(r) {
			w.Header().Set("Strict-Transport-Security", hstsValue)
		}
		next.ServeHTTP(w, r)
	})
}
