package web_test

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// goInternals matches what Go's own error texts and type names look like:
// none of it may reach a client.
var goInternals = regexp.MustCompile(`Go (struct|value)|json: |[Uu]nmarshal|struct field|\b(u?int(8|16|32|64)?|float(32|64))\b|\[\]string|map\[|\b[a-z]+\.[A-Z][A-Za-z]+\b|%!|<nil>|goroutine|runtime error|sendBody`)

// checkErrorShape asserts the documented error body, with a remedy and
// without Go internals.
func checkErrorShape(t *testing.T, what string, r response) {
	t.Helper()
	if r.status < 400 {
		t.Errorf("%s: status %d, want an error: %s", what, r.status, r.raw)
		return
	}
	if r.str("status") != "error" || r.body["code"] != float64(r.status) {
		t.Errorf("%s: %d in the wrong shape: %s", what, r.status, r.raw)
	}
	if r.str("message") == "" || strings.TrimSpace(r.str("remedy")) == "" {
		t.Errorf("%s: %d without message or remedy: %s", what, r.status, r.raw)
	}
	if m := goInternals.FindString(r.str("message") + " | " + r.str("remedy")); m != "" {
		t.Errorf("%s: %d shows Go internals (%q): %s", what, r.status, m, r.raw)
	}
}

// JSON errors are told in plain words that name the field and the type it
// needs, or the byte where the JSON breaks; data after the object and an
// empty body are refused; a byte order mark and any Content-Type are fine.
func TestDecodeErrorsInPlainWords(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	e.register(user, sandboxGW)
	text := "/v3/whatsapp/single/text/message/0"
	for _, c := range []struct {
		name, path, body string
		admin            bool
		want             string // in the message
	}{
		{"number as a number", text, `{"number": 12025550108, "message": "x"}`, false, "number must be a string (in double quotes), not a number"},
		{"message as a bool", text, `{"number": "12025550108", "message": true}`, false, "message must be a string (in double quotes), not true or false"},
		{"message as an object", text, `{"number": "12025550108", "message": {}}`, false, "message must be a string (in double quotes), not an object"},
		{"an array body", text, `[{"number": "12025550108"}]`, false, "the body must be a JSON object, not an array"},
		{"a string body", text, `"hello"`, false, "the body must be a JSON object, not a string"},
		{"null", text, `null`, false, "the body must be a JSON object, not null"},
		{"empty body", text, ``, false, "the body is empty"},
		{"blank body", text, " \r\n\t", false, "the body is empty"},
		{"cut short", text, `{"number":`, false, "malformed JSON: the body ends at byte 10"},
		{"missing colon", text, `{"number" "x"}`, false, "malformed JSON at byte 10: invalid character '\"' after object key"},
		{"trailing object", text, `{"number":"12025550108","message":"api: x"} {"a":1}`, false, "unexpected data after the object, at byte 44"},
		{"trailing brace", text, `{"number":"12025550108","message":"api: x"}}`, false, "unexpected data after the object, at byte 43"},
		{"negative instance", "/admin/api/accounts", `{"email":"a@example.com","plan":"trial","instance":-1}`, true, "instance must be a whole number, 0 or more, not the number -1"},
		{"nested field", "/admin/api/accounts", `{"email":"a@example.com","plan":"trial","limits":{"daily":"5"}}`, true, "limits.daily must be a whole number, not a string"},
		{"an untagged field", "/sandbox/api/inbound", `{"From":4915100000001,"to":"+15550000001","text":"Hi"}`, false, "from must be a string (in double quotes), not a number"},
		{"members of numbers", "/sandbox/api/groups", `{"name":"g","admin":"4915100000009","gateway":"+15550000001","members":[4915100000001]}`, false, "members must be an array of strings; an item is a number"},
	} {
		t.Run(c.name, func(t *testing.T) {
			headers := a.headers()
			if c.admin {
				headers = []string{"Authorization", "Bearer " + adminToken}
			}
			r := e.do("POST", c.path, c.body, headers...)
			checkErrorShape(t, c.name, r)
			if r.status != 400 || !strings.Contains(r.str("message"), c.want) {
				t.Fatalf("got %d %s, want 400 with %q", r.status, r.raw, c.want)
			}
		})
	}
	// A byte order mark is ignored; the Content-Type does not matter.
	for _, c := range []struct{ name, body, contentType string }{
		{"BOM", "\xef\xbb\xbf" + `{"number":"12025550108","message":"api: with a BOM"}`, "application/json"},
		{"form content type", `{"number":"12025550108","message":"api: as a form"}`, "application/x-www-form-urlencoded"},
		{"text content type", `{"number":"12025550108","message":"api: as text"}`, "text/plain"},
	} {
		if r := e.do("POST", text, c.body, append(a.headers(), "Content-Type", c.contentType)...); r.status != 200 {
			t.Errorf("%s: %d %s", c.name, r.status, r.raw)
		}
	}
}

