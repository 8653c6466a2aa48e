package phone_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/text/language"

	"higate/lang"
	"higate/registry"
	"higate/web/webtest"
)

const gw = webtest.SandboxGW

// chatPath is the chat page of user with the sandbox number.
func chatPath(user string) string { return "/sandbox/chat/" + user + "/" + gw }

// waitLive waits until the page's event stream is connected.
func waitLive(t *testing.T, b *webtest.Browser) {
	t.Helper()
	webtest.Eventually(t, "the live stream connected", func() bool {
		return b.Eval(`document.querySelector(".phone-live").dataset.live || ""`) == "on"
	})
}

// picture is a small PNG worth looking at in the screenshot.
func picture(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 240, 150))
	for y := range 150 {
		for x := range 240 {
			img.Set(x, y, color.RGBA{R: uint8(40 + x/2), G: uint8(120 + y/2), B: 170, A: 255})
		}
	}
	for x := 30; x < 210; x++ { // a rising line, like a chart
		y := 120 - (x-30)/2
		for d := range 4 {
			img.Set(x, y+d, color.RGBA{R: 255, G: 255, B: 255, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var pdf = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

// sendAPI sends one message of kind through the public API.
func sendAPI(t *testing.T, e *webtest.Env, a webtest.Account, kind string, body map[string]any) string {
	t.Helper()
	r := e.Do("POST", fmt.Sprintf("/v3/whatsapp/single/%s/message/%d", kind, a.Instance), body, a.Headers()...)
	if r.Status != http.StatusOK {
		t.Fatalf("send %s: %d %s", kind, r.Status, r.Raw)
	}
	return r.Str("id")
}

// TestSandboxPhone is the loop a Trial developer tries: open a phone for a
// German number, greet the sandbox number, see the German confirmation
// arrive without a reload, then the developer's text, image, document and
// link sent through the public API, and mark them read.
func TestSandboxPhone(t *testing.T) {
	e := webtest.New(t)
	b := webtest.NewBrowser(t, e.URL)
	const user = "+4915123456789"

	b.Visit("/sandbox/")
	if got := b.Text("h1"); got != "Sandbox phone" {
		t.Errorf("start page title = %q", got)
	}
	b.Fill("#number", "+49 151 2345 6789")
	b.Submit(`#open button[type=submit]:not([name])`)
	if got := b.Location(); got != e.URL+chatPath(user) {
		t.Fatalf("after Open chat: %s, want %s", got, e.URL+chatPath(user))
	}
	b.WaitText("#messages", "No messages yet")

	// The gateway number is offline while the visitor types, so its answer
	// can only arrive after the page has loaded: live.
	if err := e.Net.Fault(gw, "disconnect", 0); err != nil {
		t.Fatal(err)
	}
	waitLive(t, b)
	b.Fill("#text", "Hallo")
	b.Submit("#send")
	b.WaitText(".msg.mine", "Hallo")
	b.WaitText("#gateway-state", "disconnected")
	if got := b.Text(".msg.mine .ticks"); got != "✓" {
		t.Errorf("tick of a message waiting for the gateway = %q, want ✓", got)
	}
	waitLive(t, b)
	b.Eval(`window.samePage = "yes"`)
	if err := e.Net.Fault(gw, "clear", 0); err != nil {
		t.Fatal(err)
	}
	confirmation := lang.Confirmation(language.German, gw)
	b.WaitText("#messages", confirmation)
	b.WaitText(".msg.mine .ticks", "✓✓")
	b.WaitText("#gateway-state", "active")
	b.WaitText("#unread", "1 unread")

	a := e.NewAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	textJob := e.Send(a, user, "Your code is 4711")
	b.WaitText("#messages", "Your code is 4711")
	sendAPI(t, e, a, "image", map[string]any{"number": user, "image": base64.StdEncoding.EncodeToString(picture(t)), "caption": "This week's chart"})
	sendAPI(t, e, a, "document", map[string]any{"number": user, "document": base64.StdEncoding.EncodeToString(pdf), "filename": "invoice-0042.pdf", "caption": "Your invoice"})
	sendAPI(t, e, a, "url", map[string]any{"number": user, "url": "https://example.com/orders/42"})
	b.WaitText("#messages", "https://example.com/orders/42")
	b.WaitText("#messages", "invoice-0042.pdf")
	b.WaitText("#unread", "5 unread")
	if got := b.Eval(`window.samePage || "reloaded"`); got != "yes" {
		t.Fatalf("the page reloaded (%s); messages must arrive live", got)
	}
	webtest.Eventually(t, "the image shown", func() bool {
		return b.Eval(`(function(){const i=document.querySelector(".msg img.msg-img");return i&&i.complete&&i.naturalWidth==240?"yes":"no"})()`) == "yes"
	})
	b.WaitText("#messages", "This week's chart")
	if got := b.Text(".msg-doc"); !strings.Contains(got, "invoice-0042.pdf") || !strings.Contains(got, fmt.Sprintf("%d bytes", len(pdf))) {
		t.Errorf("document link = %q, want its filename and size", got)
	}
	if got := b.Eval(`document.querySelector(".msg a[href^='https://example.com']").rel`); got != "noopener noreferrer" {
		t.Errorf("link rel = %q", got)
	}
	if n := b.Eval(`String(document.querySelectorAll(".msg.theirs").length)`); n != "5" {
		t.Errorf("gateway messages = %s, want 5", n)
	}
	// Tall enough for the whole conversation to show in the picture.
	b.Do(chromedp.EmulateViewport(1100, 1000))
	b.Screenshot("sandbox-phone")

	// The media the page links to, as a plain client fetches it.
	docHref := b.Eval(`document.querySelector(".msg-doc").getAttribute("href")`)
	r := e.Do("GET", docHref, nil)
	if r.Status != 200 || r.Raw != string(pdf) || r.Header.Get("Content-Type") != "application/pdf" ||
		r.Header.Get("Content-Disposition") != `attachment; filename=invoice-0042.pdf` ||
		r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("document: %d %v %.40q", r.Status, r.Header, r.Raw)
	}
	imgSrc := b.Eval(`document.querySelector(".msg img.msg-img").getAttribute("src")`)
	if r := e.Do("GET", imgSrc, nil); r.Status != 200 || r.Header.Get("Content-Type") != "image/png" ||
		r.Header.Get("Content-Disposition") != "inline" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("image: %d %v", r.Status, r.Header)
	}

	// Reading tells the gateway: the developer's job turns read.
	b.Submit(`#unread button`)
	if got := b.Location(); got != e.URL+chatPath(user) {
		t.Errorf("after Mark as read: %s", got)
	}
	if n := b.Eval(`String(document.querySelectorAll(".msg-new").length)`); n != "0" {
		t.Errorf("unread marks after Mark as read = %s", n)
	}
	e.Eventually("the text job read", func() bool {
		r := e.Do("GET", "/v3/whatsapp/jobs/"+textJob, nil, a.Headers()...)
		return r.Str("status") == string(registry.JobRead)
	})
	b.AssertSameOrigin()
}

// TestSandboxPhoneStopOnAPhone runs at a phone's width: a fresh test
// number, the Hi and STOP buttons with their confirmations, the number
// remembered on the start page, and nothing wider than the screen.
func TestSandboxPhoneStopOnAPhone(t *testing.T) {
	e := webtest.New(t)
	b := webtest.NewBrowser(t, e.URL)
	b.Do(chromedp.EmulateViewport(375, 740, chromedp.EmulateMobile, chromedp.EmulateScale(2)))

	b.Visit("/sandbox/")
	b.Submit(`#open button[name=fresh]`)
	loc, err := url.Parse(b.Location())
	if err != nil {
		t.Fatal(err)
	}
	user, ok := strings.CutSuffix(strings.TrimPrefix(loc.Path, "/sandbox/chat/"), "/"+gw)
	if !ok || !strings.HasPrefix(user, "+1555") || len(user) != 12 {
		t.Fatalf("fresh number's chat = %s", loc.Path)
	}
	if b.Text("#me") != user {
		t.Errorf("the page says the user is %q, want %s", b.Text("#me"), user)
	}
	b.Submit(`button[name=quick][value=Hi]`)
	b.WaitText("#messages", lang.Confirmation(language.English, gw))
	b.Submit(`button[name=quick][value=STOP]`)
	b.WaitText("#messages", lang.OptOutConfirmation(language.English, gw))
	e.Eventually("the opt-out recorded", func() bool {
		reg, err := e.Store.Registration(gw, user)
		return err == nil && !reg.Active()
	})
	if w := b.Eval(`String(document.documentElement.scrollWidth)`); w != "375" {
		t.Errorf("the chat page is %s px wide on a 375 px screen", w)
	}
	b.Screenshot("sandbox-phone-mobile")
	if got := b.Eval(`String(document.querySelector("#text").getBoundingClientRect().width > 150)`); got != "true" {
		t.Errorf("the message field is too narrow to type in at 375 px")
	}

	b.Visit("/sandbox/")
	if got := b.Text(".phone-recent"); !strings.Contains(got, user) {
		t.Errorf("recent numbers = %q, want %s", got, user)
	}
	if w := b.Eval(`String(document.documentElement.scrollWidth)`); w != "375" {
		t.Errorf("the start page is %s px wide on a 375 px screen", w)
	}
	b.AssertSameOrigin()
}
