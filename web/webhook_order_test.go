package web_test

import (
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"higate/gateway/sim"
	"higate/registry"
	"higate/web/webhook"
)

// retryAfterAMinute makes failed deliveries wait a minute of the env's
// clock, which stands still until the test advances it, so a test decides
// when retries happen.
func retryAfterAMinute(e *env) {
	e.hookOptions = func(o *webhook.Options) { o.Backoff = func(int) time.Duration { return time.Minute } }
}

// WhatsMate's Flask enterprise demo reads payload["message"] and crashes
// (500) on a payload without one, such as a job.status event. A new
// webhook takes inbound messages only, WhatsMate's contract, so such a
// receiver answers a user's first message and still gets the next one,
// although its answer made job status changes.
func TestFlaskDemoReceiverGetsTheNextMessage(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	rc.decide = func(m map[string]any) int {
		if _, ok := m["message"]; !ok {
			return 500 // KeyError: 'message'
		}
		return 0
	}
	var a account
	var instance string
	rc.react = func(m map[string]any) {
		reply := map[string]string{"Hello": "api: Menu: 1) Price 2) Opening hours", "1": "api: The price is 10 USD"}[m["message"].(string)]
		if reply == "" {
			return
		}
		if r := e.send(a, "/v3/whatsapp/single/text/message/"+instance, map[string]any{"number": m["number"], "message": reply}); r.status != 200 {
			t.Errorf("reply: %d %s", r.status, r.raw)
		}
	}
	a, instance = e.enterprise(rc, nil, false) // events left out: the default
	if v := e.do("GET", "/v3/webhook", nil, a.headers()...); !slices.Equal(v.body["events"].([]any), []any{"inbound"}) {
		t.Fatalf("default events: %s", v.raw)
	}

	const customer = "+4915112340020"
	e.greet(customer, dedicatedGW, "Hello")
	e.waitMessages(customer, 1, fromAPI)
	// The menu was sent and delivered: job status changes that a receiver
	// subscribed to job.status would get first, and choke on.
	e.eventually("menu delivered", func() bool {
		return slices.ContainsFunc(e.net.Messages(customer), func(m sim.Message) bool { return strings.HasPrefix(m.Text, "api: Menu") })
	})
	e.greet(customer, dedicatedGW, "1")
	got := e.waitMessages(customer, 2, fromAPI)
	if got[1].Text != "api: The price is 10 USD" {
		t.Fatalf("customer got %+v", got)
	}
	for _, tr := range rc.attempts() {
		if !strings.Contains(tr.body, `"message"`) {
			t.Fatalf("the receiver was sent %s", tr.body)
		}
	}
}

// Order is kept per conversation: a delivery its receiver keeps refusing
// (all of conversation A's, here) holds back the later events of A, its
// job's status events included, and nothing of conversation B. When A's
// receiver recovers, A's events arrive in the order they happened.
func TestFailingConversationHoldsBackOnlyItself(t *testing.T) {
	e := newEnv(t, retryAfterAMinute)
	rc := newReceiver(t)
	const userA, userB = "+4915112340021", "+4915112340022"
	var refuseA atomic.Bool
	refuseA.Store(true)
	rc.decide = func(m map[string]any) int {
		if refuseA.Load() && strings.TrimPrefix(m["number"].(string), "+") == userA[1:] {
			return 500
		}
		return 0
	}
	a, instance := e.enterprise(rc, []string{"inbound", "job.status"}, false)
	seen := func(user string) []string { // what rc accepted about the user: messages and job statuses
		var out []string
		for _, m := range rc.received() {
			if strings.TrimPrefix(m["number"].(string), "+") != user[1:] {
				continue
			}
			if m["event"] == "job.status" {
				out = append(out, m["status"].(string))
			} else {
				out = append(out, m["message"].(string))
			}
		}
		return out
	}
	attemptsOf := func(user string) (n int) {
		for _, tr := range rc.attempts() {
			if strings.Contains(tr.body, user[1:]) {
				n++
			}
		}
		return n
	}
	e.register(userB, dedicatedGW)
	e.eventually("B's greeting", func() bool { return slices.Equal(seen(userB), []string{"Hi"}) })
	e.register(userA, dedicatedGW)
	e.eventually("A's greeting refused", func() bool { return attemptsOf(userA) == 1 })
	// and the refusal recorded, so its retry is a minute after this clock
	e.eventually("A's refusal recorded", func() bool {
		ds, _ := e.store.Deliveries(a.id, 100)
		return slices.ContainsFunc(ds, func(d registry.Delivery) bool {
			return d.Attempts == 1 && strings.Contains(string(d.Body), userA[1:])
		})
	})

	// More for A: a message, then a job and its status changes.
	e.greet(userA, dedicatedGW, "a2")
	e.eventually("a2 kept", func() bool { ds, _ := e.store.Deliveries(a.id, 1); return strings.Contains(string(ds[0].Body), "a2") })
	jobA := e.send(a, "/v3/whatsapp/single/text/message/"+instance, map[string]any{"number": userA, "message": "api: for A"})
	e.eventually("A's job delivered", func() bool { return e.job(a, jobA.str("id")).str("status") == "delivered" })

	// B's conversation goes on meanwhile.
	e.greet(userB, dedicatedGW, "b2")
	jobB := e.send(a, "/v3/whatsapp/single/text/message/"+instance, map[string]any{"number": userB, "message": "api: for B"})
	if jobA.status != 200 || jobB.status != 200 {
		t.Fatalf("sends: %s %s", jobA.raw, jobB.raw)
	}
	e.eventually("B's events", func() bool {
		got := seen(userB)
		return len(got) == 4 && got[0] == "Hi" && slices.Contains(got, "b2") && slices.Index(got, "sent") < slices.Index(got, "delivered")
	})
	if n := attemptsOf(userA); n != 1 || len(seen(userA)) != 0 {
		t.Fatalf("A's later events were tried (%d attempts, %v) while its head waits for a retry", n, seen(userA))
	}

	// A's receiver recovers; the retry comes a minute later, and A's events
	// follow in order.
	refuseA.Store(false)
	e.clock.Advance(time.Minute)
	e.hooks.Wake()
	for deadline := time.Now().Add(10 * time.Second); !slices.Equal(seen(userA), []string{"Hi", "a2", "sent", "delivered"}); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			ds, _ := e.store.Deliveries(a.id, 20)
			for _, d := range ds {
				t.Logf("delivery %d %s, %d attempts, next at %v (clock %v), last %d %q: %.100s",
					d.ID, d.State, d.Attempts, d.NextAt, e.clock.Now(), d.LastStatus, d.LastError, d.Body)
			}
			t.Fatalf("A's events: %v, want Hi, a2, sent, delivered", seen(userA))
		}
	}
	if acct, _ := e.store.Account(a.id); !acct.Webhook.Active {
		t.Fatal("webhook switched off")
	}
}

