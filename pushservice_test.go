// pushservice_test.go holds a fake Web Push service for tests: an httptest
// TLS server standing in for the browser vendors' push services. It checks
// every push the way a strict push service and user agent would (RFC 8030
// headers, RFC 8292 VAPID authorization, RFC 8291 aes128gcm encryption),
// decrypts what it accepts so tests can read the payload, and can be told to
// answer with another status or to hang. A push that fails a check fails the
// test at cleanup, so no test can pass while sending malformed pushes.

package main

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"
)

// pushServiceMaxBody is the largest encrypted body a push service must accept
// (RFC 8291 section 4); pushing more is the sender's fault.
const pushServiceMaxBody = 4096

// testPushService is a push service for tests: an httptest TLS server that
// checks each push's VAPID authorization and decrypts its payload.
type testPushService struct {
	srv            *httptest.Server
	vapidPublicKey func() string // asked on every push, so it may be set after the service starts
	closing        chan struct{} // closed at cleanup so stalled handlers return and Close does not wait forever

	requestCount atomic.Int64
	stalledCount atomic.Int64

	mu            sync.Mutex
	subscriptions map[string]*testSubscription // by URL path
	answers       map[*testSubscription]testPushAnswer
	accepted      map[*testSubscription][]receivedPush
	badPushes     []string
	stallGate     chan struct{} // non-nil while stalled; closed by the release func
}

// testPushAnswer is how the service answers a well-formed push.
type testPushAnswer struct {
	status int
	header http.Header
}

// testSubscription is what a browser would hand the server for one
// PushSubscription: its endpoint and public keys, plus the private halves
// the fake service decrypts with.
type testSubscription struct {
	Endpoint     string
	P256dh, Auth string // base64url without padding, as a browser's PushSubscription.toJSON() gives them

	path       string
	private    *ecdh.PrivateKey
	authSecret []byte
}

// receivedPush is a push the service accepted, decrypted.
type receivedPush struct {
	Endpoint string
	Payload  []byte // decrypted, padding removed
	Topic    string // "" when the header was absent
	Urgency  string // "" when the header was absent (the service treats it as normal)
	TTL      string
	Claims   map[string]any // the VAPID JWT's claims, as decoded by encoding/json
}

// newTestPushService starts a push service that closes itself with
// t.Cleanup and then fails t once for every push that broke a rule.
// vapidPublicKey gives the key every push's "k" must equal (base64url, no
// padding, as RFC 8292 sends it); it is called from handler goroutines.
func newTestPushService(t testing.TB, vapidPublicKey func() string) *testPushService {
	t.Helper()
	return startTestPushService(t, vapidPublicKey, true)
}

// newTestPushServiceLenient is newTestPushService that only records bad
// pushes (see failures) instead of failing the test, for the service's own
// tests that send bad pushes on purpose.
func newTestPushServiceLenient(t testing.TB, vapidPublicKey func() string) *testPushService {
	t.Helper()
	return startTestPushService(t, vapidPublicKey, false)
}

func startTestPushService(t testing.TB, vapidPublicKey func() string, failTestOnBadPush bool) *testPushService {
	t.Helper()
	p := &testPushService{
		vapidPublicKey: vapidPublicKey,
		closing:        make(chan struct{}),
		subscriptions:  map[string]*testSubscription{},
		answers:        map[*testSubscription]testPushAnswer{},
		accepted:       map[*testSubscription][]receivedPush{},
	}
	p.srv = httptest.NewTLSServer(http.HandlerFunc(p.serveHTTP))
	t.Cleanup(func() {
		close(p.closing)
		p.srv.Close() // waits for every handler, so the list below is final
		if !failTestOnBadPush {
			return
		}
		for _, f := range p.failures() {
			t.Errorf("push service got a bad push: %s", f)
		}
	})
	return p
}

// Client is an http.Client that trusts the service's TLS certificate.
func (p *testPushService) Client() *http.Client { return p.srv.Client() }

// URL is the service's origin, https://127.0.0.1:port, which is also what a
// push's VAPID "aud" claim must be.
func (p *testPushService) URL() string { return p.srv.URL }

