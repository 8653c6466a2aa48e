package phone_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"higate/gateway"
	"higate/gateway/sim"
	"higate/registry"
	"higate/web"
	"higate/web/ui/phone"
	"higate/web/webtest"
)

func form(values ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(values); i += 2 {
		v.Add(values[i], values[i+1])
	}
	return v.Encode()
}

const formType = "application/x-www-form-urlencoded"

// TestSandboxPhoneRefusesCrossSiteForms answers 403 to a form sent from
// another site, by Origin or by Sec-Fetch-Site, on every POST route, and
// sends nothing.
func TestSandboxPhoneRefusesCrossSiteForms(t *testing.T) {
	e := webtest.New(t)
	const user = "+4915123456789"
	for _, path := range []string{"/sandbox/", chatPath(user), chatPath(user) + "/read"} {
		for _, h := range [][2]string{{"Origin", "https://evil.example"}, {"Sec-Fetch-Site", "cross-site"}} {
			r := e.Do("POST", path, form("number", user, "gateway", gw, "text", "Hi"), "Content-Type", formType, h[0], h[1])
			if r.Status != http.StatusForbidden {
				t.Errorf("POST %s with %s: %s = %d, want 403", path, h[0], h[1], r.Status)
			}
		}
	}
	if got := e.Net.Conversation(user, gw); len(got) != 0 {
		t.Errorf("a refused form sent %d messages", len(got))
	}
	// The same form from the page's own origin goes through.
	r := e.Do("POST", chatPath(user), form("text", "Hi"), "Content-Type", formType, "Origin", e.URL, "Sec-Fetch-Site", "same-origin")
	if r.Status != http.StatusOK || !strings.Contains(r.Raw, "Hi") { // the client followed the 303 to the chat
		t.Errorf("same-origin send: %d %.200s", r.Status, r.Raw)
	}
	if got := e.Net.Conversation(user, gw); len(got) == 0 || got[0].Text != "Hi" || !got[0].Mine {
		t.Errorf("conversation after a same-origin send = %+v", got)
	}
}

