package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"higate/registry"
	"higate/web"
)

// TestAdminAuth: the admin API answers a missing or wrong token with 401
// and a Bearer challenge (not the public API's 474), in the documented
// error shape; a server without a token says its admin API is off.
func TestAdminAuth(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		name, auth, challenge string
	}{
		{"no token", "", `Bearer realm="higate admin"`},
		{"wrong token", "Bearer not-the-token-at-all", `Bearer realm="higate admin", error="invalid_token"`},
		{"not bearer", "Basic " + adminToken, `Bearer realm="higate admin"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do("GET", "/admin/api/instances", nil, "Authorization", c.auth)
			if r.status != 401 || r.header.Get("WWW-Authenticate") != c.challenge {
				t.Fatalf("%d %q %s", r.status, r.header.Get("WWW-Authenticate"), r.raw)
			}
			if r.str("status") != "error" || r.body["code"] != float64(401) || !strings.Contains(r.str("remedy"), "Authorization: Bearer") {
				t.Fatalf("body %s", r.raw)
			}
		})
	}
	if r := e.admin("GET", "/admin/api/instances", nil); r.status != 200 {
		t.Fatalf("with the token: %d %s", r.status, r.raw)
	}

	off := httptest.NewServer(web.NewServer(web.Deps{Store: e.store, Gateway: e.gw, Sim: e.net}))
	defer off.Close()
	for _, auth := range []string{"", "Bearer " + adminToken} {
		r := e.doURL(off.URL, "GET", "/admin/api/instances", nil, "Authorization", auth)
		if r.status != 404 || !strings.Contains(r.str("message"), "admin API is off") ||
			!strings.Contains(r.str("remedy"), "--admin-token-file") || !strings.Contains(r.str("remedy"), "HIGATE_ADMIN_TOKEN") {
			t.Fatalf("admin API off, auth %q: %d %s", auth, r.status, r.raw)
		}
	}
}

// TestAddActiveBesideActive: a second active number is refused with 409
// and the way to do it; the instance keeps its number. An instance with no
// active number takes one.
func TestAddActiveBesideActive(t *testing.T) {
	e := newEnv(t)
	r := e.admin("POST", "/admin/api/instances/0/numbers", map[string]string{"number": "+15550000002", "transport": "sim", "role": "active"})
	if r.status != 409 || !strings.Contains(r.str("remedy"), "add it as standby, then rotate") {
		t.Fatalf("second active: %d %s", r.status, r.raw)
	}
	if n, _ := e.store.ActiveNumber(0); n.Number != sandboxGW {
		t.Fatalf("active is %s", n.Number)
	}
	ins := e.admin("GET", "/admin/api/instances", nil)
	if strings.Contains(ins.raw, "+15550000002") {
		t.Fatalf("refused number listed: %s", ins.raw)
	}
	// As standby it is fine, and a rotation makes it active.
	if r := e.admin("POST", "/admin/api/instances/0/numbers", map[string]string{"number": "+15550000002", "transport": "sim", "role": "standby"}); r.status != 200 {
		t.Fatalf("standby: %d %s", r.status, r.raw)
	}
	e.eventually("standby connected", func() bool { n, _ := e.store.Number("+15550000002"); return n.State == registry.StateStandby })
	if r := e.admin("POST", "/admin/api/instances/0/rotate", map[string]string{"to": "+15550000002"}); r.status != 200 || r.str("active") != "+15550000002" {
		t.Fatalf("rotate: %d %s", r.status, r.raw)
	}

	in := e.admin("POST", "/admin/api/instances", map[string]string{"name": "fresh"})
	path := fmt.Sprintf("/admin/api/instances/%v/numbers", in.body["id"])
	if r := e.admin("POST", path, map[string]string{"number": "+15550000003", "transport": "sim", "role": "active"}); r.status != 200 || r.str("role") != "active" {
		t.Fatalf("first active number: %d %s", r.status, r.raw)
	}
}

// TestRotateNeedsTo: a rotation without "to" is a 400 that says what to give.
func TestRotateNeedsTo(t *testing.T) {
	e := newEnv(t)
	for _, body := range []any{map[string]any{}, map[string]string{"to": ""}} {
		r := e.admin("POST", "/admin/api/instances/0/rotate", body)
		if r.status != 400 || r.body["code"] != float64(400) || !strings.Contains(r.str("message"), "to") || !strings.Contains(r.str("remedy"), "standby") {
			t.Fatalf("rotate %v: %d %s", body, r.status, r.raw)
		}
	}
	if n, _ := e.store.ActiveNumber(0); n.Number != sandboxGW {
		t.Fatalf("active is %s", n.Number)
	}
}

// TestPartialPacing: a PUT of one pacing field changes only that field and
// answers with the whole pacing; bad values and empty bodies are 400s.
func TestPartialPacing(t *testing.T) {
	e := newEnv(t)
	path := "/admin/api/numbers/" + sandboxGW + "/pacing"
	if r := e.admin("PUT", path, map[string]any{"gap_ms": 2000, "jitter_ms": 500, "daily_cap": 1000}); r.status != 200 {
		t.Fatalf("full: %d %s", r.status, r.raw)
	}
	r := e.admin("PUT", path, map[string]any{"daily_cap": 250})
	if r.status != 200 || r.body["gap_ms"] != float64(2000) || r.body["jitter_ms"] != float64(500) || r.body["daily_cap"] != float64(250) || r.str("number") != sandboxGW {
		t.Fatalf("partial: %d %s", r.status, r.raw)
	}
	n, _ := e.store.Number(sandboxGW)
	if want := (registry.Pacing{Gap: 2e9, Jitter: 5e8, DailyCap: 250}); n.Pacing != want {
		t.Fatalf("stored %+v, want %+v", n.Pacing, want)
	}
	if r := e.admin("PUT", path, map[string]any{"gap_ms": 0}); r.status != 200 || r.body["gap_ms"] != float64(0) || r.body["daily_cap"] != float64(250) {
		t.Fatalf("zero gap: %d %s", r.status, r.raw)
	}
	for _, c := range []struct {
		path string
		body any
		want int
	}{
		{path, map[string]any{}, 400},
		{path, map[string]any{"gap_ms": -1}, 400},
		{path, map[string]any{"jitter_ms": 90_000_000_000}, 400},
		{path, map[string]any{"daily_cap": -5}, 400},
		{"/admin/api/numbers/+15559999999/pacing", map[string]any{"daily_cap": 5}, 404},
	} {
		if r := e.admin("PUT", c.path, c.body); r.status != c.want || r.str("remedy") == "" {
			t.Errorf("%s %v: %d %s", c.path, c.body, r.status, r.raw)
		}
	}
	if n2, _ := e.store.Number(sandboxGW); n2.Pacing.DailyCap != 250 || n2.Pacing.Jitter != 5e8 {
		t.Fatalf("a refused change changed %+v", n2.Pacing)
	}
}

// TestInstanceStatus: an instance is up while its active number is
// connected or reconnecting, down when it is banned or has no active
// number, and an unknown instance is a 404.
func TestInstanceStatus(t *testing.T) {
	e := newEnv(t)
	status := func(q string) response { return e.do("GET", "/v1/gateway/status?instance="+q, nil) }
	if r := status("0"); r.status != 200 || r.str("status") != "up" {
		t.Fatalf("up: %d %s", r.status, r.raw)
	}
	r := status("99")
	if r.status != 404 || r.str("status") != "error" || r.body["code"] != float64(404) || r.str("remedy") == "" || !strings.Contains(r.str("message"), "99") {
		t.Fatalf("unknown instance: %d %s", r.status, r.raw)
	}
	in := e.admin("POST", "/admin/api/instances", map[string]string{"name": "empty"})
	if r := status(fmt.Sprint(in.body["id"])); r.status != 200 || r.str("status") != "down" {
		t.Fatalf("no number: %d %s", r.status, r.raw)
	}

	e.admin("POST", "/sandbox/api/numbers/"+sandboxGW+"/fault", map[string]any{"kind": "disconnect"})
	e.eventually("disconnected", func() bool { n, _ := e.store.Number(sandboxGW); return n.State == registry.StateDisconnected })
	if r := status("0"); r.str("status") != "up" {
		t.Fatalf("reconnecting: %s", r.raw)
	}
	e.admin("POST", "/sandbox/api/numbers/"+sandboxGW+"/fault", map[string]any{"kind": "temp_ban"})
	e.eventually("temp banned", func() bool { n, _ := e.store.Number(sandboxGW); return n.State == registry.StateTempBanned })
	if r := status("0"); r.str("status") != "down" {
		t.Fatalf("temporarily banned: %s", r.raw)
	}
	if ins := e.admin("GET", "/admin/api/instances", nil); !strings.Contains(ins.raw, `"up":false`) {
		t.Fatalf("admin listing disagrees: %s", ins.raw)
	}
	e.admin("POST", "/sandbox/api/numbers/"+sandboxGW+"/fault", map[string]any{"kind": "clear"})
	e.eventually("back", func() bool { return status("0").str("status") == "up" })
	e.admin("POST", "/sandbox/api/numbers/"+sandboxGW+"/fault", map[string]any{"kind": "ban"})
	e.eventually("banned", func() bool { return status("0").str("status") == "down" })
}

// doURL is env.do against another server, e.g. one built with other Deps.
func (e *env) doURL(base, method, path string, body any, headers ...string) response {
	e.t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, base+path, bytes.NewReader(data))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &out.body)
	return out
}
