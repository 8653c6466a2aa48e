package web_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"higate/registry"
)

// TestEveryErrorCode produces each code of DESIGN.md's table from its cause
// and checks the documented body: status, code, message and remedy.
func TestEveryErrorCode(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	capped := e.newAccount(map[string]any{"email": "capped@example.com", "plan": "trial", "limits": map[string]int{"daily": 1, "recipients": 1}})
	e.register(user, sandboxGW)
	e.register("+4915112345678", sandboxGW)
	if r := e.send(capped, "/v3/whatsapp/single/text/message/0", map[string]any{"number": user, "message": "api: one"}); r.status != 200 {
		t.Fatalf("capped first send: %d %s", r.status, r.raw)
	}
	big := base64.StdEncoding.EncodeToString(make([]byte, 2<<20+1))
	suspended := e.newAccount(map[string]any{"email": "s@example.com", "plan": "trial"})
	if _, err := e.store.UpdateAccount(suspended.id, func(acc *registry.Account) error { acc.Status = "suspended"; return nil }); err != nil {
		t.Fatal(err)
	}
	text := "/v3/whatsapp/single/text/message/0"
	for _, c := range []struct {
		name string
		acct account
		path string
		body any
		code int
		want string // in message or remedy
	}{
		{"malformed JSON", a, text, `{"number":`, 400, "malformed JSON"},
		{"missing field", a, text, map[string]any{"number": user}, 400, "message"},
		{"text over the limit", a, text, map[string]any{"number": user, "message": strings.Repeat("é", 801)}, 400, "800"},
		{"bad base64", a, "/v3/whatsapp/single/image/message/0", map[string]any{"number": user, "image": "%%%"}, 400, "base64"},
		{"missing filename", a, "/v3/whatsapp/single/document/message/0", map[string]any{"number": user, "document": "JVBERg=="}, 400, "filename"},
		{"bad url", a, "/v3/whatsapp/single/url/message/0", map[string]any{"number": user, "url": "ftp://x"}, 400, "http"},
		{"unknown group", a, "/v3/whatsapp/group/text/message/0", map[string]any{"group_name": "nope", "message": "x"}, 404, "nope"},
		{"image over 2 MB", a, "/v3/whatsapp/single/image/message/0", map[string]any{"number": user, "image": big}, 413, "2 MB"},
		{"body over the limit", a, text, map[string]any{"number": user, "message": strings.Repeat("x", 70<<10)}, 413, "too large"},
		{"window used up", capped, text, map[string]any{"number": user, "message": "api: two"}, 469, "window"},
		{"empty image", a, "/v3/whatsapp/single/image/message/0", map[string]any{"number": user, "image": ""}, 470, "empty"},
		{"empty document", a, "/v3/whatsapp/single/document/message/0", map[string]any{"number": user, "document": "", "filename": "a.pdf"}, 470, "empty"},
		{"invalid number", a, text, map[string]any{"number": "12345", "message": "x"}, 471, "country code"},
		{"not registered", a, text, map[string]any{"number": "+4915199999999", "message": "x"}, 472, "wa.me/15550000001"},
		{"recipient cap", capped, "/v3/whatsapp/single/text/message/0", map[string]any{"number": "+4915112345678", "message": "x"}, 473, "upgrade"},
		{"bad secret", account{a.id, "wrong"}, text, map[string]any{"number": user, "message": "x"}, 474, "typos"},
		{"unknown client", account{"nobody", "x"}, text, map[string]any{"number": user, "message": "x"}, 474, "typos"},
		{"other instance", a, "/v3/whatsapp/single/text/message/7", map[string]any{"number": user, "message": "x"}, 474, "instance 0"},
		{"suspended", suspended, text, map[string]any{"number": user, "message": "x"}, 474, "suspended"},
		{"profile not in plan", a, "/v3/whatsapp/profile/0", map[string]any{"about": "hi"}, 475, "upgrade"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var r response
			if s, ok := c.body.(string); ok {
				r = e.do("POST", c.path, s, c.acct.headers()...)
			} else {
				r = e.send(c.acct, c.path, c.body)
			}
			if r.status != c.code || r.body["code"] != float64(c.code) || r.str("status") != "error" {
				t.Fatalf("got %d %s, want %d", r.status, r.raw, c.code)
			}
			if r.str("message") == "" || r.str("remedy") == "" && c.code != 404 {
				t.Fatalf("message/remedy missing: %s", r.raw)
			}
			if !strings.Contains(r.str("message")+" "+r.str("remedy"), c.want) {
				t.Fatalf("%q not in %s", c.want, r.raw)
			}
		})
	}

	// 503: the instance's only number is banned, so nothing can be sent.
	e.admin("POST", "/sandbox/api/numbers/"+sandboxGW+"/fault", map[string]any{"kind": "ban"})
	e.eventually("instance down", func() bool { return e.do("GET", "/v1/gateway/status?instance=0", nil).str("status") == "down" })
	r := e.send(a, text, map[string]any{"number": user, "message": "x"})
	if r.status != 503 || r.str("remedy") == "" {
		t.Fatalf("banned instance: %d %s", r.status, r.raw)
	}
	if got := e.do("GET", "/v1/gateway/status", nil); got.str("status") != "up" {
		t.Fatalf("server status %s", got.raw)
	}
	if r := e.do("GET", "/admin/api/instances", nil); r.status != 401 {
		t.Fatalf("admin without token: %d", r.status)
	}
}
