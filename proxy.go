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

func (t trustedProxies) contains(ip string) bool {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range t {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

type httpsKey struct{}

// forwarded applies the forwarding headers of trusted proxies: the client's
// address becomes the nearest untrusted one in X-Forwarded-For, and
// X-Forwarded-Proto: https marks the request as secure (see isHTTPS).
func (t trustedProxies) forwarded(next http.Handler) http.Handler {
	if len(t) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !t.contains(clientAddr(r)) {
			next.ServeHTTP(w, r)
			return
		}
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- { // walk back from the proxy nearest us
			hop := strings.TrimSpace(hops[i])
			if hop == "" {
				continue
			}
			if _, err := netip.ParseAddr(hop); err != nil {
				break
			}
			r.RemoteAddr = net.JoinHostPort(hop, "0")
			if !t.contains(hop) {
				break
			}
		}
		if strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
			r = r.WithContext(context.WithValue(r.Context(), httpsKey{}, true))
		}
		next.ServeHTTP(w, r)
	})
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
