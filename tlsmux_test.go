// tlsmux_test.go tests what every HTTPS connection gets, with -tls-local
// and -tls-cert alike: TLS 1.2 clients that offer only CBC suites are
// refused, Strict-Transport-Security goes out over HTTPS only, and the
// port outlives passing accept errors.

package main

import (
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
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

// Without the kernel's keep-alive probes (listen), an HTTP/2 connection is
// kept honest by pings: silent for PingPeriod, it is pinged, stays open
// while the pings are answered, and is closed when one is not. A phone
// that left with a video half-buffered does not hold it until restart.
// The client speaks the few HTTP/2 frames it needs by hand (RFC 9113
// section 4.1: a 9-byte header, then the payload).
func TestHTTP2DeadPeerIsClosed(t *testing.T) {
	const period = 300 * time.Millisecond
	ts := tlsModes(t, func(c *config) { c.PingPeriod = period })["tls-cert"]
	conn, err := tls.Dial("tcp", ts.addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if p := conn.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("negotiated %q, want h2", p)
	}
	const frameSettings, framePing, flagAck = 0x4, 0x6, 0x1
	writeFrame := func(kind, flags byte, payload []byte) {
		t.Helper()
		n := len(payload)
		header := []byte{byte(n >> 16), byte(n >> 8), byte(n), kind, flags, 0, 0, 0, 0} // stream 0
		if _, err := conn.Write(append(header, payload...)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := io.WriteString(conn, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	writeFrame(frameSettings, 0, nil)
	// nextPing reads frames until the server pings (not an ack), and
	// returns its payload; it acknowledges the server's settings on the way.
	nextPing := func() ([]byte, error) {
		header := make([]byte, 9)
		for {
			if _, err := io.ReadFull(conn, header); err != nil {
				return nil, err
			}
			payload := make([]byte, int(header[0])<<16|int(header[1])<<8|int(header[2]))
			if _, err := io.ReadFull(conn, payload); err != nil {
				return nil, err
			}
			switch kind, flags := header[3], header[4]; {
			case kind == frameSettings && flags&flagAck == 0:
				writeFrame(frameSettings, flagAck, nil)
			case kind == framePing && flags&flagAck == 0:
				return payload, nil
			}
		}
	}
	conn.SetReadDeadline(time.Now().Add(20 * period))
	for i := range 2 {
		ping, err := nextPing()
		if err != nil {
			t.Fatalf("waiting for ping %d from a silent connection: %v", i+1, err)
		}
		writeFrame(framePing, flagAck, ping)
	}
	// Answered twice, it is alive; now the peer is gone.
	start := time.Now()
	for {
		if _, err := nextPing(); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("the server kept a connection whose pings went unanswered for %v", time.Since(start))
			}
			break // closed by the server
		}
	}
}

// A passing accept error (out of file descriptors) leaves the HTTPS port
// serving, plain side and all: the accept loop hands the error to the
// HTTPS server, which waits and accepts again, and goes on.
func TestSniffListenerSurvivesAcceptErrors(t *testing.T) {
	flaky := newFlakyListener(t, 3)
	sl := newSniffListener(flaky)
	var logged lockedBuffer
	tlsSide := &http.Server{Handler: teapot, ErrorLog: log.New(&logged, "", 0)} // its errors are what matter here
	plainSide := &http.Server{Handler: teapot}
	served := make(chan struct{}, 2)
	go func() { tlsSide.Serve(sl); served <- struct{}{} }()
	go func() { plainSide.Serve(sl.plainListener()); served <- struct{}{} }()
	if status, err := rawRequest(t, flaky.Addr().String(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); status != http.StatusTeapot {
		t.Errorf("plain HTTP after accept errors: %d, %v", status, err)
	}
	tlsSide.Close()
	plainSide.Close()
	<-served
	<-served // both have logged what they will
	if got := strings.Count(logged.String(), "too many open files"); got != 3 {
		t.Errorf("the HTTPS server saw %d of the 3 accept errors; it logged:\n%s", got, logged.String())
	}
}

// A certificate that cannot be used is refused at start, with why, rather
// than leaving the HTTPS port closed behind a "serving" line.
func TestServeRefusesAnUnusableCertificate(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, cert, key, want string }{
		{"missing files", filepath.Join(dir, "none.pem"), filepath.Join(dir, "none.key"), "no such file"},
		{"not PEM", garbage, garbage, "failed to find any PEM data"},
	} {
		err := run([]string{"serve", "-addr", "127.0.0.1:0", "-db", filepath.Join(dir, tc.name+".db"), "-tls-cert", tc.cert, "-tls-key", tc.key}, nil, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "-tls-cert and -tls-key") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: serve returned %v", tc.name, err)
		}
	}
}
