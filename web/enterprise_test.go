package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"higate/gateway/sim"
	"higate/registry"
	"higate/web/webhook"
)

const dedicatedGW = "+15550000100"

// receiver is a developer's webhook endpoint: it checks each delivery
// against the spec's webhooks (checkDelivery), verifies its signature and
// records what it got.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	secret atomic.Value // string
	status atomic.Int32 // what to answer; 0 means 200
	react  func(body map[string]any)
	// decide, when set, answers a payload with a status of its choosing
	// (0 accepts it), as a receiver with opinions about payloads does.
	decide func(body map[string]any) int

	mu         sync.Mutex
	got        []map[string]any
	deliveries []string // X-Higate-Delivery of each accepted request
	tries      []try    // every signed request, accepted or not; checked against the contract when the test ends
}

// try is one request a receiver got.
type try struct {
	delivery, body string
	header         http.Header
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{t: t}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		secret, _ := rc.secret.Load().(string)
		if err := webhook.Verify(secret, r.Header.Get("X-Higate-Signature"), body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("signature: %v (%s)", err, r.Header.Get("X-Higate-Signature"))
			w.WriteHeader(400)
			return
		}
		rc.mu.Lock()
		rc.tries = append(rc.tries, try{delivery: r.Header.Get("X-Higate-Delivery"), body: string(body), header: r.Header.Clone()})
		rc.mu.Unlock()
		if s := rc.status.Load(); s != 0 {
			w.WriteHeader(int(s))
			return
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Errorf("payload %s: %v", body, err)
		}
		if rc.decide != nil {
			if s := rc.decide(m); s != 0 {
				w.WriteHeader(s)
				return
			}
		}
		if r.Header.Get("X-Higate-Event") == "" || r.Header.Get("X-Higate-Delivery") == "" {
			t.Errorf("headers %v", r.Header)
		}
		rc.mu.Lock()
		rc.got = append(rc.got, m)
		rc.deliveries = append(rc.deliveries, r.Header.Get("X-Higate-Delivery"))
		rc.mu.Unlock()
		if rc.react != nil {
			rc.react(m)
		}
	}))
	t.Cleanup(rc.srv.Close)
	// The contract is checked after the test, not while the receiver
	// answers: the first check parses the spec, which takes seconds on a
	// loaded machine under -race, and a slow answer would be a timeout to
	// the sender, and a retry the test did not ask for.
	t.Cleanup(func() {
		for _, tr := range rc.attempts() { // an unsigned request has failed the test already
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tr.body))
			r.Header = tr.header
			if err := checkDelivery(r, []byte(tr.body)); err != nil {
				t.Errorf("contract web/openapi/openapi.yaml (webhooks): %v\nbody: %.400s", err, tr.body)
			}
		}
	})
	return rc
}

func (rc *receiver) received() []map[string]any {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

func (rc *receiver) attempts() []try {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.tries)
}

// enterprise creates an Enterprise account with a dedicated instance whose
// active number is dedicatedGW, and points its webhook at rc.
func (e *env) enterprise(rc *receiver, events []string, autoReplies bool) (account, string) {
	e.t.Helper()
	return e.enterpriseAt(rc, rc.srv.URL+"/hook", events, autoReplies)
}

// enterpriseAt is enterprise with the webhook at url (rc's, under another
// name).
func (e *env) enterpriseAt(rc *receiver, url string, events []string, autoReplies bool) (account, string) {
	e.t.Helper()
	r := e.admin("POST", "/admin/api/accounts", map[string]any{"email": "corp@example.com", "plan": "enterprise"})
	if r.status != 200 {
		e.t.Fatalf("create: %d %s", r.status, r.raw)
	}
	a := account{r.str("client_id"), r.str("client_secret")}
	instance := fmt.Sprint(r.body["instance"])
	if instance == "0" {
		e.t.Fatal("enterprise account on the shared instance")
	}
	if r := e.admin("POST", "/admin/api/instances/"+instance+"/numbers", map[string]string{"number": dedicatedGW, "transport": "sim", "role": "active"}); r.status != 200 {
		e.t.Fatalf("add number: %d %s", r.status, r.raw)
	}
	e.eventually("dedicated number up", func() bool { return e.gw.InstanceUp(mustInstance(instance)) })
	w := e.do("PUT", "/v3/webhook", map[string]any{"url": url, "token": "tok123", "events": events, "auto_replies": autoReplies}, a.headers()...)
	if w.status != 200 || !strings.HasPrefix(w.str("secret"), "whsec_") {
		e.t.Fatalf("put webhook: %d %s", w.status, w.raw)
	}
	rc.secret.Store(w.str("secret"))
	return a, instance
}

