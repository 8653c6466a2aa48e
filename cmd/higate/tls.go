package main

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/acme/autocert"
)

// tlsConfig is how serve speaks HTTPS on --addr: from certificate files,
// or with certificates it gets and renews itself from Let's Encrypt (ACME),
// or not at all, behind a reverse proxy that does (the default).
type tlsConfig struct {
	Cert, Key   string
	ACMEDomains []string
	ACMEEmail   string
	// HTTPAddr is the plain-HTTP listener that redirects to HTTPS and, with
	// ACME, answers its HTTP-01 challenges; off when empty (":80" with ACME).
	HTTPAddr string
}

// register adds the TLS flags to fs, with their defaults from the
// environment (env is parseServe's lookup).
func (t *tlsConfig) register(fs *flag.FlagSet, env func(name, def string) string) {
	fs.StringVar(&t.Cert, "tls-cert", env("HIGATE_TLS_CERT", ""), "serve HTTPS on --addr with this certificate (PEM, chain included) and --tls-key (HIGATE_TLS_CERT)")
	fs.StringVar(&t.Key, "tls-key", env("HIGATE_TLS_KEY", ""), "the private key of --tls-cert (PEM) (HIGATE_TLS_KEY)")
	t.ACMEDomains = splitList(env("HIGATE_ACME_DOMAIN", ""))
	fs.Var(&listValue{p: &t.ACMEDomains}, "acme-domain",
		"get and renew HTTPS certificates for this domain from Let's Encrypt; repeat it or separate domains with commas; the cache is <data>/acme (HIGATE_ACME_DOMAIN)")
	fs.StringVar(&t.ACMEEmail, "acme-email", env("HIGATE_ACME_EMAIL", ""), "contact address for Let's Encrypt's expiry and problem notices (HIGATE_ACME_EMAIL)")
	fs.StringVar(&t.HTTPAddr, "http-addr", env("HIGATE_HTTP_ADDR", ""),
		"plain-HTTP listener that redirects to HTTPS and answers ACME challenges; default :80 with --acme-domain, off otherwise (HIGATE_HTTP_ADDR)")
}

// Mode names how HTTPS is served, for the start-up log and config check.
func (t tlsConfig) Mode() string {
	switch {
	case len(t.ACMEDomains) > 0:
		return "acme"
	case t.Cert != "":
		return "certificate files"
	}
	return "off"
}

// Validate reports the first thing wrong. It loads the certificate files,
// so that a wrong path or a key that does not match fails at start (and in
// config check), not at the first handshake.
func (t tlsConfig) Validate() error {
	if (t.Cert == "") != (t.Key == "") {
		return errors.New("give both --tls-cert and --tls-key, or neither")
	}
	if t.Cert != "" && len(t.ACMEDomains) > 0 {
		return errors.New("give --tls-cert/--tls-key or --acme-domain, not both")
	}
	for _, d := range t.ACMEDomains {
		if !validDomain(d) {
			return fmt.Errorf("--acme-domain %q: want a host name such as gw.example.com (no scheme, port or wildcard)", d)
		}
	}
	if t.ACMEEmail != "" && len(t.ACMEDomains) == 0 {
		return errors.New("--acme-email needs --acme-domain")
	}
	if t.HTTPAddr != "" {
		if t.Mode() == "off" {
			return errors.New("--http-addr redirects to HTTPS: it needs --tls-cert or --acme-domain")
		}
		if _, _, err := net.SplitHostPort(t.HTTPAddr); err != nil {
			return fmt.Errorf("--http-addr %q: %w", t.HTTPAddr, err)
		}
	}
	if t.Cert != "" {
		if _, err := tls.LoadX509KeyPair(t.Cert, t.Key); err != nil {
			return fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
	}
	return nil
}

// validDomain reports whether d is a plain DNS name ACME can issue for.
func validDomain(d string) bool {
	if d == "" || len(d) > 253 || !strings.Contains(d, ".") || net.ParseIP(d) != nil {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// server returns the HTTPS server's tls.Config and the handler of the
// plain-HTTP listener (--http-addr): a redirect to HTTPS on httpsAddr's
// port, behind ACME's HTTP-01 challenge handler when ACME is on. Both are
// nil when TLS is off. With ACME, certificates are cached in
// <dataDir>/acme, so restarts do not ask Let's Encrypt again.
func (t tlsConfig) server(dataDir, httpsAddr string) (*tls.Config, http.Handler, error) {
	switch t.Mode() {
	case "acme":
		m := t.acme(dataDir)
		cfg := m.TLSConfig() // answers the TLS-ALPN-01 challenge too
		cfg.MinVersion = tls.VersionTLS12
		return cfg, m.HTTPHandler(redirectToHTTPS(httpsAddr)), nil
	case "certificate files":
		cert, err := tls.LoadX509KeyPair(t.Cert, t.Key)
		if err != nil {
			return nil, nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, redirectToHTTPS(httpsAddr), nil
	}
	return nil, nil, nil
}

// acme is the certificate manager for the configured domains: it accepts
// Let's Encrypt's terms (the operator did by giving --acme-domain) and
// asks only for these domains, whatever name a client sends.
func (t tlsConfig) acme(dataDir string) *autocert.Manager {
	return &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(filepath.Join(dataDir, "acme")),
		HostPolicy: autocert.HostWhitelist(t.ACMEDomains...),
		Email:      t.ACMEEmail,
	}
}

// redirectToHTTPS sends GET and HEAD requests to the same URL over HTTPS,
// on httpsAddr's port (omitted when it is 443), with 301. Other methods
// get the API's error shape and no redirect: a client that sent a body
// over plain HTTP would re-send it as a GET, and should learn to use HTTPS.
func redirectToHTTPS(httpsAddr string) http.Handler {
	_, port, _ := net.SplitHostPort(httpsAddr)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.Trim(host, "[]")
		if host == "" {
			http.Error(w, "400 bad request: no Host header", http.StatusBadRequest)
			return
		}
		switch {
		case port != "" && port != "443":
			host = net.JoinHostPort(host, port)
		case strings.Contains(host, ":"):
			host = "[" + host + "]" // IPv6
		}
		target := "https://" + host + r.URL.RequestURI()
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]any{"status": "error", "code": http.StatusBadRequest,
				"message": "this port serves plain HTTP and only redirects to HTTPS", "remedy": "send the request over HTTPS: " + target})
			return
		}
		http.Redirect(w, r, target, http.StatusMovedPermanently)
	})
}

// listValue is a flag that takes a list, repeated or comma-separated. The
// first use on the command line replaces the default (the environment's
// list) rather than adding to it.
type listValue struct {
	p   *[]string
	set bool
}

// String joins the list with commas, as Set reads it.
func (v *listValue) String() string {
	if v.p == nil {
		return ""
	}
	return strings.Join(*v.p, ",")
}

// Set adds the comma-separated items of s.
func (v *listValue) Set(s string) error {
	if !v.set {
		*v.p, v.set = nil, true
	}
	*v.p = append(*v.p, splitList(s)...)
	return nil
}

// splitList splits a comma-separated list, dropping spaces and empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
