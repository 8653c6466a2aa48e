package web_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"

	"higate/gateway/sim"
)

const user = "+12025550108"

var (
	pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	pdfBytes = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
)

func TestSendEveryKindArrives(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	e.register(user, sandboxGW)
	confirm := e.waitMessages(user, 1, func(m sim.Message) bool { return !fromAPI(m) })
	if !strings.Contains(confirm[0].Text, sandboxGW) || confirm[0].From != sandboxGW {
		t.Fatalf("confirmation %+v", confirm[0])
	}

	ids := map[string]string{}
	for _, c := range []struct {
		kind string
		body map[string]any
	}{
		{"text", map[string]any{"number": "12025550108", "message": "api: hello (y)"}},
		{"image", map[string]any{"number": "+1 202 555 0108", "image": base64.StdEncoding.EncodeToString(pngBytes), "caption": "a picture"}},
		{"document", map[string]any{"number": "1-202-555-0108", "document": base64.StdEncoding.EncodeToString(pdfBytes), "filename": "report.pdf", "caption": "the report"}},
		{"url", map[string]any{"number": "12025550108", "url": "https://example.com/a?b=c"}},
	} {
		r := e.send(a, "/v3/whatsapp/single/"+c.kind+"/message/0", c.body)
		if r.status != 200 || r.str("status") != "queued" || r.str("id") == "" {
			t.Fatalf("%s: %d %s", c.kind, r.status, r.raw)
		}
		if r.header.Get("RateLimit-Limit") != "50" || r.header.Get("RateLimit-Reset") == "" {
			t.Fatalf("%s: rate headers %v", c.kind, r.header)
		}
		ids[c.kind] = r.str("id")
	}
	got := e.waitMessages(user, 4, fromAPI)
	byKind := map[string]sim.Message{}
	for _, m := range got {
		byKind[string(m.Kind)] = m
		if m.From != sandboxGW || m.To != user {
			t.Errorf("from/to %+v", m)
		}
	}
	if m := byKind["text"]; m.Text != "api: hello 👍" {
		t.Errorf("text %q", m.Text)
	}
	if m := byKind["image"]; m.Caption != "a picture" || m.Size != len(pngBytes) {
		t.Errorf("image %+v", m)
	}
	if m := byKind["document"]; m.Filename != "report.pdf" || m.Caption != "the report" || m.Mimetype != "application/pdf" {
		t.Errorf("document %+v", m)
	}
	if m := byKind["url"]; m.Text != "https://example.com/a?b=c" {
		t.Errorf("url %+v", m)
	}
	if got := e.do("GET", "/v1/gateway/status?instance=0", nil); got.str("status") != "up" {
		t.Errorf("status %s", got.raw)
	}

	// The job goes to delivered (the sim acknowledges at once), then read.
	e.eventually("delivered", func() bool { return e.job(a, ids["text"]).str("status") == "delivered" })
	j := e.job(a, ids["text"])
	if j.str("kind") != "text" || j.str("number") != user || j.body["error_code"] != float64(0) || j.str("created_at") == "" {
		t.Fatalf("job %s", j.raw)
	}
	e.do("POST", "/sandbox/api/read", map[string]string{"number": user, "gateway": sandboxGW})
	e.eventually("read", func() bool { return e.job(a, ids["text"]).str("status") == "read" })

	// Another account cannot see the job.
	b := e.newAccount(map[string]any{"email": "other@example.com", "plan": "trial"})
	if r := e.job(b, ids["text"]); r.status != 404 {
		t.Fatalf("foreign job: %d", r.status)
	}
}

func TestTrialQuotaIsExactUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	e.register(user, sandboxGW)
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.send(a, "/v3/whatsapp/single/text/message/0", map[string]any{"number": user, "message": fmt.Sprintf("api: %d", i)})
			mu.Lock()
			codes[r.status]++
			mu.Unlock()
			if r.status == 469 && (r.header.Get("Retry-After") == "" || r.body["remedy"] == "") {
				t.Errorf("469 without Retry-After or remedy: %v %s", r.header, r.raw)
			}
		}()
	}
	wg.Wait()
	if codes[200] != 50 || codes[469] != 150 {
		t.Fatalf("codes %v, want 50 accepted and 150 refused", codes)
	}
	e.waitMessages(user, 50, fromAPI)

	// The window closes 24 hours after the first message; then 50 more.
	e.clock.Advance(24 * 60 * 60 * 1e9)
	if r := e.send(a, "/v3/whatsapp/single/text/message/0", map[string]any{"number": user, "message": "api: next day"}); r.status != 200 || r.header.Get("RateLimit-Remaining") != "49" {
		t.Fatalf("after the window: %d %v", r.status, r.header)
	}
}

