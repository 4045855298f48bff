// tlslocal_test.go tests -tls-local: a device that installs the CA from the
// trust page (fetched over plain HTTP) then verifies the server's
// certificate; the CA and certificate survive restarts; stale certificates
// are re-issued; the CA can sign only for the home network, and one made
// before that limit is replaced at start-up.

package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
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
	// The console names the trust page first: until a device trusts the
	// CA, the https:// setup link fails with a certificate error.
	out := ts.output.String()
	trustAt, setupAt := strings.Index(out, "http://"+ts.addr+"/trust"), strings.Index(out, "https://"+ts.addr+"/setup?token=")
	if trustAt < 0 || setupAt < 0 || trustAt > setupAt {
		t.Errorf("console output does not send people to /trust before the setup link:\n%s", out)
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
	if strings.Contains(string(page), `id="ca-replaced"`) {
		t.Error("a new CA's trust page says it was replaced")
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
	l.extras = []string{"192.168.77.7", "kitchen-pi.local"}
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

// mintWith signs a server certificate for dns and ips with key as the
// holder of a backup could: any name it likes.
func mintWith(t *testing.T, ca *x509.Certificate, key *ecdsa.PrivateKey, dns []string, ips []net.IP) *x509.Certificate {
	t.Helper()
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "minted"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     dns,
		IPAddresses:  ips,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &leafKey.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func TestLocalCAIsNameConstrained(t *testing.T) {
	ts := newTestServer(t, func(c *config) { c.TLSLocal = true })
	l := ts.app.local
	if !l.ca.PermittedDNSDomainsCritical {
		t.Error("the name constraints are not critical")
	}
	roots := x509.NewCertPool()
	roots.AddCert(l.ca)

	// The CA key, as a backup holds it, cannot vouch for the internet.
	for _, tc := range []struct {
		name string
		dns  []string
		ips  []net.IP
	}{
		{"a bank", []string{"bank.example.com"}, nil},
		{"a bank beside a home name", []string{"hearth.local", "bank.example.com"}, nil},
		{"a public IPv4 address", nil, []net.IP{net.ParseIP("8.8.8.8")}},
		{"a public IPv6 address", nil, []net.IP{net.ParseIP("2001:4860:4860::8888")}},
		{"a name like local", []string{"notlocal"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			minted := mintWith(t, l.ca, l.caKey, tc.dns, tc.ips)
			_, err := minted.Verify(x509.VerifyOptions{Roots: roots})
			var invalid x509.CertificateInvalidError
			if !errors.As(err, &invalid) || invalid.Reason != x509.CANotAuthorizedForThisName {
				t.Errorf("verify = %v, want CANotAuthorizedForThisName", err)
			}
		})
	}
	// What the home network needs still verifies.
	home := mintWith(t, l.ca, l.caKey, []string{"nas.local", "localhost"}, []net.IP{net.ParseIP("192.168.1.20"), net.ParseIP("10.1.2.3"), net.ParseIP("fd00::5")})
	if _, err := home.Verify(x509.VerifyOptions{Roots: roots, DNSName: "nas.local"}); err != nil {
		t.Errorf("a home name: %v", err)
	}

	// A public address on an interface is left out of the server's own
	// certificate, which verifies for every name and address it carries.
	l.extras = []string{"203.0.113.9", "bank.example.com", "10.9.8.7"}
	if err := l.issue(); err != nil {
		t.Fatal(err)
	}
	leaf := l.leaf
	if slices.Contains(leaf.DNSNames, "bank.example.com") || slices.ContainsFunc(leaf.IPAddresses, net.ParseIP("203.0.113.9").Equal) {
		t.Errorf("the certificate names the internet: %v %v", leaf.DNSNames, leaf.IPAddresses)
	}
	if !slices.ContainsFunc(leaf.IPAddresses, net.ParseIP("10.9.8.7").Equal) {
		t.Errorf("the certificate lacks a LAN address: %v", leaf.IPAddresses)
	}
	if l.stale(time.Now()) {
		t.Error("a left-out address makes the certificate stale for ever")
	}
	hosts := slices.Clone(leaf.DNSNames)
	for _, ip := range leaf.IPAddresses {
		hosts = append(hosts, ip.String())
	}
	for _, h := range hosts {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: h}); err != nil {
			t.Errorf("the server's certificate for %s: %v", h, err)
		}
	}
	// And a device that trusts the CA connects without warnings.
	conn, err := tls.Dial("tcp", ts.addr, &tls.Config{RootCAs: roots, ServerName: "hearth.local"})
	if err != nil {
		t.Fatalf("TLS with the constrained CA: %v", err)
	}
	conn.Close()
}

func TestLocalCAReplacesUnconstrained(t *testing.T) {
	// A database from before the limit: a CA made as the old code made
	// it, and a certificate it signed.
	db := filepath.Join(t.TempDir(), "old.db")
	st, err := openStore(db)
	if err != nil {
		t.Fatal(err)
	}
	oldKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	oldTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "Hearth local CA (old)", Organization: []string{"Hearth"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(caLifetime),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	oldDER, err := x509.CreateCertificate(rand.Reader, oldTmpl, oldTmpl, &oldKey.PublicKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	oldCA, _ := x509.ParseCertificate(oldDER)
	oldKeyDER, _ := x509.MarshalECPrivateKey(oldKey)
	old := &localCA{st: st, ca: oldCA, caKey: oldKey}
	if err := st.putMeta(map[string][]byte{"ca_cert": oldDER, "ca_key": oldKeyDER}); err != nil {
		t.Fatal(err)
	}
	if err := old.issue(); err != nil {
		t.Fatal(err)
	}
	if _, err := mintWith(t, oldCA, oldKey, []string{"bank.example.com"}, nil).Verify(x509.VerifyOptions{Roots: poolOf(oldCA)}); err != nil {
		t.Fatalf("the old CA was already limited: %v", err)
	}
	st.Close()

	ts := newTestServer(t, func(c *config) { c.TLSLocal = true; c.DBPath = db })
	l := ts.app.local
	if !constrained(l.ca) || l.ca.Equal(oldCA) {
		t.Fatal("the unconstrained CA was kept")
	}
	if bytes.Equal(ts.store().getMeta("ca_key"), oldKeyDER) || l.caKey.Equal(oldKey) {
		t.Error("the old CA key is still in the database")
	}
	// The server's certificate is the new CA's: devices that trusted the
	// old one now get a warning, until they install the new one.
	if _, err := tls.Dial("tcp", ts.addr, &tls.Config{RootCAs: poolOf(l.ca), ServerName: "hearth.local"}); err != nil {
		t.Errorf("TLS with the new CA: %v", err)
	}
	if c, err := tls.Dial("tcp", ts.addr, &tls.Config{RootCAs: poolOf(oldCA), ServerName: "hearth.local"}); err == nil {
		c.Close()
		t.Error("the server still shows the old CA's certificate")
	}
	trustPage := func() string {
		t.Helper()
		resp, err := http.Get("http://" + ts.addr + "/trust")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		page, _ := io.ReadAll(resp.Body)
		return string(page)
	}
	const notice = `id="ca-replaced"`
	if page := trustPage(); !strings.Contains(page, notice) || !strings.Contains(page, "was replaced on "+time.Now().Format("2 January 2006")) {
		t.Errorf("the trust page does not say the CA was replaced:\n%s", page)
	}

	// A restart keeps the new CA, and the notice while it is recent.
	newCA := l.ca
	ts.restart()
	if !ts.app.local.ca.Equal(newCA) {
		t.Error("a restart replaced the CA again")
	}
	if !strings.Contains(trustPage(), notice) {
		t.Error("the notice is gone after a restart")
	}
	// A month on, the notice is gone.
	l = ts.app.local
	l.replaced = time.Now().Add(-caReplacedNotice - time.Hour)
	rec := httptest.NewRecorder()
	l.handleTrust(rec, httptest.NewRequest("GET", "/trust", nil))
	if strings.Contains(rec.Body.String(), notice) {
		t.Error("the notice outlives caReplacedNotice")
	}
}

func poolOf(certs ...*x509.Certificate) *x509.CertPool {
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool
}

// A CA whose constraints cover a top-level domain (as the first
// constrained release made on a machine with a one-label name) is replaced.
func TestCAWithATopLevelConstraintIsReplaced(t *testing.T) {
	for _, domains := range [][]string{{"localhost", "local", "dev"}, {"localhost", "local", "co.uk"}} {
		ca := &x509.Certificate{PermittedDNSDomainsCritical: true, PermittedDNSDomains: domains, PermittedIPRanges: []*net.IPNet{{IP: net.IPv4(10, 0, 0, 0), Mask: net.CIDRMask(8, 32)}}}
		if constrained(ca) {
			t.Errorf("a CA constrained to %q counts as safe", domains)
		}
	}
	ok := &x509.Certificate{PermittedDNSDomainsCritical: true, PermittedDNSDomains: caDNSDomains("nas.fritz.box"), PermittedIPRanges: []*net.IPNet{{IP: net.IPv4(10, 0, 0, 0), Mask: net.CIDRMask(8, 32)}}}
	if !constrained(ok) {
		t.Errorf("a CA constrained to %q is replaced", ok.PermittedDNSDomains)
	}
}

func TestCADNSDomains(t *testing.T) {
	for host, want := range map[string][]string{
		"pi":                  {"localhost", "local"}, // one label: it would cover a top-level domain
		"dev":                 {"localhost", "local"}, // a machine called dev must not vouch for go.dev
		"co.uk":               {"localhost", "local"}, // a public suffix
		"github.io":           {"localhost", "local"},
		"Box.Example.com.":    {"localhost", "local", "box.example.com"},
		"Annes-MacBook.local": {"localhost", "local"}, // under local already
		"kjøkken":             {"localhost", "local"}, // not a DNS name a constraint can hold
		"":                    {"localhost", "local"},
	} {
		if got := caDNSDomains(host); !slices.Equal(got, want) {
			t.Errorf("caDNSDomains(%q) = %q, want %q", host, got, want)
		}
	}
}
