// push_test.go tests Web Push end to end: people subscribe over the API
// as a browser would, messages go over real sockets, and a push service
// of the test's own (pushservice_test.go) checks each push's VAPID
// signature and decrypts its payload with the subscription's keys.

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// pushFixture is a server whose pushes go to a test push service, with
// people logged in and subscribed, one device each.
type pushFixture struct {
	t      *testing.T
	ts     *testServer
	svc    *testPushService
	people map[string]*client
	subs   map[string]*testSubscription
	n      int
	pusher atomic.Pointer[pusher] // the server's, for the push service's checks
}

func newPushFixture(t *testing.T, names ...string) *pushFixture {
	t.Helper()
	f := &pushFixture{t: t, people: map[string]*client{}, subs: map[string]*testSubscription{}}
	// The push service's handlers read the key while the test may stop or
	// restart the server: they read it through the pusher, kept here.
	f.svc = newTestPushService(t, func() string { return f.pusher.Load().publicKey() })
	f.ts = newTestServer(t, func(c *config) { c.PushClient = f.svc.Client() })
	f.pusher.Store(f.ts.app.srv.push)
	for _, name := range names {
		f.people[name] = f.ts.loggedIn(name)
		f.subs[name] = f.svc.subscribe(t)
		if status, body := f.people[name].do("POST", "/api/push", f.subs[name].JSON(), nil); status != http.StatusCreated {
			t.Fatalf("subscribe %s: %d %s", name, status, body)
		}
	}
	return f
}

// say sends body to room as name, on a socket that is closed afterwards,
// and returns the stored message.
func (f *pushFixture) say(name, room, body string) wireFrame {
	f.t.Helper()
	s := f.people[name].dial()
	defer s.ws.Close()
	f.n++
	cid := fmt.Sprintf("push-%d", f.n)
	s.say(room, body, cid)
	return s.ack(cid)
}

// settle waits until the server has dealt with every push it was offered
// (planned, sent or dropped), after the push service has received want
// pushes for the sentinel's subscription: what was committed before the
// sentinel's message has been planned before it.
func (f *pushFixture) settle(sentinel string, want int) {
	f.t.Helper()
	f.svc.waitPush(f.t, f.subs[sentinel], want, 10*time.Second)
	eventually(f.t, 10*time.Second, "pushes dealt with", func() bool { return f.ts.app.srv.push.pending() == 0 })
}

// payloads decodes what name's device received.
func (f *pushFixture) payloads(name string) []pushPayload {
	var out []pushPayload
	for _, p := range f.svc.received(f.subs[name]) {
		var pl pushPayload
		if err := json.Unmarshal(p.Payload, &pl); err != nil {
			f.t.Fatalf("payload %q: %v", p.Payload, err)
		}
		out = append(out, pl)
	}
	return out
}

func (f *pushFixture) set(name, method, path string, body any) {
	f.t.Helper()
	if status, raw := f.people[name].do(method, path, body, nil); status != http.StatusOK {
		f.t.Fatalf("%s %s %s: %d %s", name, method, path, status, raw)
	}
}

