package join_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"higate/registry"
	"higate/web/webtest"
)

// TestJoinPageInTwoLanguages drives the page in Chromium: English by
// default, German from Accept-Language, Japanese from the switcher, the QR
// code and the link pointing at wa.me with the greeting of that language,
// and nothing loaded from another origin.
func TestJoinPageInTwoLanguages(t *testing.T) {
	e := webtest.New(t)
	b := webtest.NewBrowser(t, e.URL)

	b.Visit("/join/0")
	if got := b.Text("h1"); got != "Get messages on WhatsApp" {
		t.Errorf("English title = %q", got)
	}
	if got := b.Eval(`document.querySelector("#open").href`); got != "https://wa.me/15550000001?text=Hi" {
		t.Errorf("English link = %q", got)
	}
	b.WaitText("#confirmation", "You are registered with the messaging gateway +15550000001")
	b.WaitText("#stop", "send STOP")
	if n := b.Eval(`String(document.querySelectorAll(".qr svg path").length)`); n != "1" {
		t.Errorf("QR code paths = %s, want 1", n)
	}
	b.Screenshot("join")

	b.Header("Accept-Language", "de-DE,de;q=0.9,en;q=0.5")
	b.Visit("/join/0")
	if got := b.Text("h1"); got != "Nachrichten über WhatsApp erhalten" {
		t.Errorf("German title = %q", got)
	}
	if got := b.Eval(`document.documentElement.lang`); got != "de" {
		t.Errorf("German page lang = %q", got)
	}
	if got := b.Eval(`document.querySelector("#open").href`); got != "https://wa.me/15550000001?text=Hallo" {
		t.Errorf("German link = %q", got)
	}
	b.WaitText("#stop", "STOPP")
	b.Screenshot("join-de")

	// The switcher wins over Accept-Language.
	b.Click(`.langs a[hreflang="ja"]`)
	if got := b.Eval(`document.querySelector("#open").href`); got != "https://wa.me/15550000001?text=%E3%81%93%E3%82%93%E3%81%AB%E3%81%A1%E3%81%AF" {
		t.Errorf("Japanese link = %q", got)
	}
	b.WaitText("#stop", "ストップ")
	b.AssertSameOrigin()
}

// TestJoinPageAfterFailover shows the new number once a standby has taken
// over, and answers 404 and 503 pages for a missing instance and an instance
// without a number.
func TestJoinPageAfterFailover(t *testing.T) {
	e := webtest.New(t)
	const standby = "+15550000002"
	if _, err := e.Gateway.AddNumber(registry.Number{Number: standby, Instance: 0, Transport: "sim", Role: registry.RoleStandby}); err != nil {
		t.Fatal(err)
	}
	if r := e.Do("GET", "/join/0", nil); r.Status != 200 || !strings.Contains(r.Raw, "wa.me/15550000001") {
		t.Fatalf("before: %d %.300s", r.Status, r.Raw)
	}
	if r := e.Admin("POST", "/sandbox/api/numbers/%2B15550000001/fault", map[string]any{"kind": "ban"}); r.Status != 200 {
		t.Fatalf("ban: %d %s", r.Status, r.Raw)
	}
	e.Eventually("failover to the standby", func() bool {
		n, err := e.Store.ActiveNumber(0)
		return err == nil && n.Number == standby
	})
	r := e.Do("GET", "/join/0", nil)
	if r.Status != 200 || !strings.Contains(r.Raw, "wa.me/15550000002") || strings.Contains(r.Raw, "15550000001") {
		t.Errorf("after failover: %d %.300s", r.Status, r.Raw)
	}

	if r := e.Do("GET", "/join/99", nil); r.Status != http.StatusNotFound || !strings.Contains(r.Raw, "no gateway here") {
		t.Errorf("unknown instance: %d %.300s", r.Status, r.Raw)
	}
	in, err := e.Store.CreateInstance("empty", false)
	if err != nil {
		t.Fatal(err)
	}
	r = e.Do("GET", "/join/"+strconv.FormatUint(in.ID, 10), nil)
	if r.Status != http.StatusServiceUnavailable || !strings.Contains(r.Raw, "no WhatsApp number right now") {
		t.Errorf("instance without a number: %d %.300s", r.Status, r.Raw)
	}
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP = %q", csp)
	}
}
