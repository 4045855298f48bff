// tlsmux.go lets the HTTPS port answer plain HTTP too: a connection that
// starts with a TLS handshake goes to the HTTPS server; any other to a plain
// server that redirects to the same address over https (so old links and
// typed addresses keep working when TLS is turned on), and with -tls-local
// also shows the page that helps a device trust this server. It also sets
// what every HTTPS connection gets: AEAD cipher suites only, and HSTS.

package main

import (
	"bufio"
	"crypto/tls"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// sniffWait bounds how long a new connection may take to say its first byte.
const sniffWait = 10 * time.Second

// sniffListener hands the HTTPS server only the connections that begin a
// TLS handshake. Sniffing happens per connection, off the accept loop, so a
// silent client holds up no one.
type sniffListener struct {
	net.Listener
	tls   *handoff // and the accept loop's errors
	plain *handoff // anything else
	done  chan struct{}
	once  sync.Once
}

func newSniffListener(ln net.Listener) *sniffListener {
	l := &sniffListener{Listener: ln, done: make(chan struct{})}
	l.tls, l.plain = newHandoff(l.done), newHandoff(l.done)
	go acceptLoop(ln, l.tls, func(c net.Conn) { go l.sniff(c) })
	return l
}

// plainListener hands out the connections that are not TLS.
func (l *sniffListener) plainListener() net.Listener { return plainListener{l} }

type plainListener struct{ l *sniffListener }

func (p plainListener) Accept() (net.Conn, error) { return p.l.plain.Accept() }
func (p plainListener) Close() error              { return nil } // the sniffListener owns the socket
func (p plainListener) Addr() net.Addr            { return p.l.Addr() }

func (l *sniffListener) sniff(c net.Conn) {
	c.SetReadDeadline(time.Now().Add(sniffWait))
	br := bufio.NewReader(c)
	first, err := br.Peek(1)
	c.SetReadDeadline(time.Time{})
	if err != nil {
		c.Close()
		return
	}
	to := l.tls
	if first[0] != 0x16 { // not a TLS handshake record: plain HTTP
		to = l.plain
	}
	to.give(newPeekedConn(c, br))
}

// Accept hands the HTTPS server the connections that begin a TLS handshake.
func (l *sniffListener) Accept() (net.Conn, error) { return l.tls.Accept() }

func (l *sniffListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// redirectToHTTPS sends any plain HTTP request to the same host and path
// over https.
var redirectToHTTPS = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "https://"+r.Host+r.URL.RequestURI(), http.StatusPermanentRedirect)
})

// newTLSConfig is the HTTPS server's TLS configuration, for -tls-local and
// -tls-cert alike: TLS 1.2 at least, and in 1.2 only ECDHE key exchange
// with AEAD ciphers. The CBC suites Go would otherwise still accept are
// MAC-then-encrypt, the construction padding-oracle attacks (Lucky13)
// exploit; every browser of the last decade speaks GCM or ChaCha20. TLS
// 1.3's suites are all AEAD and not configurable. The AES-128-GCM suites
// are the ones HTTP/2 requires.
func newTLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
	}
}

// hstsValue asks a browser to use only HTTPS for the name for a year. No
// includeSubDomains: Hearth answers for its own name only. No preload.
const hstsValue = "max-age=31536000"

// strictTransport adds Strict-Transport-Security to h for a response to r
// that goes out over HTTPS (directly, or through a trusted proxy that says
// so; see isHTTPS), never over plain HTTP. HSTS binds a host name on every
// port, so it is not sent for localhost (every developer's other servers),
// for an IP address (browsers ignore it there) nor, with our own CA
// (localCA), for any name but hearth.local: the machine's own names may
// also serve other plain-HTTP pages (a router's, Pi-hole's) that must keep
// working.
func strictTransport(h http.Header, r *http.Request, localCA bool) {
	if !isHTTPS(r) {
		return
	}
	host := r.Host
	if name, _, err := net.SplitHostPort(host); err == nil {
		host = name
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	_, ipErr := netip.ParseAddr(strings.Trim(host, "[]"))
	own := strings.TrimSuffix(mdnsHost, ".")
	if ipErr != nil && host != "localhost" && !strings.HasSuffix(host, ".localhost") && (!localCA || host == own) {
		h.Set("Strict-Transport-Security", hstsValue)
	}
}