func mustInstance(s string) uint64 {
	var n uint64
	fmt.Sscan(s, &n)
	return n
}

// TestWhatsMateEnterpriseDemo: a user says Hello to a dedicated number, the
// app's webhook answers with a menu through the send API, the user replies
// 1, and the app replies with a price.
func TestWhatsMateEnterpriseDemo(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	var a account
	var instance string
	rc.react = func(m map[string]any) {
		reply := map[string]string{"Hello": "api: Menu: 1) Price 2) Opening hours", "1": "api: The price is 10 USD"}[m["message"].(string)]
		if reply == "" {
			return
		}
		r := e.send(a, "/v3/whatsapp/single/text/message/"+instance, map[string]any{"number": m["number"], "message": reply})
		if r.status != 200 {
			t.Errorf("reply: %d %s", r.status, r.raw)
		}
	}
	a, instance = e.enterprise(rc, []string{"inbound"}, false)

	const customer = "+4915112340001"
	e.greet(customer, dedicatedGW, "Hello")
	e.waitMessages(customer, 1, fromAPI)
	e.greet(customer, dedicatedGW, "1")
	got := e.waitMessages(customer, 2, func(sim.Message) bool { return true })
	if len(got) != 2 || got[0].Text != "api: Menu: 1) Price 2) Opening hours" || got[1].Text != "api: The price is 10 USD" || got[1].From != dedicatedGW {
		t.Fatalf("customer got %+v (auto replies should be off)", got)
	}
	want := map[string]any{"token": "tok123", "type": "individual", "instance_id": instance,
		"gateway_number": "15550000100", "number": "4915112340001", "message": "Hello", "group_name": "", "group_admin": ""}
	if first := rc.received()[0]; fmt.Sprint(first) != fmt.Sprint(want) {
		t.Fatalf("payload %v, want %v", first, want)
	}

	// Group messages reach the webhook in the WhatsMate group shape.
	g := e.admin("POST", "/sandbox/api/groups", map[string]any{"name": "Team", "admin": customer, "members": []string{"+4915112340002"}, "gateway": dedicatedGW})
	if err := e.net.GroupInbound(t.Context(), customer, g.str("id"), "lunch?"); err != nil {
		t.Fatal(err)
	}
	e.eventually("group webhook", func() bool {
		got := rc.received()
		last := got[len(got)-1]
		return last["type"] == "group" && last["group_name"] == "Team" && last["group_admin"] == "4915112340001" && last["message"] == "lunch?"
	})

	// Other accounts may not use the dedicated instance.
	other := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	if r := e.send(other, "/v3/whatsapp/single/text/message/"+instance, map[string]any{"number": customer, "message": "x"}); r.status != 474 {
		t.Fatalf("foreign account on dedicated instance: %d", r.status)
	}
}

