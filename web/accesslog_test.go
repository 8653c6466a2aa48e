package web_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"higate/gateway/sim"
	"higate/registry"
	"higate/web"
	"higate/web/forwarded"
)

// logBuffer is a log destination that tests read while the server writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// records returns the JSON log records whose msg is msg.
func (b *logBuffer) records(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// loggedServer is web.NewServer over a registry and the simulated network,
// logging JSON at debug level into log.
type loggedServer struct {
	srv   *httptest.Server
	store *registry.Store
	log   *logBuffer
	done  chan struct{}
}

func newLoggedServer(t *testing.T, proxies forwarded.Proxies, serve func(http.Handler) *httptest.Server) *loggedServer {
	t.Helper()
	dir := t.TempDir()
	store, err := registry.Open(dir, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	network, err := sim.Open(filepath.Join(dir, "sim"), sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { network.Close() })
	if err := store.EnsureInstance(registry.SandboxInstance, "sandbox"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.AddNumber(registry.Number{Number: sandboxGW, Instance: registry.SandboxInstance, Transport: "sim", Role: registry.RoleActive}); err != nil {
		t.Fatal(err)
	}
	ls := &loggedServer{store: store, log: &logBuffer{}, done: make(chan struct{})}
	log := slog.New(slog.NewJSONHandler(ls.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ls.srv = serve(web.NewServer(web.Deps{Store: store, Sim: network, AdminToken: adminToken, Logger: log,
		TrustedProxies: proxies, Done: ls.done}))
	t.Cleanup(func() {
		select {
		case <-ls.done:
		default:
			close(ls.done)
		}
		ls.srv.Close()
	})
	return ls
}

// lastRequest is the last access log line.
func (ls *loggedServer) lastRequest(t *testing.T) map[string]any {
	t.Helper()
	recs := ls.log.records(t, "request")
	if len(recs) == 0 {
		t.Fatalf("no access log line in:\n%s", ls.log.String())
	}
	return recs[len(recs)-1]
}

func (ls *loggedServer) get(t *testing.T, method, path string, headers ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, ls.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := ls.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// TestAccessLogNamesTheRouteNotThePath: one line per request with the
// method, the route's pattern, status, bytes, duration, client and request
// ID; the phone numbers and job IDs of paths never reach the log.
func TestAccessLogNamesTheRouteNotThePath(t *testing.T) {
	ls := newLoggedServer(t, nil, httptest.NewServer)
	const number, job = "4915112345678", "987654321"
	for _, c := range []struct {
		method, path string
		route        string
		status       int
		level        string
	}{
		{"GET", "/v3/whatsapp/jobs/" + job, "/v3/whatsapp/jobs/{id}", 474, "INFO"},
		{"GET", "/admin/api/numbers/+" + number + "/pairing", "/admin/api/numbers/{number}/pairing", 401, "INFO"},
		{"GET", "/sandbox/chat/+" + number + "/" + sandboxGW, "/sandbox/chat/{number}/{gateway}", 200, "INFO"},
		{"HEAD", "/sandbox/chat/+" + number + "/" + sandboxGW, "/sandbox/chat/{number}/{gateway}", 200, "INFO"},
		{"GET", "/nowhere/+" + number, "unmatched", 404, "INFO"},
		{"PUT", "/v3/whatsapp/jobs/" + job, "unmatched", 405, "INFO"}, // GET and DELETE are its methods
		{"GET", "/healthz", "/healthz", 200, "DEBUG"},                 // probes are quiet
	} {
		resp := ls.get(t, c.method, c.path)
		if resp.StatusCode != c.status {
			t.Fatalf("%s %s: %d, want %d", c.method, c.path, resp.StatusCode, c.status)
		}
		rec := ls.lastRequest(t)
		if rec["method"] != c.method || rec["route"] != c.route || rec["status"] != float64(c.status) ||
			rec["level"] != c.level || rec["client"] != "127.0.0.1" || rec["component"] != "access" {
			t.Errorf("%s %s: logged %v, want route %s status %d level %s", c.method, c.path, rec, c.route, c.status, c.level)
		}
		if id := resp.Header.Get("X-Request-ID"); id == "" || rec["request_id"] != id {
			t.Errorf("%s %s: request ID %v logged, %q answered", c.method, c.path, rec["request_id"], id)
		}
		if _, ok := rec["duration_ms"].(float64); !ok {
			t.Errorf("%s %s: no duration: %v", c.method, c.path, rec)
		}
		if b, _ := rec["bytes"].(float64); c.method == "GET" && b == 0 {
			t.Errorf("%s %s: 0 bytes logged", c.method, c.path)
		}
	}
	if got := len(ls.log.records(t, "request")); got != 7 {
		t.Errorf("%d access log lines for 7 requests", got)
	}
	if text := ls.log.String(); strings.Contains(text, number) || strings.Contains(text, job) {
		t.Errorf("a phone number or job ID reached the log:\n%s", text)
	}
}

// TestRequestID: the client's X-Request-ID is used and echoed, cleaned of
// anything but letters, digits and ._:- and cut to 64 characters; without
// one (or with nothing usable) the server makes a new one per request.
func TestRequestID(t *testing.T) {
	ls := newLoggedServer(t, nil, httptest.NewServer)
	for _, c := range []struct{ given, want string }{
		{"req-42.a:b_c", "req-42.a:b_c"},
		{"abc def<script>\"x\"", "abcdefscriptx"},
		{strings.Repeat("a", 200), strings.Repeat("a", 64)},
	} {
		resp := ls.get(t, "GET", "/healthz", "X-Request-ID", c.given)
		if got := resp.Header.Get("X-Request-ID"); got != c.want {
			t.Errorf("X-Request-ID %q echoed as %q, want %q", c.given, got, c.want)
		}
		if rec := ls.lastRequest(t); rec["request_id"] != c.want {
			t.Errorf("X-Request-ID %q logged as %v, want %q", c.given, rec["request_id"], c.want)
		}
	}
	first := ls.get(t, "GET", "/healthz").Header.Get("X-Request-ID")
	second := ls.get(t, "GET", "/healthz", "X-Request-ID", "<>!").Header.Get("X-Request-ID")
	if len(first) < 16 || len(second) < 16 || first == second {
		t.Errorf("generated request IDs %q and %q: want two different ones of 16 or more characters", first, second)
	}
}

// TestAccessLogEndsAStreamWithOneLine: a Server-Sent Events stream works
// through the access log (it flushes through the recorder) and gets its
// one line when it ends, here at shutdown.
func TestAccessLogEndsAStreamWithOneLine(t *testing.T) {
	ls := newLoggedServer(t, nil, httptest.NewServer)
	const route = "/sandbox/chat/{number}/{gateway}/events"
	resp, err := ls.srv.Client().Get(ls.srv.URL + "/sandbox/chat/+4915112345678/" + sandboxGW + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, ct)
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "retry: 2000\n" {
		t.Fatalf("first line of the stream %q, %v", line, err)
	}
	for _, rec := range ls.log.records(t, "request") {
		if rec["route"] == route {
			t.Fatalf("the stream was logged while open: %v", rec)
		}
	}
	close(ls.done) // as http.Server.Shutdown does through RegisterOnShutdown
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got []map[string]any
		for _, rec := range ls.log.records(t, "request") {
			if rec["route"] == route {
				got = append(got, rec)
			}
		}
		if len(got) == 1 {
			if got[0]["status"] != float64(200) || got[0]["bytes"].(float64) == 0 {
				t.Errorf("stream logged as %v", got[0])
			}
			break
		}
		if len(got) > 1 || time.Now().After(deadline) {
			t.Fatalf("%d lines for one stream:\n%s", len(got), ls.log.String())
		}
		time.Sleep(5 * time.Millisecond) // polling the log, with a deadline
	}
}

// TestHSTSAndTrustedProxies: HTTPS responses carry Strict-Transport-Security,
// plain HTTP ones do not; X-Forwarded-Proto and X-Forwarded-For count only
// from a trusted proxy, for HSTS, cookies' Secure flag and the access log's
// client.
func TestHSTSAndTrustedProxies(t *testing.T) {
	const hsts = "max-age=31536000"
	t.Run("TLS", func(t *testing.T) {
		ls := newLoggedServer(t, nil, httptest.NewTLSServer)
		if got := ls.get(t, "GET", "/healthz").Header.Get("Strict-Transport-Security"); got != hsts {
			t.Errorf("HTTPS response: Strict-Transport-Security %q, want %q", got, hsts)
		}
	})
	forwardedHTTPS := []string{"X-Forwarded-Proto", "https", "X-Forwarded-For", "198.51.100.7"}
	for _, c := range []struct {
		name      string
		proxies   string
		headers   []string
		wantHTTPS bool
		client    string
	}{
		{"plain HTTP", "", nil, false, "127.0.0.1"},
		{"headers from an untrusted peer", "", forwardedHTTPS, false, "127.0.0.1"},
		{"headers from another network", "10.0.0.0/8", forwardedHTTPS, false, "127.0.0.1"},
		{"headers from a trusted proxy", "127.0.0.0/8", forwardedHTTPS, true, "198.51.100.7"},
	} {
		t.Run(c.name, func(t *testing.T) {
			proxies, err := forwarded.ParseProxies(c.proxies)
			if err != nil {
				t.Fatal(err)
			}
			ls := newLoggedServer(t, proxies, httptest.NewServer)
			resp := ls.get(t, "GET", "/healthz", c.headers...)
			if got := resp.Header.Get("Strict-Transport-Security"); (got == hsts) != c.wantHTTPS {
				t.Errorf("Strict-Transport-Security %q, want it %v", got, c.wantHTTPS)
			}
			if rec := ls.lastRequest(t); rec["client"] != c.client {
				t.Errorf("access log client %v, want %s", rec["client"], c.client)
			}
			// The sandbox phone's cookie is Secure exactly when the
			// request counts as HTTPS.
			req, _ := http.NewRequest("POST", ls.srv.URL+"/sandbox/", strings.NewReader("number=%2B4915112345678&gateway=%2B15550000001"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for i := 0; i+1 < len(c.headers); i += 2 {
				req.Header.Set(c.headers[i], c.headers[i+1])
			}
			resp, err = http.DefaultTransport.RoundTrip(req) // not following the redirect
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			cookies := resp.Cookies()
			if resp.StatusCode != http.StatusSeeOther || len(cookies) != 1 || cookies[0].Secure != c.wantHTTPS {
				t.Errorf("POST /sandbox/: %d, cookies %v; want a cookie with Secure %v", resp.StatusCode, cookies, c.wantHTTPS)
			}
		})
	}
}

// TestInternalErrorLogNamesTheRoute: the one log line of an internal error
// names the route's pattern and the request ID, not the path (whose phone
// numbers and IDs are not for the log).
func TestInternalErrorLogNamesTheRoute(t *testing.T) {
	ls := newLoggedServer(t, nil, httptest.NewServer)
	ls.store.Close() // every read fails now
	resp := ls.get(t, "GET", "/admin/api/events", "Authorization", "Bearer "+adminToken, "X-Request-ID", "trace-1")
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", resp.StatusCode)
	}
	recs := ls.log.records(t, "internal error")
	if len(recs) != 1 || recs[0]["route"] != "/admin/api/events" || recs[0]["request_id"] != "trace-1" || recs[0]["path"] != nil {
		t.Errorf("internal error logged as %v", recs)
	}
}
