package console_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"higate/gateway"
	"higate/registry"
	"higate/web/webtest"
)

// signIn signs the browser in through the sign-in form.
func signIn(b *webtest.Browser) {
	b.Visit("/console/login")
	b.Fill("#token", webtest.AdminToken)
	b.Submit(`form[action="/console/login"] button[type=submit]`)
	b.WaitText("h1", "Instances and numbers")
}

// mark leaves a value in the page's window, which a reload would lose.
func mark(b *webtest.Browser) { b.Eval(`window.higateMark = "not reloaded"; "ok"`) }

func assertNotReloaded(t *testing.T, b *webtest.Browser) {
	t.Helper()
	if got := b.Eval(`String(window.higateMark)`); got != "not reloaded" {
		t.Fatalf("the page was reloaded (mark %q); it should have been patched", got)
	}
}

// A logged-out visit lands on the sign-in page; a wrong token is refused;
// the admin token signs in; and a number going from active to
// disconnected (and back) shows on the page that was loaded before,
// without a reload.
func TestConsoleShowsANumberGoingDownLive(t *testing.T) {
	e := webtest.New(t)
	const standby = "+15550000002"
	if _, err := e.Gateway.AddNumber(registry.Number{Number: standby, Instance: 0, Transport: "sim", Role: registry.RoleStandby,
		Pacing: registry.Pacing{Gap: 2 * time.Second, Jitter: 2 * time.Second, DailyCap: 1000}}); err != nil {
		t.Fatal(err)
	}
	e.Eventually("the standby connected", func() bool {
		n, _ := e.Store.Number(standby)
		return n.State == registry.StateStandby
	})
	b := webtest.NewBrowser(t, e.URL)

	b.Visit("/console/")
	if loc := b.Location(); loc != e.URL+"/console/login" {
		t.Fatalf("logged out, /console/ went to %s", loc)
	}
	b.Fill("#token", "a-wrong-token-of-some-length")
	b.Submit(`form[action="/console/login"] button[type=submit]`)
	b.WaitText(".error", "not the admin token")
	b.Fill("#token", webtest.AdminToken)
	b.Submit(`form[action="/console/login"] button[type=submit]`)
	b.WaitText("h1", "Instances and numbers")
	b.WaitText("#inst-0 .instance-status", "up")
	b.WaitText("#inst-0 table .badge", "active")
	b.WaitText("#inst-0 table", "15550000001")
	b.WaitText("#inst-0 table", "0 / 1,000")
	b.Screenshot("console-numbers")

	mark(b)
	if r := e.Admin("POST", "/sandbox/api/numbers/%2B15550000001/fault", map[string]any{"kind": "disconnect"}); r.Status != http.StatusOK {
		t.Fatalf("fault: %d %s", r.Status, r.Raw)
	}
	b.WaitText("#inst-0 table .badge", "disconnected")
	b.WaitText("#inst-0 .instance-status", "reconnecting")
	assertNotReloaded(t, b)

	if r := e.Admin("POST", "/sandbox/api/numbers/%2B15550000001/fault", map[string]any{"kind": "clear"}); r.Status != http.StatusOK {
		t.Fatalf("clear: %d %s", r.Status, r.Raw)
	}
	b.WaitText("#inst-0 table .badge", "active")
	b.WaitText("#inst-0 .instance-status", "up")
	assertNotReloaded(t, b)
	b.AssertSameOrigin()
}

// fakePhone is a number's transport that pairs like whatsmeow's, with a QR
// code payload the test rotates, as WhatsApp does every 20 seconds or so.
// Simulated numbers need no pairing, so the pairing test dials this.
type fakePhone struct {
	number string
	mu     sync.Mutex
	qr     int
}

var _ gateway.Pairer = (*fakePhone)(nil)