// TestPushReachesWhoShouldBeReached walks the rules of who is pushed,
// each step checked against what each device received, decrypted.
func TestPushReachesWhoShouldBeReached(t *testing.T) {
	f := newPushFixture(t, "mum", "dad", "kid", "gran")
	mum := f.people["mum"]

	// A mention while mum has no socket: her phone is pushed, with the
	// payload the service worker shows, high urgency, the room's topic.
	m := f.say("kid", "general", "@mum pick me up at 5")
	got := f.svc.waitPush(t, f.subs["mum"], 1, 10*time.Second)
	var pl pushPayload
	json.Unmarshal(got[0].Payload, &pl)
	want := pushPayload{Type: "message", Room: "general", Title: "kid in #general", From: "kid", Body: "@mum pick me up at 5",
		ID: m.ID, Mention: true, Unread: 1, Tag: "room:general", Renotify: true}
	if pl != want {
		t.Errorf("payload = %+v, want %+v", pl, want)
	}
	if got[0].Urgency != "high" || got[0].Topic != pushTopic("general") || got[0].TTL != "86400" {
		t.Errorf("headers: urgency %q topic %q ttl %q", got[0].Urgency, got[0].Topic, got[0].TTL)
	}
	if sub, _ := got[0].Claims["sub"].(string); sub != "mailto:"+defaultPushContact {
		t.Errorf("VAPID subject %q", sub)
	}
	// dad and gran were not mentioned (rooms notify mentions by default);
	// kid sent it. Later steps end with a DM to dad (the sentinel): once
	// it is pushed, what came before it has been dealt with.
	var sentinel struct{ Name string }
	f.people["kid"].do("POST", "/api/dms", map[string]string{"user": "dad"}, &sentinel)
	f.say("kid", sentinel.Name, "sentinel 1")
	f.settle("dad", 1)
	for _, name := range []string{"kid", "gran"} {
		if n := len(f.svc.received(f.subs[name])); n != 0 {
			t.Errorf("%s got %d pushes, want none", name, n)
		}
	}

	// Mum reading on her laptop (a visible socket): no buzz on her phone.
	laptop := mum.dial()
	f.say("kid", "general", "@mum are you there?")
	f.say("kid", sentinel.Name, "sentinel 2")
	f.settle("dad", 2)
	if n := len(f.svc.received(f.subs["mum"])); n != 1 {
		t.Fatalf("mum got %d pushes while reading on a visible page, want still 1", n)
	}

	// Her laptop's page hidden: pushed again.
	laptop.send(map[string]any{"type": "visibility", "visible": false})
	eventually(t, 5*time.Second, "hidden socket seen", func() bool {
		var hidden bool
		f.ts.app.hub.do(func() {
			for c := range f.ts.app.hub.conns {
				hidden = hidden || (c.user == "mum" && c.hidden.Load())
			}
		})
		return hidden
	})
	f.say("kid", "general", "@mum hidden tab")
	f.svc.waitPush(t, f.subs["mum"], 2, 10*time.Second)
	laptop.ws.Close()

	// A DM pushes at the default level, titled with the sender.
	var dm struct{ Name string }
	if status, body := f.people["kid"].do("POST", "/api/dms", map[string]string{"user": "mum"}, &dm); status != http.StatusCreated && status != http.StatusOK {
		t.Fatalf("open DM: %d %s", status, body)
	}
	f.say("kid", dm.Name, "can I have a biscuit")
	f.svc.waitPush(t, f.subs["mum"], 3, 10*time.Second)
	if p := f.payloads("mum")[2]; p.Title != "kid" || !p.DM || !p.Renotify || p.Body != "can I have a biscuit" {
		t.Errorf("DM payload %+v", p)
	}

	// A room set to "none": nothing, mention or not.
	f.set("mum", "PUT", "/api/notifications/rooms/general", map[string]string{"level": "none"})
	f.say("kid", "general", "@mum you muted this")
	f.say("kid", sentinel.Name, "sentinel 3")
	f.settle("dad", 3)
	if n := len(f.svc.received(f.subs["mum"])); n != 3 {
		t.Fatalf("mum got %d pushes from a room she set to none, want still 3", n)
	}

	// "all" in a room: every message, but never her own.
	f.set("mum", "PUT", "/api/notifications/rooms/general", map[string]string{"level": "all"})
	f.say("dad", "general", "dinner is ready")
	f.svc.waitPush(t, f.subs["mum"], 4, 10*time.Second)
	f.say("mum", "general", "coming")
	f.say("kid", sentinel.Name, "sentinel 4")
	f.settle("dad", 4)
	if n := len(f.svc.received(f.subs["mum"])); n != 4 {
		t.Fatalf("mum got %d pushes, want 4: never her own message", n)
	}

	// Texts hidden: who, not what.
	f.set("mum", "PUT", "/api/notifications", map[string]any{"hide_text": true})
	f.say("gran", "general", "my secret recipe is")
	f.svc.waitPush(t, f.subs["mum"], 5, 10*time.Second)
	if p := f.payloads("mum")[4]; p.Body != "New message from gran" || strings.Contains(string(f.svc.received(f.subs["mum"])[4].Payload), "recipe") {
		t.Errorf("hidden text payload %+v", p)
	}
	f.set("mum", "PUT", "/api/notifications", map[string]any{"hide_text": false})

	// Quiet hours around now: nothing, but DMs of those allowed through.
	now := time.Now().UTC()
	quiet := map[string]any{"enabled": true, "from": now.Add(-time.Hour).Format("15:04"), "to": now.Add(time.Hour).Format("15:04"), "zone": "UTC"}
	f.set("mum", "PUT", "/api/notifications", map[string]any{"quiet": quiet, "breakthrough": []string{"dad"}})
	f.say("gran", "general", "quiet please")
	f.say("kid", dm.Name, "another biscuit?")
	var dadDM struct{ Name string }
	f.people["dad"].do("POST", "/api/dms", map[string]string{"user": "mum"}, &dadDM)
	f.say("dad", dadDM.Name, "the car broke down")
	f.svc.waitPush(t, f.subs["mum"], 6, 10*time.Second)
	f.say("kid", sentinel.Name, "sentinel 5")
	f.settle("dad", 5)
	got6 := f.payloads("mum")
	if len(got6) != 6 || got6[5].Body != "the car broke down" {
		t.Fatalf("in quiet hours mum got %+v, want only dad's DM added", got6[4:])
	}
	f.set("mum", "PUT", "/api/notifications", map[string]any{"quiet": map[string]any{"enabled": false, "from": "22:00", "to": "07:00", "zone": "UTC"}})

	// Someone taken out of a private room is not pushed what is said there
	// afterwards: membership is checked when the message is sent.
	if status, body := mum.do("POST", "/api/rooms", map[string]any{"name": "surprise", "private": true, "members": []string{"mum", "gran"}}, nil); status != http.StatusCreated {
		t.Fatalf("private room: %d %s", status, body)
	}
	f.set("gran", "PUT", "/api/notifications/rooms/surprise", map[string]string{"level": "all"})
	f.say("mum", "surprise", "cake on saturday")
	f.svc.waitPush(t, f.subs["gran"], 1, 10*time.Second)
	if status, body := mum.do("PUT", "/api/rooms/surprise/members", map[string]any{"members": []string{"mum"}}, nil); status != http.StatusOK {
		t.Fatalf("remove gran: %d %s", status, body)
	}
	f.say("mum", "surprise", "gran must not know: it is for her")
	f.say("kid", sentinel.Name, "sentinel 6")
	f.settle("dad", 6)
	if n := len(f.svc.received(f.subs["gran"])); n != 1 {
		t.Fatalf("gran got %d pushes, want 1: none after leaving the room", n)
	}
	// Dad never was in it.
	for _, p := range f.payloads("dad") {
		if p.Room == "surprise" {
			t.Errorf("dad was pushed from a private room: %+v", p)
		}
	}
}

