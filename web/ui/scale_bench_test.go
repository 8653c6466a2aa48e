package ui_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"higate/quota"
	"higate/registry"
	"higate/web/webtest"
)

// BenchmarkPagesAtScale times every page of the web surfaces (a whole
// request over loopback: an upper bound of the server's time) on a registry
// the size of make bench's scale stage: 1,000,000 registrations and 100,000
// accounts on the sandbox number, plus a developer with jobs and recipients.
// The bound is 100 ms of server time per page.
//
//	go test -run '^$' -bench PagesAtScale -benchtime 20x ./web/ui/
func BenchmarkPagesAtScale(b *testing.B) {
	e := webtest.New(b)
	const regs, accounts = 1_000_000, 100_000
	batch := make([]registry.Registration, 0, 100_000)
	for i := range regs {
		batch = append(batch, registry.Registration{Gateway: webtest.SandboxGW, Recipient: fmt.Sprintf("+1555%07d", i), Lang: "en", Greeting: "Hi"})
		if len(batch) == cap(batch) {
			if err := e.Store.SeedRegistrations(batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	nas := make([]registry.NewAccount, accounts)
	for i := range nas {
		nas[i] = registry.NewAccount{Email: fmt.Sprintf("scale%d@bench.example", i), Plan: quota.Trial, Instance: registry.SandboxInstance}
	}
	if _, err := e.Store.SeedAccounts(nas); err != nil {
		b.Fatal(err)
	}
	dev := e.NewAccount(map[string]any{"email": "dev@example.com", "plan": "trial", "limits": map[string]int{"daily": 1000, "recipients": 10}})
	for i := range 10 {
		user := fmt.Sprintf("+1555%07d", i)
		for j := range 20 {
			e.Send(dev, user, fmt.Sprintf("hello %d", j))
		}
	}

	portal, console := signedIn(b, e, "/portal/login", url.Values{"client_id": {dev.ID}, "client_secret": {dev.Secret}}),
		signedIn(b, e, "/console/login", url.Values{"token": {webtest.AdminToken}})
	pages := []struct {
		client *http.Client
		path   string
	}{
		{http.DefaultClient, "/join/0"},
		{portal, "/portal/"},
		{portal, "/portal/jobs"},
		{portal, "/portal/jobs?status=delivered"},
		{portal, "/portal/recipients"},
		{portal, "/portal/credentials"},
		{portal, "/portal/webhooks"},
		{console, "/console/"},
		{console, "/console/accounts?q=scale99999"},
		{console, "/console/accounts"},
		{console, "/console/events"},
		{console, "/console/charts"},
		{http.DefaultClient, "/sandbox/"},
		{http.DefaultClient, "/docs"},
	}
	for _, p := range pages {
		b.Run(strings.NewReplacer("/", "_", "?", "_", "=", "_").Replace(p.path), func(b *testing.B) {
			for b.Loop() {
				resp, err := p.client.Get(e.URL + p.path)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: %s", p.path, resp.Status)
				}
			}
		})
	}
}

// signedIn posts a sign-in form and returns a client that carries the session.
func signedIn(b *testing.B, e *webtest.Env, path string, form url.Values) *http.Client {
	b.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(e.URL+path, form)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("sign in at %s: %s", path, resp.Status)
	}
	return c
}
