package forwarded_test

import (
	"crypto/tls"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"higate/web/forwarded"
)

// seen runs r through p's Handler and returns what ClientIP and HTTPS said.
func seen(t *testing.T, p forwarded.Proxies, r *http.Request) (string, bool) {
	t.Helper()
	var ip string
	var https bool
	p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip, https = forwarded.ClientIP(r), forwarded.HTTPS(r)
	})).ServeHTTP(httptest.NewRecorder(), r)
	return ip, https
}

func TestHandlerTrustsOnlyTheConfiguredProxies(t *testing.T) {
	proxies, err := forwarded.ParseProxies("10.0.0.0/8, 127.0.0.1 ::1")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		proxies   forwarded.Proxies
		peer      string
		tls       bool
		xff       []string
		proto     string
		wantIP    string
		wantHTTPS bool
	}{
		{"direct, no headers", proxies, "203.0.113.5:4000", false, nil, "", "203.0.113.5", false},
		{"direct TLS", proxies, "203.0.113.5:4000", true, nil, "", "203.0.113.5", true},
		{"untrusted peer's headers are ignored", proxies, "203.0.113.5:4000", false, []string{"198.51.100.7"}, "https", "203.0.113.5", false},
		{"no trusted proxies: headers ignored even from loopback", nil, "127.0.0.1:4000", false, []string{"198.51.100.7"}, "https", "127.0.0.1", false},
		{"trusted proxy", proxies, "127.0.0.1:4000", false, []string{"198.51.100.7"}, "https", "198.51.100.7", true},
		{"trusted proxy over IPv6", proxies, "[::1]:4000", false, []string{"2001:db8::7"}, "https", "2001:db8::7", true},
		{"trusted proxy says http", proxies, "127.0.0.1:4000", true, []string{"198.51.100.7"}, "http", "198.51.100.7", false},
		{"trusted proxy without proto keeps the connection's", proxies, "127.0.0.1:4000", false, []string{"198.51.100.7"}, "", "198.51.100.7", false},
		{"a chain of trusted proxies", proxies, "127.0.0.1:4000", false, []string{"198.51.100.7, 10.1.2.3"}, "https", "198.51.100.7", true},
		{"a forged entry left of the real client", proxies, "127.0.0.1:4000", false, []string{"192.0.2.66, 198.51.100.7"}, "https", "198.51.100.7", true},
		{"two header lines", proxies, "127.0.0.1:4000", false, []string{"192.0.2.66", "198.51.100.7, 10.9.9.9"}, "", "198.51.100.7", false},
		{"entries with ports", proxies, "127.0.0.1:4000", false, []string{"198.51.100.7:5555"}, "", "198.51.100.7", false},
		{"all trusted: the farthest", proxies, "127.0.0.1:4000", false, []string{"10.0.0.1, 10.0.0.2"}, "", "10.0.0.1", false},
		{"garbled entry stops the walk", proxies, "127.0.0.1:4000", false, []string{"198.51.100.7, garbage, 10.0.0.2"}, "", "10.0.0.2", false},
		{"proto list: the nearest proxy's", proxies, "127.0.0.1:4000", false, nil, "http, https", "127.0.0.1", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.peer
			if c.tls {
				r.TLS = &tls.ConnectionState{}
			}
			for _, v := range c.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if c.proto != "" {
				r.Header.Set("X-Forwarded-Proto", c.proto)
			}
			ip, https := seen(t, c.proxies, r)
			if ip != c.wantIP || https != c.wantHTTPS {
				t.Errorf("client %s https %v, want %s %v", ip, https, c.wantIP, c.wantHTTPS)
			}
		})
	}
}

// Without the Handler (a handler tested on its own), the connection is
// the truth.
func TestWithoutHandlerTheConnectionCounts(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "[::ffff:192.0.2.1]:80"
	r.Header.Set("X-Forwarded-For", "198.51.100.7")
	r.Header.Set("X-Forwarded-Proto", "https")
	if ip, https := forwarded.ClientIP(r), forwarded.HTTPS(r); ip != "192.0.2.1" || https {
		t.Errorf("client %s https %v, want 192.0.2.1 false", ip, https)
	}
	r.TLS = &tls.ConnectionState{}
	if !forwarded.HTTPS(r) {
		t.Error("a TLS connection is not HTTPS")
	}
}

func TestParseProxies(t *testing.T) {
	p, err := forwarded.ParseProxies(" 10.0.0.0/8,192.168.1.7/24  ::1,::ffff:127.0.0.1 ")
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.0/24"),
		netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("127.0.0.1/32")}
	if !slices.Equal(p, want) {
		t.Errorf("parsed %v, want %v", p, want)
	}
	if got := p.String(); got != "10.0.0.0/8,192.168.1.0/24,::1/128,127.0.0.1/32" {
		t.Errorf("String() = %q", got)
	}
	if p, err := forwarded.ParseProxies(""); err != nil || len(p) != 0 {
		t.Errorf("empty list: %v %v", p, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "localhost", "10.0.0.0/8,nope"} {
		if _, err := forwarded.ParseProxies(bad); err == nil || !strings.Contains(err.Error(), "CIDR") {
			t.Errorf("%q: error %v, want one naming CIDR", bad, err)
		}
	}
}

// FuzzHandler: whatever the headers, the client is the peer or one of the
// X-Forwarded-For entries, and nothing panics.
func FuzzHandler(f *testing.F) {
	f.Add("198.51.100.7, 10.0.0.2", "https")
	f.Add("[2001:db8::1]:80,,garbage", "HTTP")
	p, _ := forwarded.ParseProxies("10.0.0.0/8,127.0.0.1")
	f.Fuzz(func(t *testing.T, xff, proto string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "127.0.0.1:1"
		r.Header.Set("X-Forwarded-For", xff)
		r.Header.Set("X-Forwarded-Proto", proto)
		ip, _ := seen(t, p, r)
		if ip != "127.0.0.1" {
			if _, err := netip.ParseAddr(ip); err != nil {
				t.Fatalf("client %q is not an address", ip)
			}
		}
	})
}

// TestNoOtherDecisions keeps this package the one place that decides a
// request's client and scheme: a handler under web/ that reads r.TLS or
// r.RemoteAddr itself would disagree with the trusted-proxy decision
// (a cookie without Secure behind a TLS proxy, every client counted as
// the proxy). Use ClientIP and HTTPS instead.
func TestNoOtherDecisions(t *testing.T) {
	bad := regexp.MustCompile(`\.TLS\s*[!=]=\s*nil|\.RemoteAddr\b`)
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "forwarded" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(data), "\n") {
			if bad.MatchString(line) && !strings.HasPrefix(strings.TrimSpace(line), "//") {
				t.Errorf("%s:%d decides the client or scheme itself: %s", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