// subscribe makes a new subscription at this service with fresh keys.
func (p *testPushService) subscribe(t testing.TB) *testSubscription {
	t.Helper()
	private, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("push subscription key: %v", err)
	}
	authSecret := make([]byte, 16)
	rand.Read(authSecret)

	p.mu.Lock()
	defer p.mu.Unlock()
	path := fmt.Sprintf("/push/%d", len(p.subscriptions)+1)
	s := &testSubscription{
		Endpoint:   p.srv.URL + path,
		P256dh:     base64.RawURLEncoding.EncodeToString(private.PublicKey().Bytes()),
		Auth:       base64.RawURLEncoding.EncodeToString(authSecret),
		path:       path,
		private:    private,
		authSecret: authSecret,
	}
	p.subscriptions[path] = s
	return s
}

// JSON is the subscription as a browser's PushSubscription.toJSON() gives
// it, the body of POST /api/push.
func (s *testSubscription) JSON() map[string]any {
	return map[string]any{
		"endpoint": s.Endpoint,
		"keys":     map[string]any{"p256dh": s.P256dh, "auth": s.Auth},
	}
}

// respondWith makes the service answer well-formed pushes to s with status
// and header from now on (instead of 201 Created), for instance 410 Gone
// for a subscription the browser dropped, or 429 with Retry-After. Only
// pushes answered 2xx count as received. Malformed pushes are still
// answered 400.
func (p *testPushService) respondWith(s *testSubscription, status int, header http.Header) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.answers[s] = testPushAnswer{status: status, header: header.Clone()}
}

// stall makes every push request from now on hang until release is called
// or the request's context ends, to test a sender's timeouts. Requests hung
// at release go on to be checked and answered as usual, so one whose sender
// gave up counts as received unless the service noticed first: wait for
// stalled() to drop before release if that matters. release may be called
// more than once.
func (p *testPushService) stall() (release func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stallGate == nil {
		p.stallGate = make(chan struct{})
	}
	gate := p.stallGate
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			close(gate)
			if p.stallGate == gate {
				p.stallGate = nil
			}
		})
	}
}

// received returns the pushes to s accepted so far (well-formed, decrypted
// and answered 2xx), in the order they were answered.
func (p *testPushService) received(s *testSubscription) []receivedPush {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]receivedPush(nil), p.accepted[s]...)
}

// waitPush waits until s has received at least n pushes and returns them
// all, failing t with what did arrive if that takes longer than within.
func (p *testPushService) waitPush(t testing.TB, s *testSubscription, n int, within time.Duration) []receivedPush {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := p.received(s)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			payloads := make([]string, len(got))
			for i, push := range got {
				payloads[i] = strconv.Quote(string(push.Payload))
			}
			t.Fatalf("push service: %d push(es) to %s within %v, want %d; received %v; %d request(s) in all; bad pushes: %q",
				len(got), s.Endpoint, within, n, payloads, p.requests(), p.failures())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// requests counts every request that reached the service, whether it was
// accepted, rejected, answered with respondWith's status or stalled.
func (p *testPushService) requests() int { return int(p.requestCount.Load()) }

// stalled counts the requests hanging in stall right now: it rises when a
// push arrives at a stalled service and falls when its sender gives up (as
// soon as the service notices the closed connection) or at release.
func (p *testPushService) stalled() int { return int(p.stalledCount.Load()) }

// failures describes each push that broke a rule, in order of arrival.
func (p *testPushService) failures() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.badPushes...)
}