// TestSandboxPhoneErrors covers what the pages refuse: numbers that are
// not a user's or not instance 0's simulated gateway, an empty or bad
// message, media that is not there or not public, and the security headers.
func TestSandboxPhoneErrors(t *testing.T) {
	e := webtest.New(t)
	const user = "+4915123456789"

	// Another instance's simulated number is an operator's test, not public.
	in, err := e.Store.CreateInstance("private", true)
	if err != nil {
		t.Fatal(err)
	}
	const private = "+15550000009"
	if _, err := e.Gateway.AddNumber(registry.Number{Number: private, Instance: in.ID, Transport: "sim", Role: registry.RoleActive}); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct{ path, want string }{
		{"/sandbox/chat/" + user + "/" + private, "not a gateway number of the sandbox"},
		{"/sandbox/chat/" + user + "/+15559999999", "not a gateway number of the sandbox"},
		{"/sandbox/chat/" + gw + "/" + gw, "is a gateway number"},
		{"/sandbox/chat/+49015123456789/" + gw, "There is no sandbox phone"}, // not E.164's normal form
		{"/sandbox/chat/+123/" + gw, "country code"},
	} {
		if r := e.Do("GET", c.path, nil); r.Status != http.StatusNotFound || !strings.Contains(r.Raw, c.want) {
			t.Errorf("GET %s = %d, want 404 saying %q: %.300s", c.path, r.Status, c.want, r.Raw)
		}
	}
	if r := e.Do("GET", "/sandbox", nil); r.Status != http.StatusOK || !strings.Contains(r.Raw, "Sandbox phone") {
		t.Errorf("GET /sandbox (followed) = %d", r.Status)
	}
	r := e.Do("GET", "/sandbox/", nil)
	if csp := r.Header.Get("Content-Security-Policy"); r.Status != 200 || !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("start page: %d, CSP %q", r.Status, csp)
	}
	// The JSON API under /sandbox/api/ is still the API.
	if r := e.Do("GET", "/sandbox/api/messages?number=%2B4915123456789", nil); r.Status != 200 || !strings.Contains(r.Raw, `"messages"`) {
		t.Errorf("sandbox API: %d %.200s", r.Status, r.Raw)
	}

	post := func(path, body string) webtest.Response {
		t.Helper()
		return e.Do("POST", path, body, "Content-Type", formType, "Origin", e.URL)
	}
	for _, c := range []struct{ body, want string }{
		{form("number", "12", "gateway", gw), "country code"},
		{form("number", gw, "gateway", gw), "is a gateway number"},
		{form("number", user, "gateway", private), "Pick one of the sandbox"},
	} {
		if r := post("/sandbox/", c.body); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Raw, c.want) {
			t.Errorf("open %s = %d, want 422 saying %q", c.body, r.Status, c.want)
		}
	}
	for _, c := range []struct{ text, want string }{
		{"   ", "Type a message first"},
		{strings.Repeat("x", 1001), "too long"},
		{"bell\a", "control characters"},
	} {
		if r := post(chatPath(user), form("text", c.text)); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Raw, c.want) {
			t.Errorf("send %q = %d, want 422 saying %q", c.text, r.Status, c.want)
		}
	}

	// Media: an unknown message, and what another instance's number sent.
	if r := e.Do("GET", "/sandbox/media/"+user+"/3EB0FFFF", nil); r.Status != http.StatusNotFound {
		t.Errorf("media of no message = %d", r.Status)
	}
	png := picture(t)
	if err := e.Net.Attach(private).Send(context.Background(), gateway.Outbound{ID: "PRIV1", To: user, Kind: gateway.KindImage, Mimetype: "image/png", Media: png}); err != nil {
		t.Fatal(err)
	}
	if r := e.Do("GET", "/sandbox/media/"+user+"/PRIV1", nil); r.Status != http.StatusNotFound {
		t.Errorf("media another instance sent = %d, want 404", r.Status)
	}
	// What the sandbox number sent, an SVG as an image even, is served,
	// but never as something a browser renders in the page's origin.
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	if err := e.Net.Attach(gw).Send(context.Background(), gateway.Outbound{ID: "SVG1", To: user, Kind: gateway.KindImage, Mimetype: "image/svg+xml", Filename: "x.svg", Media: svg}); err != nil {
		t.Fatal(err)
	}
	r = e.Do("GET", "/sandbox/media/"+user+"/SVG1", nil)
	if r.Status != 200 || r.Raw != string(svg) || r.Header.Get("Content-Type") != "application/octet-stream" ||
		r.Header.Get("Content-Disposition") != "attachment; filename=x.svg" || r.Header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(r.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("SVG media: %d %v", r.Status, r.Header)
	}
	page := e.Do("GET", chatPath(user), nil)
	if strings.Contains(page.Raw, `<img class="msg-img" src="/sandbox/media/`+user+`/SVG1"`) || !strings.Contains(page.Raw, "x.svg") {
		t.Errorf("the SVG is shown in place, or not offered: %.2000s", page.Raw)
	}
	if strings.Contains(page.Raw, "PRIV1") {
		t.Error("the chat with the sandbox number shows what another instance's number sent")
	}
}

// TestSandboxPhoneShowsGroups names the group of a group message the
// gateway number sent, in the conversation with it.
func TestSandboxPhoneShowsGroups(t *testing.T) {
	e := webtest.New(t)
	const user = "+4915123456789"
	g, err := e.Net.CreateGroup("Book club", user, []string{"+447700900123"}, gw)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Net.Attach(gw).Send(context.Background(), gateway.Outbound{ID: "GRP1", GroupID: g.ID, Kind: gateway.KindText, Text: "Meeting at 7"}); err != nil {
		t.Fatal(err)
	}
	r := e.Do("GET", chatPath(user), nil)
	if r.Status != 200 || !strings.Contains(r.Raw, `<p class="msg-group">Group <strong>Book club</strong></p>`) || !strings.Contains(r.Raw, "Meeting at 7") {
		t.Errorf("group message: %d %.3000s", r.Status, r.Raw)
	}
}

// TestSandboxPhoneOffIsNotFound: with the sandbox off there is no phone.
func TestSandboxPhoneOffIsNotFound(t *testing.T) {
	store, err := registry.Open(t.TempDir(), registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	srv := httptest.NewServer(web.NewServer(web.Deps{Store: store}))
	defer srv.Close()
	for _, path := range []string{"/sandbox/", chatPath("+4915123456789"), chatPath("+4915123456789") + "/events"} {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s with the sandbox off = %d, want 404", path, resp.StatusCode)
		}
	}
}

// streams counts the goroutines serving an event stream.
func streams() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "phone.(*Handler).serveEvents")
}