func (f *fakePhone) Number() string { return f.number }
func (f *fakePhone) Start(_ context.Context, handle func(gateway.Event)) error {
	handle(gateway.Event{Kind: gateway.EventPairing, Gateway: f.number, At: time.Now()})
	return nil
}
func (f *fakePhone) Stop() {}
func (f *fakePhone) Send(context.Context, gateway.Outbound) error {
	return gateway.ErrNotConnected
}
func (f *fakePhone) Groups(context.Context) ([]gateway.Group, error)  { return nil, nil }
func (f *fakePhone) OnWhatsApp(context.Context, string) (bool, error) { return true, nil }
func (f *fakePhone) IsOnWhatsApp(_ context.Context, numbers []string) ([]bool, error) {
	return make([]bool, len(numbers)), nil
}
func (f *fakePhone) SetProfile(context.Context, gateway.Profile) error { return nil }
func (f *fakePhone) PairPhone(context.Context) (string, error)         { return "ABCD-EFGH", nil }
func (f *fakePhone) rotate()                                           { f.mu.Lock(); f.qr++; f.mu.Unlock() }
func (f *fakePhone) Pairing() gateway.PairingState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return gateway.PairingState{Step: gateway.PairingCode, Updated: time.Now(),
		QR: fmt.Sprintf("2@higate-console-test-%d,Zm9vYmFy,YmF6cXV4,%d", f.qr, f.qr*7919)}
}

// phones hands out fake phones by number.
type phones struct {
	mu sync.Mutex
	m  map[string]*fakePhone
}

func (p *phones) dial(n registry.Number) (gateway.Transport, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]*fakePhone{}
	}
	if p.m[n.Number] == nil {
		p.m[n.Number] = &fakePhone{number: n.Number}
	}
	return p.m[n.Number], nil
}

func (p *phones) get(number string) *fakePhone {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m[number]
}

// Adding a WhatsApp number leads to its page with the pairing QR code,
// which follows the code WhatsApp rotates without a reload; a phone code
// is a click away.
func TestConsolePairingFollowsTheQRCode(t *testing.T) {
	var ps phones
	e := webtest.NewWith(t, webtest.Options{Dial: ps.dial})
	b := webtest.NewBrowser(t, e.URL)
	signIn(b)

	const number = "+4915111111111"
	b.Click(`#inst-0-h ~ details summary`)
	b.Fill("#number-0", number)
	b.Submit(`form[action="/console/instances/0/numbers"] button[type=submit]`)
	b.WaitText(".flash", "added to instance 0 as standby")
	b.WaitText("#pairing", "scan this code")
	b.WaitText("#number-facts", "pairing")
	qrPath := func() string {
		return b.Eval(`(document.querySelector("#pairing svg path")||{getAttribute:()=>""}).getAttribute("d")`)
	}
	first := qrPath()
	if first == "" {
		t.Fatal("no QR code on the pairing page")
	}
	if label := b.Eval(`document.querySelector("#pairing svg").getAttribute("aria-label")`); !strings.Contains(label, number) {
		t.Errorf("QR code label %q", label)
	}
	b.Screenshot("console-pairing")

	mark(b)
	ps.get(number).rotate()
	deadline := time.Now().Add(15 * time.Second)
	for qrPath() == first {
		if time.Now().After(deadline) {
			t.Fatal("the QR code did not change on the page")
		}
		time.Sleep(50 * time.Millisecond)
	}
	assertNotReloaded(t, b)

	b.Submit("#pair-code")
	b.WaitText(".flash", "ABCD-EFGH")
	b.AssertSameOrigin()
}

