package webhook_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"

	"higate/registry"
	"higate/web/webhook"
)

// fakeDNS answers from a table; a name with several answers gives the next
// one on each lookup (and keeps giving the last), as a rebinding attacker's
// DNS server does.
type fakeDNS struct {
	mu      sync.Mutex
	answers map[string][][]string
	lookups map[string]int
}

func newFakeDNS(answers map[string][][]string) *fakeDNS {
	return &fakeDNS{answers: answers, lookups: map[string]int{}}
}

func (f *fakeDNS) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	seq, ok := f.answers[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	n := min(f.lookups[host], len(seq)-1)
	f.lookups[host]++
	var out []netip.Addr
	for _, s := range seq[n] {
		out = append(out, netip.MustParseAddr(s))
	}
	return out, nil
}

func (f *fakeDNS) count(host string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lookups[host]
}

func TestCheckURLRefusesWhatWebhooksMayNotReach(t *testing.T) {
	dns := newFakeDNS(map[string][][]string{
		"hooks.example.com":    {{"93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"}},
		"internal.example.com": {{"10.0.0.5"}},
		"meta.example.com":     {{"169.254.169.254"}},
		"mixed.example.com":    {{"93.184.215.14", "127.0.0.1"}},
		"v6local.example.com":  {{"::1"}},
		"localhost":            {{"127.0.0.1", "::1"}},
	})
	strict := webhook.Policy{Resolver: dns}
	lax := webhook.Policy{Resolver: dns, AllowPrivate: true}
	for _, tc := range []struct {
		url         string
		strict, lax bool // allowed under each policy
	}{
		{"https://hooks.example.com/h", true, true},
		{"http://hooks.example.com:8443/h?x=1", true, true},
		{"http://93.184.215.14/h", true, true},
		{"http://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/h", true, true},
		{"http://hooks.example.com./h", true, true},

		{"http://127.0.0.1/h", false, true},
		{"http://127.0.0.1:22/", false, true},
		{"http://localhost:8080/h", false, true},
		{"http://0x7f000001/", false, false}, // an odd spelling is refused even when allowed
		{"http://2130706433/", false, false},
		{"http://127.1/", false, false},
		{"http://0177.0.0.1/", false, false},
		{"http://0x7f.0.0.1/", false, false},
		{"http://127.0.0.1./", false, true},
		{"http://[::1]/", false, true},
		{"http://[::ffff:127.0.0.1]/", false, true},
		{"http://[::ffff:7f00:1]/", false, true},
		{"http://[64:ff9b::7f00:1]/", false, true},
		{"http://10.1.2.3/", false, true},
		{"http://172.16.0.1/", false, true},
		{"http://192.168.1.10/", false, true},
		{"http://100.64.0.1/", false, true},
		{"http://[fd00::1]/", false, true},
		{"http://[fc00::1]/", false, true},
		{"http://internal.example.com/", false, true},
		{"http://mixed.example.com/", false, true},
		{"http://v6local.example.com/", false, true},

		// Never, whatever the operator allows.
		{"http://169.254.169.254/latest/meta-data/", false, false},
		{"http://meta.example.com/", false, false},
		{"http://[fe80::1%25eth0]/", false, false},
		{"http://[fe80::1]/", false, false},
		{"http://[::ffff:169.254.169.254]/", false, false},
		{"http://0.0.0.0/", false, false},
		{"http://0/", false, false},
		{"http://[::]/", false, false},
		{"http://224.0.0.1/", false, false},
		{"http://[ff02::1]/", false, false},
		{"http://255.255.255.255/", false, false},
		{"http://0x08080808/", false, false}, // public, but an odd spelling: write 8.8.8.8
		{"ftp://hooks.example.com/", false, false},
		{"file:///etc/passwd", false, false},
		{"gopher://hooks.example.com/", false, false},
		{"https://user:pw@hooks.example.com/", false, false},
		{"/relative/path", false, false},
		{"https://", false, false},
		{"https://nowhere.invalid/", false, false},
		{"", false, false},
	} {
		for _, p := range []struct {
			name   string
			policy webhook.Policy
			want   bool
		}{{"strict", strict, tc.strict}, {"allow-private", lax, tc.lax}} {
			err := p.policy.CheckURL(context.Background(), tc.url)
			if (err == nil) != p.want {
				t.Errorf("%s %q: err %v, want allowed %v", p.name, tc.url, err, p.want)
			}
			var e *registry.Error
			if err != nil && (!errors.As(err, &e) || e.Code != registry.CodeBadRequest || e.Remedy == "") {
				t.Errorf("%s %q: %v is not a 400 with a remedy", p.name, tc.url, err)
			}
		}
	}
}