// NUL bytes and invalid UTF-8 are a 400 in every JSON body: the raw body is
// checked once, and every string field after decoding ("\u0000" escapes).
func TestNULAndInvalidUTF8AreRefusedEverywhere(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	ent := e.newAccount(map[string]any{"email": "corp@example.com", "plan": "enterprise"}) // a dedicated instance
	e.register(user, sandboxGW)
	if r := e.do("POST", "/sandbox/api/groups", map[string]any{"name": "Book club", "admin": "+4915100000009", "members": []string{user}, "gateway": sandboxGW}); r.status != 200 {
		t.Fatalf("group: %d %s", r.status, r.raw)
	}
	pdf := base64.StdEncoding.EncodeToString(pdfBytes)
	admin := []string{"Authorization", "Bearer " + adminToken}
	for _, c := range []struct {
		name, path, body string
		headers          []string
		want             string
	}{
		{"NUL escape in message", "/v3/whatsapp/single/text/message/0", `{"number":"12025550108","message":"api: a\u0000b"}`, a.headers(), "message contains a NUL character"},
		{"NUL byte in message", "/v3/whatsapp/single/text/message/0", "{\"number\":\"12025550108\",\"message\":\"api: a\x00b\"}", a.headers(), "the body contains a NUL byte at byte 41"},
		{"Latin-1 in message", "/v3/whatsapp/single/text/message/0", "{\"number\":\"12025550108\",\"message\":\"api: caf\xe9\"}", a.headers(), "the body is not valid UTF-8 (at byte 43)"},
		{"invalid UTF-8 outside strings", "/v3/whatsapp/single/text/message/0", "{\"number\":\"12025550108\",\"message\":\"api: x\"}\xff", a.headers(), "not valid UTF-8 (at byte 43)"},
		{"NUL in caption", "/v3/whatsapp/single/document/message/0", `{"number":"12025550108","document":"` + pdf + `","filename":"a.pdf","caption":"\u0000"}`, a.headers(), "caption contains a NUL character"},
		{"NUL in filename", "/v3/whatsapp/single/document/message/0", `{"number":"12025550108","document":"` + pdf + `","filename":"a\u0000.pdf"}`, a.headers(), "filename contains a NUL character"},
		{"NUL in group name", "/v3/whatsapp/group/text/message/0", `{"group_name":"Book club\u0000","message":"api: x"}`, a.headers(), "group_name contains a NUL character"},
		{"NUL in url", "/v3/whatsapp/single/url/message/0", `{"number":"12025550108","url":"https://example.com/\u0000"}`, a.headers(), "url contains a NUL character"},
		{"NUL in profile about", fmt.Sprintf("/v3/whatsapp/profile/%d", e.instanceOf(ent)), `{"about":"hi\u0000"}`, ent.headers(), "about contains a NUL character"},
		{"NUL in webhook token", "/v3/webhook", `{"url":"https://example.com/hook","token":"t\u0000k"}`, ent.headers(), "token contains a NUL character"},
		{"NUL in sandbox text", "/sandbox/api/inbound", `{"from":"+4915100000001","to":"+15550000001","text":"Hi\u0000"}`, nil, "text contains a NUL character"},
		{"NUL in sandbox member", "/sandbox/api/groups", `{"name":"g","admin":"+4915100000009","gateway":"+15550000001","members":["\u0000"]}`, nil, "members contains a NUL character"},
		{"NUL in instance name", "/admin/api/instances", `{"name":"shop\u0000"}`, admin, "name contains a NUL character"},
		{"invalid UTF-8 in instance name", "/admin/api/instances", "{\"name\":\"\xc3\x28\"}", admin, "the body is not valid UTF-8 (at byte 9)"},
		{"NUL in e-mail", "/admin/api/accounts", `{"email":"dev@example.com\u0000","plan":"trial"}`, admin, "email contains a NUL character"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do("POST", c.path, c.body, c.headers...)
			if c.path == "/v3/webhook" {
				r = e.do("PUT", c.path, c.body, c.headers...)
			}
			checkErrorShape(t, c.name, r)
			if r.status != 400 || !strings.Contains(r.str("message"), c.want) {
				t.Fatalf("got %d %s, want 400 with %q", r.status, r.raw, c.want)
			}
		})
	}
	if got := e.net.Messages(user); len(got) != 1 { // the confirmation only
		t.Fatalf("%s received %+v", user, got)
	}
}

