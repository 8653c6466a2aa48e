package web_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"higate/registry"
	"higate/web/webhook"
)

// tableDNS answers from a table; a name with several answers gives the next
// one on each lookup (and then keeps giving the last), as a rebinding
// attacker's DNS server does.
type tableDNS struct {
	mu      sync.Mutex
	answers map[string][]string
	lookups map[string]int
}

func (d *tableDNS) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	seq, ok := d.answers[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	if d.lookups == nil {
		d.lookups = map[string]int{}
	}
	n := min(d.lookups[host], len(seq)-1)
	d.lookups[host]++
	return []netip.Addr{netip.MustParseAddr(seq[n])}, nil
}

// strictTargets runs the sender with the production policy (no private
// targets) and dns as its resolver.
func strictTargets(dns *tableDNS) func(*env) {
	return func(e *env) {
		e.hookOptions = func(o *webhook.Options) { o.AllowPrivate, o.Resolver = false, dns }
	}
}

// Without --webhook-allow-private, PUT refuses every URL whose host is or
// resolves to an address inside the gateway's network, in any spelling,
// and any scheme but http(s), with a 400 that says what to do.
func TestWebhookPutRefusesPrivateTargets(t *testing.T) {
	dns := &tableDNS{answers: map[string][]string{
		"hooks.example.com":    {"93.184.215.14"},
		"internal.example.com": {"10.0.0.5"},
		"metadata.example.com": {"169.254.169.254"},
	}}
	e := newEnv(t, strictTargets(dns))
	a := e.newAccount(map[string]any{"email": "corp@example.com", "plan": "enterprise"})
	for _, url := range []string{
		"http://127.0.0.1:8080/hook", "http://localhost/hook", "http://169.254.169.254/latest/meta-data/",
		"http://0x7f000001/", "http://2130706433/", "http://127.1/", "http://[::ffff:127.0.0.1]/", "http://[::1]/",
		"http://[fe80::1%25eth0]/", "http://10.0.0.1/", "http://172.20.1.1/", "http://192.168.0.10/", "http://[fd12::1]/",
		"http://100.64.1.1/", "http://224.0.0.251/", "http://0.0.0.0/", "http://internal.example.com/",
		"http://metadata.example.com/", "ftp://hooks.example.com/", "file:///etc/passwd", "gopher://hooks.example.com:70/",
	} {
		r := e.do("PUT", "/v3/webhook", map[string]any{"url": url}, a.headers()...)
		if r.status != 400 || r.body["code"] != float64(400) || r.str("remedy") == "" {
			t.Errorf("PUT %s: %d %s", url, r.status, r.raw)
		}
	}
	if w, _ := e.store.Account(a.id); w.Webhook.URL != "" {
		t.Fatalf("a refused URL was stored: %q", w.Webhook.URL)
	}
	if r := e.do("PUT", "/v3/webhook", map[string]any{"url": "https://hooks.example.com/hook"}, a.headers()...); r.status != 200 {
		t.Fatalf("public receiver: %d %s", r.status, r.raw)
	}
}

// A name that resolves to a public address when the URL is checked and to
// 127.0.0.1 when a delivery dials (DNS rebinding) is refused at the dial:
// the receiver listening on 127.0.0.1 hears nothing, the delivery records
// only that the target is not allowed, and the test endpoint says only
// "unreachable".
func TestWebhookDialRefusesRebinding(t *testing.T) {
	dns := &tableDNS{answers: map[string][]string{"rebind.example.com": {"93.184.215.14", "127.0.0.1"}}}
	e := newEnv(t, strictTargets(dns))
	rc := newReceiver(t)
	port := rc.srv.URL[strings.LastIndex(rc.srv.URL, ":")+1:]
	a, _ := e.enterpriseAt(rc, "http://rebind.example.com:"+port+"/hook", []string{"inbound"}, false)

	e.greet("+4915112340010", dedicatedGW, "hello?")
	e.eventually("a refused attempt", func() bool {
		ds, _ := e.store.Deliveries(a.id, 1)
		return len(ds) == 1 && ds[0].Attempts >= 1
	})
	ds := e.do("GET", "/v3/webhook/deliveries", nil, a.headers()...)
	if !strings.Contains(ds.raw, `"last_error":"target address not allowed"`) || strings.Contains(ds.raw, "127.0.0.1") {
		t.Fatalf("deliveries %s", ds.raw)
	}
	ping := e.do("POST", "/v3/webhook/test", nil, a.headers()...)
	if ping.body["ok"] != false || ping.str("error") != "unreachable" || ping.body["status_code"] != float64(0) {
		t.Fatalf("test ping %s", ping.raw)
	}
	if n := len(rc.attempts()); n != 0 {
		t.Fatalf("the receiver on 127.0.0.1 got %d requests", n)
	}
}

// The test endpoint reports whether the receiver answered, and with which
// status, but never why a connection failed: a dial error's text would
// make it a port scanner.
func TestWebhookTestSaysOnlyUnreachable(t *testing.T) {
	e := newEnv(t) // private targets allowed, as on a LAN
	a := e.newAccount(map[string]any{"email": "corp@example.com", "plan": "enterprise"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close() // nothing listens there now: the dial is refused
	if r := e.do("PUT", "/v3/webhook", map[string]any{"url": "http://" + closed + "/hook"}, a.headers()...); r.status != 200 {
		t.Fatalf("put: %d %s", r.status, r.raw)
	}
	ping := e.do("POST", "/v3/webhook/test", nil, a.headers()...)
	if ping.body["ok"] != false || ping.str("error") != "unreachable" || strings.Contains(ping.raw, "refused") || strings.Contains(ping.raw, "dial") {
		t.Fatalf("test ping %s", ping.raw)
	}
}

// Deliveries do not follow redirects: a 3xx is a failed attempt, and the
// address it points to is never called.
func TestWebhookRedirectIsAFailure(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t) // where the redirect points: it must hear nothing
	var redirected atomic.Int32
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		redirected.Add(1)
		http.Redirect(w, r, rc.srv.URL+"/hook", http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	a, _ := e.enterpriseAt(rc, redirector.URL+"/hook", []string{"inbound"}, false)
	e.greet("+4915112340011", dedicatedGW, "hello?")
	e.eventually("attempts", func() bool {
		ds, _ := e.store.Deliveries(a.id, 1)
		return len(ds) == 1 && ds[0].Attempts >= 2 && ds[0].LastStatus == http.StatusTemporaryRedirect && ds[0].State != registry.DeliveryDelivered
	})
	if len(rc.attempts()) != 0 || redirected.Load() < 2 {
		t.Fatalf("redirect target got %d requests, redirector %d", len(rc.attempts()), redirected.Load())
	}
}
