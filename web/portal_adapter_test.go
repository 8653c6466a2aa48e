package web_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
)

// portalPage signs in to the developer portal as a and returns the page at
// path, as the browser shows its text.
func portalPage(t *testing.T, e *env, a account, path string) (int, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(e.srv.URL+"/portal/login", url.Values{"client_id": {a.id}, "client_secret": {a.secret}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/portal/" {
		t.Fatalf("sign in ended at %s", resp.Request.URL)
	}
	resp, err = c.Get(e.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// The portal's billing page links to the checkout of each plan on sale when
// PayPal billing is on, and says to ask the operator when it is off.
func TestPortalBillingFollowsTheServersBilling(t *testing.T) {
	on := newBillEnv(t, true)
	a := on.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	status, body := portalPage(t, on.env, a, "/portal/billing")
	for _, want := range []string{`href="/checkout/trial"`, `href="/checkout/forever-green"`, `href="/checkout/forever-green-yearly"`,
		`href="/checkout/enterprise"`, "Forever Green (yearly)"} {
		if status != 200 || !strings.Contains(body, want) {
			t.Errorf("billing on: %d, page lacks %s", status, want)
		}
	}

	off := newBillEnv(t, false)
	a = off.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	status, body = portalPage(t, off.env, a, "/portal/billing")
	if status != 200 || strings.Contains(body, "/checkout/") || !strings.Contains(body, "does not sell plans online") {
		t.Errorf("billing off: %d %.600s", status, body)
	}
}
