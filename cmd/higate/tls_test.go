package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// selfSigned makes a certificate for hosts, valid for a year, and returns
// its PEM key and certificate and a pool that trusts it.
func selfSigned(t *testing.T, hosts ...string) (keyPEM, certPEM []byte, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: hosts[0]},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pool
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// noRedirects is a client that shows redirects instead of following them.
var noRedirects = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       10 * time.Second,
}

// TestServeHTTPSWithCertificateFiles: with --tls-cert and --tls-key, serve
// speaks HTTPS on --addr with HSTS, and --http-addr redirects GET to it
// and refuses other methods in the API's error shape. The start-up and the
// shutdown are logged, the shutdown step by step.
func TestServeHTTPSWithCertificateFiles(t *testing.T) {
	dir := t.TempDir()
	keyPEM, certPEM, pool := selfSigned(t, "127.0.0.1")
	cert := writeFile(t, filepath.Join(dir, "tls", "cert.pem"), certPEM)
	key := writeFile(t, filepath.Join(dir, "tls", "key.pem"), keyPEM)
	s := serveInProcess(t, nil, "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"),
		"--tls-cert", cert, "--tls-key", key, "--http-addr", "127.0.0.1:0")
	if !strings.HasPrefix(s.base, "https://127.0.0.1:") {
		t.Fatalf("serve listens on %s, want https://127.0.0.1:port", s.base)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	resp, err := client.Get(s.base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil || resp.Header.Get("Strict-Transport-Security") != "max-age=31536000" {
		t.Errorf("GET /healthz over HTTPS: %d, TLS %v, HSTS %q", resp.StatusCode, resp.TLS != nil, resp.Header.Get("Strict-Transport-Security"))
	}

	started := s.record("higate started")
	for k, want := range map[string]any{"version": "dev", "url": s.base, "data": filepath.Join(dir, "data"), "sandbox": true,
		"admin_api": false, "tls": "certificate files"} {
		if started[k] != want {
			t.Errorf("start-up record %s = %v, want %v", k, started[k], want)
		}
	}
	plain, _ := started["http_addr"].(string)
	if !strings.HasPrefix(plain, "127.0.0.1:") {
		t.Fatalf("start-up record http_addr = %q", plain)
	}

	resp, err = noRedirects.Get("http://" + plain + "/v3/whatsapp/jobs/12?x=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := s.base + "/v3/whatsapp/jobs/12?x=1"; resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
		t.Errorf("plain GET: %d to %q, want 301 to %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
	resp, err = noRedirects.Post("http://"+plain+"/v3/whatsapp/single/text/message/0", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != 400 || resp.Header.Get("Location") != "" || body["status"] != "error" || !strings.Contains(body["remedy"].(string), "https://") {
		t.Errorf("plain POST: %d %v, want 400 in the error shape with no redirect", resp.StatusCode, body)
	}

	if err := s.stop(); err != nil {
		t.Fatalf("serve returned %v", err)
	}
	var steps []string
	for _, msg := range []string{"shutting down", "http drained", "billing stopped", "webhook sender stopped",
		"dispatchers and transports stopped", "simulated network closed", "registry closed", "shutdown complete"} {
		rec := s.record(msg)
		if _, ok := rec["took_ms"].(float64); !ok && msg != "shutting down" {
			t.Errorf("%q has no took_ms: %v", msg, rec)
		}
		steps = append(steps, msg)
	}
	// In this order: HTTP first, the store last.
	log := s.stderr.String()
	for i := 1; i < len(steps); i++ {
		if strings.Index(log, `"msg":"`+steps[i-1]+`"`) > strings.Index(log, `"msg":"`+steps[i]+`"`) {
			t.Errorf("%q logged after %q", steps[i-1], steps[i])
		}
	}
}

// TestServeACME: with --acme-domain, serve gets its certificates through
// autocert with the cache in <data>/acme (here seeded with a certificate,
// since Let's Encrypt cannot be reached from a test), serves HTTPS with
// them for the configured domain only, and the plain-HTTP listener answers
// ACME's HTTP-01 challenges before it redirects.
func TestServeACME(t *testing.T) {
	const domain = "gw.example.test"
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	keyPEM, certPEM, pool := selfSigned(t, domain)
	writeFile(t, filepath.Join(data, "acme", domain), append(keyPEM, certPEM...)) // autocert's cache entry: key, then chain
	s := serveInProcess(t, nil, "--addr", "127.0.0.1:0", "--data", data, "--acme-domain", domain,
		"--acme-email", "ops@example.test", "--http-addr", "127.0.0.1:0")
	addr := strings.TrimPrefix(s.base, "https://")
	dial := func(serverName string) (*tls.Conn, error) {
		d := &net.Dialer{Timeout: 10 * time.Second}
		return tls.DialWithDialer(d, "tcp", addr, &tls.Config{RootCAs: pool, ServerName: serverName})
	}
	conn, err := dial(domain)
	if err != nil {
		t.Fatalf("TLS to %s as %s: %v", addr, domain, err)
	}
	if got := conn.ConnectionState().PeerCertificates[0].DNSNames; !slices.Equal(got, []string{domain}) {
		t.Errorf("served a certificate for %v", got)
	}
	conn.Close()
	if conn, err := dial("other.example.test"); err == nil {
		conn.Close()
		t.Error("a handshake for a domain not configured succeeded")
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: domain},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
	resp, err := client.Get("https://" + domain + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Strict-Transport-Security") != "max-age=31536000" {
		t.Errorf("GET /healthz: %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
	started := s.record("higate started")
	if started["tls"] != "acme" || started["acme_domains"] != domain {
		t.Errorf("start-up record: %v", started)
	}
	plain := started["http_addr"].(string)
	get := func(host, path string) *http.Response {
		req, _ := http.NewRequest("GET", "http://"+plain+path, nil)
		req.Host = host
		resp, err := noRedirects.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	// An unknown token is autocert's 404, not a redirect: the challenge
	// handler comes first. A host not configured is refused.
	if r := get(domain, "/.well-known/acme-challenge/some-token"); r.StatusCode != http.StatusNotFound {
		t.Errorf("challenge: %d, want autocert's 404", r.StatusCode)
	}
	if r := get("evil.example.test", "/.well-known/acme-challenge/some-token"); r.StatusCode != http.StatusForbidden {
		t.Errorf("challenge for another host: %d, want 403", r.StatusCode)
	}
	_, port, _ := net.SplitHostPort(addr)
	if r := get(domain, "/join/0"); r.StatusCode != http.StatusMovedPermanently || r.Header.Get("Location") != "https://"+domain+":"+port+"/join/0" {
		t.Errorf("plain GET: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
}

// TestACMEManager: the manager is configured as documented: cache in
// <data>/acme, the contact address, only the configured domains, and the
// TLS-ALPN-01 protocol offered.
func TestACMEManager(t *testing.T) {
	tc := tlsConfig{ACMEDomains: []string{"a.example.test", "b.example.test"}, ACMEEmail: "ops@example.test"}
	m := tc.acme("/var/lib/higate")
	if m.Cache != autocert.DirCache("/var/lib/higate/acme") || m.Email != "ops@example.test" || m.Prompt == nil {
		t.Errorf("manager: cache %v, email %q", m.Cache, m.Email)
	}
	for host, ok := range map[string]bool{"a.example.test": true, "b.example.test": true, "c.example.test": false} {
		if err := m.HostPolicy(context.Background(), host); (err == nil) != ok {
			t.Errorf("host policy for %s: %v", host, err)
		}
	}
	cfg, redirect, err := tc.server("/var/lib/higate", ":443")
	if err != nil || redirect == nil || cfg.GetCertificate == nil || !slices.Contains(cfg.NextProtos, acme.ALPNProto) {
		t.Errorf("server: %v %v %+v", err, redirect, cfg)
	}
}

// TestRedirectToHTTPS: the Location keeps the host and the whole request
// URI, drops the plain port, and adds the HTTPS port unless it is 443.
func TestRedirectToHTTPS(t *testing.T) {
	for _, c := range []struct{ httpsAddr, host, uri, want string }{
		{":443", "gw.example.com", "/a?b=c", "https://gw.example.com/a?b=c"},
		{":443", "gw.example.com:80", "/", "https://gw.example.com/"},
		{"0.0.0.0:8443", "gw.example.com:8080", "/x", "https://gw.example.com:8443/x"},
		{":443", "[2001:db8::1]:80", "/", "https://[2001:db8::1]/"},
		{":8443", "[2001:db8::1]", "/", "https://[2001:db8::1]:8443/"},
	} {
		req, _ := http.NewRequest("GET", "http://placeholder"+c.uri, nil)
		req.Host = c.host
		rec := &responseRecorder{header: http.Header{}}
		redirectToHTTPS(c.httpsAddr).ServeHTTP(rec, req)
		if rec.status != http.StatusMovedPermanently || rec.header.Get("Location") != c.want {
			t.Errorf("%s%s with HTTPS on %s: %d to %q, want %q", c.host, c.uri, c.httpsAddr, rec.status, rec.header.Get("Location"), c.want)
		}
	}
}

// responseRecorder is the least http.ResponseWriter.
type responseRecorder struct {
	header http.Header
	status int
}

func (r *responseRecorder) Header() http.Header         { return r.header }
func (r *responseRecorder) Write(p []byte) (int, error) { return len(p), nil }
func (r *responseRecorder) WriteHeader(status int)      { r.status = status }

// TestTLSValidate refuses half or conflicting TLS settings and bad
// certificate files at parse time, with the flag's name.
func TestTLSValidate(t *testing.T) {
	dir := t.TempDir()
	keyPEM, certPEM, _ := selfSigned(t, "localhost")
	cert := writeFile(t, filepath.Join(dir, "cert.pem"), certPEM)
	key := writeFile(t, filepath.Join(dir, "key.pem"), keyPEM)
	_, otherKey, _ := selfSigned(t, "localhost")
	wrongKey := writeFile(t, filepath.Join(dir, "other.pem"), otherKey)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", cert}, "both --tls-cert and --tls-key"},
		{[]string{"--tls-cert", cert, "--tls-key", key, "--acme-domain", "gw.example.com"}, "not both"},
		{[]string{"--tls-cert", cert, "--tls-key", wrongKey}, "--tls-cert/--tls-key"},
		{[]string{"--tls-cert", filepath.Join(dir, "nope.pem"), "--tls-key", key}, "no such file"},
		{[]string{"--acme-domain", "https://gw.example.com"}, "host name"},
		{[]string{"--acme-domain", "*.example.com"}, "host name"},
		{[]string{"--acme-email", "a@example.com"}, "needs --acme-domain"},
		{[]string{"--http-addr", ":80"}, "needs --tls-cert or --acme-domain"},
		{[]string{"--trusted-proxies", "10.0.0.0/8,proxy.lan"}, "--trusted-proxies"},
		{[]string{"--log-format", "xml"}, "--log-format"},
	} {
		_, err := parseServeFlags(c.args, func(string) string { return "" }, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one saying %q", c.args, err, c.want)
		}
	}
	cfg, err := parseServeFlags([]string{"--tls-cert", cert, "--tls-key", key}, func(string) string { return "" }, io.Discard)
	if err != nil || cfg.TLS.Mode() != "certificate files" || cfg.TLS.HTTPAddr != "" {
		t.Errorf("certificate files: %v %+v", err, cfg.TLS)
	}
	cfg, err = parseServeFlags([]string{"--acme-domain", "a.example.com", "--acme-domain", "b.example.com,c.example.com"},
		func(k string) string { return map[string]string{"HIGATE_ACME_DOMAIN": "env.example.com"}[k] }, io.Discard)
	if err != nil || !slices.Equal(cfg.TLS.ACMEDomains, []string{"a.example.com", "b.example.com", "c.example.com"}) || cfg.TLS.HTTPAddr != ":80" {
		t.Errorf("acme: %v %+v; want the flags' three domains (replacing the environment's) and :80", err, cfg.TLS)
	}
}
