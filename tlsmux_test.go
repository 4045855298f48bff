// tlsmux_test.go tests what every HTTPS connection gets, with -tls-local
// and -tls-cert alike: TLS 1.2 clients that offer only CBC suites are
// refused, and Strict-Transport-Security goes out over HTTPS only.

package main

import (
	"crypto/tls"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
)

// tlsModes starts one server per way of serving HTTPS.
func tlsModes(t *testing.T, edit func(*config)) map[string]*testServer {
	t.Helper()
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeSelfSigned(t, cert, key)
	return map[string]*testServer{
		"tls-local": newTestServer(t, func(c *config) {
			c.TLSLocal = true
			if edit != nil {
				edit(c)
			}
		}),
		"tls-cert": newTestServer(t, func(c *config) {
			c.TLSCert, c.TLSKey = cert, key
			if edit != nil {
				edit(c)
			}
		}),
	}
}

func TestTLSOffersOnlyAEAD(t *testing.T) {
	cbc := []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
		tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
		tls.TLS_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_256_CBC_SHA,
	}
	for mode, ts := range tlsModes(t, nil) {
		t.Run(mode, func(t *testing.T) {
			conn, err := tls.Dial("tcp", ts.addr, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12, CipherSuites: cbc})
			if err == nil {
				t.Errorf("a CBC-only TLS 1.2 client was served with %s", tls.CipherSuiteName(conn.ConnectionState().CipherSuite))
				conn.Close()
			}
			// A TLS 1.2 client with AEAD suites is served, with one of them.
			conn, err = tls.Dial("tcp", ts.addr, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12})
			if err != nil {
				t.Fatalf("TLS 1.2 with the default suites: %v", err)
			}
			defer conn.Close()
			if got := conn.ConnectionState().CipherSuite; !slices.Contains(newTLSConfig().CipherSuites, got) {
				t.Errorf("negotiated %s", tls.CipherSuiteName(got))
			}
		})
	}
}

func TestHSTSOnlyOverHTTPS(t *testing.T) {
	servers := tlsModes(t, nil)
	plain := newTestServer(t, nil)
	proxied := newTestServer(t, func(c *config) { c.TrustProxy, _ = parseTrustedProxies("127.0.0.1") })
	secure := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	cases := []struct {
		name  string
		url   string
		host  string // the Host header, when not the URL's
		proto string // X-Forwarded-Proto
		want  string
	}{
		{"tls-cert over HTTPS", "https://" + servers["tls-cert"].addr + "/api/me", "chat.example.org", "", hstsValue},
		{"tls-local over HTTPS as hearth.local", "https://" + servers["tls-local"].addr + "/trust", "hearth.local:8443", "", hstsValue},
		{"tls-local as the machine's own name", "https://" + servers["tls-local"].addr + "/api/me", "kitchen-pi.local", "", ""},
		{"HTTPS to an IP address", "https://" + servers["tls-cert"].addr + "/api/me", "", "", ""},
		{"HTTPS to localhost", "https://" + servers["tls-cert"].addr + "/api/me", "localhost:8443", "", ""},
		{"plain HTTP on the HTTPS port", "http://" + servers["tls-cert"].addr + "/api/me", "chat.example.org", "", ""},
		{"plain HTTP trust page", "http://" + servers["tls-local"].addr + "/trust", "hearth.local", "", ""},
		{"plain HTTP", plain.URL + "/api/me", "chat.example.org", "", ""},
		{"plain HTTP claiming https", plain.URL + "/api/me", "chat.example.org", "https", ""},
		{"HTTPS through a trusted proxy", proxied.URL + "/api/me", "chat.example.org", "https", hstsValue},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", tc.url, nil)
			if tc.host != "" {
				req.Host = tc.host
			}
			if tc.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			resp, err := secure.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("Strict-Transport-Security"); got != tc.want {
				t.Errorf("Strict-Transport-Security = %q, want %q", got, tc.want)
			}
		})
	}
}