// A delivery is the same on every attempt: the same body (its times
// included) and X-Higate-Delivery, and the deliveries list shows the same
// created_at, in RFC 3339 UTC, across retries and a replay.
func TestDeliveryStableAcrossRetries(t *testing.T) {
	e := newEnv(t, retryAfterAMinute)
	rc := newReceiver(t)
	a, instance := e.enterprise(rc, []string{"job.status"}, true)
	const user = "+4915112340023"
	e.register(user, dedicatedGW)
	rc.status.Store(503)
	job := e.send(a, "/v3/whatsapp/single/text/message/"+instance, map[string]any{"number": user, "message": "api: once"})
	if job.status != 200 {
		t.Fatalf("send: %d %s", job.status, job.raw)
	}
	created := func() string {
		ds := e.do("GET", "/v3/webhook/deliveries", nil, a.headers()...)
		list := ds.body["deliveries"].([]any)
		return list[len(list)-1].(map[string]any)["created_at"].(string) // the oldest: the "sent" event
	}
	e.eventually("first attempt", func() bool { return len(rc.attempts()) >= 1 })
	first := created()
	at, err := time.Parse(time.RFC3339, first)
	if err != nil || !strings.HasSuffix(first, "Z") || !at.Equal(e.clock.Now().Truncate(time.Second)) {
		t.Fatalf("created_at %q (%v), want RFC 3339 UTC of the event", first, err)
	}
	for i := 2; i <= 3; i++ {
		// The receiver has the attempt before the sender has recorded it:
		// advancing the clock in between would put the retry a minute
		// after the advance, and the test would wait for it forever.
		e.eventually("the attempt recorded", func() bool {
			ds, _ := e.store.Deliveries(a.id, 100)
			return len(ds) > 0 && ds[len(ds)-1].Attempts == i-1
		})
		e.clock.Advance(time.Minute)
		e.hooks.Wake()
		e.eventually("a retry", func() bool { return len(rc.attempts()) >= i })
		if got := created(); got != first {
			t.Fatalf("created_at after retry: %s, was %s", got, first)
		}
	}
	// Switched off, then replayed an hour later: still the same.
	if _, err := e.store.UpdateWebhook(a.id, func(w *registry.Webhook) error { w.Active = false; return nil }); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	rc.status.Store(0)
	if r := e.do("POST", "/v3/webhook/replay", nil, a.headers()...); r.status != 200 {
		t.Fatalf("replay: %s", r.raw)
	}
	e.eventually("delivered", func() bool { return len(rc.received()) >= 1 })
	if got := created(); got != first {
		t.Fatalf("created_at after replay: %s, was %s", got, first)
	}
	tries := rc.attempts()
	for _, tr := range tries[1:] {
		if tr.delivery == tries[0].delivery && tr.body != tries[0].body {
			t.Fatalf("body changed across attempts:\n%s\n%s", tries[0].body, tr.body)
		}
	}
	if tries[1].delivery != tries[0].delivery {
		t.Fatalf("X-Higate-Delivery changed: %s, %s", tries[0].delivery, tries[1].delivery)
	}
	sent := rc.received()[0]
	if at, err := time.Parse(time.RFC3339Nano, sent["at"].(string)); err != nil || !strings.HasSuffix(sent["at"].(string), "Z") || at.IsZero() {
		t.Fatalf("at %v: %v", sent["at"], err)
	}
}
