// push.go owns Web Push delivery: the server's VAPID key pair (made on
// first start, kept in the database), the planner and senders that turn a
// committed message into a push for each device of each person it should
// reach (who they are: push_plan.go), and sending those through the push
// services (RFC 8030, payloads encrypted per RFC 8291 and
// signed per RFC 8292 by webpush-go). Pushing is off the commit path: the
// hub hands a message over without waiting, a bounded queue drops the
// oldest when full, and a few workers do the sending, each request bounded
// in time.

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	_ "time/tzdata" // quiet hours' time zones, also where the system has none (Windows, small images)

	"github.com/SherClockHolmes/webpush-go"
)

const (
	// pushTTL is how long a push service keeps a push for a device that
	// is off: a day, so a phone switched on in the morning still hears
	// of last night's "pick me up at 5".
	pushTTL = 24 * 60 * 60
	// pushTimeout bounds one request to a push service, so a dead or
	// stalled one holds a worker for no longer.
	pushTimeout = 10 * time.Second
	// pushWorkers send in parallel: one stalled push service must not
	// hold up every other device.
	pushWorkers = 4
	// pushQueueSize bounds the pushes waiting for a worker, and the
	// messages waiting to be turned into pushes. Past it the oldest is
	// dropped (and counted): a notification that late is worth less than
	// the newest.
	pushQueueSize = 1024
	// pushBodyLen bounds the text a notification shows: a preview, and
	// well inside the 4 KiB a push service takes once encrypted.
	pushBodyLen = 160
	// maxRetryAfter caps how long a push service's 429 can silence a
	// device.
	maxRetryAfter = time.Hour
)

// defaultPushContact is the VAPID subject when -push-contact is not set.
// Apple's push service refuses a subject whose domain does not resolve
// (localhost, .invalid), so it is a real, reserved one.
const defaultPushContact = "hearth@example.com"

// Push metrics, shared by every server in the process (see metrics.go).
var (
	metricPushSent    = sharedMetrics.NewCounter("hearth_push_sent_total")
	metricPushRemoved = sharedMetrics.NewCounter("hearth_push_subscriptions_removed_total") // the push service said gone (404, 410)
	metricPushDropped = sharedMetrics.NewCounter("hearth_push_dropped_total")               // the queue was full
)

// metricPushFailed counts failed pushes by reason: network (no route,
// no name, refused), timeout, rate_limited (429), too_large (413),
// rejected (any other 4xx), server_error (5xx), error (anything else).
func metricPushFailed(reason string) {
	sharedMetrics.GetOrCreateCounter(`hearth_push_failed_total{reason="` + reason + `"}`).Inc()
}

// pushSend is one push to one device.
type pushSend struct {
	sub     pushSubscription
	payload []byte
	topic   string
	urgency webpush.Urgency
}

// pusher sends pushes. Create it with newPusher, start run, and stop it by
// cancelling run's context.
type pusher struct {
	st      *store
	client  *http.Client
	contact string // the VAPID subject: who push services may write to
	keys    atomic.Pointer[vapidKeys]

	jobs  *dropQueue[pushJob]
	sends *dropQueue[pushSend]

	// reachable is 0 until a push was tried, then 1 while push services
	// answer and -1 once they could not be reached (no internet).
	reachable atomic.Int32

	mu sync.Mutex
	// notBefore holds, per endpoint, when its push service's 429 lets us
	// try again; deferred the newest push held back for it meanwhile.
	notBefore map[string]time.Time
	deferred  map[string]pushSend
	// hostDown holds, per push service host that did not answer, when to
	// try it again (see hostDownFor).
	hostDown map[string]time.Time
}

// vapidKeys is the server's VAPID key pair, base64url: browsers subscribe
// with the public key (the application server key), pushes are signed with
// the private one.
type vapidKeys struct{ public, private string }

// Meta keys of the VAPID key pair.
const (
	keyVAPIDPrivate = "vapid.private"
	keyVAPIDPublic  = "vapid.public"
)

// newPusher loads the VAPID key pair, making one the first time. client
// sends the pushes (nil: one that trusts the system's certificates);
// contact is the VAPID subject, an e-mail address or an https URL.
func newPusher(st *store, client *http.Client, contact string) (*pusher, error) {
	priv, pub := st.getMeta(keyVAPIDPrivate), st.getMeta(keyVAPIDPublic)
	if priv == nil || pub == nil {
		privateKey, publicKey, err := webpush.GenerateVAPIDKeys()
		if err != nil {
			return nil, fmt.Errorf("push: make the VAPID key pair: %w", err)
		}
		if err := st.putMeta(map[string][]byte{keyVAPIDPrivate: []byte(privateKey), keyVAPIDPublic: []byte(publicKey)}); err != nil {
			return nil, fmt.Errorf("push: keep the VAPID key pair: %w", err)
		}
		priv, pub = []byte(privateKey), []byte(publicKey)
	}
	if client == nil {
		client = newPushClient()
	}
	p := &pusher{
		st:        st,
		client:    client,
		contact:   strings.TrimPrefix(contact, "mailto:"), // webpush-go adds it
		jobs:      newDropQueue[pushJob](pushQueueSize),
		sends:     newDropQueue[pushSend](pushQueueSize),
		notBefore: map[string]time.Time{},
		deferred:  map[string]pushSend{},
		hostDown:  map[string]time.Time{},
	}
	p.keys.Store(&vapidKeys{public: string(pub), private: string(priv)})
	return p, nil
}

