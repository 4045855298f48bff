// proxy.go owns running behind a reverse proxy: with -trust-proxy, requests
// from the listed addresses are taken at their word about the client's
// address (X-Forwarded-For) and scheme (X-Forwarded-Proto); from anywhere
// else those headers are ignored, so nobody can fake an address to dodge
// the login limits.

package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// trustedProxies is the set of addresses whose forwarding headers count.
type trustedProxies []netip.Prefix

// parseTrustedProxies reads a comma-separated list of addresses and CIDR
// prefixes.
func parseTrustedProxies(list string) (trustedProxies, error) {
	var out trustedProxies
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if !strings.Contains(item, "/") {
			addr, err := netip.ParseAddr(item)
			if err != nil {
				return nil, fmt.Errorf("-trust-proxy: %q is not an address", item)
			}
			item = netip.PrefixFrom(addr, addr.BitLen()).String()
		}
		p, err := netip.ParsePrefix(item)
		if err != nil {
			return nil, fmt.Errorf("-trust-proxy: %q is not an address or prefix", item)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// contains reports whether ip, an address without port, is a trusted proxy.
func (t trustedProxies) contains(ip string) bool {
	addr, err := netip.ParseAddr(ip)
	return err == nil && t.containsAddr(addr)
}

func (t trustedProxies) containsAddr(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range t {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

type httpsKey struct{}

// apply applies the forwarding headers of trusted proxies to r: the
// client's address becomes the nearest untrusted one in X-Forwarded-For,
// and X-Forwarded-Proto: https marks the request as secure (see isHTTPS).
// It returns the request to serve: r, or r with a marked context.
func (t trustedProxies) apply(r *http.Request) *http.Request {
	if len(t) == 0 || !t.contains(clientAddr(r)) {
		return r
	}
	if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		// A header with no address we can read names a client we
		// cannot identify: it must not count as the proxy itself.
		r.RemoteAddr = unknownClientAddr
		hops := strings.Split(strings.Join(xff, ","), ",")
		for i := len(hops) - 1; i >= 0; i-- { // walk back from the proxy nearest us
			hop := strings.TrimSpace(hops[i])
			if hop == "" {
				continue
			}
			addr, ok := parseHop(hop)
			if !ok {
				r.RemoteAddr = unknownClientAddr
				break
			}
			r.RemoteAddr = net.JoinHostPort(addr.String(), "0")
			if !t.containsAddr(addr) {
				break
			}
		}
	}
	if strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		r = r.WithContext(context.WithValue(r.Context(), httpsKey{}, true))
	}
	return r
}

// unknownClient is the client address of a request whose trusted proxy
// named a client we cannot read ("unknown", "garbage"). It is no IP, so no
// loopback check passes, and all such clients share its login limits; it
// is never remembered as a user's trusted address. unknownClientAddr is the
// RemoteAddr that clientAddr turns into it, host and port as net expects.
const (
	unknownClient     = "unknown"
	unknownClientAddr = unknownClient + ":0"
)

// parseHop reads one X-Forwarded-For entry: an address, with or without a
// port ("1.2.3.4:5678", "[2001:db8::1]:443"), IPv6 bracketed or not. An
// IPv4-mapped address comes back as IPv4, so one client has one key.
func parseHop(hop string) (netip.Addr, bool) {
	if addr, err := netip.ParseAddr(hop); err == nil {
		return addr.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(hop); err == nil {
		return ap.Addr().Unmap(), true
	}
	if strings.HasPrefix(hop, "[") && strings.HasSuffix(hop, "]") {
		if addr, err := netip.ParseAddr(hop[1 : len(hop)-1]); err == nil && addr.Is6() {
			return addr.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

// isHTTPS reports whether the client reached us over HTTPS: directly, or
// through a trusted proxy that said so.
func isHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	v, _ := r.Context().Value(httpsKey{}).(bool)
	return v
}