// TestPushSubscriptionsEnd checks that a push service's 404 or 410
// deletes a subscription, and that ending a session (logout, revoke, a
// password change, disabling the account) deletes its subscriptions.
func TestPushSubscriptionsEnd(t *testing.T) {
	f := newPushFixture(t, "mum", "kid", "dad", "gran")
	subsOf := func(name string) int {
		subs, err := f.ts.store().pushSubscriptions(name, "")
		if err != nil {
			t.Fatal(err)
		}
		return len(subs)
	}

	for _, status := range []int{http.StatusGone, http.StatusNotFound} {
		f.svc.respondWith(f.subs["mum"], status, nil)
		f.say("kid", "general", fmt.Sprintf("@mum are you there (%d)", status))
		eventually(t, 10*time.Second, "gone subscription deleted", func() bool { return subsOf("mum") == 0 })
		if status, body := f.people["mum"].do("POST", "/api/push", f.subs["mum"].JSON(), nil); status != http.StatusCreated {
			t.Fatalf("subscribe again: %d %s", status, body)
		}
		f.svc.respondWith(f.subs["mum"], http.StatusCreated, nil)
	}

	f.people["kid"].do("POST", "/api/logout", nil, nil)
	if n := subsOf("kid"); n != 0 {
		t.Errorf("after logout kid has %d subscriptions", n)
	}

	var sessions struct{ Sessions []sessionResponse }
	f.people["dad"].do("GET", "/api/sessions", nil, &sessions)
	other := f.ts.newClient()
	other.do("POST", "/api/login", map[string]string{"username": "dad", "password": "password-dad"}, nil)
	if status, body := other.do("DELETE", "/api/sessions/"+sessions.Sessions[0].ID, nil, nil); status >= 300 {
		t.Fatalf("revoke: %d %s", status, body)
	}
	if n := subsOf("dad"); n != 0 {
		t.Errorf("after revoking dad's session he has %d subscriptions", n)
	}

	ended, err := f.ts.store().setPassword("mum", []byte("x"))
	if err != nil || len(ended) == 0 {
		t.Fatal(ended, err)
	}
	if n := subsOf("mum"); n != 0 {
		t.Errorf("after a password change mum has %d subscriptions", n)
	}
	if _, _, err := f.ts.store().setUserFlags("gran", false, true); err != nil {
		t.Fatal(err)
	}
	if n := subsOf("gran"); n != 0 {
		t.Errorf("after disabling gran she has %d subscriptions", n)
	}

	// Expiry: the reaper's delete takes them too.
	c := f.ts.loggedIn("aunt")
	c.do("POST", "/api/push", f.svc.subscribe(t).JSON(), nil)
	if _, err := f.ts.store().deleteExpiredSessions(time.Now().Add(400 * 24 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := subsOf("aunt"); n != 0 {
		t.Errorf("after expiry aunt has %d subscriptions", n)
	}
}

// TestPushNeverDelaysDelivery stalls the push service and measures how
// long a message takes to reach another socket, against the same with
// the push service answering at once.
func TestPushNeverDelaysDelivery(t *testing.T) {
	measure := func(stall bool) time.Duration {
		f := newPushFixture(t, "mum", "kid", "dad")
		for range 3 { // more devices of mum's, all stalled
			f.people["mum"].do("POST", "/api/push", f.svc.subscribe(t).JSON(), nil)
		}
		if stall {
			release := f.svc.stall()
			defer release()
		}
		reader := f.people["dad"].dial()
		writer := f.people["kid"].dial()
		var worst time.Duration
		for i := range 15 { // within the sender's burst allowance
			start := time.Now()
			cid := fmt.Sprintf("d-%d", i)
			writer.say("general", "@mum ping "+cid, cid)
			reader.expect(func(w wireFrame) bool { return w.Type == "message" && strings.HasSuffix(w.Body, cid) })
			worst = max(worst, time.Since(start))
		}
		if stall && f.svc.stalled() == 0 {
			t.Fatal("the push service was never asked: the test measured nothing")
		}
		return worst
	}
	answering, stalled := measure(false), measure(true)
	t.Logf("slowest of 15 deliveries: %v with the push service answering, %v with it stalled", answering, stalled)
	if stalled > time.Second {
		t.Errorf("a stalled push service delayed delivery: slowest %v", stalled)
	}
}

// TestPushSubscriptionIsChecked refuses what a browser would never send.
func TestPushSubscriptionIsChecked(t *testing.T) {
	f := newPushFixture(t, "mum")
	good := f.svc.subscribe(t).JSON()
	keys := good["keys"].(map[string]any)
	with := func(endpoint string, p256dh, auth any) map[string]any {
		return map[string]any{"endpoint": endpoint, "keys": map[string]any{"p256dh": p256dh, "auth": auth}}
	}
	cases := []struct {
		name string
		body map[string]any
		want int
	}{
		{"plain http", with("http://push.example/x", keys["p256dh"], keys["auth"]), 400},
		{"no endpoint", with("", keys["p256dh"], keys["auth"]), 400},
		{"not a URL", with("https://", keys["p256dh"], keys["auth"]), 400},
		{"javascript", with("javascript:alert(1)", keys["p256dh"], keys["auth"]), 400},
		{"too long", with("https://push.example/"+strings.Repeat("a", 3000), keys["p256dh"], keys["auth"]), 400},
		{"short key", with("https://push.example/x", "BAAA", keys["auth"]), 400},
		{"not on the curve", with("https://push.example/x", "BA"+strings.Repeat("A", 85), keys["auth"]), 400},
		{"short auth", with("https://push.example/x", keys["p256dh"], "AAAA"), 400},
		{"number key", with("https://push.example/x", 42, keys["auth"]), 400},
		{"a LAN push service", with("https://192.168.1.20:8443/up/abc", keys["p256dh"], keys["auth"]), 201},
		{"padded base64", with("https://push.example/padded", keys["p256dh"].(string)+"=", keys["auth"].(string)+"=="), 201},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if status, body := f.people["mum"].do("POST", "/api/push", c.body, nil); status != c.want {
				t.Errorf("status %d (%s), want %d", status, body, c.want)
			}
		})
	}
	if status, _ := f.ts.newClient().do("POST", "/api/push", good, nil); status != http.StatusUnauthorized {
		t.Errorf("without a session: %d", status)
	}

	// One session keeps at most a few: the oldest go.
	for range maxPushPerSession + 2 {
		f.people["mum"].do("POST", "/api/push", f.svc.subscribe(t).JSON(), nil)
	}
	var status struct {
		PublicKey     string       `json:"public_key"`
		Subscriptions []pushDevice `json:"subscriptions"`
	}
	f.people["mum"].do("GET", "/api/push", nil, &status)
	if len(status.Subscriptions) != maxPushPerSession {
		t.Errorf("mum's session has %d subscriptions, want %d", len(status.Subscriptions), maxPushPerSession)
	}
	if status.PublicKey != f.ts.app.srv.push.publicKey() || len(status.PublicKey) != 87 {
		t.Errorf("public key %q", status.PublicKey)
	}
	for _, d := range status.Subscriptions {
		if !d.ThisDevice || d.Device == "" || strings.Contains(fmt.Sprint(d), "push/") {
			t.Errorf("device %+v", d)
		}
	}

	// Removing one by id, then this device's all at once.
	if st, body := f.people["mum"].do("DELETE", "/api/push/"+status.Subscriptions[0].ID, nil, nil); st != http.StatusNoContent {
		t.Errorf("remove: %d %s", st, body)
	}
	other := f.ts.loggedIn("thief")
	if st, _ := other.do("DELETE", "/api/push/"+status.Subscriptions[1].ID, nil, nil); st != http.StatusNotFound {
		t.Errorf("someone else removed mum's device: %d", st)
	}
	if st, _ := f.people["mum"].do("DELETE", "/api/push", nil, nil); st != http.StatusNoContent {
		t.Errorf("unsubscribe: %d", st)
	}
	f.people["mum"].do("GET", "/api/push", nil, &status)
	if len(status.Subscriptions) != 0 {
		t.Errorf("after unsubscribing: %+v", status.Subscriptions)
	}
}

