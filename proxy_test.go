// proxy_test.go tests -trust-proxy: forwarding headers count from the
// listed proxies only.

package main

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

func TestTrustedProxies(t *testing.T) {
	trusted, err := parseTrustedProxies("127.0.0.1, 10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseTrustedProxies("not-an-address"); err == nil {
		t.Error("a bad -trust-proxy value was accepted")
	}
	ts := newTestServer(t, func(c *config) { c.TrustProxy = trusted })
	ts.addUser("ann", "correct horse", false)
	login := func(remote, xff, proto string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/api/login", jsonBody(map[string]string{"username": "ann", "password": "correct horse"}))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = remote
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		if proto != "" {
			req.Header.Set("X-Forwarded-Proto", proto)
		}
		rec := httptest.NewRecorder()
		ts.app.srv.ServeHTTP(rec, req)
		return rec
	}
	// metrics asks for /metrics, readable without a login from loopback
	// only, as a client of the proxy on 127.0.0.1.
	metrics := func(xff string) int {
		req := httptest.NewRequest("GET", "/metrics", nil)
		req.Host = "127.0.0.1"
		req.RemoteAddr = "127.0.0.1:5000"
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		rec := httptest.NewRecorder()
		ts.app.srv.ServeHTTP(rec, req)
		return rec.Code
	}
	tests := []struct {
		name, remote, xff, proto string
		wantAddr                 string
		wantSecure               bool
	}{
		{"through the proxy", "127.0.0.1:5000", "203.0.113.9", "https", "203.0.113.9", true},
		{"through two proxies", "127.0.0.1:5000", "198.51.100.1, 203.0.113.9, 10.1.2.3", "https", "203.0.113.9", true},
		{"a client faking the header", "192.168.1.7:5000", "203.0.113.9", "https", "192.168.1.7", false},
		{"plain http through the proxy", "10.0.0.2:5000", "203.0.113.10", "http", "203.0.113.10", false},
		{"the proxy itself, no header", "127.0.0.1:5000", "", "", "127.0.0.1", false},
		{"a port on the hop", "127.0.0.1:5000", "1.2.3.4:5678", "", "1.2.3.4", false},
		{"IPv6 with a port", "127.0.0.1:5000", "[2001:db8::1]:443", "", "2001:db8::1", false},
		{"IPv6 bracketed", "127.0.0.1:5000", "[2001:db8::1]", "", "2001:db8::1", false},
		{"IPv4-mapped", "127.0.0.1:5000", "::ffff:203.0.113.9", "", "203.0.113.9", false},
		// A hop we cannot read is a client we cannot name: never the proxy.
		{"garbage nearest", "127.0.0.1:5000", "1.2.3.4, garbage", "", unknownClient, false},
		{"garbage only", "127.0.0.1:5000", "garbage", "", unknownClient, false},
		{"unknown", "127.0.0.1:5000", "unknown", "", unknownClient, false},
		{"garbage behind a trusted hop", "127.0.0.1:5000", "garbage, 10.1.2.3", "", unknownClient, false},
		{"an empty header", "127.0.0.1:5000", " , ", "", unknownClient, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := login(tc.remote, tc.xff, tc.proto)
			if rec.Code != 200 {
				t.Fatalf("login: %d", rec.Code)
			}
			cookie := rec.Result().Cookies()[0]
			if cookie.Secure != tc.wantSecure {
				t.Errorf("Secure = %v, want %v", cookie.Secure, tc.wantSecure)
			}
			list, _ := ts.store().listSessions("ann")
			if list[0].RemoteAddr != tc.wantAddr {
				t.Errorf("session address %s, want %s", list[0].RemoteAddr, tc.wantAddr)
			}
			if tc.remote != "127.0.0.1:5000" {
				return
			}
			want := http.StatusUnauthorized // a client, not loopback: log in first
			if tc.xff == "" {
				want = http.StatusOK
			}
			if got := metrics(tc.xff); got != want {
				t.Errorf("/metrics through the proxy: %d, want %d", got, want)
			}
		})
	}
	// An unknown client is never remembered as one of ann's devices: that
	// would exempt every unknown client from her account's login limit.
	u, _ := ts.store().getUser("ann")
	if slices.Contains(u.TrustedAddrs, unknownClient) {
		t.Errorf("trusted addresses %v hold %q", u.TrustedAddrs, unknownClient)
	}
}
