package web

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"higate/web/forwarded"
)

// requestIDHeader carries a request's ID: taken from the client or the
// proxy in front when it sends one, made up otherwise, and echoed in the
// response, so a client's bug report and the server's log line meet.
const requestIDHeader = "X-Request-ID"

// maxRequestID bounds a request ID taken from a client: long enough for a
// UUID or a trace ID, short enough that a client cannot bloat the log.
const maxRequestID = 64

// quietRoutes are logged at debug level: probes that hit the server every
// few seconds would otherwise drown the requests that matter.
var quietRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// access is what the access log learns about a request while it is
// served. The router fills in the route (recordRoute), in the goroutine
// that serves the request.
type access struct {
	id    string
	route string
}

type accessKey struct{}

// accessOf returns the record accessLog keeps for r, or nil outside it.
func accessOf(r *http.Request) *access {
	a, _ := r.Context().Value(accessKey{}).(*access)
	return a
}

// accessLog logs one line per request when its response is done: method,
// route pattern, status, bytes, duration, client and request ID. It logs
// the route's pattern ("/v3/whatsapp/jobs/{id}"), never the path, whose
// phone numbers and job IDs are not for the log, nor the query or any
// header but the request ID. A Server-Sent Events stream is one request,
// logged when the stream ends.
func accessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		a := &access{id: requestID(r.Header.Get(requestIDHeader))}
		w.Header().Set(requestIDHeader, a.id)
		rec := &recorder{ResponseWriter: w}
		defer func() {
			status := rec.status
			p := recover()
			if p != nil {
				status = http.StatusInternalServerError // net/http drops the connection
			} else if status == 0 {
				status = http.StatusOK // a handler that wrote nothing
			}
			route := a.route
			if route == "" {
				route = "unmatched"
			}
			level := slog.LevelInfo
			if quietRoutes[route] {
				level = slog.LevelDebug
			}
			log.LogAttrs(r.Context(), level, "request",
				slog.String("method", r.Method),
				slog.String("route", route),
				slog.Int("status", status),
				slog.Int64("bytes", rec.bytes),
				slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
				slog.String("client", forwarded.ClientIP(r)),
				slog.String("request_id", a.id))
			if p != nil {
				panic(p)
			}
		}()
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), accessKey{}, a)))
	})
}

// recordRoute is the router's middleware that tells accessLog which route
// matched, as its pattern without the variables' regular expressions.
func recordRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := accessOf(r); a != nil {
			if route := mux.CurrentRoute(r); route != nil {
				a.route = patternOf(route)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// patterns caches patternOf: routes are made once, at start.
var patterns sync.Map // *mux.Route -> string

// patternOf is a route's path template without its regular expressions.
func patternOf(route *mux.Route) string {
	if p, ok := patterns.Load(route); ok {
		return p.(string)
	}
	t, err := route.GetPathTemplate()
	if err != nil {
		return ""
	}
	p := plainTemplate(t)
	patterns.Store(route, p)
	return p
}

// routeOf is the pattern of the route serving r, for log lines; "" when
// none matched or outside accessLog.
func routeOf(r *http.Request) string {
	if a := accessOf(r); a != nil {
		return a.route
	}
	return ""
}

// requestIDOf is r's request ID; "" outside accessLog.
func requestIDOf(r *http.Request) string {
	if a := accessOf(r); a != nil {
		return a.id
	}
	return ""
}

// requestID returns the ID the client sent, reduced to letters, digits and
// . _ : - and to maxRequestID characters, so it is safe in a log line and
// a header; or, when nothing is left, a new random one.
func requestID(given string) string {
	var b strings.Builder
	for _, c := range given {
		if b.Len() == maxRequestID {
			break
		}
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.ContainsRune("._:-", c) {
			b.WriteRune(c)
		}
	}
	if b.Len() > 0 {
		return b.String()
	}
	return rand.Text()
}

// plainTemplate drops the regular expressions of a mux path template:
// "/sandbox/chat/{number:\+[0-9]+}" becomes "/sandbox/chat/{number}".
func plainTemplate(t string) string {
	var b strings.Builder
	depth, inRegexp := 0, false
	for _, c := range t {
		switch {
		case c == '{':
			depth++
			if depth > 1 {
				continue
			}
		case c == '}':
			depth--
			if depth > 0 {
				continue
			}
			inRegexp = false
		case c == ':' && depth == 1:
			inRegexp = true
		}
		if !inRegexp {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// recorder notes a response's status and size for the access log. Unwrap
// lets http.ResponseController reach the connection's writer, to flush
// Server-Sent Events and lift write deadlines.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

// WriteHeader notes the first status written.
func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

// Write counts the body's bytes; a write before WriteHeader means 200.
func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// Unwrap returns the wrapped writer (see http.ResponseController).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