// TestPushTestNotification sends a test to this device, and says plainly
// why it could not when the push service refuses or cannot be reached.
func TestPushTestNotification(t *testing.T) {
	f := newPushFixture(t, "mum")
	var sent struct{ Sent int }
	if status, body := f.people["mum"].do("POST", "/api/push/test", nil, &sent); status != http.StatusOK || sent.Sent != 1 {
		t.Fatalf("test push: %d %s", status, body)
	}
	if p := f.payloads("mum"); len(p) != 1 || p[0].Type != "test" {
		t.Fatalf("received %+v", p)
	}
	f.svc.respondWith(f.subs["mum"], http.StatusForbidden, http.Header{"X-Secret": {"do not reflect"}})
	status, body := f.people["mum"].do("POST", "/api/push/test", nil, nil)
	if status != http.StatusBadGateway || !strings.Contains(body, "403") || strings.Contains(body, "reflect") {
		t.Errorf("refused test push: %d %s", status, body)
	}
	if status, _ := f.ts.loggedIn("dad").do("POST", "/api/push/test", nil, nil); status != http.StatusConflict {
		t.Errorf("test push without a subscription: %d", status)
	}
}

// TestPushWithoutInternet points a subscription at an address nothing
// answers, as a LAN-only server's pushes to the internet fail: messages
// still flow, GET /api/push says push services are unreachable, and the
// test push says why.
func TestPushWithoutInternet(t *testing.T) {
	ts := newTestServer(t, nil)
	mum, kid := ts.loggedIn("mum"), ts.loggedIn("kid")
	svc := newTestPushService(t, func() string { return "" })
	sub := svc.subscribe(t).JSON()
	sub["endpoint"] = "https://" + freeAddr(t) + "/push/1" // a closed port: refused at once
	if status, body := mum.do("POST", "/api/push", sub, nil); status != http.StatusCreated {
		t.Fatalf("subscribe: %d %s", status, body)
	}
	var st struct{ Reachable *bool }
	mum.do("GET", "/api/push", nil, &st)
	if st.Reachable != nil {
		t.Errorf("reachable before any push: %v", *st.Reachable)
	}
	s := kid.dial()
	s.say("general", "@mum offline server", "x1")
	s.ack("x1")
	eventually(t, 15*time.Second, "unreachable noticed", func() bool {
		mum.do("GET", "/api/push", nil, &st)
		return st.Reachable != nil && !*st.Reachable
	})
	status, body := mum.do("POST", "/api/push/test", nil, nil)
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "internet") {
		t.Errorf("test push without internet: %d %s", status, body)
	}
	s.say("general", "still chatting", "x2")
	s.ack("x2")
}

