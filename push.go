// push.go owns Web Push delivery: the server's VAPID key pair (made on
// first start, kept in the database), turning a committed message into a
// push for each device of each person it should reach, and sending those
// through the push services (RFC 8030, payloads encrypted per RFC 8291 and
// signed per RFC 8292 by webpush-go). Pushing is off the commit path: the
// hub hands a message over without waiting, a bounded queue drops the
// oldest when full, and a few workers do the sending, each request bounded
// in time.

package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
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
	"unicode/utf8"

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

// pushPayload is what the service worker receives, decrypted.
type pushPayload struct {
	Type  string `json:"type"` // "message", or "test"
	Room  string `json:"room,omitempty"`
	DM    bool   `json:"dm,omitempty"`
	Title string `json:"title"`          // names the sender by their display name
	From  string `json:"from,omitempty"` // the sender's login name
	// Icon is the sender's profile picture, versioned (absent when they
	// have none: the app's icon shows).
	Icon     string `json:"icon,omitempty"`
	Body     string `json:"body"`
	ID       uint64 `json:"id,omitempty"`
	Mention  bool   `json:"mention,omitempty"`
	Unread   int    `json:"unread"` // the person's unread total, for the app badge
	Tag      string `json:"tag"`    // one notification per room: a new one replaces it
	Renotify bool   `json:"renotify,omitempty"`
}

// pushJob is a committed message to push to whoever it should reach.
type pushJob struct {
	msg  message
	room room            // as committed with the message: who may see it is decided by this
	seen map[string]bool // users with a visible socket when it was delivered
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

// plan turns a message into the pushes it makes: one per device of each
// person who may see its room, but not its sender, whose level for the
// room asks for it, who is not reading Hearth on a visible page, and who
// is not in their quiet hours (unless it is a DM from someone allowed to
// break through them).
func (p *pusher) plan(j pushJob, now time.Time) {
	sender := p.sender(j.msg)
	for _, name := range p.audience(j) {
		ns, err := p.st.notifySettingsOf(name)
		if err != nil {
			slog.Error("push: read settings", "user", name, "err", err)
			continue
		}
		mention := slices.Contains(j.msg.Mentions, name)
		if !ns.wants(j.room, mention) || (ns.Quiet.during(now) && !ns.breaksThrough(j.room, j.msg.User)) {
			continue
		}
		subs, err := p.st.pushSubscriptions(name, "")
		if err != nil || len(subs) == 0 {
			if err != nil {
				slog.Error("push: read subscriptions", "user", name, "err", err)
			}
			continue
		}
		payload, err := json.Marshal(messagePayload(j, sender, ns, mention, p.unreadTotal(name)))
		if err != nil {
			slog.Error("push: encode payload", "err", err)
			continue
		}
		urgency := webpush.UrgencyNormal
		if mention || j.room.DM {
			urgency = webpush.UrgencyHigh
		}
		for _, sub := range subs {
			if p.sends.put(pushSend{sub: sub, payload: payload, topic: pushTopic(j.room.Name), urgency: urgency}) {
				metricPushDropped.Inc()
			}
		}
	}
}

// audience is who may be pushed j: the members of a private room or DM,
// or every enabled person for a public room; never its sender, nor anyone
// reading on a visible page.
func (p *pusher) audience(j pushJob) []string {
	var names []string
	if j.room.Private {
		names = j.room.Members
	} else {
		users, err := p.st.listUsers()
		if err != nil {
			slog.Error("push: list users", "err", err)
			return nil
		}
		for _, u := range users {
			if !u.Disabled {
				names = append(names, u.Name)
			}
		}
	}
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == j.msg.User || j.seen[n] })
}

// wants reports whether a message in r reaches the person at their level.
func (ns notifySettings) wants(r room, mention bool) bool {
	switch ns.level(r) {
	case levelAll:
		return true
	case levelMentions:
		return mention || r.DM
	}
	return false
}

// breaksThrough reports whether a message from sender in r notifies in
// quiet hours: a DM from one of the people the person chose.
func (ns notifySettings) breaksThrough(r room, sender string) bool {
	return r.DM && slices.Contains(ns.Breakthrough, sender)
}

// during reports whether t falls in the quiet hours. A span whose end is
// before its start crosses midnight (22:00-07:00).
func (q quietHours) during(t time.Time) bool {
	if !q.Enabled {
		return false
	}
	from, err1 := parseClock(q.From)
	to, err2 := parseClock(q.To)
	loc, err3 := time.LoadLocation(q.Zone)
	if err1 != nil || err2 != nil || err3 != nil || from == to {
		return false
	}
	local := t.In(loc)
	now := local.Hour()*60 + local.Minute()
	if from < to {
		return now >= from && now < to
	}
	return now >= from || now < to
}

