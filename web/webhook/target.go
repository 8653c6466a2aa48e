package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"higate/registry"
)

// Resolver looks up a host's addresses; *net.Resolver is one. Tests inject
// their own to play DNS rebinding.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// ErrTargetRefused is the error of a dial to an address webhooks may not
// reach (see Policy).
var ErrTargetRefused = errors.New("webhook target address not allowed")

// Policy decides which addresses webhook deliveries may reach. A webhook
// URL is the developer's, not the operator's, so by default it may not
// point into the gateway's own network: loopback, private (RFC 1918,
// fc00::/7), CGNAT (100.64.0.0/10) and benchmarking (198.18.0.0/15)
// addresses are refused, and so, always, are link-local addresses (where
// cloud metadata services answer), multicast, unspecified and reserved
// ones. AllowPrivate lifts the first group for receivers on the
// operator's LAN or machine. The zero value is the strict policy with the
// system resolver.
type Policy struct {
	AllowPrivate bool
	Resolver     Resolver // default net.DefaultResolver
}

func (p Policy) resolver() Resolver {
	if p.Resolver == nil {
		return net.DefaultResolver
	}
	return p.Resolver
}

var (
	cgnat        = netip.MustParsePrefix("100.64.0.0/10")
	benchmarking = netip.MustParsePrefix("198.18.0.0/15")
	thisNetwork  = netip.MustParsePrefix("0.0.0.0/8")
	ietf         = netip.MustParsePrefix("192.0.0.0/24")
	reserved4    = netip.MustParsePrefix("240.0.0.0/4") // and the broadcast address
	siteLocal    = netip.MustParsePrefix("fec0::/10")
	nat64        = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour    = netip.MustParsePrefix("2002::/16")
)

// classify names the kind of a refused address: "private" for what
// AllowPrivate permits, anything else for what is never allowed, and ""
// for a public address. Addresses that embed an IPv4 one (4in6, NAT64,
// 6to4) are judged by it.
func classify(a netip.Addr) string {
	a = a.Unmap().WithZone("")
	switch {
	case !a.IsValid():
		return "invalid"
	case a.Is6() && nat64.Contains(a):
		b := a.As16()
		return classify(netip.AddrFrom4([4]byte(b[12:])))
	case a.Is6() && sixToFour.Contains(a):
		b := a.As16()
		return classify(netip.AddrFrom4([4]byte(b[2:6])))
	case a.IsUnspecified() || a.Is4() && thisNetwork.Contains(a):
		return "unspecified"
	case a.IsMulticast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast():
		return "multicast"
	case a.IsLinkLocalUnicast() || siteLocal.Contains(a):
		return "link-local"
	case a.Is4() && (ietf.Contains(a) || reserved4.Contains(a)):
		return "reserved"
	case a.IsLoopback():
		return "loopback"
	case a.IsPrivate():
		return "private"
	case a.Is4() && cgnat.Contains(a):
		return "CGNAT"
	case a.Is4() && benchmarking.Contains(a):
		return "private"
	}
	return ""
}

// refusal says why the policy refuses an address, or "" if it allows it.
func (p Policy) refusal(a netip.Addr) string {
	switch kind := classify(a); kind {
	case "":
		return ""
	case "loopback", "private", "CGNAT":
		if p.AllowPrivate {
			return ""
		}
		return "a " + kind + " address"
	default:
		return "a " + kind + " address"
	}
}

// Allowed reports whether a delivery may connect to the address.
func (p Policy) Allowed(a netip.Addr) bool { return p.refusal(a) == "" }

// parseHost reads a URL's host as an address if it is one, in any spelling
// a resolver might accept: IPv6 (brackets already gone, with or without a
// zone) and IPv4 as inet_aton(3) reads it, so 127.1, 0x7f000001,
// 2130706433 and 0177.0.0.1 are all 127.0.0.1. canonical is false for the
// spellings other than a.b.c.d.
func parseHost(host string) (a netip.Addr, canonical, ok bool) {
	if a, err := netip.ParseAddr(host); err == nil {
		return a, true, true
	}
	parts := strings.Split(host, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false, false
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		n, ok := atonPart(p)
		if !ok {
			return netip.Addr{}, false, false
		}
		nums[i] = n
	}
	// The last part fills the bytes the others leave: a, a.b (8+24 bits),
	// a.b.c (8+8+16) or a.b.c.d.
	var v uint64
	for i, n := range nums[:len(nums)-1] {
		if n > 0xff {
			return netip.Addr{}, false, false
		}
		v |= n << (24 - 8*i)
	}
	last := nums[len(nums)-1]
	if last >= 1<<(8*(5-len(nums))) {
		return netip.Addr{}, false, false
	}
	v |= last
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), false, true
}