// TestPushRetryAfter holds pushes to a device whose push service answered
// 429 until its Retry-After has passed, then sends the newest.
func TestPushRetryAfter(t *testing.T) {
	f := newPushFixture(t, "mum", "kid")
	f.svc.respondWith(f.subs["mum"], http.StatusTooManyRequests, http.Header{"Retry-After": {"3"}})
	f.say("kid", "general", "@mum one")
	eventually(t, 10*time.Second, "429 seen", func() bool { return f.svc.requests() >= 1 && f.ts.app.srv.push.pending() == 0 })
	f.svc.respondWith(f.subs["mum"], http.StatusCreated, nil)
	before := f.svc.requests()
	f.say("kid", "general", "@mum two")
	f.say("kid", "general", "@mum three")
	// Held back, not sent, until the second is over; then the newest.
	f.svc.waitPush(t, f.subs["mum"], 1, 10*time.Second)
	if p := f.payloads("mum"); len(p) != 1 || p[0].Body != "@mum three" {
		t.Errorf("after the wait mum got %+v (requests %d → %d), want the newest alone", p, before, f.svc.requests())
	}
	if d := retryAfter("Wed, 21 Oct 2099 07:28:00 GMT", time.Now()); d != maxRetryAfter {
		t.Errorf("a far date waits %v", d)
	}
	if d := retryAfter("", time.Now()); d != time.Minute {
		t.Errorf("no header waits %v", d)
	}
}

