package console_test

import (
	"bufio"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"higate/quota"
	"higate/registry"
	"higate/web"
	"higate/web/ui/console"
	"higate/web/webtest"
)

// operator is an HTTP client of the console with its own cookies. It does
// not follow redirects, so tests see where the console sends it.
type operator struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newOperator(t *testing.T, base string) *operator {
	jar, _ := cookiejar.New(nil)
	return &operator{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (o *operator) do(method, path string, form url.Values, headers ...string) page {
	o.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, o.base+path, body)
	if err != nil {
		o.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := o.c.Do(req)
	if err != nil {
		o.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (o *operator) get(path string) page { o.t.Helper(); return o.do("GET", path, nil) }
func (o *operator) post(path string, form url.Values) page {
	o.t.Helper()
	return o.do("POST", path, form)
}

// follow GETs where a redirect went.
func (o *operator) follow(p page) page {
	o.t.Helper()
	if p.status != http.StatusSeeOther {
		o.t.Fatalf("want a 303, got %d: %.300s", p.status, p.body)
	}
	return o.get(p.header.Get("Location"))
}

func (o *operator) signIn() {
	o.t.Helper()
	p := o.post("/console/login", url.Values{"token": {webtest.AdminToken}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/" {
		o.t.Fatalf("sign in: %d %s %.300s", p.status, p.header.Get("Location"), p.body)
	}
}

// Logged-out visits go to the sign-in page and come back; a wrong token is
// refused; the session cookie is HttpOnly, SameSite and scoped to
// /console/; idle sessions end; signing out ends the session for good.
func TestConsoleSessions(t *testing.T) {
	e := webtest.New(t)
	o := newOperator(t, e.URL)

	if p := o.get("/console/"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/login" {
		t.Fatalf("logged-out /console/: %d %q", p.status, p.header.Get("Location"))
	}
	p := o.get("/console/accounts?q=dev")
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/login?next=%2Fconsole%2Faccounts%3Fq%3Ddev" {
		t.Fatalf("logged-out /console/accounts: %d %q", p.status, p.header.Get("Location"))
	}
	if p := o.post("/console/accounts", url.Values{"email": {"x@example.com"}}); p.status != http.StatusSeeOther ||
		!strings.HasPrefix(p.header.Get("Location"), "/console/login") {
		t.Fatalf("logged-out POST: %d %q", p.status, p.header.Get("Location"))
	}
	if got, _ := e.Store.FindAccounts(registry.AccountQuery{Search: "x@"}); len(got.Accounts) != 0 {
		t.Fatal("a logged-out POST created an account")
	}
	// A live page whose session has gone is told to reload, which leads here.
	if p := o.get("/console/live?from=0&ids=0"); p.status != 200 || !strings.Contains(p.body, "event: reload") {
		t.Fatalf("logged-out live stream: %d %q", p.status, p.body)
	}
	if p := o.get("/console/login"); p.status != 200 || !strings.Contains(p.body, `name="token"`) {
		t.Fatalf("sign-in page: %d %.300s", p.status, p.body)
	}
	if p := o.post("/console/login", url.Values{"token": {"not-the-token"}}); p.status != http.StatusUnauthorized ||
		!strings.Contains(p.body, "not the admin token") {
		t.Fatalf("wrong token: %d %.300s", p.status, p.body)
	}

	p = o.post("/console/login", url.Values{"token": {webtest.AdminToken}, "next": {"/console/accounts?q=dev"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/accounts?q=dev" {
		t.Fatalf("sign in: %d %q", p.status, p.header.Get("Location"))
	}
	cookie := p.header.Get("Set-Cookie")
	for _, want := range []string{"higate_console=", "Path=/console/", "HttpOnly", "SameSite=Lax"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %s", cookie, want)
		}
	}
	if p := o.get("/console/"); p.status != 200 || !strings.Contains(p.body, "15550000001") || !strings.Contains(p.body, "Sign out") {
		t.Fatalf("numbers page: %d %.300s", p.status, p.body)
	}
	// Signed in, the sign-in page sends the operator on; never off the console.
	if p := o.get("/console/login?next=https://evil.example/"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/" {
		t.Errorf("next to another site: %d %q", p.status, p.header.Get("Location"))
	}

	// 31 idle minutes end the session.
	e.Clock.Advance(31 * time.Minute)
	if p := o.get("/console/"); p.status != http.StatusSeeOther {
		t.Fatalf("after 31 idle minutes: %d", p.status)
	}

	o.signIn()
	u, _ := url.Parse(e.URL + "/console/")
	old := o.c.Jar.Cookies(u)
	if p := o.post("/console/logout", url.Values{}); p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/login" {
		t.Fatalf("sign out: %d %q", p.status, p.header.Get("Location"))
	}
	if p := o.get("/console/"); p.status != http.StatusSeeOther {
		t.Fatalf("after sign-out: %d", p.status)
	}
	o.c.Jar.SetCookies(u, old) // the cookie of the ended session, replayed
	if p := o.get("/console/"); p.status != http.StatusSeeOther {
		t.Fatalf("replayed cookie after sign-out: %d", p.status)
	}
}

// Sign-in attempts are limited per client: after five, a sixth is refused
// with 429 and when to retry, even with the right token.
func TestConsoleSignInIsRateLimited(t *testing.T) {
	e := webtest.New(t)
	o := newOperator(t, e.URL)
	for i := range 5 {
		if p := o.post("/console/login", url.Values{"token": {"guess"}}); p.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, p.status)
		}
	}
	p := o.post("/console/login", url.Values{"token": {webtest.AdminToken}})
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") != "12" || !strings.Contains(p.body, "Try again in 12 seconds") {
		t.Fatalf("sixth attempt: %d Retry-After %q %.300s", p.status, p.header.Get("Retry-After"), p.body)
	}
}

// A form sent from another site is refused with 403 before it does
// anything: sign-in by Origin, a signed-in change by Sec-Fetch-Site.
func TestConsoleRefusesCrossSiteForms(t *testing.T) {
	e := webtest.New(t)
	o := newOperator(t, e.URL)
	p := o.do("POST", "/console/login", url.Values{"token": {webtest.AdminToken}}, "Origin", "https://evil.example")
	if p.status != http.StatusForbidden || p.header.Get("Set-Cookie") != "" {
		t.Fatalf("cross-origin sign-in: %d cookie %q", p.status, p.header.Get("Set-Cookie"))
	}
	o.signIn()
	p = o.do("POST", "/console/accounts", url.Values{"email": {"csrf@example.com"}, "plan": {"trial"}}, "Sec-Fetch-Site", "cross-site")
	if p.status != http.StatusForbidden {
		t.Fatalf("cross-site create: %d", p.status)
	}
	p = o.do("POST", "/console/numbers/%2B15550000001/pacing", url.Values{"gap_ms": {"9000"}}, "Origin", "https://evil.example")
	if p.status != http.StatusForbidden {
		t.Fatalf("cross-origin pacing: %d", p.status)
	}
	if got, _ := e.Store.FindAccounts(registry.AccountQuery{Search: "csrf@"}); len(got.Accounts) != 0 {
		t.Error("the cross-site form created an account")
	}
	if n, _ := e.Store.Number(webtest.SandboxGW); n.Pacing.Gap != 0 {
		t.Errorf("the cross-origin form set the pacing: %+v", n.Pacing)
	}
	// The same forms from the console itself go through.
	if p := o.do("POST", "/console/accounts", url.Values{"email": {"ok@example.com"}, "plan": {"trial"}}, "Origin", e.URL); p.status != http.StatusOK {
		t.Fatalf("same-origin create: %d %.300s", p.status, p.body)
	}
}

// Without an admin token the console is off, and says how to turn it on.
func TestConsoleOffWithoutAdminToken(t *testing.T) {
	store, err := registry.Open(t.TempDir(), registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	r := mux.NewRouter()
	console.New(console.Deps{Store: store}).Mount(r)
	srv := httptest.NewServer(r)
	defer srv.Close()
	o := newOperator(t, srv.URL)
	for _, p := range []page{o.get("/console/"), o.get("/console/login"), o.post("/console/login", url.Values{"token": {""}}), o.get("/console/accounts")} {
		if p.status != http.StatusNotFound || !strings.Contains(p.body, "console is off") || !strings.Contains(p.body, "HIGATE_ADMIN_TOKEN") {
			t.Errorf("console off: %d %.400s", p.status, p.body)
		}
	}
}

// Numbers, pacing, rotation and removal through the console's forms,
// which answer with a redirect and a notice, or the admin API's error.
func TestConsoleNumberForms(t *testing.T) {
	e := webtest.New(t)
	o := newOperator(t, e.URL)
	o.signIn()
	const standby = "+15550000002"

	p := o.post("/console/instances/0/numbers", url.Values{"number": {"+1 555 000 0002"}, "transport": {"sim"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/numbers/+15550000002" {
		t.Fatalf("add number: %d %q", p.status, p.header.Get("Location"))
	}
	if p := o.follow(p); p.status != 200 || !strings.Contains(p.body, "added to instance 0 as standby") || !strings.Contains(p.body, "Simulated numbers need no pairing") {
		t.Fatalf("number page after adding: %d %.2000s", p.status, p.body)
	}
	if n, err := e.Store.Number(standby); err != nil || n.Role != registry.RoleStandby || n.Transport != "sim" {
		t.Fatalf("added number: %+v %v", n, err)
	}
	// The admin API's checks, and its words, on a bad form.
	p = o.follow(o.post("/console/instances/0/numbers", url.Values{"number": {"12"}, "transport": {"sim"}}))
	if !strings.Contains(p.body, "is invalid") || !strings.Contains(p.body, `class="error"`) {
		t.Errorf("bad number: %.2000s", p.body)
	}

	p = o.follow(o.post("/console/numbers/+15550000002/pacing", url.Values{"gap_ms": {"1500"}, "jitter_ms": {"500"}, "daily_cap": {"200"}}))
	if !strings.Contains(p.body, "Pacing of &#43;15550000002 saved") || !strings.Contains(p.body, `value="1500"`) {
		t.Errorf("pacing page: %.3000s", p.body)
	}
	if n, _ := e.Store.Number(standby); n.Pacing != (registry.Pacing{Gap: 1500 * time.Millisecond, Jitter: 500 * time.Millisecond, DailyCap: 200}) {
		t.Errorf("pacing stored: %+v", n.Pacing)
	}
	if p := o.follow(o.post("/console/numbers/+15550000002/pacing", url.Values{"gap_ms": {"soon"}})); !strings.Contains(p.body, "is not a number") {
		t.Errorf("bad pacing: %.2000s", p.body)
	}

	e.Eventually("the standby connected", func() bool {
		n, _ := e.Store.Number(standby)
		return n.State == registry.StateStandby
	})
	p = o.follow(o.post("/console/numbers/+15550000002/rotate", url.Values{}))
	if !strings.Contains(p.body, "is now the active number of instance 0") {
		t.Errorf("rotate: %.2000s", p.body)
	}
	if n, _ := e.Store.ActiveNumber(0); n.Number != standby {
		t.Fatalf("active after rotation: %s", n.Number)
	}
	// The active number cannot go; the retired one can.
	if p := o.follow(o.post("/console/numbers/+15550000002/remove", url.Values{})); !strings.Contains(p.body, "is the active number") {
		t.Errorf("remove the active number: %.2000s", p.body)
	}
	p = o.post("/console/numbers/+15550000001/remove", url.Values{})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/console/?from=0") {
		t.Fatalf("remove: %d %q", p.status, p.header.Get("Location"))
	}
	if _, err := e.Store.Number(webtest.SandboxGW); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("removed number still there: %v", err)
	}
	if p := o.get("/console/numbers/+15550000001"); p.status != http.StatusNotFound {
		t.Errorf("removed number's page: %d", p.status)
	}

	// A new instance, with its own card on the numbers page.
	p = o.follow(o.post("/console/instances", url.Values{"name": {"shop"}}))
	if !strings.Contains(p.body, "Instance 1 (shop) created") || !strings.Contains(p.body, `id="inst-1"`) {
		t.Errorf("new instance: %.2000s", p.body)
	}
}

// The accounts page lists a page at a time and searches by e-mail address
// and client ID; an account's forms suspend, resume, extend and change its
// plan through the admin API's logic.
func TestConsoleAccountPages(t *testing.T) {
	e := webtest.New(t)
	o := newOperator(t, e.URL)
	o.signIn()
	var nas []registry.NewAccount
	for i := range 60 {
		nas = append(nas, registry.NewAccount{Email: "dev" + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + "@example.com", Plan: quota.Trial})
	}
	creds, err := e.Store.SeedAccounts(nas)
	if err != nil {
		t.Fatal(err)
	}
	p := o.get("/console/accounts")
	if strings.Count(p.body, `href="/console/accounts/hg_`) != 50 || !strings.Contains(p.body, "Next page") {
		t.Fatalf("first page: %d links", strings.Count(p.body, `href="/console/accounts/hg_`))
	}
	if p := o.get("/console/accounts?q=DEVB"); strings.Count(p.body, `href="/console/accounts/hg_`) != 3 || strings.Contains(p.body, "deva@") {
		t.Errorf("search devb: %d rows", strings.Count(p.body, `href="/console/accounts/hg_`))
	}
	if p := o.get("/console/accounts?q=" + creds[7].ClientID); strings.Count(p.body, `href="/console/accounts/hg_`) != 1 || !strings.Contains(p.body, creds[7].ClientID) {
		t.Errorf("search by client ID: %.300s", p.body)
	}
	if p := o.get("/console/accounts?q=nobody"); !strings.Contains(p.body, "No account matches") {
		t.Errorf("search nobody: %.300s", p.body)
	}

	id := creds[0].ClientID
	acct := "/console/accounts/" + id
	if p := o.follow(o.post(acct+"/suspend", url.Values{})); !strings.Contains(p.body, "Account suspended") || !strings.Contains(p.body, ">suspended<") {
		t.Errorf("suspend: %.2000s", p.body)
	}
	if a, _ := e.Store.Account(id); a.Status != registry.StatusSuspended {
		t.Errorf("status %s", a.Status)
	}
	o.follow(o.post(acct+"/resume", url.Values{}))
	if a, _ := e.Store.Account(id); a.Status != registry.StatusActive {
		t.Errorf("status after resume %s", a.Status)
	}
	o.follow(o.post(acct+"/extend", url.Values{"days": {"30"}}))
	if a, _ := e.Store.Account(id); a.PaidThrough.IsZero() {
		t.Error("extend set no paid period")
	}
	if p := o.follow(o.post(acct+"/plan", url.Values{"plan": {"forever-green"}})); !strings.Contains(p.body, "Plan changed to Forever Green") {
		t.Errorf("plan: %.2000s", p.body)
	}
	if a, _ := e.Store.Account(id); a.Plan != quota.ForeverGreen {
		t.Errorf("plan %s", a.Plan)
	}
	if p := o.follow(o.post(acct+"/plan", url.Values{"plan": {"gold"}})); !strings.Contains(p.body, `class="error"`) {
		t.Errorf("unknown plan: %.2000s", p.body)
	}
	if p := o.get("/console/accounts/hg_nobody"); p.status != http.StatusNotFound {
		t.Errorf("unknown account: %d", p.status)
	}
	// A create form without an address says so, and shows no credentials.
	if p := o.post("/console/accounts", url.Values{"plan": {"trial"}}); p.status != http.StatusBadRequest || strings.Contains(p.body, "new-secret") {
		t.Errorf("create without e-mail: %d", p.status)
	}
}

// A live stream sends the numbers page's instance when a number's state
// changes, and ends when the browser goes and when the server shuts down,
// so neither leaves a handler running.
func TestConsoleLiveStreamEnds(t *testing.T) {
	e := webtest.New(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	srv := &http.Server{Handler: web.NewServer(web.Deps{Store: e.Store, Gateway: e.Gateway, Sim: e.Net, AdminToken: webtest.AdminToken, Done: done})}
	srv.RegisterOnShutdown(func() { close(done) }) // as higate serve does
	// A connection is active while a handler runs on it.
	var mu sync.Mutex
	states := map[net.Conn]http.ConnState{}
	srv.ConnState = func(c net.Conn, s http.ConnState) { mu.Lock(); states[c] = s; mu.Unlock() }
	active := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, s := range states {
			if s == http.StateActive {
				n++
			}
		}
		return n
	}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	o := newOperator(t, base)
	o.signIn()

	open := func(ctx context.Context) (*bufio.Reader, func()) {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/console/live?from=0&ids=0", nil)
		resp, err := o.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
			t.Fatalf("stream: %d %s", resp.StatusCode, ct)
		}
		return bufio.NewReader(resp.Body), func() { resp.Body.Close() }
	}
	// waitFor reads events until one's data holds want.
	waitFor := func(r *bufio.Reader, want string) {
		t.Helper()
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("stream ended before %q: %v", want, err)
			}
			if strings.HasPrefix(line, "data:") && strings.Contains(line, want) {
				return
			}
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	r, closeBody := open(ctx)
	waitFor(r, `"target":"inst-0"`)
	if err := e.Net.Fault(webtest.SandboxGW, "disconnect", 0); err != nil {
		t.Fatal(err)
	}
	waitFor(r, "state-disconnected")
	if active() != 1 {
		t.Fatalf("%d active connections, want the stream's", active())
	}
	cancel()
	closeBody()
	webtest.Eventually(t, "the stream's handler to return once the browser went", func() bool { return active() == 0 })

	// A second stream, still open, ends when the server shuts down.
	shutdownCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	r, closeBody = open(context.Background())
	defer closeBody()
	waitFor(r, `"target":"inst-0"`)
	if err := srv.Shutdown(shutdownCtx); err != nil {
		t.Fatalf("shutdown waited for a stream: %v", err)
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		t.Fatalf("stream after shutdown: %v", err)
	}
}

// svgOf parses the SVG inside the page element with the given id.
func svgOf(t *testing.T, body, id string) svgDoc {
	t.Helper()
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no #%s on the page", id)
	}
	start := strings.Index(body[i:], "<svg")
	end := strings.Index(body[i:], "</svg>")
	if start < 0 || end < start {
		t.Fatalf("no SVG in #%s", id)
	}
	var doc svgDoc
	if err := xml.Unmarshal([]byte(body[i+start:i+end+len("</svg>")]), &doc); err != nil {
		t.Fatalf("the SVG of #%s is not well-formed: %v", id, err)
	}
	return doc
}

