package portal_test

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"higate/registry"
	"higate/web/webtest"
)

// signIn signs the browser in with the account's credentials and waits
// for the overview.
func signIn(b *webtest.Browser, a webtest.Account) {
	b.Visit("/portal/login")
	b.Fill("#client_id", a.ID)
	b.Fill("#client_secret", a.Secret)
	b.Submit(`button[type="submit"]`)
	b.WaitText("h1", "Overview")
}

// TestPortalLoginAndOverview: a logged-out visit goes to the sign-in page,
// a wrong secret is refused without saying which field was wrong, and the
// overview after signing in shows the registry's numbers: the plan, the
// window, recipients, the gateway number with its join page and QR code.
func TestPortalLoginAndOverview(t *testing.T) {
	e := webtest.New(t)
	a := e.NewAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	users := []string{"+12025550101", "+12025550102"}
	for _, u := range users {
		e.Register(u, webtest.SandboxGW)
	}
	e.Send(a, users[0], "one")
	e.Send(a, users[0], "two")
	e.Send(a, users[1], "three")

	b := webtest.NewBrowser(t, e.URL)
	b.Visit("/portal/jobs")
	if loc := b.Location(); !strings.HasSuffix(loc, "/portal/login?next=%2Fportal%2Fjobs") {
		t.Fatalf("logged-out visit went to %s", loc)
	}
	b.Fill("#client_id", a.ID)
	b.Fill("#client_secret", a.Secret+"x")
	b.Submit(`button[type="submit"]`)
	b.WaitText(".error", "The client ID or the secret is not right")
	if got := b.Eval(`document.querySelector("#client_id").value`); got != a.ID {
		t.Errorf("client ID not kept after a failed attempt: %q", got)
	}
	if got := b.Eval(`document.querySelector("#client_secret").value`); got != "" {
		t.Errorf("secret kept in the form: %q", got)
	}
	b.Fill("#client_secret", a.Secret)
	b.Submit(`button[type="submit"]`)
	if loc := b.Location(); !strings.HasSuffix(loc, "/portal/jobs") {
		t.Fatalf("after signing in: %s, want the page asked for", loc)
	}

	b.Visit("/portal/")
	u, err := e.Store.UsageOf(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	acct, _ := e.Store.Account(a.ID)
	limits := acct.EffectiveLimits()
	for sel, want := range map[string]string{
		"#plan":            "Trial",
		"#status":          "active",
		"#window-used":     strconv.Itoa(u.Window.Used),
		"#window-limit":    strconv.Itoa(limits.Daily),
		"#recipients-used": strconv.Itoa(u.Recipients),
		"#recipients-cap":  strconv.Itoa(limits.Recipients),
		"#gateway-number":  webtest.SandboxGW,
		"#window-reset":    fmt.Sprintf("%d left; resets in 24 h", limits.Daily-u.Window.Used),
		"#period-end":      "no end date",
	} {
		if got := b.Text(sel); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	if u.Window.Used != 3 || u.Recipients != 2 {
		t.Errorf("registry: %+v, want 3 used and 2 recipients", u)
	}
	if got := b.Eval(`document.querySelector("#window-meter").value + "/" + document.querySelector("#window-meter").max`); got != "3/50" {
		t.Errorf("window meter = %s", got)
	}
	if got := b.Eval(`document.querySelector("#join-link").getAttribute("href")`); got != "/join/0" {
		t.Errorf("join link = %q", got)
	}
	if got := b.Text("#join-url"); got != e.URL+"/join/0" {
		t.Errorf("join URL = %q", got)
	}
	if n := b.Eval(`String(document.querySelectorAll(".portal-gateway .qr svg path").length)`); n != "1" {
		t.Errorf("QR code paths = %s", n)
	}
	b.Screenshot("portal-overview")
	b.AssertSameOrigin()

	// Signing out ends the session: the pages send the browser back.
	b.Submit(`nav form button`)
	b.WaitText(".flash", "You are signed out")
	b.Visit("/portal/")
	if loc := b.Location(); !strings.HasSuffix(loc, "/portal/login") {
		t.Errorf("after signing out, /portal/ went to %s", loc)
	}
}

// TestPortalJobs sends through the API and follows the jobs in the list
// and the detail's timeline: one delivered and read, one failed with its
// code and remedy, filtered by status, and another account's job not
// found.
func TestPortalJobs(t *testing.T) {
	e := webtest.New(t)
	a := e.NewAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	other := e.NewAccount(map[string]any{"email": "other@example.com", "plan": "trial"})
	const user, gone = "+12025550111", "+12025550112"
	e.Register(user, webtest.SandboxGW)
	e.Register(gone, webtest.SandboxGW)
	if err := e.Net.SetOnWhatsApp(gone, false); err != nil {
		t.Fatal(err)
	}
	ok := e.Send(a, user, "Hello (y)")
	failed := e.Send(a, gone, "Hello?")
	theirs := e.Send(other, user, "Not yours")
	state := func(id string) registry.JobState {
		n, _ := registry.ParseJobID(id)
		j, _ := e.Store.Job(n)
		return j.State
	}
	e.Eventually("the first job delivered", func() bool { return state(ok) == registry.JobDelivered })
	e.Eventually("the second job failed", func() bool { return state(failed) == registry.JobFailed })

	b := webtest.NewBrowser(t, e.URL)
	signIn(b, a)
	b.Visit("/portal/jobs")
	rows := b.Eval(`Array.from(document.querySelectorAll("#jobs tbody tr")).map(r => r.dataset.job).join(",")`)
	if rows != failed+","+ok {
		t.Fatalf("job rows = %q, want %s,%s (newest first, only the account's)", rows, failed, ok)
	}
	b.WaitText(`tr[data-job="`+ok+`"]`, "delivered")
	b.WaitText(`tr[data-job="`+failed+`"]`, "failed")
	b.WaitText(`tr[data-job="`+failed+`"]`, "404")
	b.Screenshot("portal-jobs")

	// The filter: the select submits its form when it changes.
	b.Do(chromedp.SetValue(chromedp.CSS("#status"), "failed"))
	webtest.Eventually(t, "the failed jobs", func() bool {
		return strings.HasSuffix(b.Location(), "/portal/jobs?status=failed") &&
			b.Eval(`Array.from(document.querySelectorAll("#jobs tbody tr")).map(r => r.dataset.job).join(",")`) == failed
	})

	// Read receipts, then the delivered job's timeline.
	if err := e.Net.Read(user, webtest.SandboxGW); err != nil {
		t.Fatal(err)
	}
	e.Eventually("the first job read", func() bool { return state(ok) == registry.JobRead })
	b.Visit("/portal/jobs")
	b.Submit(`a[href="/portal/jobs/` + ok + `"]`)
	b.WaitText("h1", "Job #"+ok)
	for _, name := range []string{"Queued", "Sent", "Delivered", "Read"} {
		if got := b.Eval(`document.querySelector('#timeline li[data-step="` + name + `"]').className`); got != "step-done" {
			t.Errorf("step %s = %q, want step-done", name, got)
		}
	}
	b.WaitText("#job-text", "Hello 👍")
	b.Screenshot("portal-job")

	b.Visit("/portal/jobs/" + failed)
	b.WaitText(`#timeline li[data-step="Failed"]`, "not on WhatsApp")
	b.WaitText("#error-code", "404")
	b.WaitText("#remedy", "no WhatsApp account")
	b.WaitText(`#timeline li[data-step="Failed"]`, "given back to your 24-hour window")

	// Another account's job is not found, like one that does not exist.
	b.Visit("/portal/jobs/" + theirs)
	b.WaitText("h1", "No such job")
	if strings.Contains(b.Text("main"), "Not yours") {
		t.Error("another account's job shown")
	}

	// Every page fits a 375 px phone (tables and code scroll inside).
	b.Do(chromedp.EmulateViewport(375, 740, chromedp.EmulateMobile))
	for _, p := range []string{"/portal/", "/portal/jobs", "/portal/jobs/" + ok, "/portal/recipients", "/portal/send",
		"/portal/webhooks", "/portal/credentials", "/portal/billing"} {
		b.Visit(p)
		if w := b.Eval(`String(document.documentElement.scrollWidth)`); w != "375" {
			t.Errorf("%s is %s px wide on a 375 px screen", p, w)
		}
	}
	b.AssertSameOrigin()
}

// TestPortalSendForm sends a text, an image, a document and a link from
// the form, each queued through the API's path with a link to its job, and
// shows the API's refusal for a recipient who has not said Hi.
func TestPortalSendForm(t *testing.T) {
	e := webtest.New(t)
	a := e.NewAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	const user = "+12025550121"
	e.Register(user, webtest.SandboxGW)
	dir := t.TempDir()
	png := filepath.Join(dir, "pixel.png")
	pdf := filepath.Join(dir, "report.pdf")
	if err := os.WriteFile(png, pixelPNG, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pdf, []byte("%PDF-1.4\n% a test document\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	b := webtest.NewBrowser(t, e.URL)
	signIn(b, a)
	b.Visit("/portal/send")
	b.Fill("#number", "1 202 555 0121")
	b.Fill("#message", "Hello from the portal")
	b.Screenshot("portal-send")
	b.Submit("#send")
	b.WaitText("#queued", "Message queued as job")
	b.Submit("#queued-link")
	b.WaitText("h1", "Job #")
	b.WaitText("#job-text", "Hello from the portal")

	b.Visit("/portal/send?kind=image")
	b.Fill("#number", user)
	b.Do(chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{png}))
	b.Fill("#caption", "A pixel")
	b.Submit("#send")
	b.WaitText("#queued", "Message queued as job")

	b.Visit("/portal/send?kind=document")
	b.Fill("#number", user)
	b.Do(chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{pdf}))
	b.Submit("#send")
	b.WaitText("#queued", "Message queued as job")

	b.Visit("/portal/send?kind=url")
	b.Fill("#number", user)
	b.Fill("#url", "https://example.com/docs")
	b.Submit("#send")
	b.WaitText("#queued", "Message queued as job")

	e.Eventually("four messages received", func() bool { return len(e.Net.Messages(user)) >= 5 }) // and the confirmation
	msgs := e.Net.Messages(user)
	kinds := ""
	for _, m := range msgs[len(msgs)-4:] {
		kinds += string(m.Kind) + " "
	}
	if kinds != "text image document url " {
		t.Errorf("received kinds %q", kinds)
	}
	if last := msgs[len(msgs)-2]; last.Filename != "report.pdf" {
		t.Errorf("document file name = %q", last.Filename)
	}

	// The API's refusal, with its remedy; the form keeps what was typed.
	b.Visit("/portal/send")
	b.Fill("#number", "+12025550199")
	b.Fill("#message", "Who are you?")
	b.Submit("#send")
	b.WaitText(".error", "has not registered with this instance's gateway number")
	b.WaitText(".error", "wa.me/15550000001")
	if got := b.Eval(`document.querySelector("#message").value`); got != "Who are you?" {
		t.Errorf("message after a refusal = %q", got)
	}
	b.AssertSameOrigin()
}

// pixelPNG is a 1×1 PNG.
var pixelPNG = []byte{
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
	0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xff, 0xff, 0x3f,
	0x00, 0x05, 0xfe, 0x02, 0xfe, 0xa7, 0x35, 0x81, 0x84, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
	0x44, 0xae, 0x42, 0x60, 0x82,
}

// TestPortalRotateSecret rotates the secret in one browser: the new secret
// is shown once, the old one is refused by the API and the new one
// accepted, the other browser's session is over, and this one's goes on.
func TestPortalRotateSecret(t *testing.T) {
	e := webtest.New(t)
	a := e.NewAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	b, other := webtest.NewBrowser(t, e.URL), webtest.NewBrowser(t, e.URL)
	signIn(b, a)
	signIn(other, a)

	b.Visit("/portal/credentials")
	b.WaitText("#client-id", a.ID)
	b.WaitText("#sample-curl", "X-WM-CLIENT-ID: "+a.ID)
	b.WaitText("#sample-curl", "/v3/whatsapp/single/text/message/0")
	b.WaitText("#sample-curl", "YOUR_CLIENT_SECRET")
	for _, id := range []string{"sample-curl", "sample-python", "sample-php", "sample-node", "sample-go"} {
		if got := b.Eval(`String(!document.querySelector('button[data-copy="` + id + `"]').hidden)`); got != "true" {
			t.Errorf("copy button of %s hidden", id)
		}
		if strings.Contains(b.Text("#"+id), a.Secret) {
			t.Errorf("%s shows the secret", id)
		}
	}
	b.Screenshot("portal-credentials")

	b.Eval(`window.confirm = () => true, "ok"`) // the form asks first
	b.Submit("#rotate")
	b.WaitText("h1", "Your new secret")
	secret := b.Text("#new-secret")
	if len(secret) != 64 || secret == a.Secret {
		t.Fatalf("new secret %q", secret)
	}
	b.WaitText("#sample-python", secret)

	// The API refuses the old secret and takes the new one.
	if r := e.Do("GET", "/v3/whatsapp/jobs/1", nil, a.Headers()...); r.Status != registry.CodeUnauthorized {
		t.Errorf("old secret: %d %s", r.Status, r.Raw)
	}
	fresh := a
	fresh.Secret = secret
	if r := e.Do("GET", "/v3/whatsapp/jobs/1", nil, fresh.Headers()...); r.Status != http.StatusNotFound {
		t.Errorf("new secret: %d %s, want 404 (no such job)", r.Status, r.Raw)
	}

	// The other browser is signed out; this one is not, and the secret is
	// not shown again.
	other.Visit("/portal/")
	if loc := other.Location(); !strings.Contains(loc, "/portal/login") {
		t.Fatalf("other browser after the rotation: %s", loc)
	}
	other.WaitText(".flash", "Your session has ended")
	b.Visit("/portal/credentials")
	b.WaitText("h1", "Credentials")
	if strings.Contains(b.Text("main"), secret) {
		t.Error("the credentials page shows the new secret again")
	}
	b.AssertSameOrigin()
	other.AssertSameOrigin()
}

// TestPortalWebhookReplay sets up an Enterprise webhook from the page (its
// signing secret shown once), has a receiver that refuses the first
// delivery, then replays it once the receiver is back, and sends a test.
func TestPortalWebhookReplay(t *testing.T) {
	e := webtest.New(t)
	a := e.NewAccount(map[string]any{"email": "corp@example.com", "plan": "enterprise"})
	const dedicated, user = "+15550000077", "+12025550131"
	if _, err := e.Gateway.AddNumber(registry.Number{Number: dedicated, Instance: a.Instance, Transport: "sim", Role: registry.RoleActive}); err != nil {
		t.Fatal(err)
	}
	var up atomic.Bool
	var got atomic.Int32
	receiver := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			w.WriteHeader(http.StatusGone) // stop at once: the delivery fails, the webhook goes off
			return
		}
		if r.Header.Get("X-Higate-Event") == "inbound" {
			got.Add(1)
		}
	})

	b := webtest.NewBrowser(t, e.URL)
	signIn(b, a)
	b.Visit("/portal/webhooks")
	b.WaitText("#webhook-state", "not set up")
	b.Fill("#url", receiver)
	if got := b.Eval(`[...document.querySelectorAll('input[name="events"]:checked')].map(e => e.value).join(",")`); got != "inbound" {
		t.Errorf("a new webhook's events = %q, want inbound only", got)
	}
	b.Submit(`#webhook-form button[type="submit"]`)
	b.WaitText(".flash", "Webhook settings saved")
	if s := b.Text("#webhook-secret"); !strings.HasPrefix(s, "whsec_") {
		t.Fatalf("signing secret shown = %q", s)
	}

	e.Greet(user, dedicated, "Hello, shop")
	e.Eventually("the delivery failed", func() bool {
		acct, _ := e.Store.Account(a.ID)
		return !acct.Webhook.Active
	})
	b.Visit("/portal/webhooks")
	if strings.Contains(b.Text("main"), "whsec_") {
		t.Error("the signing secret is shown again")
	}
	b.WaitText("#webhook-state", "off")
	b.WaitText("#deliveries tbody", "failed")
	b.WaitText("#deliveries tbody", "HTTP 410")

	up.Store(true)
	b.Submit("#webhook-replay")
	b.WaitText(".flash", "switched on again; 1 failed deliveries")
	e.Eventually("the replayed delivery", func() bool { return got.Load() >= 1 })
	e.Eventually("delivered in the registry", func() bool {
		ds, _ := e.Store.Deliveries(a.ID, 10)
		return len(ds) > 0 && ds[0].State == registry.DeliveryDelivered
	})
	b.Visit("/portal/webhooks")
	b.WaitText("#webhook-state", "on")
	b.WaitText("#deliveries tbody", "delivered")
	b.Screenshot("portal-webhooks")

	b.Submit("#webhook-test")
	b.WaitText(".flash", "answered HTTP 200")
	b.AssertSameOrigin()
}

