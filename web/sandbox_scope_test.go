package web_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"higate/gateway/sim"
	"higate/registry"
	"higate/web"
)

// otherGW is a simulated gateway number on an instance other than 0.
const otherGW = "+15550000200"

// withOtherInstance adds instance 1 with otherGW as its active number.
func withOtherInstance(t *testing.T, e *env) string {
	t.Helper()
	in := e.admin("POST", "/admin/api/instances", map[string]string{"name": "tests of a customer"})
	id := fmt.Sprint(in.body["id"])
	if r := e.admin("POST", "/admin/api/instances/"+id+"/numbers", map[string]string{"number": otherGW, "transport": "sim", "role": "active"}); r.status != 200 {
		t.Fatalf("add number: %d %s", r.status, r.raw)
	}
	e.eventually("other number up", func() bool { return e.gw.InstanceUp(mustInstance(id)) })
	return id
}

// wantAdmin checks that r refused a request for want of the admin token.
func wantAdmin(t *testing.T, what string, r response) {
	t.Helper()
	if r.status != 401 || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") || r.str("status") != "error" ||
		!strings.Contains(r.str("message"), "admin token") || r.str("remedy") == "" {
		t.Fatalf("%s without the admin token: %d %q %s", what, r.status, r.header.Get("WWW-Authenticate"), r.raw)
	}
}

// TestSandboxScope: without the admin token the sandbox API acts only on
// instance 0's numbers and users, and never injects faults; with it, it
// serves every simulated number.
func TestSandboxScope(t *testing.T) {
	e := newEnv(t)
	withOtherInstance(t, e)
	const stranger = "+4915112340077"

	// Greetings: instance 0's number is public, another instance's is not.
	if r := e.do("POST", "/sandbox/api/inbound", map[string]string{"from": user, "to": sandboxGW, "text": "Hi"}); r.status != 200 {
		t.Fatalf("greet the sandbox number: %d %s", r.status, r.raw)
	}
	wantAdmin(t, "inbound to another instance", e.do("POST", "/sandbox/api/inbound", map[string]string{"from": stranger, "to": otherGW, "text": "Hi"}))
	if _, err := e.store.Registration(otherGW, stranger); err == nil {
		t.Fatal("the refused greeting registered the user")
	}
	if r := e.admin("POST", "/sandbox/api/inbound", map[string]string{"from": stranger, "to": otherGW, "text": "Hi"}); r.status != 200 {
		t.Fatalf("greet another instance with the token: %d %s", r.status, r.raw)
	}

	// Groups and read receipts name a gateway number: the same rule.
	group := map[string]any{"name": "Club", "admin": user, "members": []string{stranger}, "gateway": otherGW}
	wantAdmin(t, "a group of another instance", e.do("POST", "/sandbox/api/groups", group))
	if r := e.admin("POST", "/sandbox/api/groups", group); r.status != 200 {
		t.Fatalf("group with the token: %d %s", r.status, r.raw)
	}
	group["gateway"], group["name"] = sandboxGW, "Public club"
	if r := e.do("POST", "/sandbox/api/groups", group); r.status != 200 {
		t.Fatalf("group of the sandbox number: %d %s", r.status, r.raw)
	}
	wantAdmin(t, "read receipts of another instance", e.do("POST", "/sandbox/api/read", map[string]string{"number": stranger, "gateway": otherGW}))
	if r := e.do("POST", "/sandbox/api/read", map[string]string{"number": user, "gateway": sandboxGW}); r.status != 200 {
		t.Fatalf("read the sandbox number: %d %s", r.status, r.raw)
	}

	// Faults need the token, even on the sandbox number.
	wantAdmin(t, "a fault", e.do("POST", "/sandbox/api/numbers/"+sandboxGW+"/fault", map[string]any{"kind": "ban"}))
	if n, _ := e.store.Number(sandboxGW); n.State != registry.StateActive {
		t.Fatalf("the refused ban took effect: %+v", n)
	}
	if r := e.admin("POST", "/sandbox/api/numbers/"+otherGW+"/fault", map[string]any{"kind": "slow", "seconds": 0}); r.status != 200 {
		t.Fatalf("fault with the token: %d %s", r.status, r.raw)
	}

	// A user of another instance is not anyone's to take off WhatsApp;
	// instance 0's users and new ones are.
	off := map[string]bool{"on_whatsapp": false}
	wantAdmin(t, "a user of another instance", e.do("POST", "/sandbox/api/users/"+stranger, off))
	wantAdmin(t, "another instance's gateway number", e.do("POST", "/sandbox/api/users/"+otherGW, off))
	for _, u := range []string{user, "+4915112340099"} {
		if r := e.do("POST", "/sandbox/api/users/"+u, off); r.status != 200 {
			t.Fatalf("instance 0's user %s: %d %s", u, r.status, r.raw)
		}
	}
	if r := e.admin("POST", "/sandbox/api/users/"+stranger, map[string]bool{"on_whatsapp": true}); r.status != 200 {
		t.Fatalf("user with the token: %d %s", r.status, r.raw)
	}
}

// TestSandboxInboxScope: without the token an inbox shows what instance
// 0's numbers sent, so instance 0's users read theirs whole and nobody else
// sees what another instance's number sent; with the token, everything.
func TestSandboxInboxScope(t *testing.T) {
	e := newEnv(t)
	withOtherInstance(t, e)
	e.register(user, sandboxGW)
	e.register(user, otherGW)
	e.waitMessages(user, 2, func(sim.Message) bool { return true }) // both confirmations

	inbox := func(headers ...string) []any {
		r := e.do("GET", "/sandbox/api/messages?number=%2B"+user[1:], nil, headers...)
		if r.status != 200 {
			t.Fatalf("inbox: %d %s", r.status, r.raw)
		}
		msgs, _ := r.body["messages"].([]any)
		return msgs
	}
	public := inbox()
	if len(public) != 1 || public[0].(map[string]any)["from"] != sandboxGW {
		t.Fatalf("without the token: %v", public)
	}
	if all := inbox("Authorization", "Bearer "+adminToken); len(all) != 2 {
		t.Fatalf("with the token: %v", all)
	}
	// A user who has only talked to another instance has an empty public inbox.
	e.register("+4915112340055", otherGW)
	e.waitMessages("+4915112340055", 1, func(sim.Message) bool { return true })
	if r := e.do("GET", "/sandbox/api/messages?number=%2B4915112340055", nil); r.status != 200 || !strings.Contains(r.raw, `"messages":[]`) {
		t.Fatalf("other instance's user: %d %s", r.status, r.raw)
	}
}

// TestSandboxFaultWithoutAdminAPI: with no admin token configured, faults
// are off too, and the answer says how to turn them on.
func TestSandboxFaultWithoutAdminAPI(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(web.NewServer(web.Deps{Store: e.store, Gateway: e.gw, Sim: e.net}))
	defer srv.Close()
	r := e.doURL(srv.URL, "POST", "/sandbox/api/numbers/"+sandboxGW+"/fault", map[string]any{"kind": "ban"})
	if r.status != 404 || !strings.Contains(r.str("message"), "admin API is off") || !strings.Contains(r.str("remedy"), "--admin-token-file") {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	if r := e.doURL(srv.URL, "POST", "/sandbox/api/inbound", map[string]string{"from": user, "to": sandboxGW, "text": "Hi"}); r.status != 200 {
		t.Fatalf("the public sandbox still works: %d %s", r.status, r.raw)
	}
}
