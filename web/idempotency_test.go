package web_test

import (
	"strings"
	"testing"
)

// An Idempotency-Key returns the original job, marked Idempotent-Replayed,
// for the same request (however its JSON is written), and is a 409 for a
// different body or endpoint.
func TestIdempotencyKeyReplaysOnlyTheSameRequest(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	e.register(user, sandboxGW)
	text := "/v3/whatsapp/single/text/message/0"
	key := []string{"Idempotency-Key", "order-42"}

	first := e.send(a, text, `{"number":"12025550108","message":"api: your order shipped"}`, key...)
	if first.status != 200 || first.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("first: %d %v %s", first.status, first.header, first.raw)
	}
	for _, body := range []string{
		`{"number":"12025550108","message":"api: your order shipped"}`,
		// The same request, written another way: order, spacing, number format.
		`{ "message": "api: your order shipped", "number": "+1 (202) 555-0108" }`,
	} {
		r := e.send(a, text, body, key...)
		if r.status != 200 || r.str("id") != first.str("id") || r.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry %s: %d %v %s, want job %s replayed", body, r.status, r.header, r.raw, first.str("id"))
		}
	}
	for _, c := range []struct{ name, path, body string }{
		{"another message", text, `{"number":"12025550108","message":"api: your order is late"}`},
		{"another number", text, `{"number":"4915112345678","message":"api: your order shipped"}`},
		{"another endpoint", "/v3/whatsapp/single/url/message/0", `{"number":"12025550108","url":"https://example.com/order/42"}`},
		{"the group endpoint", "/v3/whatsapp/group/text/message/0", `{"group_name":"x","message":"api: your order shipped"}`},
	} {
		if c.name == "the group endpoint" {
			if r := e.do("POST", "/sandbox/api/groups", map[string]any{"name": "x", "admin": user, "gateway": sandboxGW}); r.status != 200 {
				t.Fatalf("group: %d %s", r.status, r.raw)
			}
		}
		if c.name == "another number" {
			e.register("+4915112345678", sandboxGW)
		}
		r := e.send(a, c.path, c.body, key...)
		checkErrorShape(t, c.name, r)
		if r.status != 409 || !strings.Contains(r.str("message"), "Idempotency-Key") || r.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("%s with a used key: %d %v %s, want 409", c.name, r.status, r.header, r.raw)
		}
	}
	if jobs, _ := e.store.Jobs(a.id); len(jobs) != 1 {
		t.Fatalf("%d jobs, want 1", len(jobs))
	}
	// Without the key the other message is simply a new one.
	if r := e.send(a, text, `{"number":"12025550108","message":"api: your order is late"}`); r.status != 200 || r.str("id") == first.str("id") {
		t.Fatalf("without the key: %d %s", r.status, r.raw)
	}
}
