package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"higate/gateway/sim"
)

const textPath = "/v3/whatsapp/single/text/message/0"

// scheduledEnv is an environment with a trial account and a registered user.
func scheduledEnv(t *testing.T) (*env, account) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	e.register(user, sandboxGW)
	return e, a
}

func apiText(text string) func(sim.Message) bool {
	return func(m sim.Message) bool { return m.Text == text }
}

// A send with send_at is scheduled until then: the job says so, nothing is
// sent before it (on the registry's clock), and it goes out once due, also
// across a restart.
func TestScheduledSendOverTheAPI(t *testing.T) {
	e, a := scheduledEnv(t)
	at := e.clock.Now().Add(2 * time.Hour)
	r := e.send(a, textPath, map[string]any{"number": user, "message": "api: later", "send_at": at.Format(time.RFC3339)})
	if r.status != 200 || r.str("status") != "scheduled" {
		t.Fatalf("send: %d %s", r.status, r.raw)
	}
	id := r.str("id")
	j := e.job(a, id)
	if j.str("status") != "scheduled" || j.str("send_at") != at.Format(time.RFC3339Nano) || j.str("priority") != "normal" {
		t.Fatalf("job %s", j.raw)
	}
	// No window is open, and send_at is not in one: nothing is counted yet.
	if got := r.header.Get("RateLimit-Remaining"); got != "50" {
		t.Fatalf("RateLimit-Remaining %s, want 50", got)
	}
	e.clock.Advance(2*time.Hour - time.Second)
	// An immediate send shows the dispatcher has been through the queue.
	if r := e.send(a, textPath, map[string]any{"number": user, "message": "api: now"}); r.status != 200 {
		t.Fatalf("send: %d %s", r.status, r.raw)
	}
	e.waitMessages(user, 1, apiText("api: now"))
	if got := len(e.waitMessages(user, 0, apiText("api: later"))); got != 0 {
		t.Fatal("sent before its send_at")
	}
	// A restart keeps it scheduled.
	e.restart()
	if j := e.job(a, id); j.str("status") != "scheduled" {
		t.Fatalf("after the restart: %s", j.raw)
	}
	e.clock.Advance(time.Second)
	e.gw.Wake(0)
	e.waitMessages(user, 1, apiText("api: later"))
	e.eventually("the job sent", func() bool {
		s := e.job(a, id).str("status")
		return s == "sent" || s == "delivered"
	})
}

// A job that fell due while the gateway was stopped goes out when it starts.
func TestScheduledJobDueDuringARestart(t *testing.T) {
	e, a := scheduledEnv(t)
	at := e.clock.Now().Add(time.Minute)
	if r := e.send(a, textPath, map[string]any{"number": user, "message": "api: due", "send_at": at.Format(time.RFC3339)}); r.status != 200 {
		t.Fatalf("send: %d %s", r.status, r.raw)
	}
	e.stop()
	e.clock.Advance(time.Hour)
	e.start()
	e.waitMessages(user, 1, apiText("api: due"))
}

// A bad send_at or priority is a 400 that says what to write instead, and
// queues nothing.
func TestScheduleFieldsAreChecked(t *testing.T) {
	e, a := scheduledEnv(t)
	now := e.clock.Now()
	for _, c := range []struct {
		name  string
		field string
		value string
		says  string
	}{
		{"malformed", "send_at", "tomorrow at 9", "RFC 3339"},
		{"no offset", "send_at", "2026-03-02T09:00:00", "RFC 3339"},
		{"past", "send_at", now.Add(-time.Minute).Format(time.RFC3339), "in the past"},
		{"over 30 days", "send_at", now.Add(31 * 24 * time.Hour).Format(time.RFC3339), "30 days"},
		{"unknown priority", "priority", "urgent", "priority"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.send(a, textPath, map[string]any{"number": user, "message": "api: x", c.field: c.value})
			if r.status != 400 || !strings.Contains(r.str("message"), c.says) || r.str("remedy") == "" {
				t.Fatalf("%s=%q: %d %s", c.field, c.value, r.status, r.raw)
			}
		})
	}
	if n := e.store.QueueDepth(0) + e.store.Scheduled(0); n != 0 {
		t.Fatalf("%d jobs queued by refused sends", n)
	}
	r := e.send(a, textPath, map[string]any{"number": user, "message": "api: x", "priority": "high",
		"send_at": now.Add(30 * 24 * time.Hour).In(time.FixedZone("", 3600)).Format(time.RFC3339)})
	if r.status != 200 {
		t.Fatalf("30 days ahead, high priority: %d %s", r.status, r.raw)
	}
	if j := e.job(a, r.str("id")); j.str("priority") != "high" || j.str("status") != "scheduled" {
		t.Fatalf("job %s", j.raw)
	}
}

