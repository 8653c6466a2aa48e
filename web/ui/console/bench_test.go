package console_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"higate/gateway"
	"higate/quota"
	"higate/registry"
	"higate/web"
	"higate/web/webtest"
)

// BenchmarkConsolePages is each console page's server time on a big
// registry: 100,000 accounts, 20,000 jobs waiting in instance 0's queue,
// 2,000 operator events. Every page must stay well under 100 ms; none may
// read all accounts or all jobs.
//
//	go test -run '^$' -bench ConsolePages ./web/ui/console/
func BenchmarkConsolePages(b *testing.B) {
	store, err := registry.Open(b.TempDir(), registry.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	if err := store.EnsureInstance(0, "sandbox"); err != nil {
		b.Fatal(err)
	}
	if _, err := store.AddNumber(registry.Number{Number: webtest.SandboxGW, Transport: "sim", Role: registry.RoleActive, State: registry.StateActive}); err != nil {
		b.Fatal(err)
	}
	nas := make([]registry.NewAccount, 100_000)
	for i := range nas {
		nas[i] = registry.NewAccount{Email: fmt.Sprintf("dev%06d@example.com", i), Plan: quota.Trial}
	}
	creds, err := store.SeedAccounts(nas)
	if err != nil {
		b.Fatal(err)
	}
	sender, err := store.CreateAccount(registry.NewAccount{Email: "bulk@example.com", Plan: quota.Enterprise, Limits: quota.Limits{Daily: 1 << 30, Recipients: 1 << 20}})
	if err != nil {
		b.Fatal(err)
	}
	const user = "+4915100000001"
	if _, err := store.Register(0, webtest.SandboxGW, user, "en", "Hi"); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 50 {
		wg.Go(func() {
			for i := range 400 {
				if _, err := store.Accept(registry.SendRequest{ClientID: sender.ClientID, Kind: "text", To: user, Text: fmt.Sprint(w, i)}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for i := range 2000 {
		kind := "number_disconnected"
		if i%500 == 0 {
			kind = "number_banned"
		}
		if err := store.AddEvent(registry.Event{Kind: kind, Instance: uint64(i % 3), Number: webtest.SandboxGW}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := store.SampleQueueDepth(); err != nil {
		b.Fatal(err)
	}

	gw := gateway.NewService(gateway.Options{Store: store})
	h := web.NewServer(web.Deps{Store: store, Gateway: gw, AdminToken: webtest.AdminToken})
	login := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/console/login", strings.NewReader(url.Values{"token": {webtest.AdminToken}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	h.ServeHTTP(login, req)
	cookies := login.Result().Cookies()
	if login.Code != http.StatusSeeOther || len(cookies) == 0 {
		b.Fatalf("sign in: %d", login.Code)
	}

	for _, page := range []struct{ name, path string }{
		{"numbers", "/console/"},
		{"number", "/console/numbers/%2B15550000001"},
		{"accounts", "/console/accounts"},
		{"accounts-next-page", "/console/accounts?after=" + url.QueryEscape(creds[50_000].ClientID)},
		{"accounts-search-email", "/console/accounts?q=dev0999"},
		{"accounts-search-id", "/console/accounts?q=" + creds[77_777].ClientID},
		{"account", "/console/accounts/" + creds[12_345].ClientID},
		{"events", "/console/events"},
		{"events-bans-instance-2", "/console/events?kind=bans&instance=2"},
		{"charts", "/console/charts"},
	} {
		b.Run(page.name, func(b *testing.B) {
			for b.Loop() {
				w := httptest.NewRecorder()
				r := httptest.NewRequest("GET", page.path, nil)
				for _, c := range cookies {
					r.AddCookie(c)
				}
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d", page.path, w.Code)
				}
			}
		})
	}
}