// TestPortalWebhooksNeedEnterprise: a Trial account sees what webhooks
// are and how to get them, and its forms change nothing.
func TestPortalWebhooksNeedEnterprise(t *testing.T) {
	e := webtest.New(t)
	a := e.NewAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	c := newClient(t, e)
	c.signIn(a.ID, a.Secret)
	if r := c.get("/portal/webhooks"); r.status != 200 || !strings.Contains(r.body, "Webhooks come with Enterprise") ||
		!strings.Contains(r.body, "Trial plan does not include webhooks") {
		t.Fatalf("webhooks page of a Trial account: %d %.500s", r.status, r.body)
	}
	if r := c.post("/portal/webhooks", url.Values{"url": {"https://example.com/hook"}, "events": {"inbound"}}); r.status != http.StatusSeeOther {
		t.Fatalf("saving: %d", r.status)
	}
	if acct, _ := e.Store.Account(a.ID); acct.Webhook.URL != "" {
		t.Errorf("a Trial account's webhook was set: %+v", acct.Webhook)
	}
}

// TestPortalRecipientsAreTheAccountsOwn lists the numbers the account has
// sent to with their registration state, and none of the other users of
// the shared number.
func TestPortalRecipientsAreTheAccountsOwn(t *testing.T) {
	e := webtest.New(t)
	a := e.NewAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	other := e.NewAccount(map[string]any{"email": "other@example.com", "plan": "trial"})
	const mine, stopped, theirs, bystander = "+12025550141", "+12025550142", "+12025550143", "+12025550144"
	for _, u := range []string{mine, stopped, theirs, bystander} {
		e.Register(u, webtest.SandboxGW)
	}
	e.Send(a, mine, "hi")
	e.Send(a, stopped, "hi")
	e.Send(other, theirs, "hi")
	e.Greet(stopped, webtest.SandboxGW, "STOP")
	e.Eventually("the opt-out", func() bool {
		r, err := e.Store.Registration(webtest.SandboxGW, stopped)
		return err == nil && !r.Active()
	})

	c := newClient(t, e)
	c.signIn(a.ID, a.Secret)
	r := c.get("/portal/recipients")
	if r.status != 200 {
		t.Fatalf("recipients: %d", r.status)
	}
	for _, want := range []string{">" + mine + "<", ">" + stopped + "<", "state-registered", "state-opted_out", "opted out"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("recipients page lacks %q", want)
		}
	}
	for _, not := range []string{theirs, bystander} {
		if strings.Contains(r.body, not) {
			t.Errorf("recipients page shows %s, who is not the account's", not)
		}
	}
}