// atonPart reads one part of an inet_aton address: hexadecimal after 0x,
// octal after a leading 0, decimal otherwise.
func atonPart(p string) (uint64, bool) {
	base := 10
	switch {
	case len(p) > 2 && (p[:2] == "0x" || p[:2] == "0X"):
		p, base = p[2:], 16
	case len(p) > 1 && p[0] == '0':
		p, base = p[1:], 8
	}
	if p == "" {
		return 0, false
	}
	n, err := strconv.ParseUint(p, base, 32)
	return n, err == nil
}

// CheckURL refuses a webhook URL the gateway should not call: anything but
// an absolute http(s) URL, credentials in it, or a host that is, or
// resolves to, an address the policy refuses (every address it resolves to
// must be allowed). The errors are 400s with a remedy. Resolving now
// catches a mistake early; a delivery checks each address again as it
// dials (Control), so a name that resolves differently later cannot get
// past.
func (p Policy) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		return badURL("give an absolute http:// or https:// URL", "url is missing or invalid")
	case u.Scheme != "http" && u.Scheme != "https":
		return badURL("use http:// or https://", "url scheme %q is not allowed", u.Scheme)
	case u.User != nil:
		return badURL("put no user name or password in the URL; verify the signature instead", "url carries credentials")
	}
	host := strings.TrimSuffix(u.Hostname(), ".")
	if host == "" {
		return badURL("give the receiver's host name", "url has no host")
	}
	if a, canonical, ok := parseHost(host); ok {
		if why := p.refusal(a); why != "" {
			return refused(host, a, why)
		}
		if !canonical {
			return badURL("write the address as "+a.String(), "url host %q is an unusual spelling of %s", host, a)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := p.resolver().LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return badURL("use a host name that resolves in public DNS", "url host %q does not resolve", host)
	}
	for _, a := range addrs {
		if why := p.refusal(a); why != "" {
			return refused(host, a, why)
		}
	}
	return nil
}

func refused(host string, a netip.Addr, why string) error {
	return registry.Errorf(registry.CodeBadRequest,
		"use a receiver on the public internet; an operator can allow private networks with --webhook-allow-private",
		"url host %q is %s (%s), which webhooks may not reach", host, a.Unmap().WithZone(""), why)
}

func badURL(remedy, format string, args ...any) error {
	return registry.Errorf(registry.CodeBadRequest, remedy, format, args...)
}

// Control is a net.Dialer Control hook: it refuses to connect to an
// address the policy refuses. It runs for every address a dial tries,
// after name resolution, so it holds whatever a name resolved to when the
// URL was checked, and whatever resolver the dial used.
func (p Policy) Control(network, address string, _ syscall.RawConn) error {
	if network != "tcp4" && network != "tcp6" && network != "tcp" {
		return fmt.Errorf("%w: network %s", ErrTargetRefused, network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrTargetRefused, address)
	}
	if why := p.refusal(ap.Addr()); why != "" {
		return fmt.Errorf("%w: %s is %s", ErrTargetRefused, ap.Addr(), why)
	}
	return nil
}

// DialContext connects for an http.Transport: it resolves the host with the
// policy's resolver (reading numeric hosts as CheckURL does) and dials its
// addresses in turn through a dialer whose Control applies the policy.
func (p Policy) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if a, _, ok := parseHost(strings.TrimSuffix(host, ".")); ok {
		addrs = []netip.Addr{a}
	} else if addrs, err = p.resolver().LookupNetIP(ctx, "ip", host); err != nil {
		return nil, err
	}
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: p.Control}
	var first error
	for _, a := range addrs {
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		if first == nil {
			first = err
		}
	}
	if first == nil {
		first = fmt.Errorf("no address for %s", host)
	}
	return nil, first
}
