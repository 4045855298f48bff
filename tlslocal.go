// tlslocal.go owns -tls-local: HTTPS on a home network with no internet and
// no domain. Hearth is its own small certificate authority, kept in the
// database; it issues a certificate for the machine's names and LAN
// addresses, renews it before it expires and re-issues it when the
// addresses change, and serves a "trust this server" page (over plain HTTP
// too) with the CA certificate, its fingerprint, a QR code and the steps
// for each platform.
//
// The CA can sign only for the home network. Its key is in the database,
// so in every backup, and every device that trusts the CA would accept what
// the key signs: unconstrained, a copied backup could mint a certificate
// for any bank. So the CA carries critical name constraints (RFC 5280
// 4.2.1.10) and the serverAuth usage only: names under localhost, local
// (mDNS) and the machine's host name when the CA was made, and the
// loopback, private (RFC 1918, fc00::/7), link-local and CGNAT (100.64/10,
// which Tailscale uses) address ranges. The leaf carries only the names and
// addresses the CA permits; a public address on an interface is left out.
// A CA made before constraints existed is replaced at start-up with a new
// key: the log says so loudly, and /trust shows the date for
// caReplacedNotice, since every device must install the new CA once (and
// should remove the old one, which a backup from before still signs for).

package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/publicsuffix"
)

const (
	caLifetime   = 10 * 365 * 24 * time.Hour
	certLifetime = 397 * 24 * time.Hour // the most Apple's platforms accept
	renewBefore  = 30 * 24 * time.Hour
	certCheck    = time.Hour

	// caReplacedNotice is how long /trust says the CA was replaced.
	caReplacedNotice = 30 * 24 * time.Hour
)

// caIPRanges are the addresses the CA may sign for: loopback, private,
// link-local and CGNAT (carrier-grade NAT, also Tailscale's); never the
// public internet.
var caIPRanges = []string{
	"127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10",
	"::1/128", "fc00::/7", "fe80::/10",
}

// caDNSDomains are the names the CA may sign for, each with every name
// under it: localhost, mDNS's local, and the machine's host name when that
// is safe to put there (see safeHostDomain).
func caDNSDomains(host string) []string {
	domains := []string{"localhost", "local"}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if safeHostDomain(host) && !permittedName(domains, host) {
		domains = append(domains, host)
	}
	return domains
}

// safeHostDomain reports whether a host name may be a name constraint. A
// constraint covers every name under it, so a one-label host name would
// let the CA sign for a whole top-level domain (a machine called "dev"
// could vouch for go.dev): those are covered as NAME.local instead. A
// dotted name must not be a public suffix itself (co.uk, github.io), and
// must be a plain DNS name: X.509 parsers reject a constraint that is not
// one, and a CA that fails to parse would be remade at every start.
func safeHostDomain(host string) bool {
	plain := host != "" && !strings.Contains(host, "..") && strings.Trim(host, "abcdefghijklmnopqrstuvwxyz0123456789-_.") == ""
	if !plain || net.ParseIP(host) != nil || !strings.Contains(strings.Trim(host, "."), ".") {
		return false
	}
	suffix, _ := publicsuffix.PublicSuffix(host)
	return suffix != host
}

// permittedName reports whether name is one of domains or under one, as
// RFC 5280 name constraints without a leading dot match.
func permittedName(domains []string, name string) bool {
	name = strings.ToLower(name)
	for _, d := range domains {
		if name == d || strings.HasSuffix(name, "."+d) {
			return true
		}
	}
	return false
}

// constrained reports whether ca is limited the way this version makes
// CAs; a CA from before is replaced. That includes a CA made by the first
// constrained release on a machine with a one-label host name, whose
// constraints cover a top-level domain.
func constrained(ca *x509.Certificate) bool {
	if !ca.PermittedDNSDomainsCritical || len(ca.PermittedDNSDomains) == 0 || len(ca.PermittedIPRanges) == 0 {
		return false
	}
	for _, d := range ca.PermittedDNSDomains {
		if d != "localhost" && d != "local" && !safeHostDomain(d) {
			return false
		}
	}
	return true
}

// localCA issues and keeps the server's certificate. It is safe for
// concurrent use: the TLS stack reads the certificate on every handshake.
type localCA struct {
	st       *store
	ca       *x509.Certificate
	caKey    *ecdsa.PrivateKey
	replaced time.Time // when an unconstrained CA was replaced; zero if never
	mu       sync.RWMutex
	cert     *tls.Certificate // guarded by mu
	leaf     *x509.Certificate
	extras   []string // names to include besides the machine's own (tests)
}