// publicKey is the application server key browsers subscribe with.
func (p *pusher) publicKey() string { return p.keys.Load().public }

// resetKeys replaces the VAPID key pair and forgets every subscription,
// which was made with the old key: after a backup leaked, its copy of the
// key can no longer push to anyone. Devices subscribe again, with the new
// key, the next time Hearth opens on them. It returns how many
// subscriptions went.
func (p *pusher) resetKeys() (int, error) {
	privateKey, publicKey, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		return 0, fmt.Errorf("push: make a VAPID key pair: %w", err)
	}
	n, err := p.st.replacePushKeys(map[string][]byte{keyVAPIDPrivate: []byte(privateKey), keyVAPIDPublic: []byte(publicKey)})
	if err != nil {
		return 0, err
	}
	p.keys.Store(&vapidKeys{public: publicKey, private: privateKey})
	return n, nil
}

// newPushClient is the HTTP client pushes go out with: the system's
// certificates, every step bounded, and no redirects (a push service
// answers; one that redirects is not followed elsewhere).
func newPushClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 5 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 5 * time.Second
	t.ResponseHeaderTimeout = pushTimeout
	return &http.Client{
		Transport:     t,
		Timeout:       pushTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// offer hands a committed message over for pushing without waiting: the
// hub calls it while delivering.
func (p *pusher) offer(j pushJob) {
	if p.jobs.put(j) {
		metricPushDropped.Inc()
	}
}

// run plans and sends pushes until ctx is cancelled.
func (p *pusher) run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			j, ok := p.jobs.take(ctx)
			if !ok {
				return
			}
			p.plan(j, time.Now())
			p.jobs.done()
		}
	})
	for range pushWorkers {
		wg.Go(func() {
			for {
				s, ok := p.sends.take(ctx)
				if !ok {
					return
				}
				p.deliver(ctx, s)
				p.sends.done()
			}
		})
	}
	wg.Wait()
}

// pushOutcome is what became of one push.
type pushOutcome struct {
	status int    // the push service's answer; 0 when none came
	reason string // "" when sent, else the metric's reason
}

// deliver sends s, unless its push service asked us to wait: then s waits,
// replacing any push already waiting for the device, and goes when the
// wait is over.
func (p *pusher) deliver(ctx context.Context, s pushSend) pushOutcome {
	// A push planned or held back before its subscription went (a logout,
	// a device removed, a push service's 410, new keys) is not sent.
	if ok, err := p.st.hasPushSubscription(s.sub); err != nil || !ok {
		return pushOutcome{reason: "gone"}
	}
	now := time.Now()
	p.mu.Lock()
	if until, ok := p.hostDown[serviceHost(s.sub.Endpoint)]; ok && now.Before(until) {
		p.mu.Unlock()
		metricPushFailed("network")
		return pushOutcome{reason: "network"}
	}
	if len(p.notBefore) > maxHeldEndpoints {
		p.forgetPastLocked(now)
	}
	if until, ok := p.notBefore[s.sub.Endpoint]; ok && now.Before(until) {
		_, waiting := p.deferred[s.sub.Endpoint]
		p.deferred[s.sub.Endpoint] = s
		p.mu.Unlock()
		if !waiting {
			time.AfterFunc(time.Until(until), func() { p.retryDeferred(s.sub.Endpoint) })
		}
		return pushOutcome{reason: "rate_limited"}
	}
	delete(p.notBefore, s.sub.Endpoint)
	p.mu.Unlock()
	return p.send(ctx, s)
}

// maxHeldEndpoints bounds the endpoints remembered for their 429s before
// those whose wait is over are forgotten.
const maxHeldEndpoints = 1024

// hostDownFor is how long a push service host that did not answer (a
// timeout, a refused or failed connection) is not tried again: one that
// stalls must not hold the senders for everyone's pushes, message after
// message.
const hostDownFor = time.Minute

// forgetPastLocked drops the waits that are over. p.mu is held.
func (p *pusher) forgetPastLocked(now time.Time) {
	for e, until := range p.notBefore {
		if !now.Before(until) {
			if _, held := p.deferred[e]; !held {
				delete(p.notBefore, e)
			}
		}
	}
	for h, until := range p.hostDown {
		if !now.Before(until) {
			delete(p.hostDown, h)
		}
	}
}

