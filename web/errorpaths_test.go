package web_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestEveryErrorPathHasARemedy walks the error paths of every route, public,
// webhooks, admin, sandbox and billing, with bad bodies, bad path and query
// parameters and missing credentials, and checks each error's body: the
// documented shape, a remedy, and no Go internals in what it says.
func TestEveryErrorPathHasARemedy(t *testing.T) {
	e := newBillEnv(t, true)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	ent := e.newAccount(map[string]any{"email": "corp@example.com", "plan": "enterprise", "instance": 0})
	e.register(user)
	admin := []string{"Authorization", "Bearer " + adminToken}
	none := []string(nil)

	// Routes with a JSON body: a caller that passes authentication, a string
	// field of the body ("" if it has none), a body with a value of the
	// wrong type, and bodies that are wrong for this route in particular.
	type bodyRoute struct {
		method, path string
		auth         []string
		str          string
		wrongType    string
		bad          []string
	}
	routes := []bodyRoute{
		{"POST", "/v3/whatsapp/single/text/message/0", a.headers(), "number", `{"number":12025550108,"message":"x"}`,
			[]string{`{}`, `{"number":"12025550108"}`, `{"number":"123","message":"x"}`, `{"number":"4915199999999","message":"x"}`, `{"number":"12025550108","message":"` + strings.Repeat("x", 801) + `"}`}},
		{"POST", "/v3/whatsapp/single/image/message/0", a.headers(), "image", `{"number":"12025550108","image":[1]}`,
			[]string{`{"number":"12025550108"}`, `{"number":"12025550108","image":"%%%"}`, `{"number":"12025550108","image":"JVBERi0xLjQK"}`}},
		{"POST", "/v3/whatsapp/single/document/message/0", a.headers(), "filename", `{"number":"12025550108","document":"JVBERi0xLjQK","filename":false}`,
			[]string{`{"number":"12025550108","document":"JVBERi0xLjQK"}`, `{"number":"12025550108","filename":"a.pdf"}`, `{"number":"12025550108","document":"JVBER","filename":"a.pdf"}`}},
		{"POST", "/v3/whatsapp/single/url/message/0", a.headers(), "url", `{"number":"12025550108","url":{}}`,
			[]string{`{"number":"12025550108","url":"ftp://x"}`, `{"number":"12025550108","url":"/relative"}`}},
		{"POST", "/v3/whatsapp/group/text/message/0", a.headers(), "group_name", `{"group_name":1,"message":"x"}`,
			[]string{`{"message":"x"}`, `{"group_name":"nope","message":"x"}`, `{"group_name":"g","group_admin":"1","message":"x"}`}},
		{"POST", "/v3/whatsapp/group/image/message/0", a.headers(), "caption", `{"group_name":"g","caption":2}`, []string{`{"group_name":"nope","image":""}`}},
		{"POST", "/v3/whatsapp/group/document/message/0", a.headers(), "filename", `{"group_name":"g","filename":3}`, []string{`{"group_name":"nope"}`}},
		{"POST", "/v3/whatsapp/group/url/message/0", a.headers(), "url", `{"group_name":"g","url":4}`, []string{`{"group_name":"nope","url":"https://x.org"}`}},
		{"POST", "/v3/whatsapp/profile/0", ent.headers(), "about", `{"about":1}`,
			[]string{`{}`, `{"image":"%%%"}`, `{"image":"iVBORw0KGgo="}`, `{"about":"` + strings.Repeat("a", 140) + `"}`}},
		{"PUT", "/v3/webhook", ent.headers(), "url", `{"url":1}`,
			[]string{`{}`, `{"url":"ftp://x"}`, `{"url":"https://u:p@example.com"}`, `{"url":"https://example.com","events":["x"]}`, `{"url":"https://example.com","secret":"short"}`}},
		{"POST", "/admin/api/accounts", admin, "email", `{"email":["a@example.com"],"plan":"trial"}`,
			[]string{`{}`, `{"email":"nope","plan":"trial"}`, `{"email":"a@example.com","plan":"gold"}`, `{"email":"a@example.com","plan":"trial","instance":99}`, `{"email":"a@example.com","plan":"trial","limits":{"daily":-1}}`}},
		{"POST", "/admin/api/instances", admin, "name", `{"name":true}`, []string{`{}`}},
		{"POST", "/admin/api/instances/0/numbers", admin, "number", `{"number":15550000009}`,
			[]string{`{}`, `{"number":"+15550000009","transport":"x"}`, `{"number":"+15550000009","transport":"sim","role":"boss"}`}},
		{"POST", "/admin/api/instances/0/rotate", admin, "to", `{"to":1}`, []string{`{}`, `{"to":"x"}`, `{"to":"+15550000009"}`}},
		{"PUT", "/admin/api/numbers/+15550000001/pacing", admin, "", `{"gap_ms":"1s"}`, []string{`{"gap_ms":-1}`, `{"daily_cap":1.5}`}},
		{"POST", "/sandbox/api/inbound", none, "text", `{"from":4915100000001,"to":"+15550000001","text":"Hi"}`,
			[]string{`{}`, `{"from":"+4915100000001"}`, `{"from":"+4915100000001","to":"+4915100000002","text":"Hi"}`, `{"from":"+15550000001","to":"+15550000001","text":"Hi"}`, `{"from":"+4915100000001","to":"+15550000001"}`}},
		{"POST", "/sandbox/api/groups", none, "name", `{"name":1}`,
			[]string{`{}`, `{"name":"g"}`, `{"name":"g","admin":"+4915100000009"}`, `{"name":"g","admin":"+4915100000009","gateway":"+15550000001","members":["x"]}`}},
		{"POST", "/sandbox/api/users/+4915100000001", none, "", `{"on_whatsapp":"yes"}`, []string{`{}`}},
		{"POST", "/sandbox/api/read", none, "number", `{"number":1}`, []string{`{}`, `{"number":"+4915100000001"}`, `{"number":"+4915100000001","gateway":"+4915100000002"}`}},
		{"POST", "/sandbox/api/numbers/+15550000001/fault", admin, "kind", `{"kind":1}`, []string{`{}`, `{"kind":"melt"}`, `{"kind":"ban","seconds":-1}`}},
		{"POST", "/paypal/subscriptions", none, "offer", `{"offer":1}`, []string{`{}`, `{"offer":"gold"}`}},
		{"POST", "/paypal/webhook", none, "id", `{"id":1,"event_type":"X"}`,
			[]string{`{}`, `{"id":"WH-1","event_type":"BILLING.SUBSCRIPTION.ACTIVATED","resource":{"id":"I-1"}}`}},
		{"POST", "/api/recover", none, "email", `{"transaction_id":1,"email":"a@example.com"}`, []string{`{}`, `{"transaction_id":"T"}`, `{"transaction_id":"T","email":"nope"}`}},
		{"POST", "/admin/api/accounts/" + a.id + "/extend", admin, "", `{"days":"30"}`, []string{`{}`, `{"days":-3}`, `{"days":100000}`}},
		{"POST", "/admin/api/accounts/" + a.id + "/plan", admin, "plan", `{"plan":2}`, []string{`{}`, `{"plan":"gold"}`}},
	}

	checked := 0
	check := func(what string, r response) {
		t.Helper()
		checked++
		checkErrorShape(t, what, r)
	}
	for _, rt := range routes {
		generic := []string{"", "   ", "{", `{"a":`, "[]", `"text"`, "42", `{"a":1} {"b":2}`, `{"a":1}]`, "\xff\xfe{}", "{\"a\":\"\x00\"}", rt.wrongType}
		if rt.str != "" {
			generic = append(generic, `{"`+rt.str+`":"a\u0000b"}`)
		}
		for _, body := range generic {
			check(fmt.Sprintf("%s %s %q", rt.method, rt.path, body), e.do(rt.method, rt.path, body, rt.auth...))
		}
		for _, body := range rt.bad {
			if r := e.do(rt.method, rt.path, body, rt.auth...); r.status >= 400 {
				check(fmt.Sprintf("%s %s %s", rt.method, rt.path, body), r)
			} else {
				t.Errorf("%s %s %s: %d %s, want an error", rt.method, rt.path, body, r.status, r.raw)
			}
		}
	}

	// Bad path and query parameters, credentials and plans, on every route.
	for _, c := range []struct {
		method, path string
		headers      []string
	}{
		{"GET", "/v1/gateway/status?instance=x", none},
		{"POST", "/v3/whatsapp/single/text/message/x", a.headers()},
		{"POST", "/v3/whatsapp/single/text/message/7", a.headers()},
		{"POST", "/v3/whatsapp/single/text/message/0", none},
		{"POST", "/v3/whatsapp/group/url/message/0", []string{"X-WM-CLIENT-ID", a.id, "X-WM-CLIENT-SECRET", "wrong"}},
		{"POST", "/v3/whatsapp/profile/0", a.headers()},
		{"GET", "/v3/whatsapp/jobs/abc", a.headers()},
		{"GET", "/v3/whatsapp/jobs/99999", a.headers()},
		{"GET", "/v3/whatsapp/jobs/1", none},
		{"GET", "/v3/webhook", a.headers()},
		{"GET", "/v3/webhook", none},
		{"PUT", "/v3/webhook", a.headers()},
		{"POST", "/v3/webhook/test", a.headers()},
		{"GET", "/v3/webhook/deliveries", a.headers()},
		{"POST", "/v3/webhook/replay", a.headers()},
		{"POST", "/v3/webhook/replay", ent.headers()},
		{"POST", "/v3/account/secret", none},
		{"GET", "/admin/api/accounts", none},
		{"POST", "/admin/api/instances", []string{"Authorization", "Bearer wrong"}},
		{"POST", "/admin/api/instances/x/numbers", admin},
		{"POST", "/admin/api/instances/x/rotate", admin},
		{"DELETE", "/admin/api/numbers/abc", admin},
		{"DELETE", "/admin/api/numbers/+15550000009", admin},
		{"DELETE", "/admin/api/numbers/+15550000001", admin},
		{"GET", "/admin/api/numbers/+15550000009/pairing", admin},
		{"GET", "/admin/api/numbers/+15550000001/pairing?format=png", admin},
		{"POST", "/admin/api/numbers/+15550000009/pairing", admin},
		{"POST", "/admin/api/numbers/+15550000001/pairing/code", admin},
		{"PUT", "/admin/api/numbers/+15550000009/pacing", admin},
		{"GET", "/admin/api/events", none},
		{"GET", "/sandbox/api/messages?number=x", none},
		{"GET", "/sandbox/api/messages", none},
		{"POST", "/sandbox/api/users/x", none},
		{"POST", "/sandbox/api/numbers/+4915100000001/fault", admin},
		{"GET", "/checkout/nope", none},
		{"POST", "/admin/api/accounts/hg_nope/extend", admin},
		{"POST", "/admin/api/accounts/hg_nope/suspend", admin},
		{"POST", "/admin/api/accounts/hg_nope/resume", admin},
		{"POST", "/admin/api/accounts/hg_nope/plan", admin},
		{"GET", "/nope", none},
		{"POST", "/v3//whatsapp/single/text/message/0", a.headers()},
		{"GET", "/v3/whatsapp/single/text/message/0", a.headers()},
		{"DELETE", "/v3/whatsapp/jobs/1", a.headers()},
	} {
		body := ""
		switch {
		case strings.Contains(c.path, "/pacing"):
			body = `{"gap_ms":1}`
		case strings.Contains(c.path, "/plan"):
			body = `{"plan":"trial"}`
		case strings.Contains(c.path, "/extend"):
			body = `{"days":1}`
		case strings.Contains(c.path, "/fault"):
			body = `{"kind":"clear"}`
		case strings.Contains(c.path, "/users/"):
			body = `{"on_whatsapp":true}`
		case c.method == "PUT" && c.path == "/v3/webhook":
			body = `{"url":"https://example.com/hook"}`
		case c.method == "POST" && !strings.Contains(c.path, "/pairing") && !strings.Contains(c.path, "/secret") && !strings.Contains(c.path, "/webhook/"):
			body = `{"number":"12025550108","message":"x","to":"+15550000009","name":"x","about":"x"}`
		}
		r := e.do(c.method, c.path, body, c.headers...)
		if r.status < 400 {
			t.Errorf("%s %s: %d %s, want an error", c.method, c.path, r.status, r.raw)
			continue
		}
		check(c.method+" "+c.path, r)
	}

	// A body over the limit.
	check("body over the limit", e.do("POST", "/v3/whatsapp/single/text/message/0", `{"number":"12025550108","message":"`+strings.Repeat("x", 70<<10)+`"}`, a.headers()...))
	if checked < 300 {
		t.Fatalf("only %d error responses checked", checked)
	}
	t.Logf("%d error responses checked", checked)
}