// newLocalCA loads the CA and certificate from the store, creating or
// re-issuing what is missing or stale.
func newLocalCA(st *store) (*localCA, error) {
	l := &localCA{st: st}
	if err := l.loadCA(); err != nil {
		return nil, err
	}
	if err := l.loadCert(); err != nil || l.stale(time.Now()) {
		if err := l.issue(); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// loadCA loads the CA from the store, or makes one: when there is none,
// and in place of one without name constraints (see the file comment),
// whose key it overwrites.
func (l *localCA) loadCA() error {
	if t, err := time.Parse(time.RFC3339, string(l.st.getMeta("ca_replaced"))); err == nil {
		l.replaced = t
	}
	var old *x509.Certificate
	certDER, keyDER := l.st.getMeta("ca_cert"), l.st.getMeta("ca_key")
	if certDER != nil && keyDER != nil {
		ca, err1 := x509.ParseCertificate(certDER)
		key, err2 := x509.ParseECPrivateKey(keyDER)
		if err1 == nil && err2 == nil && constrained(ca) {
			l.ca, l.caKey = ca, key
			return nil
		}
		if err1 == nil && err2 == nil {
			old = ca
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	var ipRanges []*net.IPNet
	for _, cidr := range caIPRanges {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			return fmt.Errorf("CA address range %s: %w", cidr, err)
		}
		ipRanges = append(ipRanges, n)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		// The date tells this CA from an older one in a device's list.
		Subject:                     pkix.Name{CommonName: "Hearth local CA (" + host + ", " + now.Format(time.DateOnly) + ")", Organization: []string{"Hearth"}},
		NotBefore:                   now.Add(-time.Hour),
		NotAfter:                    now.Add(caLifetime),
		IsCA:                        true,
		BasicConstraintsValid:       true,
		MaxPathLenZero:              true,
		KeyUsage:                    x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		ExtKeyUsage:                 []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, // no client, code or mail certificates
		PermittedDNSDomainsCritical: true,
		PermittedDNSDomains:         caDNSDomains(host),
		PermittedIPRanges:           ipRanges,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err = x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	values := map[string][]byte{"ca_cert": der, "ca_key": keyDER}
	if old != nil {
		l.replaced = now.UTC()
		values["ca_replaced"] = []byte(l.replaced.Format(time.RFC3339))
	}
	if err := l.st.putMeta(values); err != nil {
		return fmt.Errorf("store the local CA: %w", err)
	}
	l.ca, _ = x509.ParseCertificate(der)
	l.caKey = key
	if old != nil {
		oldSum := sha256.Sum256(old.Raw)
		slog.Warn("REPLACED the local certificate authority with one limited to this home network: "+
			"every device that trusted the old one must install the new one once, from /trust, and should remove the old one",
			"old", old.Subject.CommonName, "old_fingerprint", strings.ToUpper(hex.EncodeToString(oldSum[:])),
			"new", l.ca.Subject.CommonName, "fingerprint", l.fingerprint())
		return nil
	}
	slog.Info("created a local certificate authority", "fingerprint", l.fingerprint())
	return nil
}

func (l *localCA) loadCert() error {
	certDER, keyDER := l.st.getMeta("tls_cert"), l.st.getMeta("tls_key")
	if certDER == nil || keyDER == nil {
		return errors.New("no certificate yet")
	}
	return l.use(certDER, keyDER)
}

func (l *localCA) use(certDER, keyDER []byte) error {
	leaf, err := x509.ParseCertificate(certDER)
	if err != nil {
		return err
	}
	key, err := x509.ParseECPrivateKey(keyDER)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cert = &tls.Certificate{Certificate: [][]byte{certDER, l.ca.Raw}, PrivateKey: key, Leaf: leaf}
	l.leaf = leaf
	return nil
}

// names is what the certificate must cover now: the machine's names and
// every address of its up interfaces, less what the CA may not sign for (a
// public address, a host name the machine took after the CA was made).
func (l *localCA) names() (dns []string, ips []net.IP) {
	host, _ := os.Hostname()
	host = strings.ToLower(host)
	dns = []string{"localhost", "hearth.local"}
	if host != "" {
		dns = append(dns, host, strings.TrimSuffix(host, ".local")+".local")
	}
	for _, n := range l.extras {
		if ip := net.ParseIP(n); ip != nil {
			ips = append(ips, ip)
		} else {
			dns = append(dns, n)
		}
	}
	ips = append(ips, net.IPv4(127, 0, 0, 1), net.IPv6loopback)
	ips = append(ips, lanIPs()...)
	if c := l.ca; constrained(c) { // as in X.509, no constraint permits everything
		dns = slices.DeleteFunc(dns, func(n string) bool { return !permittedName(c.PermittedDNSDomains, n) })
		ips = slices.DeleteFunc(ips, func(ip net.IP) bool {
			return !slices.ContainsFunc(c.PermittedIPRanges, func(r *net.IPNet) bool { return r.Contains(ip) })
		})
	}
	slices.Sort(dns)
	dns = slices.Compact(dns)
	return dns, ips
}

// stale reports whether the certificate is missing, ends within
// renewBefore, was signed by another CA (one since replaced), or no longer
// covers every name and address.
func (l *localCA) stale(now time.Time) bool {
	l.mu.RLock()
	leaf := l.leaf
	l.mu.RUnlock()
	if leaf == nil || now.Add(renewBefore).After(leaf.NotAfter) || leaf.CheckSignatureFrom(l.ca) != nil {
		return true
	}
	dns, ips := l.names()
	for _, n := range dns {
		if !slices.Contains(leaf.DNSNames, n) {
			return true
		}
	}
	for _, ip := range ips {
		if !slices.ContainsFunc(leaf.IPAddresses, ip.Equal) {
			return true
		}
	}
	return false
}

// issue makes a new server certificate for today's names and stores it.
func (l *localCA) issue() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	dns, ips := l.names()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: dns[0]},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(certLifetime),
		DNSNames:     dns,
		IPAddresses:  ips,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, l.ca, &key.PublicKey, l.caKey)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := l.st.putMeta(map[string][]byte{"tls_cert": der, "tls_key": keyDER}); err != nil {
		return fmt.Errorf("store the certificate: %w", err)
	}
	slog.Info("issued a certificate", "names", dns, "addresses", len(ips), "until", tmpl.NotAfter.Format(time.DateOnly))
	return l.use(der, keyDER)
}

// keepFresh re-issues the certificate when it is stale, every certCheck,
// until ctx is done.
func (l *localCA) keepFresh(ctx context.Context) {
	every(ctx, certCheck, func() {
		if l.stale(time.Now()) {
			if err := l.issue(); err != nil {
				slog.Error("renew the certificate", "err", err)
			}
		}
	})
}

func (l *localCA) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.cert, nil
}