// retryDeferred queues the push held back for endpoint by a 429.
func (p *pusher) retryDeferred(endpoint string) {
	p.mu.Lock()
	s, ok := p.deferred[endpoint]
	delete(p.deferred, endpoint)
	p.mu.Unlock()
	if ok && p.sends.put(s) {
		metricPushDropped.Inc()
	}
}

// send makes one request to a push service and acts on its answer. What
// the push service says is never shown to anyone: its body is read (to
// reuse the connection) and discarded.
func (p *pusher) send(ctx context.Context, s pushSend) pushOutcome {
	ctx, cancel := context.WithTimeout(ctx, pushTimeout)
	defer cancel()
	keys := p.keys.Load()
	// webpush-go pads the payload in place when it has spare capacity, and
	// one payload goes to every device of a person: clipped, it is copied.
	resp, err := webpush.SendNotificationWithContext(ctx, slices.Clip(s.payload),
		&webpush.Subscription{Endpoint: s.sub.Endpoint, Keys: webpush.Keys{P256dh: s.sub.P256dh, Auth: s.sub.Auth}},
		&webpush.Options{
			HTTPClient:      p.client,
			Subscriber:      p.contact,
			Topic:           s.topic,
			TTL:             pushTTL,
			Urgency:         s.urgency,
			VAPIDPublicKey:  keys.public,
			VAPIDPrivateKey: keys.private,
		})
	if err != nil {
		reason := p.failedToReach(err, s.sub)
		if reason == "network" || reason == "timeout" {
			p.mu.Lock()
			p.hostDown[serviceHost(s.sub.Endpoint)] = time.Now().Add(hostDownFor)
			p.mu.Unlock()
		}
		metricPushFailed(reason)
		return pushOutcome{reason: reason}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if p.reachable.Swap(1) == -1 {
		slog.Info("push: the push services answer again; phone notifications work")
	}
	out := pushOutcome{status: resp.StatusCode}
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		metricPushSent.Inc()
		return out
	case code == http.StatusNotFound || code == http.StatusGone:
		// The browser unsubscribed, or the push service forgot it.
		n, err := p.st.deletePushEndpoint(s.sub.Endpoint)
		if err != nil {
			slog.Error("push: delete a gone subscription", "err", err)
		}
		metricPushRemoved.Add(n)
		out.reason = "gone"
	case code == http.StatusTooManyRequests:
		p.mu.Lock()
		p.notBefore[s.sub.Endpoint] = time.Now().Add(retryAfter(resp.Header.Get("Retry-After"), time.Now()))
		p.mu.Unlock()
		out.reason = "rate_limited"
	case code == http.StatusRequestEntityTooLarge:
		slog.Warn("push: the push service refused a payload as too large", "user", s.sub.User, "bytes", len(s.payload))
		out.reason = "too_large"
	case code >= 500:
		out.reason = "server_error"
	default:
		slog.Warn("push: the push service refused a push", "user", s.sub.User, "status", code, "service", serviceHost(s.sub.Endpoint))
		out.reason = "rejected"
	}
	metricPushFailed(out.reason)
	return out
}

// failedToReach classifies a request that got no answer and notices when
// push services cannot be reached at all (a LAN with no internet): that is
// logged once, until one answers again.
func (p *pusher) failedToReach(err error, sub pushSubscription) string {
	reason := "error"
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		reason = "timeout"
	case errors.As(err, &netErr), errors.Is(err, context.Canceled):
		reason = "network"
	}
	if reason == "error" {
		// A subscription the library cannot encrypt for (keys were checked
		// when it was stored, so this is rare): say which, not the keys.
		slog.Warn("push: could not send", "user", sub.User, "service", serviceHost(sub.Endpoint), "err", withoutURL(err))
		return reason
	}
	if p.reachable.Swap(-1) != -1 {
		slog.Warn("push: cannot reach the push service; phone notifications need this server to reach the internet (notifications still show while Hearth is open)",
			"service", serviceHost(sub.Endpoint), "err", withoutURL(err))
	}
	return reason
}

// withoutURL is err without the request's URL, which net/http puts in its
// errors: a push endpoint is a capability, not for logs.
func withoutURL(err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Err
	}
	return err
}

// serviceHost is the host of a push endpoint, for logs and device lists:
// the rest of the URL is a capability and is not shown.
func serviceHost(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// retryAfter reads a Retry-After header, seconds or an HTTP date, as a
// wait from now: a minute when absent or unreadable, at most maxRetryAfter.
func retryAfter(h string, now time.Time) time.Duration {
	d := time.Minute
	if secs, err := strconv.Atoi(h); err == nil && secs >= 0 {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, time.Second), maxRetryAfter)
}

// reachableState is what GET /api/push says of push services: nil until a
// push was tried, then whether they answered.
func (p *pusher) reachableState() *bool {
	switch p.reachable.Load() {
	case 1:
		return new(true)
	case -1:
		return new(false)
	}
	return nil
}

// pending is how many pushes are planned or sent right now, or wait to
// be: zero once everything offered so far has been dealt with.
func (p *pusher) pending() int { return p.jobs.pending() + p.sends.pending() }