// openStream opens a chat's event stream and reads up to its first patch.
func openStream(t *testing.T, ctx context.Context, client *http.Client, base, user string) (*http.Response, *bufio.Reader) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", base+chatPath(user)+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	rd := bufio.NewReader(resp.Body)
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended before its first patch: %v", err)
		}
		if line == "event: patch\n" {
			return resp, rd
		}
	}
}

// TestSandboxPhoneStreamsEnd ends an event stream when its client goes and
// when the server shuts down, leaving no goroutine behind, and patches a
// message in as it arrives.
func TestSandboxPhoneStreamsEnd(t *testing.T) {
	e := webtest.New(t)
	const user = "+12025550123"
	done := make(chan struct{})
	r := mux.NewRouter()
	phone.New(phone.Deps{Store: e.Store, Sim: e.Net, Done: done}).Mount(r)
	srv := httptest.NewServer(r)
	defer srv.Close()
	if n := streams(); n != 0 {
		t.Fatalf("%d streams before the test", n)
	}

	// The client goes.
	ctx, cancel := context.WithCancel(context.Background())
	resp, rd := openStream(t, ctx, srv.Client(), srv.URL, user)
	e.Register(user, gw) // "Hi" and the confirmation: patched in
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("no patch with the confirmation: %v", err)
		}
		if strings.HasPrefix(line, "data: ") && strings.Contains(line, "registered") {
			break
		}
	}
	if n := streams(); n != 1 {
		t.Errorf("%d streams open, want 1", n)
	}
	cancel()
	resp.Body.Close()
	webtest.Eventually(t, "the stream's goroutine to end after its client went", func() bool { return streams() == 0 })

	// The server shuts down: the stream ends although its client stays.
	resp, rd = openStream(t, context.Background(), srv.Client(), srv.URL, user)
	defer resp.Body.Close()
	close(done)
	ended := make(chan error, 1)
	go func() {
		for {
			if _, err := rd.ReadString('\n'); err != nil {
				ended <- err
				return
			}
		}
	}()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the stream did not end when the server shut down")
	}
	webtest.Eventually(t, "the stream's goroutine to end at shutdown", func() bool { return streams() == 0 })
}

// TestSandboxPhoneShowsNewKinds: a location, a contact, a voice note and a
// video the gateway number sent, and a file the user sent, each shown as
// what it is.
func TestSandboxPhoneShowsNewKinds(t *testing.T) {
	e := webtest.New(t)
	const user = "+4915123456789"
	ctx := context.Background()
	num := e.Net.Attach(gw)
	for _, msg := range []gateway.Outbound{
		{ID: "LOC1", To: user, Kind: gateway.KindLocation, Location: gateway.Location{Latitude: 52.516275, Longitude: 13.377704, Name: "Brandenburger Tor", Address: "Pariser Platz"}},
		{ID: "LOC2", To: user, Kind: gateway.KindLocation, Location: gateway.Location{Latitude: -1.5, Longitude: 2}},
		{ID: "CON1", To: user, Kind: gateway.KindContact, Contact: gateway.Contact{Name: "Ada <Lovelace>", Number: "+442079460018"}},
		{ID: "AUD1", To: user, Kind: gateway.KindAudio, Mimetype: "audio/ogg; codecs=opus", Media: []byte("OggS voice")},
		{ID: "VID1", To: user, Kind: gateway.KindVideo, Mimetype: "video/mp4", Caption: "the clip", Media: []byte("ftyp video")},
	} {
		if err := num.Send(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Net.InboundMedia(ctx, user, gw, sim.Attachment{Data: pdf, Filename: "meter.pdf"}); err != nil {
		t.Fatal(err)
	}
	r := e.Do("GET", chatPath(user), nil)
	for _, want := range []string{
		`📍 <a href="https://www.openstreetmap.org/?mlat=52.516275&amp;mlon=13.377704" rel="noopener noreferrer" target="_blank">Brandenburger Tor</a><br><span class="small muted">Pariser Platz</span>`,
		`>-1.5, 2</a>`,
		`👤 Ada &lt;Lovelace&gt; <span class="small muted">&#43;442079460018</span>`,
		`href="/sandbox/media/&#43;4915123456789/AUD1" download><span>Voice note</span>`,
		`href="/sandbox/media/&#43;4915123456789/VID1" download><span>Video</span>`,
		`the clip`,
		`📎 meter.pdf`,
	} {
		if !strings.Contains(r.Raw, want) {
			t.Errorf("the chat lacks %s: %d %.6000s", want, r.Status, r.Raw)
		}
	}
}