// svgDoc is what the tests read of a chart.
type svgDoc struct {
	Role       string `xml:"role,attr"`
	LabelledBy string `xml:"aria-labelledby,attr"`
	Title      struct {
		ID   string `xml:"id,attr"`
		Text string `xml:",chardata"`
	} `xml:"title"`
	Desc struct {
		ID   string `xml:"id,attr"`
		Text string `xml:",chardata"`
	} `xml:"desc"`
	Groups []struct {
		Class string `xml:"class,attr"`
		Title string `xml:"title"`
		Lines []struct {
			Points string `xml:"points,attr"`
		} `xml:"polyline"`
		Dots []struct {
			CY string `xml:"cy,attr"`
		} `xml:"circle"`
		Texts []string `xml:"text"`
	} `xml:"g"`
}

func (d svgDoc) group(class string) (i int) {
	for i, g := range d.Groups {
		if g.Class == class {
			return i
		}
	}
	return -1
}

// The charts page draws the last 24 hours from the per-minute counts: an
// SVG a screen reader can name and describe, with axis labels, one point a
// minute, the numbers in words, and an hourly table.
func TestConsoleChartsDrawTheLastDay(t *testing.T) {
	e := webtest.New(t)
	// The x axis has a label every six hours, less those that would run
	// into the first or the last; how many fit depends on the time of day.
	// One hour past a six-hour tick, three do.
	now := e.Clock.Now()
	e.Clock.Advance(now.Truncate(6 * time.Hour).Add(7 * time.Hour).Sub(now))
	acct := e.NewAccount(map[string]any{"email": "charts@example.com", "plan": "trial"})
	const user = "+4915100000001"
	e.Register(user, webtest.SandboxGW)
	for range 3 {
		e.Send(acct, user, "hello")
	}
	e.Eventually("3 messages and the confirmation delivered", func() bool {
		m, _ := e.Store.Stats(e.Clock.Now(), e.Clock.Now())
		return len(m) == 1 && m[0].Delivered == 4
	})
	if _, err := e.Store.SampleQueueDepth(); err != nil {
		t.Fatal(err)
	}
	o := newOperator(t, e.URL)
	o.signIn()
	p := o.get("/console/charts")
	if p.status != 200 {
		t.Fatalf("charts: %d", p.status)
	}

	traffic := svgOf(t, p.body, "traffic-chart")
	if traffic.Role != "img" || traffic.LabelledBy != "traffic-title traffic-desc" || traffic.Title.ID != "traffic-title" ||
		traffic.Desc.ID != "traffic-desc" || traffic.Title.Text != "Sends per minute, last 24 hours" {
		t.Errorf("traffic chart's accessible name: %+v", traffic)
	}
	if !strings.Contains(traffic.Desc.Text, "3 accepted, 4 sent, 4 delivered, 0 failed") || !strings.Contains(p.body, "<figcaption>In the last 24 hours: 3 accepted") {
		t.Errorf("traffic summary: %q", traffic.Desc.Text)
	}
	grid := traffic.group("grid")
	if grid < 0 || strings.Join(traffic.Groups[grid].Texts, " ") != "0 2 5" {
		t.Errorf("y axis labels: %+v", traffic.Groups)
	}
	if x := traffic.group("x-axis"); x < 0 || len(traffic.Groups[x].Texts) < 5 {
		t.Errorf("x axis labels: %+v", traffic.Groups)
	}
	a := traffic.group("series-a")
	if a < 0 || traffic.Groups[a].Title != "accepted" || len(traffic.Groups[a].Lines) != 1 {
		t.Fatalf("accepted series: %+v", traffic.Groups)
	}
	points := strings.Fields(traffic.Groups[a].Lines[0].Points)
	if len(points) != 1440 {
		t.Fatalf("accepted: %d points, want one a minute for 24 hours", len(points))
	}
	// The last minute's 3 accepts, on a 0-5 axis from y=210 (0) to y=30 (5).
	if points[1439] != "706.0,102.0" || points[0] != "52.0,210.0" {
		t.Errorf("accepted points: first %s, last %s", points[0], points[1439])
	}
	if b := traffic.group("series-b"); b < 0 || !strings.HasSuffix(traffic.Groups[b].Lines[0].Points, " 706.0,66.0") {
		t.Errorf("delivered series: %+v", traffic.Groups[b])
	}

	queue := svgOf(t, p.body, "queue-chart")
	if q := queue.group("series-a"); q < 0 || len(queue.Groups[q].Dots) != 1 || queue.Groups[q].Dots[0].CY != "210.0" {
		t.Errorf("queue depth: one sample of 0, as a dot: %+v", queue.Groups)
	}
	if !strings.Contains(queue.Desc.Text, "0 jobs were waiting at") {
		t.Errorf("queue summary: %q", queue.Desc.Text)
	}
	if !strings.Contains(p.body, `<tfoot><tr><th scope="row">24 hours</th><td class="num">3</td><td class="num">4</td><td class="num">4</td><td class="num">0</td>`) {
		t.Errorf("hourly table totals missing")
	}
}
