// tlslocal_test.go tests -tls-local: a device that installs the CA from the
// trust page (fetched over plain HTTP) then verifies the server's
// certificate; the CA and certificate survive restarts; stale certificates
// are re-issued.

package main

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestTLSLocal(t *testing.T) {
	ts := newTestServer(t, func(c *config) { c.TLSLocal = true })
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(c *http.Client, url string) (*http.Response, []byte) {
		t.Helper()
		resp, err := c.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, body
	}
	// Over plain HTTP: the trust page and the CA; everything else redirects.
	resp, page := get(plain, "http://"+ts.addr+"/trust")
	if resp.StatusCode != 200 || !strings.Contains(string(page), "Download the certificate") {
		t.Fatalf("trust page: %d", resp.StatusCode)
	}
	resp, der := get(plain, "http://"+ts.addr+"/trust/ca.crt")
	ca, err := x509.ParseCertificate(der)
	if err != nil || !ca.IsCA || resp.Header.Get("Content-Type") != "application/x-x509-ca-cert" {
		t.Fatalf("CA certificate: %v %v", err, resp.Header)
	}
	if !strings.Contains(string(page), ts.app.local.fingerprint()[:2]+":") {
		t.Error("the trust page does not show the fingerprint")
	}
	if resp, _ := get(plain, "http://"+ts.addr+"/api/me"); resp.StatusCode != http.StatusPermanentRedirect {
		t.Errorf("plain /api/me: %d", resp.StatusCode)
	}
	if resp, _ := get(plain, "http://"+ts.addr+"/trust/qr.png"); resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("trust QR: %v", resp.Header)
	}

	// A device that trusts the CA verifies the server: no warnings.
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	device := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, _ = get(device, "https://"+ts.addr+"/api/me")
	if resp.StatusCode != http.StatusUnauthorized || resp.TLS == nil {
		t.Errorf("verified HTTPS: %d", resp.StatusCode)
	}
	leaf := resp.TLS.PeerCertificates[0]
	if time.Until(leaf.NotAfter) < 300*24*time.Hour || !leaf.NotAfter.Before(time.Now().Add(398*24*time.Hour)) {
		t.Errorf("certificate valid until %v", leaf.NotAfter)
	}

	// After a restart: the same CA, the same certificate.
	ts.restart()
	resp, _ = get(device, "https://"+ts.addr+"/api/me")
	if !resp.TLS.PeerCertificates[0].Equal(leaf) {
		t.Error("a restart issued a new certificate")
	}

	// A new address makes the certificate stale; it is re-issued to cover it.
	l := ts.app.local
	if l.stale(time.Now()) {
		t.Fatal("a fresh certificate is stale")
	}
	l.extras = []string{"192.0.2.77", "kitchen-pi.local"}
	if !l.stale(time.Now()) {
		t.Fatal("a new address did not make the certificate stale")
	}
	if err := l.issue(); err != nil {
		t.Fatal(err)
	}
	if l.stale(time.Now()) || !l.stale(time.Now().Add(certLifetime)) {
		t.Error("re-issued certificate: wrong staleness")
	}
	if err := l.leaf.VerifyHostname("kitchen-pi.local"); err != nil {
		t.Errorf("re-issued certificate: %v", err)
	}
}
