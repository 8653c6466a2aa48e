package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestConnSpeaksEnoughHTTP runs the load client against net/http: fixed
// and chunked bodies, keep-alive, and a server that closes the connection.
func TestConnSpeaksEnoughHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/chunked":
			w.WriteHeader(201)
			w.Write([]byte(strings.Repeat("x", 5000))) // past net/http's buffer: chunked
			w.(http.Flusher).Flush()
			w.Write(body)
		case "/close":
			w.Header().Set("Connection", "close")
			w.WriteHeader(469)
			w.Write([]byte(`{"status":"error"}`))
		default:
			w.Write(append([]byte("echo:"), body...))
		}
	}))
	defer srv.Close()
	c := newConn(strings.TrimPrefix(srv.URL, "http://"))
	defer c.close()
	for i := range 3 {
		status, body, err := c.do(request{method: "POST", path: "/", headers: []string{"X-A", "b"}, body: []byte(`{"n":1}`)}.append(nil))
		if err != nil || status != 200 || string(body) != `echo:{"n":1}` {
			t.Fatalf("request %d: %d %q %v", i, status, body, err)
		}
	}
	status, body, err := c.do(request{method: "POST", path: "/chunked", body: []byte("tail")}.append(nil))
	if err != nil || status != 201 || len(body) != 5004 || !strings.HasSuffix(string(body), "tail") {
		t.Fatalf("chunked: %d %d bytes %v", status, len(body), err)
	}
	status, _, err = c.do(request{method: "GET", path: "/close"}.append(nil))
	if err != nil || status != 469 || c.c != nil {
		t.Fatalf("close: %d %v, connection kept: %v", status, err, c.c != nil)
	}
	if status, _, err := c.do(request{method: "GET", path: "/"}.append(nil)); err != nil || status != 200 {
		t.Fatalf("after close: %d %v", status, err)
	}
}

// TestLoadCountsOnlyTheWindow: a closed loop against a server that is
// always quick measures a rate near what it completed, and an open loop
// sends at its rate.
func TestLoadCountsOnlyTheWindow(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/bad") {
			w.WriteHeader(500)
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	build := func(b []byte, seq int64) []byte {
		path := "/ok"
		if seq%10 == 0 {
			path = "/bad"
		}
		return request{method: "GET", path: path}.append(b)
	}
	open := load{addr: addr, conns: 4, rate: 200, warmup: 100 * time.Millisecond, duration: 500 * time.Millisecond, build: build}.run(context.Background())
	if n := open.ok + open.failed; n < 90 || n > 110 {
		t.Fatalf("open loop at 200/s for 0.5 s measured %d requests", n)
	}
	if open.failed == 0 || open.errs["status 500"] != open.failed {
		t.Fatalf("failures %d %v", open.failed, open.errs)
	}
	closed := load{addr: addr, conns: 2, warmup: 50 * time.Millisecond, duration: 300 * time.Millisecond, build: build}.run(context.Background())
	if closed.ok == 0 || closed.lat.count() != uint64(closed.ok) {
		t.Fatalf("closed loop: %d ok, %d latencies", closed.ok, closed.lat.count())
	}
}
