package web_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestHealthAndReadiness(t *testing.T) {
	e := newEnv(t)
	if r := e.do("GET", "/healthz", nil); r.status != 200 || r.str("status") != "ok" {
		t.Errorf("healthz: %d %s", r.status, r.raw)
	}
	e.eventually("ready", func() bool { return e.do("GET", "/readyz", nil).status == 200 })
	for _, path := range []string{"/healthz", "/readyz"} {
		req, _ := http.NewRequest("HEAD", e.srv.URL+path, nil)
		resp, err := e.srv.Client().Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("HEAD %s: %v %v", path, resp, err)
		}
		if resp != nil {
			resp.Body.Close()
		}
	}
	// The only number banned: alive, but not ready, and it says why.
	if r := e.admin("POST", "/sandbox/api/numbers/%2B15550000001/fault", map[string]any{"kind": "ban"}); r.status != 200 {
		t.Fatalf("ban: %d %s", r.status, r.raw)
	}
	var r response
	e.eventually("not ready", func() bool { r = e.do("GET", "/readyz", nil); return r.status == 503 })
	if !strings.Contains(r.raw, "no instance has a connected active number") || r.str("status") != "not ready" {
		t.Errorf("readyz after the ban: %s", r.raw)
	}
	if r := e.do("GET", "/healthz", nil); r.status != 200 {
		t.Errorf("healthz after the ban: %d", r.status)
	}
}