// Names, e-mail addresses, file names and tokens have length limits; a
// value at the limit passes, one over it is a 400 that names the limit.
func TestFieldLengthLimits(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	ent := e.newAccount(map[string]any{"email": "corp@example.com", "plan": "enterprise"}) // a dedicated instance
	e.register(user, sandboxGW)
	pdf := base64.StdEncoding.EncodeToString(pdfBytes)
	admin := []string{"Authorization", "Bearer " + adminToken}
	members := make([]string, 1025)
	for i := range members {
		members[i] = fmt.Sprintf("+49151%08d", i)
	}
	long := func(n int) string { return strings.Repeat("é", n) } // characters, not bytes
	for _, c := range []struct {
		name, method, path string
		body               any
		headers            []string
		status             int
		want               string
	}{
		{"instance name at the limit", "POST", "/admin/api/instances", map[string]string{"name": long(100)}, admin, 200, ""},
		{"instance name over the limit", "POST", "/admin/api/instances", map[string]string{"name": long(101)}, admin, 400, "name is 101 characters long, over the limit of 100"},
		{"group name over the limit", "POST", "/v3/whatsapp/group/text/message/0", map[string]string{"group_name": long(101), "message": "x"}, a.headers(), 400, "group_name is 101 characters long, over the limit of 100"},
		{"sandbox group name over the limit", "POST", "/sandbox/api/groups", map[string]any{"name": long(101), "admin": "+4915100000009", "gateway": sandboxGW}, nil, 400, "name is 101 characters long"},
		{"too many members", "POST", "/sandbox/api/groups", map[string]any{"name": "big", "admin": "+4915100000009", "gateway": sandboxGW, "members": members}, nil, 400, "members has 1025 items, over the limit of 1024"},
		{"filename at the limit", "POST", "/v3/whatsapp/single/document/message/0", map[string]string{"number": user, "document": pdf, "filename": strings.Repeat("a", 251) + ".pdf"}, a.headers(), 200, ""},
		{"filename over the limit", "POST", "/v3/whatsapp/single/document/message/0", map[string]string{"number": user, "document": pdf, "filename": strings.Repeat("é", 126) + ".pdf"}, a.headers(), 400, "filename is 256 bytes long, over the limit of 255"},
		{"e-mail over the limit", "POST", "/admin/api/accounts", map[string]string{"email": strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com", "plan": "trial"}, admin, 400, "email is 255 bytes long, over the limit of 254"},
		{"webhook token over the limit", "PUT", "/v3/webhook", map[string]string{"url": "https://example.com/hook", "token": strings.Repeat("t", 201)}, ent.headers(), 400, "token is 201 characters long, over the limit of 200"},
		{"webhook secret over the limit", "PUT", "/v3/webhook", map[string]string{"url": "https://example.com/hook", "secret": strings.Repeat("s", 201)}, ent.headers(), 400, "secret is 201 characters long"},
		{"webhook url over the limit", "PUT", "/v3/webhook", map[string]string{"url": "https://example.com/" + strings.Repeat("p", 2029)}, ent.headers(), 400, "url is 2049 characters long, over the limit of 2048"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.method, c.path, c.body, c.headers...)
			if r.status != c.status || !strings.Contains(r.str("message"), c.want) {
				t.Fatalf("got %d %s, want %d with %q", r.status, r.raw, c.status, c.want)
			}
			if c.status != 200 {
				checkErrorShape(t, c.name, r)
			}
		})
	}
}