// TestNotificationSettings covers the settings API: defaults, levels that
// follow a renamed room and go with a deleted one, refusals, and the
// frame that tells the person's other devices.
func TestNotificationSettings(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.addUser("mum", "password-mum", true)
	mum := ts.newClient()
	mum.do("POST", "/api/login", map[string]string{"username": "mum", "password": "password-mum"}, nil)
	kid := ts.loggedIn("kid")
	var ns notifySettingsResponse
	if status, body := mum.do("GET", "/api/notifications", nil, &ns); status != http.StatusOK || len(ns.Rooms) != 0 || ns.Quiet.Enabled || ns.Defaults["dm"] != "all" {
		t.Fatalf("defaults: %d %s", status, body)
	}
	other := mum.dial()
	mum.do("POST", "/api/rooms", map[string]any{"name": "kitchen"}, nil)
	if status, body := mum.do("PUT", "/api/notifications/rooms/kitchen", map[string]string{"level": "all"}, nil); status != http.StatusOK {
		t.Fatalf("set level: %d %s", status, body)
	}
	other.expect(func(w wireFrame) bool { return w.Type == "notifications" })

	cases := []struct {
		name, method, path string
		body               any
		want               int
	}{
		{"unknown level", "PUT", "/api/notifications/rooms/kitchen", map[string]string{"level": "loud"}, 400},
		{"unknown room", "PUT", "/api/notifications/rooms/nowhere", map[string]string{"level": "all"}, 404},
		{"bad time", "PUT", "/api/notifications", map[string]any{"quiet": map[string]any{"enabled": true, "from": "25:00", "to": "07:00"}}, 400},
		{"bad zone", "PUT", "/api/notifications", map[string]any{"quiet": map[string]any{"enabled": true, "from": "22:00", "to": "07:00", "zone": "Mars/Olympus"}}, 400},
		{"unknown person", "PUT", "/api/notifications", map[string]any{"breakthrough": []string{"nobody"}}, 400},
		{"good quiet hours", "PUT", "/api/notifications", map[string]any{"quiet": map[string]any{"enabled": true, "from": "22:00", "to": "07:00", "zone": "Europe/Paris"}, "breakthrough": []string{"kid"}}, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if status, body := mum.do(c.method, c.path, c.body, nil); status != c.want {
				t.Errorf("%d %s, want %d", status, body, c.want)
			}
		})
	}
	// Someone else's private room is not a room one may set.
	kid.do("POST", "/api/rooms", map[string]any{"name": "den", "private": true, "members": []string{"kid"}}, nil)
	if status, _ := ts.loggedIn("dad").do("PUT", "/api/notifications/rooms/den", map[string]string{"level": "all"}, nil); status != http.StatusNotFound {
		t.Errorf("level for someone else's private room: %d", status)
	}

	if status, body := mum.do("POST", "/api/admin/rooms/kitchen/rename", map[string]string{"name": "cooking"}, nil); status != http.StatusOK {
		t.Fatalf("rename: %d %s", status, body)
	}
	mum.do("GET", "/api/notifications", nil, &ns)
	if ns.Rooms["cooking"] != "all" || ns.Rooms["kitchen"] != "" || !ns.Quiet.Enabled || !slices.Equal(ns.Breakthrough, []string{"kid"}) {
		t.Errorf("after rename: %+v", ns.notifySettings)
	}
	if status, body := mum.do("DELETE", "/api/admin/rooms/cooking", nil, nil); status >= 300 {
		t.Fatalf("delete: %d %s", status, body)
	}
	ns = notifySettingsResponse{} // decoding into a map merges
	mum.do("GET", "/api/notifications", nil, &ns)
	if _, ok := ns.Rooms["cooking"]; ok {
		t.Errorf("a deleted room's level stayed: %+v", ns.Rooms)
	}

	// Settings outlive a restart, as everything else.
	ts.restart()
	mum.do("GET", "/api/notifications", nil, &ns)
	if !ns.Quiet.Enabled || ns.Quiet.Zone != "Europe/Paris" {
		t.Errorf("after restart: %+v", ns.Quiet)
	}
}