func TestRecipientCap(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	for i := range 11 {
		num := fmt.Sprintf("+4915112345%03d", i)
		e.register(num, sandboxGW)
		r := e.send(a, "/v3/whatsapp/single/text/message/0", map[string]any{"number": num, "message": "api: hi"})
		want := 200
		if i == 10 {
			want = 473
		}
		if r.status != want {
			t.Fatalf("recipient %d: %d %s", i+1, r.status, r.raw)
		}
	}
	// Known recipients still work.
	if r := e.send(a, "/v3/whatsapp/single/text/message/0", map[string]any{"number": "+4915112345000", "message": "api: again"}); r.status != 200 {
		t.Fatalf("known recipient: %d %s", r.status, r.raw)
	}
}

func TestOptOutAndBack(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	e.register(user, sandboxGW)
	e.greet(user, sandboxGW, "STOP")
	e.eventually("opt-out", func() bool { r, _ := e.store.Registration(sandboxGW, user); return !r.Active() })
	r := e.send(a, "/v3/whatsapp/single/text/message/0", map[string]any{"number": user, "message": "api: hi"})
	if r.status != 472 || !strings.Contains(r.str("remedy"), "https://wa.me/15550000001?text=Hi") {
		t.Fatalf("after STOP: %d %s", r.status, r.raw)
	}
	e.register(user, sandboxGW)
	if r := e.send(a, "/v3/whatsapp/single/text/message/0", map[string]any{"number": user, "message": "api: welcome back"}); r.status != 200 {
		t.Fatalf("after Hi again: %d %s", r.status, r.raw)
	}
	e.waitMessages(user, 1, func(m sim.Message) bool { return m.Text == "api: welcome back" })
}

func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	e.register(user, sandboxGW)
	var wg sync.WaitGroup
	ids := make([]string, 20)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.send(a, "/v3/whatsapp/single/text/message/0", map[string]any{"number": user, "message": "api: once"}, "Idempotency-Key", "k1")
			ids[i] = r.str("id")
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id == "" || id != ids[0] {
			t.Fatalf("ids %v", ids)
		}
	}
	e.waitMessages(user, 1, fromAPI)
	if u, _ := e.store.UsageOf(a.id); u.Window.Used != 1 {
		t.Fatalf("counted %d times", u.Window.Used)
	}
}

func TestGroupMessagesReachEveryMember(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	members := []string{"+4915100000001", "+4915100000002", "+4915100000003"}
	for _, admin := range []string{"+4915100000009", "+4915100000008"} {
		r := e.do("POST", "/sandbox/api/groups", map[string]any{"name": "Book club", "admin": admin, "members": members, "gateway": sandboxGW})
		if r.status != 200 {
			t.Fatalf("create group: %d %s", r.status, r.raw)
		}
	}
	if r := e.send(a, "/v3/whatsapp/group/text/message/0", map[string]any{"group_name": "Book club", "message": "api: x"}); r.status != 404 || !strings.Contains(r.str("remedy"), "group_admin") {
		t.Fatalf("ambiguous group: %d %s", r.status, r.raw)
	}
	r := e.send(a, "/v3/whatsapp/group/text/message/0", map[string]any{"group_name": "Book club", "group_admin": "4915100000009", "message": "api: chapter 3"})
	if r.status != 200 {
		t.Fatalf("group send: %d %s", r.status, r.raw)
	}
	r = e.send(a, "/v3/whatsapp/group/image/message/0", map[string]any{"group_name": "Book club", "group_admin": "4915100000009",
		"image": base64.StdEncoding.EncodeToString(pngBytes), "caption": "cover"})
	if r.status != 200 {
		t.Fatalf("group image: %d %s", r.status, r.raw)
	}
	for _, m := range append(members, "+4915100000009") {
		got := e.waitMessages(m, 2, fromAPI)
		if got[0].Group != "Book club" || got[0].Text != "api: chapter 3" || got[1].Caption != "cover" {
			t.Fatalf("%s got %+v", m, got)
		}
	}
	if got := e.net.Messages("+4915100000008"); len(got) != 0 {
		t.Fatalf("the other group's admin got %+v", got)
	}
}
