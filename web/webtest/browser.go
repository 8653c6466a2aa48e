package webtest

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Browser is a headless Chromium tab for one test. It records every request
// the pages make, so a test can assert that nothing left the server's
// origin. Chromium is found as $HIGATE_CHROMIUM, chromium, chromium-browser
// or google-chrome; without one the test fails (CI installs Debian's
// chromium), unless HIGATE_SKIP_BROWSER=1 says to skip browser tests.
type Browser struct {
	t      testing.TB
	ctx    context.Context
	origin string

	mu       sync.Mutex
	requests []string
}

// chromium returns the browser's path, or "".
func chromium() string {
	if p := os.Getenv("HIGATE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// NewBrowser starts Chromium for base (the server's URL) at a desktop size;
// it is closed when the test ends.
func NewBrowser(t testing.TB, base string) *Browser {
	t.Helper()
	path := chromium()
	if path == "" {
		if os.Getenv("HIGATE_SKIP_BROWSER") == "1" {
			t.Skip("no Chromium and HIGATE_SKIP_BROWSER=1")
		}
		t.Fatal("browser tests need Chromium: apt-get install -y chromium (or set HIGATE_CHROMIUM, or HIGATE_SKIP_BROWSER=1 to skip)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
		// This machine has no network beyond loopback: Chromium must not try.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("lang", "en-US"),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	b := &Browser{t: t, ctx: ctx, origin: u.Scheme + "://" + u.Host}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	go func() {
		for ev, err := range chromedp.Events(ctx, network.RequestWillBeSent) {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.requests = append(b.requests, ev.Request.URL)
			b.mu.Unlock()
		}
	}()
	return b
}

// Ctx is the tab's chromedp context, for actions this type does not wrap.
func (b *Browser) Ctx() context.Context { return b.ctx }

// Do runs chromedp actions and fails the test on an error.
func (b *Browser) Do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// Visit opens path (relative to the server) and waits for its body.
func (b *Browser) Visit(path string) {
	b.t.Helper()
	b.Do(chromedp.Navigate(b.origin+path), chromedp.WaitReady(chromedp.CSS("body")))
}

// Header sets headers sent with every later request, e.g. Accept-Language.
func (b *Browser) Header(name, value string) {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{name: value}}); err != nil {
		b.t.Fatalf("browser: set header: %v", err)
	}
}

// Text returns the visible text of the first element matching the CSS selector.
func (b *Browser) Text(css string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(css), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("browser: text of %s: %v", css, err)
	}
	return s
}

// Location is the tab's current URL.
func (b *Browser) Location() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatalf("browser: location: %v", err)
	}
	return s
}

// Fill types value into the field matching the CSS selector, replacing
// what it held.
func (b *Browser) Fill(css, value string) {
	b.t.Helper()
	// chromedp.SetValue fails to set "" (it takes the empty result for a
	// refusal), so a script empties the field.
	b.Eval(`(function(){const e=document.querySelector(` + jsString(css) + `);if(e)e.value="";return "ok"})()`)
	b.Do(chromedp.SendKeys(chromedp.CSS(css), value))
}

// Submit clicks the element matching the CSS selector, a form's submit
// button or a link, and waits until the page it leads to has loaded (Click
// cannot tell a click that navigates from one that does not, so it may
// return while the old page is still there). It fails after 15 s.
func (b *Browser) Submit(css string) {
	b.t.Helper()
	b.Eval(`window.webtestOldPage = "yes"`)
	b.Do(chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible))
	deadline := time.Now().Add(15 * time.Second)
	for {
		// Between the pages the script may fail (no document yet): retry.
		s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(window.webtestOldPage || "new") + " " + document.readyState`))
		if err == nil && strings.HasPrefix(s, "new ") && s != "new loading" {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("browser: clicking %s led to no new page (%q, %v)", css, s, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// Click clicks the element matching the CSS selector and waits for the
// page that follows, if the click navigates.
func (b *Browser) Click(css string) {
	b.t.Helper()
	b.Do(chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible))
	b.Do(chromedp.WaitReady(chromedp.CSS("body")))
}

// WaitText waits until the element matching css contains want, polling the
// page (live updates arrive without a reload), and fails after 15 s.
func (b *Browser) WaitText(css, want string) {
	b.t.Helper()
	var last string
	deadline := time.Now().Add(15 * time.Second)
	for {
		s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](
			`(function(){const e=document.querySelector(`+jsString(css)+`);return e?e.innerText:""})()`))
		if err == nil && strings.Contains(s, want) {
			return
		}
		last = s
		if time.Now().After(deadline) {
			b.t.Fatalf("browser: %s never showed %q; last: %q", css, want, last)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// Eval evaluates a JavaScript expression and returns its value as a string.
func (b *Browser) Eval(js string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("browser: eval %s: %v", js, err)
	}
	return s
}

// Screenshot saves a full-page PNG as name.png into $HIGATE_SCREENSHOTS, if
// set (make screenshots sets it to docs/screenshots); otherwise it does
// nothing, so tests stay fast.
func (b *Browser) Screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv("HIGATE_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)) // 100 is PNG; less is JPEG
	if err != nil {
		b.t.Fatalf("browser: screenshot: %v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// Requests returns every URL the tab has requested so far.
func (b *Browser) Requests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.requests...)
}

// AssertSameOrigin fails the test if any request so far went anywhere but
// the server's origin (data: URLs, which never leave the page, are fine).
func (b *Browser) AssertSameOrigin() {
	b.t.Helper()
	reqs := b.Requests()
	if len(reqs) == 0 {
		b.t.Fatal("browser: no request recorded (is the network domain enabled?)")
	}
	for _, r := range reqs {
		if strings.HasPrefix(r, "data:") || strings.HasPrefix(r, "about:") {
			continue
		}
		if !strings.HasPrefix(r, b.origin+"/") && r != b.origin {
			b.t.Errorf("browser: a page requested %s, outside %s", r, b.origin)
		}
	}
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "`", "\\`", "$", "\\$")
	return "`" + r.Replace(s) + "`"
}