// TestQuietHours checks the span arithmetic, across midnight and zones.
func TestQuietHours(t *testing.T) {
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	cases := []struct {
		q    quietHours
		t    string
		want bool
	}{
		{quietHours{Enabled: true, From: "22:00", To: "07:00", Zone: "UTC"}, "2026-12-01T23:30:00Z", true},
		{quietHours{Enabled: true, From: "22:00", To: "07:00", Zone: "UTC"}, "2026-12-01T06:59:00Z", true},
		{quietHours{Enabled: true, From: "22:00", To: "07:00", Zone: "UTC"}, "2026-12-01T07:00:00Z", false},
		{quietHours{Enabled: true, From: "22:00", To: "07:00", Zone: "UTC"}, "2026-12-01T12:00:00Z", false},
		{quietHours{Enabled: false, From: "22:00", To: "07:00", Zone: "UTC"}, "2026-12-01T23:30:00Z", false},
		{quietHours{Enabled: true, From: "13:00", To: "14:00", Zone: "UTC"}, "2026-12-01T13:15:00Z", true},
		// 21:30 UTC is 22:30 in Paris in winter.
		{quietHours{Enabled: true, From: "22:00", To: "07:00", Zone: "Europe/Paris"}, "2026-12-01T21:30:00Z", true},
		{quietHours{Enabled: true, From: "22:00", To: "07:00", Zone: "America/New_York"}, "2026-12-01T21:30:00Z", false},
	}
	for _, c := range cases {
		if got := c.q.during(at(c.t)); got != c.want {
			t.Errorf("%+v at %s: %v, want %v", c.q, c.t, got, c.want)
		}
	}
}

