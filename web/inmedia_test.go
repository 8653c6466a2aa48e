package web_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"higate/gateway"
)

// get fetches a URL of the server (a path, or an absolute URL) with
// headers, returning the status, headers and body.
func (e *env) get(target string, headers ...string) (int, http.Header, []byte) {
	e.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = e.srv.URL + target
	}
	req, _ := http.NewRequest("GET", target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body
}

// A user sends an Enterprise number a photo and a document: the webhook
// gets each with a signed link that serves the file until it expires, and
// nothing with the link altered; text keeps WhatsMate's payload exactly.
func TestInboundMediaReachesTheWebhookWithASignedLink(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	a, instance := e.enterprise(rc, []string{"inbound"}, false)
	const customer = "+4915112340007"

	e.greet(customer, dedicatedGW, "Hello")
	for _, m := range []map[string]any{
		{"from": customer, "to": dedicatedGW, "media": b64(pngBytes), "caption": "my meter"},
		{"from": customer, "to": dedicatedGW, "media": b64(pdfBytes), "mimetype": "application/pdf", "filename": `C:\docs\invoice.pdf`, "text": "the invoice"},
		{"from": customer, "to": dedicatedGW, "media": b64(oggOpusBytes), "mimetype": "audio/ogg; codecs=opus"},
	} {
		if r := e.admin("POST", "/sandbox/api/inbound", m); r.status != 200 {
			t.Fatalf("inbound media: %d %s", r.status, r.raw)
		}
	}
	e.eventually("four webhooks", func() bool { return len(rc.received()) >= 4 })
	got := rc.received()

	// Text: WhatsMate's fields and nothing else.
	want := map[string]any{"token": "tok123", "type": "individual", "instance_id": instance,
		"gateway_number": "15550000100", "number": "4915112340007", "message": "Hello", "group_name": "", "group_admin": ""}
	if fmt.Sprint(got[0]) != fmt.Sprint(want) {
		t.Fatalf("text payload %v, want %v", got[0], want)
	}

	for i, c := range []struct {
		data                            []byte
		mimetype, filename, caption, cd string
	}{
		{pngBytes, "image/png", "", "my meter", "attachment"},
		{pdfBytes, "application/pdf", "invoice.pdf", "the invoice", `attachment; filename=invoice.pdf`},
		{oggOpusBytes, "audio/ogg; codecs=opus", "", "", "attachment"},
	} {
		p := got[i+1]
		if p["type"] != "individual" || p["number"] != "4915112340007" || p["message"] != c.caption || p["token"] != "tok123" {
			t.Errorf("media payload %d: %v", i, p)
		}
		if p["mime_type"] != c.mimetype || str(p["filename"]) != c.filename || str(p["caption"]) != c.caption {
			t.Errorf("media payload %d fields: %v", i, p)
		}
		link, _ := p["media_url"].(string)
		if !strings.HasPrefix(link, "/v3/media/") || !strings.Contains(link, "exp=") || !strings.Contains(link, "sig=") {
			t.Fatalf("media_url %q", link)
		}
		status, h, body := e.get(link)
		if status != 200 || !bytes.Equal(body, c.data) || h.Get("Content-Type") != c.mimetype || h.Get("Content-Disposition") != c.cd ||
			h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("GET %s: %d %v %q", link, status, h, body)
		}
	}

	link, _ := got[2]["media_url"].(string) // the invoice
	u, _ := url.Parse(link)
	id, q := strings.TrimPrefix(u.Path, "/v3/media/"), u.Query()
	exp, _ := strconv.ParseInt(q.Get("exp"), 10, 64)
	if d := time.Unix(exp, 0).Sub(e.clock.Now()); d < 7*24*time.Hour-time.Second || d > 7*24*time.Hour {
		t.Errorf("the link lasts %v, want 7 days", d)
	}
	sig := q.Get("sig")
	flip := func(s string) string {
		b := []byte(s)
		b[len(b)-1] ^= 1
		return string(b)
	}
	nextID, _ := strconv.Atoi(id)
	for _, c := range []struct {
		name, target string
		code         int
	}{
		{"tampered signature", fmt.Sprintf("/v3/media/%s?exp=%d&sig=%s", id, exp, flip(sig)), 403},
		{"expiry pushed back", fmt.Sprintf("/v3/media/%s?exp=%d&sig=%s", id, exp+3600, sig), 403},
		{"another file", fmt.Sprintf("/v3/media/%d?exp=%d&sig=%s", nextID+1, exp, sig), 403},
		{"no signature", fmt.Sprintf("/v3/media/%s?exp=%d", id, exp), 403},
		{"exp not a number", fmt.Sprintf("/v3/media/%s?exp=soon&sig=%s", id, sig), 403},
		{"no credentials", "/v3/media/" + id, 474},
		{"not a media ID", "/v3/media/abc", 404},
	} {
		status, _, body := e.get(c.target)
		if status != c.code || !strings.Contains(string(body), `"remedy"`) {
			t.Errorf("%s: %d %s, want %d", c.name, status, body, c.code)
		}
	}

	// The owner fetches with its credentials, other accounts do not.
	if status, _, body := e.get("/v3/media/"+id, a.headers()...); status != 200 || !bytes.Equal(body, pdfBytes) {
		t.Errorf("with the owner's credentials: %d %q", status, body)
	}
	other := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	if status, _, _ := e.get("/v3/media/"+id, other.headers()...); status != 404 {
		t.Errorf("another account's credentials: %d", status)
	}

	// Seven days and a second later the link has expired (410); the
	// credentials still work until the retention deletes the file.
	e.clock.Advance(7*24*time.Hour + time.Second)
	if status, _, body := e.get(link); status != 410 || !strings.Contains(string(body), "expired") {
		t.Errorf("expired link: %d %s", status, body)
	}
	if status, _, _ := e.get("/v3/media/"+id, a.headers()...); status != 200 {
		t.Errorf("credentials after the link expired: %d", status)
	}
	e.clock.Advance(30 * 24 * time.Hour)
	p, err := e.store.Prune()
	if err != nil || p.Media != 3 {
		t.Fatalf("prune: %+v %v", p, err)
	}
	if status, _, _ := e.get("/v3/media/"+id, a.headers()...); status != 404 {
		t.Errorf("after the retention: %d", status)
	}
}