// parseClock reads "HH:MM" as minutes after midnight.
func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day like 22:00", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// pushSender is who wrote a pushed message, as notifications show them.
type pushSender struct {
	name string // the display name, or the login name
	icon string // the profile picture's URL; "" when none
}

// sender is how j's notifications name its writer: by their display name
// and picture, as stored now; a bot (or an account gone) by its name.
func (p *pusher) sender(m message) pushSender {
	if m.Bot {
		return pushSender{name: m.User}
	}
	u, err := p.st.getUser(m.User)
	if err != nil {
		if !errors.Is(err, errUserNotFound) {
			slog.Error("push: read the sender", "user", m.User, "err", err)
		}
		return pushSender{name: m.User}
	}
	s := pushSender{name: cmp.Or(u.DisplayName, u.Name)}
	if u.Avatar != 0 {
		s.icon = fmt.Sprintf("/api/users/%s/avatar?v=%d", u.Name, u.Avatar)
	}
	return s
}

// messagePayload is what a person's devices are told of j: who wrote
// (by display name, with their picture) where, the start of the text (or
// only who, when they hide texts), and their unread total for the app's
// badge.
func messagePayload(j pushJob, from pushSender, ns notifySettings, mention bool, unread int) pushPayload {
	m, r := j.msg, j.room
	title := from.name + " in #" + r.Name
	if r.DM {
		title = from.name
	}
	body := m.Body
	if m.File != nil {
		body = "shared " + m.File.Name
	}
	if ns.HideText {
		body = "New message from " + from.name
	}
	return pushPayload{
		Type: "message", Room: r.Name, DM: r.DM, Title: title, From: m.User, Icon: from.icon,
		Body: cutRunes(body, pushBodyLen), ID: m.ID, Mention: mention, Unread: unread,
		Tag: "room:" + r.Name, Renotify: r.DM || mention,
	}
}

// cutRunes shortens s to at most n runes, marking the cut.
func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for range n - 1 {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i] + "…"
}

// pushTopic names r's pushes for the push service, which keeps only the
// newest of a topic for a device that is off: a burst becomes one
// notification. A topic is at most 32 characters of base64url.
func pushTopic(room string) string {
	sum := sha256.Sum256([]byte(room))
	return base64.RawURLEncoding.EncodeToString(sum[:])[:32]
}

// unreadTotal is name's unread count over every room they may see, for
// the badge on the app's icon.
func (p *pusher) unreadTotal(name string) int {
	total := 0
	for _, r := range p.st.listRooms() {
		if !r.visibleTo(name) {
			continue
		}
		if _, n, _, err := p.st.unread(name, r.Name); err == nil {
			total += n
		}
	}
	return total
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

// dropQueue is a bounded FIFO that never blocks its producers: put drops
// the oldest item when full. A taker calls done when it has dealt with
// what it took.
type dropQueue[T any] struct {
	mu    sync.Mutex
	items []T
	limit int
	taken int           // taken and not yet done
	ready chan struct{} // has a token while items is not empty
}

func newDropQueue[T any](limit int) *dropQueue[T] {
	return &dropQueue[T]{limit: limit, ready: make(chan struct{}, 1)}
}

// put adds v, and reports whether the oldest item was dropped for it.
func (q *dropQueue[T]) put(v T) (dropped bool) {
	q.mu.Lock()
	if len(q.items) >= q.limit {
		var zero T
		q.items[0] = zero
		q.items = q.items[1:]
		dropped = true
	}
	q.items = append(q.items, v)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return dropped
}

// take waits for the oldest item, or returns false once ctx is done.
func (q *dropQueue[T]) take(ctx context.Context) (T, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			v := q.items[0]
			var zero T
			q.items[0] = zero
			q.items = q.items[1:]
			more := len(q.items) > 0
			q.taken++
			q.mu.Unlock()
			if more { // pass the token on to the next taker
				select {
				case q.ready <- struct{}{}:
				default:
				}
			}
			return v, true
		}
		q.mu.Unlock()
		select {
		case <-q.ready:
		case <-ctx.Done():
			var zero T
			return zero, false
		}
	}
}

// done says an item taken has been dealt with.
func (q *dropQueue[T]) done() {
	q.mu.Lock()
	q.taken--
	q.mu.Unlock()
}

// len is how many items wait.
func (q *dropQueue[T]) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// pending is how many items wait or are being dealt with.
func (q *dropQueue[T]) pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) + q.taken
}