func (p *testPushService) serveHTTP(w http.ResponseWriter, r *http.Request) {
	p.requestCount.Add(1)

	// Read the body first: net/http notices a sender that hung up (and
	// cancels r.Context()) only once the body has been read to its end.
	body, bodyErr := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if bodyErr != nil {
		// The sender hung up mid-body: it gave up (its server is stopping
		// at the end of a test, cancelling the pushes under way). That is
		// not a push to judge; nothing reads an answer.
		panic(http.ErrAbortHandler)
	}

	p.mu.Lock()
	gate := p.stallGate
	p.mu.Unlock()
	if gate != nil {
		p.stalledCount.Add(1)
		select {
		case <-gate:
			p.stalledCount.Add(-1)
		case <-r.Context().Done():
			// The sender gave up. Returning would still send an implicit 200
			// the sender might read; aborting sends nothing.
			p.stalledCount.Add(-1)
			panic(http.ErrAbortHandler)
		case <-p.closing:
			p.stalledCount.Add(-1)
			panic(http.ErrAbortHandler)
		}
	}

	reject := func(status int, format string, args ...any) {
		reason := fmt.Sprintf(format, args...)
		p.mu.Lock()
		p.badPushes = append(p.badPushes, r.Method+" "+r.URL.Path+": "+reason)
		p.mu.Unlock()
		http.Error(w, reason, status)
	}

	p.mu.Lock()
	s := p.subscriptions[r.URL.Path]
	answer, answerSet := p.answers[s]
	p.mu.Unlock()
	if s == nil {
		// A sender should only push to endpoints a test handed it.
		reject(http.StatusNotFound, "no such subscription")
		return
	}
	if r.Method != http.MethodPost {
		reject(http.StatusMethodNotAllowed, "method is not POST")
		return
	}
	claims, err := pushServiceCheckVAPID(r.Header.Get("Authorization"), p.vapidPublicKey(), p.srv.URL)
	if err != nil {
		reject(http.StatusBadRequest, "VAPID: %v", err)
		return
	}
	if err := pushServiceCheckHeaders(r.Header); err != nil {
		reject(http.StatusBadRequest, "%v", err)
		return
	}
	payload, err := pushServiceDecrypt(s, body)
	if err != nil {
		reject(http.StatusBadRequest, "body: %v", err)
		return
	}

	if !answerSet {
		answer.status = http.StatusCreated
	}
	for name, values := range answer.header {
		w.Header()[name] = values
	}
	w.WriteHeader(answer.status)
	if answer.status < 200 || answer.status > 299 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.accepted[s] = append(p.accepted[s], receivedPush{
		Endpoint: s.Endpoint,
		Payload:  payload,
		Topic:    r.Header.Get("Topic"),
		Urgency:  r.Header.Get("Urgency"),
		TTL:      r.Header.Get("TTL"),
		Claims:   claims,
	})
}

// pushServiceCheckHeaders checks the RFC 8030 and RFC 8291 headers of a push.
func pushServiceCheckHeaders(h http.Header) error {
	if ce := h.Get("Content-Encoding"); ce != "aes128gcm" {
		return fmt.Errorf("Content-Encoding is %q, want aes128gcm", ce)
	}
	ttl, ok := h["Ttl"]
	if !ok {
		return errors.New("no TTL header")
	}
	if len(ttl) != 1 || !pushServiceIsDigits(ttl[0]) {
		return fmt.Errorf("TTL is %q, want one non-negative integer", ttl)
	}
	if u, ok := h["Urgency"]; ok {
		if len(u) != 1 || !(u[0] == "very-low" || u[0] == "low" || u[0] == "normal" || u[0] == "high") {
			return fmt.Errorf("Urgency is %q, want very-low, low, normal or high", u)
		}
	}
	if topic, ok := h["Topic"]; ok {
		if len(topic) != 1 || len(topic[0]) == 0 || len(topic[0]) > 32 || !pushServiceIsTopicAlphabet(topic[0]) {
			return fmt.Errorf("Topic is %q, want 1 to 32 characters of the URL-safe base64 alphabet", topic)
		}
	}
	return nil
}

func pushServiceIsDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func pushServiceIsTopicAlphabet(s string) bool {
	for _, c := range s {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// pushServiceCheckVAPID checks an "Authorization: vapid t=<JWT>, k=<key>" header (RFC
// 8292) and returns the JWT's claims. The JWT is parsed by hand so the
// check depends on no JWT library, least of all the sender's.
func pushServiceCheckVAPID(authorization, wantKey, origin string) (map[string]any, error) {
	scheme, params, ok := strings.Cut(authorization, " ")
	if !ok || !strings.EqualFold(scheme, "vapid") {
		return nil, fmt.Errorf("Authorization is %q, want vapid t=..., k=...", authorization)
	}
	var token, key string
	for param := range strings.SplitSeq(params, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(param), "=")
		switch name {
		case "t":
			token = value
		case "k":
			key = value
		}
	}
	if token == "" || key == "" {
		return nil, fmt.Errorf("Authorization %q lacks t or k", authorization)
	}
	if key != wantKey {
		return nil, fmt.Errorf("k is %q, want the server's public key %q", key, wantKey)
	}
	keyBytes, err := base64.RawURLEncoding.DecodeString(key)
	if err != nil {
		return nil, fmt.Errorf("k is not base64url without padding: %v", err)
	}
	publicKey, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), keyBytes)
	if err != nil {
		return nil, fmt.Errorf("k is not an uncompressed P-256 point: %v", err)
	}

	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("JWT has %d parts, want 3", len(parts))
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if err := pushServiceDecodeJWTPart(parts[0], &header); err != nil {
		return nil, fmt.Errorf("JWT header: %v", err)
	}
	if header.Alg != "ES256" {
		return nil, fmt.Errorf("JWT alg is %q, want ES256", header.Alg)
	}
	var claims map[string]any
	if err := pushServiceDecodeJWTPart(parts[1], &claims); err != nil {
		return nil, fmt.Errorf("JWT claims: %v", err)
	}
	signature, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(signature) != 64 {
		return nil, fmt.Errorf("JWT signature is not 64 bytes of base64url (raw r||s): %d bytes, %v", len(signature), err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	r, s := new(big.Int).SetBytes(signature[:32]), new(big.Int).SetBytes(signature[32:])
	if !ecdsa.Verify(publicKey, digest[:], r, s) {
		return nil, errors.New("JWT signature does not verify with k")
	}

	if aud, _ := claims["aud"].(string); aud != origin {
		return nil, fmt.Errorf("aud is %v, want the push service's origin %q", claims["aud"], origin)
	}
	exp, ok := claims["exp"].(float64)
	if !ok {
		return nil, fmt.Errorf("exp is %v, want a number", claims["exp"])
	}
	now := time.Now()
	if expires := time.Unix(int64(exp), 0); !expires.After(now) || expires.After(now.Add(24*time.Hour)) {
		return nil, fmt.Errorf("exp is %v, want after now (%v) and at most 24 h ahead", expires, now)
	}
	if sub, _ := claims["sub"].(string); !strings.HasPrefix(sub, "mailto:") && !strings.HasPrefix(sub, "https://") {
		return nil, fmt.Errorf("sub is %v, want a mailto: or https:// URL", claims["sub"])
	}
	return claims, nil
}

func pushServiceDecodeJWTPart(part string, into any) error {
	data, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, into)
}

// pushServiceDecrypt decrypts an aes128gcm body (RFC 8188) with the subscription's
// keys as RFC 8291 derives them, and strips the padding.
func pushServiceDecrypt(s *testSubscription, body []byte) ([]byte, error) {
	if len(body) > pushServiceMaxBody {
		return nil, fmt.Errorf("%d bytes, more than the %d a push service must accept", len(body), pushServiceMaxBody)
	}
	// Header: salt(16) | rs(uint32) | idlen(1) | keyid, where keyid is the
	// application server's one-time public key.
	const headerLen = 16 + 4 + 1
	if len(body) < headerLen {
		return nil, fmt.Errorf("%d bytes, too short for the aes128gcm header", len(body))
	}
	salt := body[:16]
	recordSize := binary.BigEndian.Uint32(body[16:20])
	idLen := int(body[20])
	if idLen != 65 || len(body) < headerLen+idLen {
		return nil, fmt.Errorf("keyid is %d bytes, want a 65-byte uncompressed P-256 point", idLen)
	}
	serverPublicBytes := body[headerLen : headerLen+idLen]
	record := body[headerLen+idLen:]
	// RFC 8291 section 4 allows a single record only; it holds at least the
	// 16-byte tag and the 1-byte delimiter.
	if recordSize < 18 || uint64(len(record)) > uint64(recordSize) {
		return nil, fmt.Errorf("record of %d bytes with rs %d, want one record", len(record), recordSize)
	}
	if len(record) < 17 {
		return nil, fmt.Errorf("record of %d bytes, too short", len(record))
	}
	serverPublic, err := ecdh.P256().NewPublicKey(serverPublicBytes)
	if err != nil {
		return nil, fmt.Errorf("keyid: %v", err)
	}
	ecdhSecret, err := s.private.ECDH(serverPublic)
	if err != nil {
		return nil, err
	}

	prkKey, err := hkdf.Extract(sha256.New, ecdhSecret, s.authSecret)
	if err != nil {
		return nil, err
	}
	keyInfo := "WebPush: info\x00" + string(s.private.PublicKey().Bytes()) + string(serverPublicBytes)
	ikm, err := hkdf.Expand(sha256.New, prkKey, keyInfo, 32)
	if err != nil {
		return nil, err
	}
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, err
	}
	cek, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	plaintext, err := gcm.Open(nil, nonce, record, nil)
	if err != nil {
		return nil, fmt.Errorf("AES-GCM open: %v", err)
	}
	// The last (here the only) record ends with the delimiter 0x02 followed
	// by zero or more zero bytes of padding.
	unpadded := bytes.TrimRight(plaintext, "\x00")
	if len(unpadded) == 0 || unpadded[len(unpadded)-1] != 0x02 {
		return nil, errors.New("plaintext does not end with the 0x02 delimiter and zero padding")
	}
	return unpadded[:len(unpadded)-1], nil
}