// The dial checks every address again, whatever the name resolved to when
// the URL was checked: a name that rebinds to 127.0.0.1 after the check is
// refused, and the receiver listening there hears nothing.
func TestDialRefusesRebindingName(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	dns := newFakeDNS(map[string][][]string{"rebind.example.com": {{"93.184.215.14"}, {"127.0.0.1"}}})
	policy := webhook.Policy{Resolver: dns}
	target := "http://rebind.example.com:" + port + "/hook"
	if err := policy.CheckURL(context.Background(), target); err != nil {
		t.Fatalf("check while it resolves to a public address: %v", err)
	}
	client := &http.Client{Transport: &http.Transport{DialContext: policy.DialContext}}
	_, err := client.Get(target)
	if !errors.Is(err, webhook.ErrTargetRefused) || hits != 0 {
		t.Fatalf("dial after rebinding: err %v, %d hits", err, hits)
	}
	if dns.count("rebind.example.com") != 2 {
		t.Fatalf("%d lookups, want the check's and the dial's", dns.count("rebind.example.com"))
	}
	// Numeric spellings are read as the check reads them.
	for _, host := range []string{"127.0.0.1", "0x7f000001", "2130706433", "127.1", "[::ffff:127.0.0.1]"} {
		if _, err := client.Get("http://" + host + ":" + port + "/"); !errors.Is(err, webhook.ErrTargetRefused) {
			t.Errorf("%s: %v", host, err)
		}
	}
	// With private targets allowed the same dial goes through.
	lax := webhook.Policy{Resolver: dns, AllowPrivate: true}
	resp, err := (&http.Client{Transport: &http.Transport{DialContext: lax.DialContext}}).Get(target)
	if err != nil || hits != 1 {
		t.Fatalf("allowed dial: %v, %d hits", err, hits)
	}
	resp.Body.Close()
}

// Control is a net.Dialer hook: it refuses by the resolved address, so a
// dialer that resolves by itself is held to the policy too.
func TestControlRefusesByResolvedAddress(t *testing.T) {
	strict := webhook.Policy{}
	for addr, ok := range map[string]bool{
		"93.184.215.14:443":     true,
		"[2606:4700::1111]:443": true,
		"127.0.0.1:80":          false,
		"[::1]:80":              false,
		"[::ffff:10.0.0.1]:80":  false,
		"[fe80::1%eth0]:80":     false,
		"169.254.169.254:80":    false,
		"100.100.100.200:80":    false,
		"not-an-address:80":     false,
	} {
		if err := strict.Control("tcp4", addr, nil); (err == nil) != ok {
			t.Errorf("%s: %v, want allowed %v", addr, err, ok)
		}
	}
	if err := strict.Control("udp4", "93.184.215.14:53", nil); err == nil {
		t.Error("udp allowed")
	}
	d := &net.Dialer{Control: strict.Control}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, err := d.Dial("tcp", ln.Addr().String()); !errors.Is(err, webhook.ErrTargetRefused) {
		t.Fatalf("dial to a local listener: %v", err)
	}
}

// FuzzCheckURL: whatever the input, an accepted URL is absolute http(s)
// without credentials, and a numeric host in it is an allowed address.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://hooks.example.com/h", "http://127.0.0.1/", "http://0x7f000001/", "http://[::ffff:127.0.0.1]/",
		"http://[fe80::1%25eth0]/", "http://127.1/", "http://1.2.3.4.5/", "http://08.8.8.8/", "http://0x/", "http://8.8.8.8/"} {
		f.Add(s)
	}
	policy := webhook.Policy{Resolver: newFakeDNS(map[string][][]string{"hooks.example.com": {{"93.184.215.14"}}})}
	f.Fuzz(func(t *testing.T, raw string) {
		if policy.CheckURL(context.Background(), raw) != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
			t.Fatalf("accepted %q", raw)
		}
		if a, err := netip.ParseAddr(u.Hostname()); err == nil && !policy.Allowed(a) {
			t.Fatalf("accepted %q: %s is refused", raw, a)
		}
	})
}