// DELETE /v3/whatsapp/jobs/{id} cancels a job that has not left and gives
// its message back; a sent job is a 409, another account's a 404.
func TestCancelOverTheAPI(t *testing.T) {
	e, a := scheduledEnv(t)
	sent := e.send(a, textPath, map[string]any{"number": user, "message": "api: sent"})
	e.waitMessages(user, 1, apiText("api: sent"))
	e.eventually("the first recorded", func() bool { s := e.job(a, sent.str("id")).str("status"); return s == "delivered" })
	at := e.clock.Now().Add(time.Hour) // inside the window the first send opened: counted now
	r := e.send(a, textPath, map[string]any{"number": user, "message": "api: never", "send_at": at.Format(time.RFC3339)})
	if r.header.Get("RateLimit-Remaining") != "48" {
		t.Fatalf("RateLimit-Remaining %s after two sends", r.header.Get("RateLimit-Remaining"))
	}
	id := r.str("id")
	other := e.newAccount(map[string]any{"email": "other@example.com", "plan": "trial"})
	if r := e.do("DELETE", "/v3/whatsapp/jobs/"+id, nil, other.headers()...); r.status != 404 {
		t.Fatalf("another account's cancel: %d %s", r.status, r.raw)
	}
	c := e.do("DELETE", "/v3/whatsapp/jobs/"+id, nil, a.headers()...)
	if c.status != 200 || c.str("status") != "canceled" || c.header.Get("RateLimit-Remaining") != "49" {
		t.Fatalf("cancel: %d %s (RateLimit-Remaining %s)", c.status, c.raw, c.header.Get("RateLimit-Remaining"))
	}
	if r := e.do("DELETE", "/v3/whatsapp/jobs/"+id, nil, a.headers()...); r.status != 200 || r.str("status") != "canceled" {
		t.Fatalf("cancel again: %d %s", r.status, r.raw)
	}
	if r := e.do("DELETE", "/v3/whatsapp/jobs/"+sent.str("id"), nil, a.headers()...); r.status != 409 || r.str("remedy") == "" {
		t.Fatalf("cancel a delivered job: %d %s", r.status, r.raw)
	}
	if r := e.do("DELETE", "/v3/whatsapp/jobs/x", nil, a.headers()...); r.status != 404 {
		t.Fatalf("cancel job x: %d %s", r.status, r.raw)
	}
	e.clock.Advance(time.Hour)
	e.gw.Wake(0)
	if r := e.send(a, textPath, map[string]any{"number": user, "message": "api: after"}); r.status != 200 {
		t.Fatalf("send: %d", r.status)
	}
	e.waitMessages(user, 1, apiText("api: after"))
	if n := len(e.waitMessages(user, 0, apiText("api: never"))); n != 0 {
		t.Fatal("the canceled job was sent")
	}
}

// GET /v3/whatsapp/jobs lists the caller's own jobs newest first, filtered
// and paged with a cursor.
func TestJobListing(t *testing.T) {
	e, a := scheduledEnv(t)
	const second = "+12025550109"
	e.register(second, sandboxGW)
	other := e.newAccount(map[string]any{"email": "other@example.com", "plan": "trial"})
	e.send(other, textPath, map[string]any{"number": user, "message": "api: not yours"})
	var ids []string // oldest first
	for i := range 5 {
		to := user
		if i%2 == 1 {
			to = second
		}
		r := e.send(a, textPath, map[string]any{"number": to, "message": fmt.Sprint("api: ", i)})
		if r.status != 200 {
			t.Fatalf("send: %d %s", r.status, r.raw)
		}
		ids = append(ids, r.str("id"))
		e.clock.Advance(time.Minute)
	}
	sched := e.send(a, textPath, map[string]any{"number": user, "message": "api: later",
		"send_at": e.clock.Now().Add(time.Hour).Format(time.RFC3339)})
	ids = append(ids, sched.str("id"))

	list := func(query string) (got []string, next string) {
		t.Helper()
		r := e.do("GET", "/v3/whatsapp/jobs"+query, nil, a.headers()...)
		if r.status != 200 {
			t.Fatalf("list %s: %d %s", query, r.status, r.raw)
		}
		for _, j := range r.body["jobs"].([]any) {
			got = append(got, j.(map[string]any)["id"].(string))
		}
		return got, r.str("next")
	}
	want := func(idx ...int) string {
		var out []string
		for _, i := range idx {
			out = append(out, ids[i])
		}
		return strings.Join(out, ",")
	}
	if got, next := list(""); strings.Join(got, ",") != want(5, 4, 3, 2, 1, 0) || next != "" {
		t.Fatalf("all: %v next %q", got, next)
	}
	if got, _ := list("?status=scheduled"); strings.Join(got, ",") != want(5) {
		t.Fatalf("scheduled: %v", got)
	}
	if got, _ := list("?number=" + url.QueryEscape("+1 (202) 555-0109")); strings.Join(got, ",") != want(3, 1) {
		t.Fatalf("to %s: %v", second, got)
	}
	start := time.Date(2026, 3, 1, 12, 1, 0, 0, time.UTC) // the env clock started at 12:00
	if got, _ := list("?since=" + start.Format(time.RFC3339) + "&until=" + start.Add(2*time.Minute).Format(time.RFC3339)); strings.Join(got, ",") != want(2, 1) {
		t.Fatalf("since/until: %v", got)
	}
	// Pages of two, following the cursor.
	var paged []string
	for q := "?limit=2"; ; {
		got, next := list(q)
		if len(got) > 2 {
			t.Fatalf("page of %d", len(got))
		}
		paged = append(paged, got...)
		if next == "" {
			break
		}
		q = "?limit=2&cursor=" + next
	}
	if strings.Join(paged, ",") != want(5, 4, 3, 2, 1, 0) {
		t.Fatalf("paged: %v", paged)
	}
	for _, q := range []string{"?status=lost", "?limit=0", "?limit=501", "?cursor=abc", "?since=yesterday", "?number=12"} {
		r := e.do("GET", "/v3/whatsapp/jobs"+q, nil, a.headers()...)
		if (r.status != 400 && r.status != 471) || r.str("remedy") == "" {
			t.Errorf("list %s: %d %s", q, r.status, r.raw)
		}
	}
	if r := e.do("GET", "/v3/whatsapp/jobs", nil); r.status != 474 {
		t.Fatalf("list without credentials: %d", r.status)
	}
}
