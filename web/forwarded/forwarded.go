// Package forwarded decides who sent a request and whether it reached the
// server over HTTPS. A request straight from a client says so by its
// connection: the peer's address and r.TLS. Behind a reverse proxy the
// connection is the proxy's, and the client is in the proxy's
// X-Forwarded-For and X-Forwarded-Proto headers; anyone can send those
// headers, so they count only when the connection comes from an address the
// operator trusts (--trusted-proxies).
//
// Handler makes the decision once per request and keeps it in the request's
// context; ClientIP and HTTPS read it, so the login rate limiter, the
// cookies' Secure flag and the access log agree on it.
package forwarded

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the networks whose X-Forwarded-* headers are believed. The
// zero value trusts no one: the headers are ignored.
type Proxies []netip.Prefix

// ParseProxies reads a list of CIDR prefixes or single addresses,
// separated by commas or spaces ("10.0.0.0/8, 127.0.0.1, ::1").
func ParseProxies(list string) (Proxies, error) {
	var out Proxies
	for _, f := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q is not a CIDR prefix (like 10.0.0.0/8) or an address", f)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is not a CIDR prefix (like 10.0.0.0/8) or an address", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// String lists the prefixes as ParseProxies reads them.
func (p Proxies) String() string {
	s := make([]string, len(p))
	for i, pre := range p {
		s[i] = pre.String()
	}
	return strings.Join(s, ",")
}

// trusts reports whether a is in one of the trusted networks.
func (p Proxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, pre := range p {
		if pre.Contains(a) {
			return true
		}
	}
	return false
}

// origin is the decision Handler keeps in a request's context.
type origin struct {
	ip    string
	https bool
}

type originKey struct{}

// Handler records each request's client address and scheme for ClientIP
// and HTTPS, then calls next.
func (p Proxies) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := p.decide(r)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), originKey{}, o)))
	})
}

// decide finds the client of r. The client is the nearest address in the
// X-Forwarded-For chain that is not a trusted proxy: each proxy appends the
// address it got the request from, so the entries right of it were written
// by proxies the operator trusts, and the ones left of it by the client,
// who may have made them up.
func (p Proxies) decide(r *http.Request) origin {
	o := origin{ip: peerIP(r), https: r.TLS != nil}
	peer, err := netip.ParseAddr(o.ip)
	if err != nil || !p.trusts(peer) {
		return o
	}
	if proto := lastField(r.Header.Values("X-Forwarded-Proto")); proto != "" {
		o.https = strings.EqualFold(proto, "https")
	}
	hops := fields(r.Header.Values("X-Forwarded-For"))
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			break // a garbled entry: the last trusted hop is all that is known
		}
		o.ip = a.String()
		if !p.trusts(a) {
			break
		}
	}
	return o
}

// ClientIP returns the address of the client that sent r: as Handler
// decided, or, for a request that did not pass through Handler, the
// connection's peer.
func ClientIP(r *http.Request) string {
	if o, ok := r.Context().Value(originKey{}).(origin); ok {
		return o.ip
	}
	return peerIP(r)
}

// HTTPS reports whether the client reached the server over HTTPS: as
// Handler decided, or, without it, whether the connection is TLS.
func HTTPS(r *http.Request) bool {
	if o, ok := r.Context().Value(originKey{}).(origin); ok {
		return o.https
	}
	return r.TLS != nil
}

// peerIP is the host part of r.RemoteAddr, or all of it if it has no port.
func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap().String()
	}
	return host
}

// parseHop reads one X-Forwarded-For entry: an address, perhaps with a
// port, IPv6 perhaps in brackets.
func parseHop(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil {
		return a.Unmap(), true
	}
	return netip.Addr{}, false
}

// fields splits the comma-separated values of every copy of a header, in
// order.
func fields(values []string) []string {
	var out []string
	for _, v := range values {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, f)
			}
		}
	}
	return out
}

// lastField is the last of fields(values): the value the nearest proxy set.
func lastField(values []string) string {
	f := fields(values)
	if len(f) == 0 {
		return ""
	}
	return f[len(f)-1]
}