// pushTamperingClient is a webpush.HTTPClient that alters each request before
// sending it, to make pushes a correct sender never would.
type pushTamperingClient struct {
	client *http.Client
	tamper func(r *http.Request, body []byte) []byte
}

func (c pushTamperingClient) Do(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	body = c.tamper(r, body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return c.client.Do(r)
}

func TestPushServiceChecksWhatItIsSent(t *testing.T) {
	vapidPrivate, vapidPublic, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	otherPrivate, otherPublic, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	// Ends in 0x02 and 0x00, bytes a careless unpadder would eat.
	message := []byte("{\"room\":\"general\",\"body\":\"héllo\"}\x00\x02\x00")

	for _, tc := range []struct {
		name          string
		options       func(o *webpush.Options)
		tamper        func(r *http.Request, body []byte) []byte
		wantStatus    int
		wantRejection string // "" for a push that must be accepted
	}{
		{name: "good push", wantStatus: http.StatusCreated},
		{
			name:          "signed with another VAPID key",
			options:       func(o *webpush.Options) { o.VAPIDPrivateKey = otherPrivate },
			wantStatus:    http.StatusBadRequest,
			wantRejection: "signature does not verify",
		},
		{
			name:          "k is not the server's key",
			options:       func(o *webpush.Options) { o.VAPIDPrivateKey, o.VAPIDPublicKey = otherPrivate, otherPublic },
			wantStatus:    http.StatusBadRequest,
			wantRejection: "k is",
		},
		{
			name:          "tampered body",
			tamper:        func(_ *http.Request, body []byte) []byte { body[len(body)-20] ^= 1; return body },
			wantStatus:    http.StatusBadRequest,
			wantRejection: "AES-GCM open",
		},
		{
			name:          "body over 4096 bytes",
			options:       func(o *webpush.Options) { o.RecordSize = 8192 },
			wantStatus:    http.StatusBadRequest,
			wantRejection: "more than the 4096",
		},
		{
			name:          "subscriber that is not a URL",
			options:       func(o *webpush.Options) { o.Subscriber = "https:/hearth.example" }, // one slash: not prefixed with mailto:, not https://
			wantStatus:    http.StatusBadRequest,
			wantRejection: "sub is",
		},
		{
			name:          "no TTL",
			tamper:        func(r *http.Request, body []byte) []byte { r.Header.Del("TTL"); return body },
			wantStatus:    http.StatusBadRequest,
			wantRejection: "no TTL",
		},
		{
			name:          "negative TTL",
			options:       func(o *webpush.Options) { o.TTL = -1 },
			wantStatus:    http.StatusBadRequest,
			wantRejection: "TTL is",
		},
		{
			name:          "unknown urgency",
			tamper:        func(r *http.Request, body []byte) []byte { r.Header.Set("Urgency", "urgent"); return body },
			wantStatus:    http.StatusBadRequest,
			wantRejection: "Urgency is",
		},
		{
			name:          "topic too long",
			options:       func(o *webpush.Options) { o.Topic = strings.Repeat("a", 33) },
			wantStatus:    http.StatusBadRequest,
			wantRejection: "Topic is",
		},
		{
			name:          "topic outside the base64url alphabet",
			options:       func(o *webpush.Options) { o.Topic = "room/general" },
			wantStatus:    http.StatusBadRequest,
			wantRejection: "Topic is",
		},
		{
			name:          "old aesgcm encoding",
			tamper:        func(r *http.Request, body []byte) []byte { r.Header.Set("Content-Encoding", "aesgcm"); return body },
			wantStatus:    http.StatusBadRequest,
			wantRejection: "Content-Encoding",
		},
		{
			name: "endpoint that is no subscription",
			tamper: func(r *http.Request, body []byte) []byte {
				r.URL.Path += "0"
				return body
			},
			wantStatus:    http.StatusNotFound,
			wantRejection: "no such subscription",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestPushServiceLenient(t, func() string { return vapidPublic })
			sub := p.subscribe(t)
			options := &webpush.Options{
				HTTPClient:      p.Client(),
				Subscriber:      "hearth@example.com",
				VAPIDPublicKey:  vapidPublic,
				VAPIDPrivateKey: vapidPrivate,
				TTL:             60,
				Topic:           "abc",
				Urgency:         webpush.UrgencyHigh,
			}
			if tc.options != nil {
				tc.options(options)
			}
			if tc.tamper != nil {
				options.HTTPClient = pushTamperingClient{client: p.Client(), tamper: tc.tamper}
			}
			wsub := &webpush.Subscription{Endpoint: sub.Endpoint, Keys: webpush.Keys{P256dh: sub.P256dh, Auth: sub.Auth}}
			sentAt := time.Now()
			resp, err := webpush.SendNotificationWithContext(t.Context(), message, wsub, options)
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			answer, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("answered %d %q, want %d", resp.StatusCode, answer, tc.wantStatus)
			}
			if p.requests() != 1 {
				t.Errorf("requests() = %d, want 1", p.requests())
			}

			failures := p.failures()
			if tc.wantRejection != "" {
				if len(failures) != 1 || !strings.Contains(failures[0], tc.wantRejection) {
					t.Errorf("failures() = %q, want one containing %q", failures, tc.wantRejection)
				}
				if got := p.received(sub); len(got) != 0 {
					t.Errorf("received %d push(es) that should have been rejected", len(got))
				}
				return
			}

			if len(failures) != 0 {
				t.Fatalf("failures() = %q, want none", failures)
			}
			got := p.waitPush(t, sub, 1, 5*time.Second)
			if len(got) != 1 {
				t.Fatalf("received %d pushes, want 1", len(got))
			}
			push := got[0]
			if !bytes.Equal(push.Payload, message) {
				t.Errorf("payload = %q, want %q", push.Payload, message)
			}
			if push.Endpoint != sub.Endpoint || push.Topic != "abc" || push.Urgency != "high" || push.TTL != "60" {
				t.Errorf("push = endpoint %q topic %q urgency %q TTL %q, want %q abc high 60", push.Endpoint, push.Topic, push.Urgency, push.TTL, sub.Endpoint)
			}
			if push.Claims["aud"] != p.URL() || push.Claims["sub"] != "mailto:hearth@example.com" {
				t.Errorf("claims = %v, want aud %q and sub mailto:hearth@example.com", push.Claims, p.URL())
			}
			// webpush-go always signs for 12 hours, whatever Options.VapidExpiration says.
			exp := time.Unix(int64(push.Claims["exp"].(float64)), 0)
			if want := sentAt.Add(12 * time.Hour); exp.Before(want.Add(-time.Minute)) || exp.After(want.Add(time.Minute)) {
				t.Errorf("exp = %v, want about %v", exp, want)
			}
		})
	}
}