// TestPortalSessions: CSRF refusal, the sign-in limit with when to retry,
// idle expiry on the env's clock, suspended and expired accounts, logged-
// out requests and unknown pages.
func TestPortalSessions(t *testing.T) {
	e := webtest.New(t)
	a := e.NewAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})

	t.Run("CSRF", func(t *testing.T) {
		c := newClient(t, e)
		form := url.Values{"client_id": {a.ID}, "client_secret": {a.Secret}}
		if r := c.post("/portal/login", form, "Origin", "https://evil.example"); r.status != http.StatusForbidden {
			t.Errorf("cross-site sign-in: %d", r.status)
		}
		c.signIn(a.ID, a.Secret)
		if r := c.post("/portal/secret", nil, "Sec-Fetch-Site", "cross-site"); r.status != http.StatusForbidden {
			t.Errorf("cross-site rotation: %d", r.status)
		}
		if acct, _ := e.Store.Account(a.ID); acct.SecretHash == "" {
			t.Fatal("no account")
		}
		if _, err := e.Store.Authenticate(a.ID, a.Secret); err != nil {
			t.Errorf("the secret changed after a refused cross-site rotation: %v", err)
		}
	})

	t.Run("idle expiry", func(t *testing.T) {
		c := newClient(t, e)
		c.signIn(a.ID, a.Secret)
		if r := c.get("/portal/jobs"); r.status != 200 {
			t.Fatalf("signed in: %d", r.status)
		}
		e.Clock.Advance(29 * time.Minute)
		if r := c.get("/portal/jobs"); r.status != 200 {
			t.Fatalf("after 29 minutes: %d", r.status)
		}
		e.Clock.Advance(31 * time.Minute)
		r := c.get("/portal/jobs")
		if r.status != http.StatusSeeOther || r.location != "/portal/login?next=%2Fportal%2Fjobs" {
			t.Fatalf("after 31 idle minutes: %d %s", r.status, r.location)
		}
		if r := c.get(r.location); !strings.Contains(r.body, "Your session has ended") {
			t.Errorf("sign-in page after expiry: %.400s", r.body)
		}
	})

	t.Run("logged out", func(t *testing.T) {
		c := newClient(t, e)
		for _, p := range []string{"/portal/", "/portal/jobs/1", "/portal/recipients", "/portal/send", "/portal/webhooks",
			"/portal/credentials", "/portal/billing", "/portal/no-such-page"} {
			r := c.get(p)
			if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/portal/login") {
				t.Errorf("GET %s: %d %s", p, r.status, r.location)
			}
		}
		for _, p := range []string{"/portal/send", "/portal/secret", "/portal/webhooks/replay"} {
			if r := c.post(p, url.Values{}); r.status != http.StatusSeeOther || r.location != "/portal/login" {
				t.Errorf("POST %s: %d %s", p, r.status, r.location)
			}
		}
		if r := c.get("/portal"); r.status != http.StatusMovedPermanently || r.location != "/portal/" {
			t.Errorf("/portal: %d %s", r.status, r.location)
		}
		// After signing in, next= may only lead into the portal.
		r := c.post("/portal/login", url.Values{"client_id": {a.ID}, "client_secret": {a.Secret}, "next": {"//evil.example/x"}})
		if r.status != http.StatusSeeOther || r.location != "/portal/" {
			t.Errorf("next outside the portal: %d %s", r.status, r.location)
		}
		if r := c.get("/portal/no-such-page"); r.status != http.StatusNotFound || !strings.Contains(r.body, "There is no such page") {
			t.Errorf("unknown page signed in: %d", r.status)
		}
	})

	t.Run("suspended and expired", func(t *testing.T) {
		s := e.NewAccount(map[string]any{"email": "late@example.com", "plan": "trial"})
		c := newClient(t, e)
		c.signIn(s.ID, s.Secret)
		if _, err := e.Store.SetStatus(s.ID, registry.StatusSuspended); err != nil {
			t.Fatal(err)
		}
		r := c.get("/portal/")
		if r.status != http.StatusSeeOther {
			t.Fatalf("a suspended account's session: %d", r.status)
		}
		if r := c.get(r.location); !strings.Contains(r.body, "The account is suspended") {
			t.Errorf("notice after suspension: %.400s", r.body)
		}
		r = c.post("/portal/login", url.Values{"client_id": {s.ID}, "client_secret": {s.Secret}})
		if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "The account is suspended: contact the operator") {
			t.Errorf("suspended sign-in: %d %.600s", r.status, r.body)
		}
		if _, err := e.Store.SetStatus(s.ID, registry.StatusExpired); err != nil {
			t.Fatal(err)
		}
		r = c.post("/portal/login", url.Values{"client_id": {s.ID}, "client_secret": {s.Secret}})
		if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "expired") || !strings.Contains(r.body, "renew your plan") {
			t.Errorf("expired sign-in: %d %.600s", r.status, r.body)
		}
		// A wrong secret for the same account says nothing about it.
		r = c.post("/portal/login", url.Values{"client_id": {s.ID}, "client_secret": {"wrong"}})
		if r.status != http.StatusUnauthorized || strings.Contains(r.body, "expired") || !strings.Contains(r.body, "is not right") {
			t.Errorf("wrong secret of an expired account: %d %.600s", r.status, r.body)
		}
	})

	// Last: it uses up the address's sign-in attempts.
	t.Run("rate limit", func(t *testing.T) {
		c := newClient(t, e)
		var r response
		for i := range 20 {
			r = c.post("/portal/login", url.Values{"client_id": {a.ID}, "client_secret": {"guess" + strconv.Itoa(i)}})
			if r.status == http.StatusTooManyRequests {
				break
			}
		}
		if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "6" || !strings.Contains(r.body, "Try again in 6 seconds") {
			t.Fatalf("after many attempts: %d Retry-After %q %.500s", r.status, r.header.Get("Retry-After"), r.body)
		}
		// Refused even with the right secret, until the limit lets go.
		if r := c.post("/portal/login", url.Values{"client_id": {a.ID}, "client_secret": {a.Secret}}); r.status != http.StatusTooManyRequests {
			t.Errorf("right secret while limited: %d", r.status)
		}
		e.Clock.Advance(6 * time.Second)
		if r := c.post("/portal/login", url.Values{"client_id": {a.ID}, "client_secret": {a.Secret}}); r.status != http.StatusSeeOther {
			t.Errorf("after waiting: %d", r.status)
		}
	})
}

// client is a browser without a browser: cookies, no redirects followed.
type client struct {
	t    *testing.T
	e    *webtest.Env
	http *http.Client
}

// response is an answer; its body has HTML's character references
// resolved, as a browser shows it.
type response struct {
	status   int
	location string
	header   http.Header
	body     string
}

func newClient(t *testing.T, e *webtest.Env) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, e: e, http: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(req *http.Request) response {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return response{status: resp.StatusCode, location: resp.Header.Get("Location"), header: resp.Header, body: html.UnescapeString(string(body))}
}

func (c *client) get(path string) response {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.e.URL+path, nil)
	return c.do(req)
}

// post sends a form; headers are name, value pairs.
func (c *client) post(path string, form url.Values, headers ...string) response {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.e.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

func (c *client) signIn(id, secret string) {
	c.t.Helper()
	if r := c.post("/portal/login", url.Values{"client_id": {id}, "client_secret": {secret}}); r.status != http.StatusSeeOther {
		c.t.Fatalf("sign in: %d %.500s", r.status, r.body)
	}
}

// newReceiver starts a webhook receiver and returns its URL.
func newReceiver(t *testing.T, h http.HandlerFunc) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/hook"
}