func TestWebhookRetriesInOrderDeactivatesAndReplays(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	a, _ := e.enterprise(rc, []string{"inbound"}, true)
	const customer = "+4915112340003"
	messages := func() []string {
		var out []string
		for _, m := range rc.received() {
			out = append(out, m["message"].(string))
		}
		return out
	}
	attempts := func() int {
		ds, _ := e.store.Deliveries(a.id, 100)
		n := 0
		for _, d := range ds {
			n += d.Attempts
		}
		return n
	}

	// Down for a while: retried, then all arrive in order.
	rc.status.Store(503)
	for _, m := range []string{"m1", "m2", "m3"} {
		e.greet(customer, dedicatedGW, m)
	}
	e.eventually("retries", func() bool { return attempts() >= 5 })
	rc.status.Store(0)
	e.eventually("in order", func() bool { return slices.Equal(messages(), []string{"m1", "m2", "m3"}) })
	acct, _ := e.store.Account(a.id)
	if !acct.Webhook.Active || acct.Webhook.Fails != 0 {
		t.Fatalf("webhook after recovery %+v", acct.Webhook)
	}

	// Down for good: 20 consecutive failures switch the webhook off.
	rc.status.Store(500)
	e.greet(customer, dedicatedGW, "m4")
	e.greet(customer, dedicatedGW, "m5")
	e.eventually("deactivated", func() bool { a, _ := e.store.Account(a.id); return !a.Webhook.Active })
	if evs := e.admin("GET", "/admin/api/events", nil); !strings.Contains(string(evs.raw), "webhook_deactivated") {
		t.Fatalf("no operator event: %s", evs.raw)
	}
	rc.status.Store(0)
	if r := e.do("GET", "/v3/webhook", nil, a.headers()...); r.body["active"] != false || r.body["consecutive_failures"] != float64(20) {
		t.Fatalf("webhook view %s", r.raw)
	}
	// An event while the webhook is off is kept, and replayed after the
	// ones that failed.
	e.greet(customer, dedicatedGW, "m6")
	e.eventually("m6 held", func() bool {
		ds, _ := e.store.Deliveries(a.id, 1)
		return len(ds) == 1 && ds[0].State == registry.DeliveryHeld
	})
	if ds := e.do("GET", "/v3/webhook/deliveries", nil, a.headers()...); !strings.Contains(ds.raw, `"state":"held"`) {
		t.Fatalf("deliveries while off %s", ds.raw)
	}
	r := e.do("POST", "/v3/webhook/replay", nil, a.headers()...)
	if r.status != 200 || r.body["replayed"] != float64(3) {
		t.Fatalf("replay %d %s (want m4, m5 and m6 put back)", r.status, r.raw)
	}
	e.eventually("replayed in order", func() bool { return slices.Equal(messages(), []string{"m1", "m2", "m3", "m4", "m5", "m6"}) })

	// 410 Gone gives up at once and switches the webhook off.
	rc.status.Store(410)
	e.greet(customer, dedicatedGW, "m7")
	e.eventually("gone", func() bool {
		ds, _ := e.store.Deliveries(a.id, 1)
		return len(ds) == 1 && ds[0].State == registry.DeliveryFailed && ds[0].Attempts == 1
	})
	if acct, _ := e.store.Account(a.id); acct.Webhook.Active {
		t.Fatal("still active after 410")
	}
	rc.status.Store(0)
	if r := e.do("POST", "/v3/webhook/replay", nil, a.headers()...); r.body["replayed"] != float64(1) {
		t.Fatalf("replay after 410: %s", r.raw)
	}
	e.eventually("m7 replayed", func() bool { m := messages(); return m[len(m)-1] == "m7" })
	ds := e.do("GET", "/v3/webhook/deliveries", nil, a.headers()...)
	if !strings.Contains(string(ds.raw), `"state":"delivered"`) {
		t.Fatalf("deliveries %s", ds.raw)
	}
}

func TestStatusWebhookFollowsJob(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	a, instance := e.enterprise(rc, []string{"job.status"}, true)
	const customer = "+4915112340004"
	e.register(customer, dedicatedGW)
	r := e.send(a, "/v3/whatsapp/single/text/message/"+instance, map[string]any{"number": customer, "message": "api: track me"})
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	id := r.str("id")
	statuses := func() []string {
		var out []string
		for _, m := range rc.received() {
			if m["id"] == id {
				out = append(out, m["status"].(string))
			}
		}
		return out
	}
	e.eventually("sent, delivered", func() bool { return slices.Equal(statuses(), []string{"sent", "delivered"}) })
	e.admin("POST", "/sandbox/api/read", map[string]string{"number": customer, "gateway": dedicatedGW})
	e.eventually("read", func() bool { return slices.Equal(statuses(), []string{"sent", "delivered", "read"}) })
	last := rc.received()[len(rc.received())-1]
	if last["event"] != "job.status" || last["number"] != customer || last["at"] == "" {
		t.Fatalf("payload %v", last)
	}
	if ping := e.do("POST", "/v3/webhook/test", nil, a.headers()...); ping.body["ok"] != true {
		t.Fatalf("test ping %s", ping.raw)
	}
	// Trial accounts have no webhooks.
	trial := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	if r := e.do("PUT", "/v3/webhook", map[string]any{"url": "https://x.example/h"}, trial.headers()...); r.status != 475 {
		t.Fatalf("trial webhook: %d", r.status)
	}
	if r := e.do("PUT", "/v3/webhook", map[string]any{"url": "https://user:pw@x.example/h"}, a.headers()...); r.status != 400 {
		t.Fatalf("credentials in URL: %d", r.status)
	}
}
