package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// raw sends a request without following redirects, so a 301 shows as one.
func (e *env) raw(method, path, body string, headers ...string) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := *e.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

// A 405 says which methods the route has, in an Allow header.
func TestMethodNotAllowedCarriesAllow(t *testing.T) {
	e := newEnv(t)
	admin := []string{"Authorization", "Bearer " + adminToken}
	for _, c := range []struct{ method, path, allow string }{
		{"GET", "/v3/whatsapp/single/text/message/0", "POST"},
		{"PUT", "/v3/whatsapp/group/image/message/0", "POST"},
		{"HEAD", "/v3/webhook/test", "POST"},
		{"POST", "/v3/whatsapp/jobs/1", "GET, HEAD, DELETE"},
		{"POST", "/v3/whatsapp/jobs", "GET, HEAD"},
		{"DELETE", "/v3/webhook", "GET, HEAD, PUT"},
		{"PATCH", "/admin/api/accounts", "GET, HEAD, POST"},
		{"PUT", "/admin/api/numbers/+15550000001/pairing", "GET, HEAD, POST"},
		{"GET", "/admin/api/numbers/+15550000001", "DELETE"},
		{"OPTIONS", "/v1/gateway/status", "GET, HEAD"},
		{"POST", "/sandbox/api/messages", "GET, HEAD"},
	} {
		resp, body := e.raw(c.method, c.path, "", admin...)
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != c.allow {
			t.Errorf("%s %s: %d Allow %q, want 405 Allow %q", c.method, c.path, resp.StatusCode, resp.Header.Get("Allow"), c.allow)
			continue
		}
		if c.method == "HEAD" {
			if len(body) != 0 {
				t.Errorf("HEAD %s: body %q", c.path, body)
			}
			continue
		}
		r := response{status: resp.StatusCode, raw: string(body)}
		_ = json.Unmarshal(body, &r.body)
		checkErrorShape(t, c.method+" "+c.path, r)
		if !strings.Contains(r.str("remedy"), strings.Split(c.allow, ", ")[0]) {
			t.Errorf("%s %s: remedy %q does not name the methods", c.method, c.path, r.str("remedy"))
		}
	}
}

// Every GET route answers HEAD: the same status and headers, no body.
func TestEveryGETRouteAnswersHEAD(t *testing.T) {
	e := newBillEnv(t, true)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	ent := e.newAccount(map[string]any{"email": "corp@example.com", "plan": "enterprise", "instance": 0})
	e.register(user)
	job := e.send(a, "/v3/whatsapp/single/text/message/0", map[string]string{"number": user, "message": "api: x"}).str("id")
	admin := []string{"Authorization", "Bearer " + adminToken}
	for _, c := range []struct {
		path    string
		headers []string
	}{
		{"/v1/gateway/status", nil},
		{"/v1/gateway/status?instance=0", nil},
		{"/v3/whatsapp/jobs/" + job, a.headers()},
		{"/v3/whatsapp/jobs/999", a.headers()},
		{"/v3/webhook", ent.headers()},
		{"/v3/webhook/deliveries", ent.headers()},
		{"/v3/webhook", a.headers()},
		{"/admin/api/accounts", admin},
		{"/admin/api/instances", admin},
		{"/admin/api/instances", nil},
		{"/admin/api/numbers/+15550000001/pairing", admin},
		{"/admin/api/events", admin},
		{"/admin/pair", nil},
		{"/sandbox/api/messages?number=%2B12025550108", nil},
		{"/checkout/trial", nil},
		{"/checkout/nope", nil},
		{"/checkout/return?ref=chk_unknown", nil},
	} {
		get, getBody := e.raw("GET", c.path, "", c.headers...)
		head, headBody := e.raw("HEAD", c.path, "", c.headers...)
		if head.StatusCode != get.StatusCode || len(headBody) != 0 {
			t.Errorf("HEAD %s: %d with %d bytes; GET: %d", c.path, head.StatusCode, len(headBody), get.StatusCode)
			continue
		}
		if head.Header.Get("Content-Type") != get.Header.Get("Content-Type") {
			t.Errorf("HEAD %s: Content-Type %q, GET %q", c.path, head.Header.Get("Content-Type"), get.Header.Get("Content-Type"))
		}
		if cl := head.Header.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(getBody)) && !strings.Contains(c.path, "jobs/"+job) {
			// A job's status may change between the two requests.
			t.Errorf("HEAD %s: Content-Length %s, GET body %d bytes", c.path, cl, len(getBody))
		}
	}
}

// A POST to a path with empty, . or .. segments is not redirected (a client
// would re-send it as a GET without its body): it is a 404 in the
// documented shape, naming the clean path, and nothing is sent.
func TestUncleanPathIsNotRedirected(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	e.register(user, sandboxGW)
	body := `{"number":"12025550108","message":"api: unclean"}`
	for _, p := range []string{
		"/v3//whatsapp/single/text/message/0",
		"//v3/whatsapp/single/text/message/0",
		"/v3/whatsapp/./single/text/message/0",
		"/v3/whatsapp/single/../single/text/message/0",
		"/v3/whatsapp/single/text/message//0",
	} {
		resp, data := e.raw("POST", p, body, a.headers()...)
		r := response{status: resp.StatusCode, raw: string(data)}
		_ = json.Unmarshal(data, &r.body)
		if resp.StatusCode != 404 || resp.Header.Get("Location") != "" {
			t.Errorf("POST %s: %d Location %q, want 404 and no redirect: %s", p, resp.StatusCode, resp.Header.Get("Location"), data)
			continue
		}
		checkErrorShape(t, "POST "+p, r)
		if !strings.Contains(r.str("remedy"), "/v3/whatsapp/single/text/message/0") {
			t.Errorf("POST %s: the remedy does not name the clean path: %s", p, data)
		}
	}
	if resp, _ := e.raw("GET", "/v1//gateway/status", ""); resp.StatusCode != 404 {
		t.Errorf("GET with an empty segment: %d, want 404", resp.StatusCode)
	}
	if jobs, _ := e.store.Jobs(a.id); len(jobs) != 0 {
		t.Fatalf("%d jobs queued from unclean paths", len(jobs))
	}
	if r := e.do("POST", "/v3/whatsapp/single/text/message/0", body, a.headers()...); r.status != 200 {
		t.Fatalf("the clean path: %d %s", r.status, r.raw)
	}
}
