package web_test

import (
	"fmt"
	"strings"
	"testing"
)

// tinyJPEG is enough of a JPEG for the profile route's content check.
const tinyJPEG = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA="

// TestPlanChangeMovesTheAccount: an upgrade to Enterprise gets a dedicated
// instance (it can no longer touch the shared number's profile), and a
// downgrade returns to the shared instance, switching webhooks off.
func TestPlanChangeMovesTheAccount(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "grow@example.com", "plan": "trial"})
	base := "/admin/api/accounts/" + a.id + "/plan"

	up := e.admin("POST", base, map[string]string{"plan": "enterprise"})
	instance := fmt.Sprint(up.body["instance"])
	if up.status != 200 || up.str("plan") != "enterprise" || instance == "0" {
		t.Fatalf("upgrade: %d %s", up.status, up.raw)
	}
	in, err := e.store.Instance(mustInstance(instance))
	if err != nil || !in.Dedicated || in.Owner != a.id {
		t.Fatalf("dedicated instance: %v %+v", err, in)
	}
	// The shared number's profile is not the account's any more; its own
	// instance's is (503 only because it has no number yet).
	if r := e.send(a, "/v3/whatsapp/profile/0", map[string]any{"about": "ours now"}); r.status != 474 || !strings.Contains(r.str("remedy"), "instance "+instance) {
		t.Fatalf("profile of the shared number: %d %s", r.status, r.raw)
	}
	if r := e.send(a, "/v3/whatsapp/profile/"+instance, map[string]any{"about": "ours"}); r.status != 503 {
		t.Fatalf("profile of the dedicated instance: %d %s", r.status, r.raw)
	}
	if r := e.do("PUT", "/v3/webhook", map[string]any{"url": "https://example.com/hook"}, a.headers()...); r.status != 200 {
		t.Fatalf("webhook on the dedicated instance: %d %s", r.status, r.raw)
	}
	evs := e.admin("GET", "/admin/api/events", nil)
	if !strings.Contains(evs.raw, `"enterprise_account"`) || !strings.Contains(evs.raw, "needs a gateway number") {
		t.Fatalf("no operator event: %s", evs.raw)
	}

	down := e.admin("POST", base, map[string]string{"plan": "forever-green"})
	if down.status != 200 || down.str("plan") != "forever-green" || down.body["instance"] != float64(0) {
		t.Fatalf("downgrade: %d %s", down.status, down.raw)
	}
	if in, _ := e.store.Instance(mustInstance(instance)); in.Owner != "" {
		t.Fatalf("the old instance is still owned: %+v", in)
	}
	if acct, _ := e.store.Account(a.id); acct.Webhook.URL != "" || acct.Webhook.Active {
		t.Fatalf("webhook survived the downgrade: %+v", acct.Webhook)
	}
	if r := e.send(a, "/v3/whatsapp/profile/0", map[string]any{"about": "x"}); r.status != 475 {
		t.Fatalf("profile after the downgrade: %d %s", r.status, r.raw)
	}
	if !strings.Contains(e.admin("GET", "/admin/api/events", nil).raw, `"account_moved"`) {
		t.Fatal("no event for the move back")
	}
}

// TestEnterpriseOnSharedInstance: an Enterprise account the operator put
// on the shared instance (load tests do) gets 475 for what needs a
// dedicated instance: it must not change the shared number's profile.
func TestEnterpriseOnSharedInstance(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "load@example.com", "plan": "enterprise", "instance": 0})
	before := e.net.Profile(sandboxGW)
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/v3/whatsapp/profile/0", map[string]any{"about": "hijacked", "image": tinyJPEG}},
		{"PUT", "/v3/webhook", map[string]any{"url": "https://example.com/hook"}},
		{"GET", "/v3/webhook", nil},
	} {
		r := e.do(c.method, c.path, c.body, a.headers()...)
		if r.status != 475 || !strings.Contains(r.str("message"), "dedicated instance") || r.str("remedy") == "" {
			t.Fatalf("%s %s: %d %s", c.method, c.path, r.status, r.raw)
		}
	}
	if after := e.net.Profile(sandboxGW); after.About != before.About {
		t.Fatalf("shared profile changed: %+v", after)
	}
	// Setting enterprise again gives it a dedicated instance.
	r := e.admin("POST", "/admin/api/accounts/"+a.id+"/plan", map[string]string{"plan": "enterprise"})
	if r.status != 200 || r.body["instance"] == float64(0) {
		t.Fatalf("enterprise again: %d %s", r.status, r.raw)
	}
	if acct, _ := e.store.Account(a.id); e.store.CheckDedicated(acct, "webhooks") != nil {
		t.Fatalf("still not dedicated: %+v", acct)
	}
}