// A file that cannot be kept (too large, the download failed) still
// reaches the webhook, with an empty media_url, and nothing is stored.
func TestInboundMediaThatCannotBeKept(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	_, instance := e.enterprise(rc, []string{"inbound"}, false)
	in, err := e.store.Instance(mustInstance(instance))
	if err != nil {
		t.Fatal(err)
	}
	var limits []int64
	e.hooks.Inbound(in, gateway.Event{Kind: gateway.EventInbound, Gateway: dedicatedGW, From: "+4915112340008", Text: "huge",
		Attachment: &gateway.Attachment{Kind: gateway.KindVideo, Mimetype: "video/mp4", Size: 1 << 30,
			Fetch: func(_ context.Context, limit int64) ([]byte, error) {
				limits = append(limits, limit)
				return nil, errors.New("over the limit")
			}}})
	e.eventually("the webhook", func() bool { return len(rc.received()) == 1 })
	p := rc.received()[0]
	if url, ok := p["media_url"]; !ok || url != "" || p["mime_type"] != "video/mp4" || p["message"] != "huge" || p["caption"] != "huge" {
		t.Fatalf("payload %v", p)
	}
	if len(limits) != 1 || limits[0] != 64<<20 {
		t.Fatalf("fetched with limits %v, want 64 MB once", limits)
	}
	e.clock.Advance(31 * 24 * time.Hour)
	if p, err := e.store.Prune(); err != nil || p.Media != 0 {
		t.Fatalf("prune: %+v %v", p, err)
	}
}

// On a shared instance a user's photo goes nowhere: no webhook, nothing
// kept.
func TestInboundMediaOnASharedInstanceIsNotKept(t *testing.T) {
	e := newEnv(t)
	e.register(user, sandboxGW)
	if r := e.do("POST", "/sandbox/api/inbound", map[string]any{"from": user, "to": sandboxGW, "media": b64(pngBytes)}); r.status != 200 {
		t.Fatalf("inbound: %d %s", r.status, r.raw)
	}
	e.clock.Advance(31 * 24 * time.Hour)
	if p, err := e.store.Prune(); err != nil || p.Media != 0 {
		t.Fatalf("prune: %+v %v", p, err)
	}
}

func TestSandboxInboundMediaRefusals(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		body   map[string]any
		code   int
		phrase string
	}{
		{map[string]any{"from": user, "to": sandboxGW, "media": "!!"}, 400, "base64"},
		{map[string]any{"from": user, "to": sandboxGW, "media": b64(pngBytes), "mimetype": "png"}, 400, "mimetype"},
		{map[string]any{"from": user, "to": sandboxGW, "media": b64(pngBytes), "filename": strings.Repeat("f", 256)}, 400, "255 bytes"},
		{map[string]any{"from": user, "to": sandboxGW, "media": b64(pngBytes), "caption": strings.Repeat("c", 801)}, 400, "caption"},
		{map[string]any{"from": user, "to": sandboxGW, "media": b64(make([]byte, 16<<20+1))}, 413, "16 MB"},
	} {
		r := e.do("POST", "/sandbox/api/inbound", c.body)
		if r.status != c.code || !strings.Contains(r.str("message")+" "+r.str("remedy"), c.phrase) {
			t.Errorf("%.100v: %d %.200s", c.body, r.status, r.raw)
		}
	}
}

func str(v any) string { s, _ := v.(string); return s }
