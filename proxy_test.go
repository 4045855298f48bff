// proxy_test.go tests -trust-proxy: forwarding headers count from the
// listed proxies only.

package main

import (
	"net/http/httptest"
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
	tests := []struct {
		name, remote, xff, proto string
		wantAddr                 string
		wantSecure               bool
	}{
		{"through the proxy", "127.0.0.1:5000", "203.0.113.9", "https", "203.0.113.9", true},
		{"through two proxies", "127.0.0.1:5000", "198.51.100.1, 203.0.113.9, 10.1.2.3", "https", "203.0.113.9", true},
		{"a client faking the header", "192.168.1.7:5000", "203.0.113.9", "https", "192.168.1.7", false},
		{"plain http through the proxy", "10.0.0.2:5000", "203.0.113.10", "http", "203.0.113.10", false},
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
		})
	}
}