// Creating an account shows its secret once, and never again; the
// account is found by e-mail address, suspended (its API calls refused)
// and resumed.
func TestConsoleAccountsCreateSuspendResume(t *testing.T) {
	e := webtest.New(t)
	for _, email := range []string{"ana@example.com", "bo@example.org", "chen@example.net"} {
		e.NewAccount(map[string]any{"email": email, "plan": "forever-green"})
	}
	b := webtest.NewBrowser(t, e.URL)
	signIn(b)

	b.Visit("/console/accounts")
	b.Fill("#email", "new-dev@example.com")
	b.Submit("#create-account")
	b.WaitText(".created", "only time it is shown")
	id, secret := b.Text("#new-client-id"), b.Text("#new-secret")
	if !strings.HasPrefix(id, "hg_") || len(secret) != 64 {
		t.Fatalf("credentials shown: %q %q", id, secret)
	}
	b.Screenshot("console-accounts")
	acct := webtest.Account{ID: id, Secret: secret, Instance: 0}
	send := func() int {
		return e.Do("POST", "/v3/whatsapp/single/text/message/0", map[string]string{"number": "+4915100000009", "message": "hi"}, acct.Headers()...).Status
	}
	if got := send(); got != registry.CodeNotRegistered { // the secret works: the recipient is what is missing
		t.Fatalf("send with the new credentials: %d", got)
	}

	b.Visit("/console/accounts")
	if got := b.Eval(`String(document.documentElement.innerHTML.includes(` + "`" + secret + "`" + `))`); got != "false" {
		t.Fatal("the secret is shown again")
	}
	b.Fill("#q", "NEW-DEV@")
	b.Submit(`form[role=search] button[type=submit]`)
	b.WaitText("#accounts", id)
	if n := b.Eval(`String(document.querySelectorAll("#accounts tbody tr").length)`); n != "1" {
		t.Errorf("search found %s rows", n)
	}
	b.Submit("#accounts a")
	b.WaitText("#account-status", "active")
	b.Submit("#suspend")
	b.WaitText(".flash", "Account suspended")
	b.WaitText("#account-status", "suspended")
	if got := send(); got != registry.CodeUnauthorized {
		t.Errorf("send while suspended: %d", got)
	}
	b.Submit("#resume")
	b.WaitText("#account-status", "active")
	if got := send(); got != registry.CodeNotRegistered {
		t.Errorf("send after resuming: %d", got)
	}
	b.AssertSameOrigin()
}

// The events page lists a ban and the failover it caused, newest first,
// and filters them; the charts page draws a day of sends.
func TestConsoleEventsAndCharts(t *testing.T) {
	e := webtest.New(t)
	// A day of traffic, an hour of the clock at a time.
	acct := e.NewAccount(map[string]any{"email": "busy@example.com", "plan": "trial", "limits": map[string]int{"daily": 100000, "recipients": 100}})
	const user = "+4915100000001"
	e.Register(user, webtest.SandboxGW)
	for hour := range 23 {
		e.Clock.Advance(time.Hour)
		for range 2 + (hour*7)%9 {
			e.Send(acct, user, "hello")
		}
		e.Eventually("the hour's sends", func() bool { return e.Store.QueueDepth(0) == 0 })
		if _, err := e.Store.SampleQueueDepth(); err != nil {
			t.Fatal(err)
		}
	}

	const standby = "+15550000002"
	if _, err := e.Gateway.AddNumber(registry.Number{Number: standby, Instance: 0, Transport: "sim", Role: registry.RoleStandby}); err != nil {
		t.Fatal(err)
	}
	e.Eventually("the standby connected", func() bool {
		n, _ := e.Store.Number(standby)
		return n.State == registry.StateStandby
	})
	if r := e.Admin("POST", "/sandbox/api/numbers/%2B15550000001/fault", map[string]any{"kind": "ban"}); r.Status != http.StatusOK {
		t.Fatalf("ban: %d %s", r.Status, r.Raw)
	}
	e.Eventually("the failover", func() bool {
		n, err := e.Store.ActiveNumber(0)
		return err == nil && n.Number == standby
	})

	b := webtest.NewBrowser(t, e.URL)
	signIn(b)
	b.Visit("/console/events")
	b.WaitText("#events", "banned")
	b.WaitText("#events", "failover")
	b.Screenshot("console-events")
	b.Visit("/console/events?kind=bans&instance=0")
	b.WaitText("#events tbody tr", "banned")
	if got := b.Eval(`String(document.querySelector("#events").innerText.includes("failover"))`); got != "false" {
		t.Error("the bans filter shows a failover")
	}
	b.Visit("/console/events?kind=bans&instance=7")
	b.WaitText(".notice", "No events")

	b.Visit("/console/charts")
	b.WaitText("#traffic-chart figcaption", "accepted")
	if got := b.Eval(`document.querySelector("#traffic-chart svg title").textContent`); got != "Sends per minute, last 24 hours" {
		t.Errorf("chart title %q", got)
	}
	if got := b.Eval(`String(document.querySelectorAll("#queue-chart svg .dot, #queue-chart svg polyline").length > 0)`); got != "true" {
		t.Error("the queue chart has no samples")
	}
	b.Screenshot("console-charts")
	b.AssertSameOrigin()
}