// TestPushServiceAnswersAsTold checks respondWith and stall, which tests of
// a sender's handling of dropped subscriptions and slow services rely on.
func TestPushServiceAnswersAsTold(t *testing.T) {
	vapidPrivate, vapidPublic, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	p := newTestPushService(t, func() string { return vapidPublic })
	gone, kept := p.subscribe(t), p.subscribe(t)
	if gone.Endpoint != p.URL()+"/push/1" || kept.Endpoint != p.URL()+"/push/2" {
		t.Fatalf("endpoints %q and %q, want %s/push/1 and /push/2", gone.Endpoint, kept.Endpoint, p.URL())
	}
	keys := gone.JSON()["keys"].(map[string]any)
	if gone.JSON()["endpoint"] != gone.Endpoint || keys["p256dh"] != gone.P256dh || keys["auth"] != gone.Auth {
		t.Errorf("JSON() = %v, does not match the subscription", gone.JSON())
	}
	send := func(ctx context.Context, s *testSubscription, message string) (*http.Response, error) {
		return webpush.SendNotificationWithContext(ctx, []byte(message),
			&webpush.Subscription{Endpoint: s.Endpoint, Keys: webpush.Keys{P256dh: s.P256dh, Auth: s.Auth}},
			&webpush.Options{HTTPClient: p.Client(), Subscriber: "https://hearth.example", VAPIDPublicKey: vapidPublic, VAPIDPrivateKey: vapidPrivate, TTL: 0})
	}

	p.respondWith(gone, http.StatusGone, http.Header{"X-Reason": {"unsubscribed"}})
	resp, err := send(t.Context(), gone, "to the gone one")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusGone || resp.Header.Get("X-Reason") != "unsubscribed" {
		t.Errorf("answered %d with X-Reason %q, want 410 unsubscribed", resp.StatusCode, resp.Header.Get("X-Reason"))
	}
	if got := p.received(gone); len(got) != 0 {
		t.Errorf("received %d pushes answered 410, want none counted", len(got))
	}

	// A stalled push hangs until its context ends...
	release := p.stall()
	ctx, cancel := context.WithCancel(t.Context())
	abandoned := make(chan error, 1)
	go func() {
		_, err := send(ctx, kept, "abandoned")
		abandoned <- err
	}()
	eventually(t, 5*time.Second, "the abandoned push to hang", func() bool { return p.stalled() == 1 })
	cancel()
	if err := <-abandoned; !errors.Is(err, context.Canceled) {
		t.Errorf("stalled push returned %v, want its context's cancellation", err)
	}
	eventually(t, 5*time.Second, "the service to see the abandoned push go", func() bool { return p.stalled() == 0 })
	// ...or until release, then goes through.
	done := make(chan error, 1)
	go func() {
		resp, err := send(t.Context(), kept, "held back")
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	eventually(t, 5*time.Second, "the held push to hang", func() bool { return p.stalled() == 1 })
	select {
	case err := <-done:
		t.Fatalf("stalled push returned before release: %v", err)
	default:
	}
	release()
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := p.waitPush(t, kept, 1, 5*time.Second)
	if len(got) != 1 || string(got[0].Payload) != "held back" || got[0].TTL != "0" || got[0].Urgency != "" || got[0].Topic != "" {
		t.Errorf("received %+v, want only %q with TTL 0 and no urgency or topic", got, "held back")
	}
	if got[0].Claims["sub"] != "https://hearth.example" {
		t.Errorf("sub = %v, want https://hearth.example unprefixed", got[0].Claims["sub"])
	}
}

// pushServiceTBRecorder is a testing.TB whose cleanups run when the test says and
// whose Errorf is recorded, to see what newTestPushService would do to a
// test without failing this one.
type pushServiceTBRecorder struct {
	testing.TB
	cleanups []func()
	errors   []string
}

func (r *pushServiceTBRecorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *pushServiceTBRecorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// TestPushServiceFailsTheTestOnABadPush checks that a bad push cannot go
// unnoticed: newTestPushService fails the test at cleanup.
func TestPushServiceFailsTheTestOnABadPush(t *testing.T) {
	_, vapidPublic, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	recorder := &pushServiceTBRecorder{TB: t}
	p := newTestPushService(recorder, func() string { return vapidPublic })
	sub := p.subscribe(recorder)
	resp, err := p.Client().Post(sub.Endpoint, "application/octet-stream", strings.NewReader("not a push"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("answered %d, want 400", resp.StatusCode)
	}
	release := p.stall() // left stalled: cleanup must not hang on it
	go func() {
		if resp, err := p.Client().Post(sub.Endpoint, "application/octet-stream", nil); err == nil {
			resp.Body.Close()
		}
	}()
	eventually(t, 5*time.Second, "the stalled request", func() bool { return p.stalled() == 1 })
	defer release()

	for i := len(recorder.cleanups) - 1; i >= 0; i-- {
		recorder.cleanups[i]()
	}
	if len(recorder.errors) != 1 || !strings.Contains(recorder.errors[0], "Authorization") {
		t.Errorf("cleanup reported %q, want one bad push about the missing Authorization", recorder.errors)
	}
}