// TestPushKeyReset is what an admin does when a backup may have leaked:
// a new VAPID key pair, every subscription (made with the old one) gone,
// so the leaked key pushes to no one; a device subscribing again with the
// new key is pushed, signed with it.
func TestPushKeyReset(t *testing.T) {
	f := newPushFixture(t, "mum", "kid")
	f.ts.addUser("boss", "password-boss", true)
	boss := f.ts.newClient()
	boss.do("POST", "/api/login", map[string]string{"username": "boss", "password": "password-boss"}, nil)
	old := f.ts.app.srv.push.publicKey()
	if status, _ := f.people["kid"].do("POST", "/api/admin/push/reset", nil, nil); status != http.StatusForbidden {
		t.Errorf("a non-admin reset the push keys: %d", status)
	}
	var reset struct {
		Removed   int    `json:"removed"`
		PublicKey string `json:"public_key"`
	}
	if status, body := boss.do("POST", "/api/admin/push/reset", nil, &reset); status != http.StatusOK || reset.Removed != 2 || reset.PublicKey == old {
		t.Fatalf("reset: %d %s", status, body)
	}
	var st struct {
		PublicKey     string `json:"public_key"`
		Subscriptions []pushDevice
	}
	f.people["mum"].do("GET", "/api/push", nil, &st)
	if st.PublicKey != reset.PublicKey || len(st.Subscriptions) != 0 {
		t.Errorf("after reset: %+v", st)
	}
	// The test push service checks each push's k against the key now.
	f.ts.restart() // and the new pair is the one kept
	f.pusher.Store(f.ts.app.srv.push)
	if f.ts.app.srv.push.publicKey() != reset.PublicKey {
		t.Fatal("the new key pair was not kept")
	}
	mum := f.ts.newClient()
	mum.do("POST", "/api/login", map[string]string{"username": "mum", "password": "password-mum"}, nil)
	f.people["mum"] = mum
	if status, body := mum.do("POST", "/api/push", f.subs["mum"].JSON(), nil); status != http.StatusCreated {
		t.Fatalf("subscribe again: %d %s", status, body)
	}
	kid := f.ts.newClient()
	kid.do("POST", "/api/login", map[string]string{"username": "kid", "password": "password-kid"}, nil)
	f.people["kid"] = kid
	f.say("kid", "general", "@mum new keys")
	f.svc.waitPush(t, f.subs["mum"], 1, 10*time.Second)
	var audit struct{ Entries []auditEntry }
	boss = f.ts.newClient()
	boss.do("POST", "/api/login", map[string]string{"username": "boss", "password": "password-boss"}, nil)
	boss.do("GET", "/api/admin/audit", nil, &audit)
	if !slices.ContainsFunc(audit.Entries, func(e auditEntry) bool { return e.Action == "reset push keys" }) {
		t.Errorf("the reset is not in the audit log: %+v", audit.Entries)
	}
}

// TestPushRemovedDeviceStaysRemoved: a device removed from the list on
// another device does not subscribe again by itself (resume), until its
// person turns notifications on there again.
func TestPushRemovedDeviceStaysRemoved(t *testing.T) {
	f := newPushFixture(t, "mum")
	phone := f.people["mum"]
	laptop := f.ts.newClient()
	laptop.do("POST", "/api/login", map[string]string{"username": "mum", "password": "password-mum"}, nil)
	var st struct{ Subscriptions []pushDevice }
	laptop.do("GET", "/api/push", nil, &st)
	if len(st.Subscriptions) != 1 {
		t.Fatalf("devices: %+v", st.Subscriptions)
	}
	if status, _ := laptop.do("DELETE", "/api/push/"+st.Subscriptions[0].ID, nil, nil); status != http.StatusNoContent {
		t.Fatalf("remove: %d", status)
	}
	resume := f.subs["mum"].JSON()
	resume["resume"] = true
	if status, body := phone.do("POST", "/api/push", resume, nil); status != http.StatusConflict || !strings.Contains(body, "turned off") {
		t.Errorf("the removed phone resumed by itself: %d %s", status, body)
	}
	if status, body := phone.do("POST", "/api/push", f.subs["mum"].JSON(), nil); status != http.StatusCreated {
		t.Errorf("turning it on again on the phone: %d %s", status, body)
	}
	// And resuming is allowed again after that.
	phone.do("DELETE", "/api/push", nil, nil)
	if status, body := phone.do("POST", "/api/push", resume, nil); status != http.StatusCreated {
		t.Errorf("resume after the person turned it on again: %d %s", status, body)
	}
}