// fingerprint is the CA certificate's SHA-256, as devices show it.
func (l *localCA) fingerprint() string {
	sum := sha256.Sum256(l.ca.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}

//go:embed templates/trust.html
var trustFS embed.FS

var trustPage = template.Must(template.ParseFS(trustFS, "templates/trust.html"))

// handleTrust serves the page that helps a device trust this server.
func (l *localCA) handleTrust(w http.ResponseWriter, r *http.Request) {
	// The fingerprint goes in pairs; the page joins them with a colon and
	// a line break opportunity, so a phone wraps it between pairs only.
	fp := l.fingerprint()
	var pairs []string
	for i := 0; i < len(fp); i += 2 {
		pairs = append(pairs, fp[i:i+2])
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	var replaced string
	if !l.replaced.IsZero() && time.Since(l.replaced) < caReplacedNotice {
		replaced = l.replaced.Local().Format("2 January 2006")
	}
	trustPage.Execute(w, map[string]any{
		"Fingerprint": pairs,
		"URL":         "https://" + r.Host + "/",
		"CAName":      l.ca.Subject.CommonName,
		"Replaced":    replaced,
	})
}

// handleCA serves the CA certificate for devices to install.
func (l *localCA) handleCA(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-x509-ca-cert")
	w.Header().Set("Content-Disposition", `attachment; filename="hearth-ca.crt"`)
	w.Write(l.ca.Raw)
}

// handleTrustQR is the https address of this server as a QR code.
func (l *localCA) handleTrustQR(w http.ResponseWriter, r *http.Request) {
	writeQR(w, "http://"+r.Host+"/trust")
}

// plainHandler answers plain HTTP on the HTTPS port: the trust page and
// what it needs, and a redirect to https for everything else.
func (l *localCA) plainHandler(assets http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /trust", l.handleTrust)
	mux.HandleFunc("GET /trust/ca.crt", l.handleCA)
	mux.HandleFunc("GET /trust/qr.png", l.handleTrustQR)
	mux.Handle("GET /style.css", assets)
	mux.Handle("GET /icon.svg", assets)
	mux.Handle("/", redirectToHTTPS)
	return securityHeaders(mux)
}