// E-mail addresses are validated wherever one is accepted: a bare address
// with a domain that has a dot; a bad one creates nothing.
func TestEmailAddressesAreValidated(t *testing.T) {
	e := newBillEnv(t, true)
	before, _ := e.store.Instances()
	for _, addr := range []string{
		"", "dev", "dev@", "@example.com", "dev@localhost", "dev@example", "dev@.example.com", "dev@example.com.",
		"Dev <dev@example.com>", "<dev@example.com>", "dev@example.com (home)", "dev@[192.0.2.1]", "dev@example.com, eve@example.com",
		"dev@@example.com", "dev example@example.com", "dev@exa mple.com", strings.Repeat("a", 65) + "@example.com",
	} {
		r := e.admin("POST", "/admin/api/accounts", map[string]string{"email": addr, "plan": "enterprise"})
		checkErrorShape(t, fmt.Sprintf("create with %q", addr), r)
		if r.status != 400 || !strings.Contains(r.str("message"), "email") {
			t.Errorf("create with %q: %d %s, want 400 naming email", addr, r.status, r.raw)
		}
		r = e.do("POST", "/api/recover", map[string]string{"transaction_id": "TX-1", "email": addr})
		if r.status != 400 || !strings.Contains(r.str("message"), "email") {
			t.Errorf("recover with %q: %d %s, want 400 naming email", addr, r.status, r.raw)
		}
	}
	if after, _ := e.store.Instances(); len(after) != len(before) {
		t.Fatalf("refused Enterprise accounts left %d dedicated instances", len(after)-len(before))
	}
	for _, addr := range []string{"dev@example.com", " dev@example.com ", "o'neil+tag@mail.example.co.uk", "δοκιμή@παράδειγμα.ελ"} {
		r := e.admin("POST", "/admin/api/accounts", map[string]string{"email": addr, "plan": "trial"})
		if r.status != 200 {
			t.Errorf("create with %q: %d %s", addr, r.status, r.raw)
			continue
		}
		if acct, err := e.store.Account(r.str("client_id")); err != nil || acct.Email != strings.TrimSpace(addr) {
			t.Errorf("stored %q for %q (%v)", acct.Email, addr, err)
		}
	}
	if r := e.do("POST", "/api/recover", map[string]string{"transaction_id": strings.Repeat("T", 101), "email": "dev@example.com"}); r.status != 400 ||
		!strings.Contains(r.str("message"), "transaction_id is 101 characters long") {
		t.Fatalf("long transaction ID: %d %s", r.status, r.raw)
	}
	if r := e.do("POST", "/api/recover", map[string]string{"transaction_id": "TX-1", "email": "dev@example.com"}); r.status != 202 {
		t.Fatalf("valid recovery request: %d %s", r.status, r.raw)
	}
	e.billing.Wait()
}

// A gateway number cannot greet a gateway number through the sandbox: not
// itself, not another of ours.
func TestGatewayNumberCannotGreetAGatewayNumber(t *testing.T) {
	e := newEnv(t)
	const standby = "+15550000002"
	if r := e.admin("POST", "/admin/api/instances/0/numbers", map[string]string{"number": standby, "transport": "sim", "role": "standby"}); r.status != 200 {
		t.Fatalf("add standby: %d %s", r.status, r.raw)
	}
	for _, from := range []string{sandboxGW, standby, "15550000001"} {
		r := e.do("POST", "/sandbox/api/inbound", map[string]string{"from": from, "to": sandboxGW, "text": "Hi"})
		checkErrorShape(t, "greeting from "+from, r)
		if r.status != 400 || !strings.Contains(r.str("message"), "is a gateway number") {
			t.Fatalf("greeting from %s: %d %s, want 400", from, r.status, r.raw)
		}
	}
	e.register(user, sandboxGW) // a user still registers, and after it the refused ones are surely not in flight
	for _, from := range []string{sandboxGW, standby} {
		if reg, err := e.store.Registration(sandboxGW, from); err == nil {
			t.Fatalf("gateway number %s registered: %+v", from, reg)
		}
	}
}

// instanceOf is the instance of account a.
func (e *env) instanceOf(a account) uint64 {
	e.t.Helper()
	acct, err := e.store.Account(a.id)
	if err != nil {
		e.t.Fatal(err)
	}
	return acct.Instance
}
