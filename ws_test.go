// ws_test.go tests the socket: the handshake checks, delivery and
// acknowledgement, idempotent resends, presence, bad input and limits, and
// sessions ending under open sockets. Every test dials a real server.

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/websocket"
)

func TestHandshakeMatrix(t *testing.T) {
	ts := newTestServer(t, nil)
	ann := ts.loggedIn("ann")
	valid := ann.cookieHeader()

	// A cookie for a real session, signed with other keys.
	otherKeys := securecookie.New(securecookie.GenerateRandomKey(64), securecookie.GenerateRandomKey(32)).SetSerializer(securecookie.NopEncoder{})
	foreign, _ := otherKeys.Encode(sessionCookie, make([]byte, 32))

	// Expired: a session whose record says it ended a second ago.
	expired := ts.loggedIn("exp")
	expireAll(t, ts.store(), "exp")

	// Revoked through the sessions API from another device.
	revoked := ts.loggedIn("rev")
	revokeAll(t, ts, "rev")

	// Logged out.
	out := ts.loggedIn("out")
	outCookie := out.cookieHeader()
	if status, _ := out.do("POST", "/api/logout", nil, nil); status != http.StatusNoContent {
		t.Fatalf("logout status %d", status)
	}

	// Tampered: flip a character in the middle of a valid value.
	v := strings.TrimPrefix(valid, sessionCookie+"=")
	mid := len(v) / 2
	flipped := byte('A')
	if v[mid] == 'A' {
		flipped = 'B'
	}
	tampered := sessionCookie + "=" + v[:mid] + string(flipped) + v[mid+1:]

	tests := []struct {
		name   string
		cookie string
		origin string
		want   int
	}{
		{"valid", valid, ts.URL, http.StatusSwitchingProtocols},
		{"valid without origin (not a browser)", valid, "", http.StatusSwitchingProtocols},
		{"no cookie", "", ts.URL, http.StatusUnauthorized},
		{"tampered cookie", tampered, ts.URL, http.StatusUnauthorized},
		{"truncated cookie", valid[:len(valid)-10], ts.URL, http.StatusUnauthorized},
		{"garbage cookie", sessionCookie + "=not-a-cookie", ts.URL, http.StatusUnauthorized},
		{"cookie signed with other keys", sessionCookie + "=" + foreign, ts.URL, http.StatusUnauthorized},
		{"expired session", expired.cookieHeader(), ts.URL, http.StatusUnauthorized},
		{"revoked session", revoked.cookieHeader(), ts.URL, http.StatusUnauthorized},
		{"logged out session", outCookie, ts.URL, http.StatusUnauthorized},
		{"cross-origin", valid, "http://evil.example", http.StatusForbidden},
		{"cross-origin same host other port", valid, "http://127.0.0.1:1", http.StatusForbidden},
		{"cross-origin without cookie", "", "http://evil.example", http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.cookie != "" {
				h.Set("Cookie", tc.cookie)
			}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			ws, resp, err := dialWS(ts, h)
			if resp == nil {
				t.Fatalf("no HTTP response: %v", err)
			}
			if resp.StatusCode != tc.want {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.want)
			}
			if tc.want == http.StatusSwitchingProtocols {
				ws.Close()
			} else if err == nil {
				ws.Close()
				t.Fatal("upgraded although refused")
			}
		})
	}
}

// expireAll moves the expiry of every session of name into the past,
// without running the reaper.
func expireAll(t *testing.T, st *store, name string) {
	t.Helper()
	list, err := st.listSessions(name)
	if err != nil || len(list) == 0 {
		t.Fatalf("sessions of %s: %v, %v", name, list, err)
	}
	for _, s := range list {
		s.Expires = time.Now().Add(-time.Second)
		if err := st.putSession(s); err != nil {
			t.Fatal(err)
		}
	}
}

// revokeAll revokes every session of name through the API of a second
// device logged in as the same user.
func revokeAll(t *testing.T, ts *testServer, name string) {
	t.Helper()
	other := ts.newClient()
	if status, body := other.do("POST", "/api/login", map[string]string{"username": name, "password": "password-" + name}, nil); status != 200 {
		t.Fatalf("second login: %d %s", status, body)
	}
	var list struct {
		Sessions []sessionResponse `json:"sessions"`
	}
	other.do("GET", "/api/sessions", nil, &list)
	for _, s := range list.Sessions {
		if !s.Current {
			if status, _ := other.do("DELETE", "/api/sessions/"+s.ID, nil, nil); status != http.StatusNoContent {
				t.Fatalf("revoke status %d", status)
			}
		}
	}
}

func TestMessageDeliveredToEveryoneAfterCommit(t *testing.T) {
	ts := newTestServer(t, nil)
	ann, bob := ts.loggedIn("ann"), ts.loggedIn("bob")
	sa, sb := ann.dial(), bob.dial()
	sa.say("general", "dinner is ready", "c-1")
	got := sa.ack("c-1")
	if got.User != "ann" || got.Body != "dinner is ready" || got.ID != 1 || got.Room != "general" || got.TS.IsZero() {
		t.Errorf("ack = %+v", got)
	}
	seen := sb.expect(func(f wireFrame) bool { return f.Type == "message" })
	if seen.ID != got.ID || seen.Body != got.Body {
		t.Errorf("bob saw %+v, want %+v", seen, got)
	}
	// Acknowledged means stored.
	msgs, err := ts.store().history("general", historyQuery{Limit: 10})
	if err != nil || len(msgs) != 1 || msgs[0].Body != "dinner is ready" {
		t.Errorf("history = %+v, %v", msgs, err)
	}
}

func TestResendWithClientIDStoresOnce(t *testing.T) {
	ts := newTestServer(t, nil)
	ann := ts.loggedIn("ann")
	s := ann.dial()
	s.say("general", "milk please", "c-42")
	first := s.ack("c-42")
	// The connection drops before the client trusts the ack; it resends
	// on a new socket.
	s.ws.Close()
	s2 := ann.dial()
	s2.say("general", "milk please", "c-42")
	again := s2.ack("c-42")
	if again.ID != first.ID {
		t.Errorf("resend got id %d, want the stored %d", again.ID, first.ID)
	}
	msgs, _ := ts.store().history("general", historyQuery{Limit: 10})
	if len(msgs) != 1 {
		t.Errorf("stored %d messages, want 1", len(msgs))
	}
}

func TestRestartKeepsSessionsHistoryAndIDs(t *testing.T) {
	ts := newTestServer(t, nil)
	ann := ts.loggedIn("ann")
	s := ann.dial()
	for i := 1; i <= 3; i++ {
		s.say("general", fmt.Sprint("before restart ", i), fmt.Sprint("c-", i))
		s.ack(fmt.Sprint("c-", i))
	}

	ts.restart()

	// The old cookie still opens the socket: keys and sessions are on disk.
	if status, body := ann.do("GET", "/api/me", nil, nil); status != http.StatusOK {
		t.Fatalf("/api/me after restart: %d %s", status, body)
	}
	s2 := ann.dial()
	var page struct{ Messages []message }
	if status, _ := ann.do("GET", "/api/rooms/general/messages", nil, &page); status != 200 || len(page.Messages) != 3 {
		t.Fatalf("history after restart: status %d, %d messages, want 3", status, len(page.Messages))
	}
	s2.say("general", "after restart", "c-4")
	if got := s2.ack("c-4"); got.ID != 4 {
		t.Errorf("first id after restart = %d, want 4", got.ID)
	}
	// And client_id dedup survives too.
	s2.say("general", "before restart 2", "c-2")
	if got := s2.ack("c-2"); got.ID != 2 {
		t.Errorf("resend of c-2 after restart got id %d, want 2", got.ID)
	}
}

func TestPresenceJoinedBackLeft(t *testing.T) {
	ts := newTestServer(t, nil)
	ann, bob := ts.loggedIn("ann"), ts.loggedIn("bob")
	sa := ann.dial()
	isPresence := func(user, event string) func(wireFrame) bool {
		return func(f wireFrame) bool {
			return f.Type == "presence" && f.User == user && f.Event == event && f.Room == "general"
		}
	}
	sb := bob.dial()
	if f := sa.expect(isPresence("bob", "joined")); fmt.Sprint(f.Online) != "[ann bob]" {
		t.Errorf("online = %v, want [ann bob]", f.Online)
	}
	// A second device of bob's is not news.
	sb2 := bob.dial()
	sb2.ws.Close()
	sb.ws.Close()
	if f := sa.expect(isPresence("bob", "left")); fmt.Sprint(f.Online) != "[ann]" {
		t.Errorf("online after left = %v, want [ann]", f.Online)
	}
	// Returning: "bob is back", not joined.
	bob.dial()
	f := sa.expect(func(f wireFrame) bool { return f.Type == "presence" && f.User == "bob" })
	if f.Event != "back" {
		t.Errorf("returning user event = %q, want back", f.Event)
	}
}

// A logout is not a reload: "left" comes at once, not after the grace,
// unless another device of the user is still connected.
func TestLogoutAnnouncesLeftAtOnce(t *testing.T) {
	ts := newTestServer(t, func(c *config) { c.PresenceGrace = time.Hour })
	ann, bob := ts.loggedIn("ann"), ts.loggedIn("bob")
	sa := ann.dial()
	bob.dial()
	sa.expect(func(f wireFrame) bool { return f.Type == "presence" && f.User == "bob" && f.Event == "joined" })

	// bob on a second device logs out: he is still on the first.
	phone := ts.newClient()
	phone.do("POST", "/api/login", map[string]string{"username": "bob", "password": "password-bob"}, nil)
	phone.dial()
	if status, _ := phone.do("POST", "/api/logout", nil, nil); status != http.StatusNoContent {
		t.Fatalf("logout: %d", status)
	}
	sa.say("general", "marker", "c-m")
	if f := sa.expect(func(f wireFrame) bool { return f.Type == "presence" || f.ClientID == "c-m" }); f.Type == "presence" {
		t.Fatalf("logging out one of two devices was announced: %+v", f)
	}

	if status, _ := bob.do("POST", "/api/logout", nil, nil); status != http.StatusNoContent {
		t.Fatalf("logout: %d", status)
	}
	if f := sa.expect(func(f wireFrame) bool { return f.Type == "presence" && f.User == "bob" }); f.Event != "left" || fmt.Sprint(f.Online) != "[ann]" {
		t.Errorf("after bob's logout: %+v, want left with [ann] online (the grace is an hour)", f)
	}
}

func TestSecondDeviceIsNotAnnounced(t *testing.T) {
	ts := newTestServer(t, nil)
	ann, bob := ts.loggedIn("ann"), ts.loggedIn("bob")
	sa := ann.dial()
	bob.dial()
	sa.expect(func(f wireFrame) bool { return f.Type == "presence" && f.User == "bob" })
	bob.dial() // same user, second socket
	sa.say("general", "marker", "c-m")
	// The next frame after the second socket is the marker, not a presence.
	f := sa.expect(func(f wireFrame) bool { return f.Type == "presence" || f.ClientID == "c-m" })
	if f.Type == "presence" {
		t.Errorf("second device announced: %+v", f)
	}
}

func TestLogoutClosesItsSocketsWithinASecond(t *testing.T) {
	ts := newTestServer(t, nil)
	ann := ts.loggedIn("ann")
	s1, s2 := ann.dial(), ann.dial()
	// Another session of ann's stays open.
	other := ts.newClient()
	other.do("POST", "/api/login", map[string]string{"username": "ann", "password": "password-ann"}, nil)
	s3 := other.dial()

	if status, _ := ann.do("POST", "/api/logout", nil, nil); status != http.StatusNoContent {
		t.Fatalf("logout status %d", status)
	}
	for _, s := range []*socket{s1, s2} {
		if code := s.closed(time.Second); code != closeSessionEnded {
			t.Errorf("close code = %d, want %d", code, closeSessionEnded)
		}
	}
	s3.say("general", "still here", "c-1")
	s3.ack("c-1")
	if status, _ := ann.do("GET", "/api/me", nil, nil); status != http.StatusUnauthorized {
		t.Errorf("/api/me after logout = %d, want 401", status)
	}
}

func TestRevokeClosesThatDevicesSockets(t *testing.T) {
	ts := newTestServer(t, nil)
	phone := ts.loggedIn("ann")
	ps := phone.dial()
	revokeAll(t, ts, "ann")
	if code := ps.closed(time.Second); code != closeSessionEnded {
		t.Errorf("close code = %d, want %d", code, closeSessionEnded)
	}
}

// The reaper on the session manager, the store and the hub, wired as
// newApp wires them, in a synctest bubble: sockets are fakeConns, and time
// is fake, so a session expires exactly at its expiry and each sweep comes
// exactly every interval. TestSocketWhoseSessionVanishedIsClosedByTheReaper
// is the same wiring over a real socket.
func TestReaperDeletesExpiredAndExtendsSessionsInUse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval, lifetime = time.Minute, time.Hour
		st := newTestStore(t)
		sm, err := newSessionManager(st, lifetime)
		if err != nil {
			t.Fatal(err)
		}
		h := newHub(nil, 16, 64, time.Hour, 0)
		ctx, cancel := context.WithCancel(context.Background())
		go h.run(ctx)
		reaped := make(chan struct{})
		var mu sync.Mutex
		var ended []string // every key the reaper reported ended, guarded by mu
		endedKeys := func() string { mu.Lock(); defer mu.Unlock(); return fmt.Sprint(ended) }
		go func() {
			defer close(reaped)
			sm.reap(ctx, interval, h.sessionKeys, func(keys []string) {
				mu.Lock()
				ended = append(ended, keys...)
				mu.Unlock()
				if len(keys) > 0 {
					h.closeSessions(keys...)
				}
			})
		}()
		defer func() { cancel(); <-reaped; <-h.done }()

		login := func(name string) session {
			t.Helper()
			s, _, err := sm.create(httptest.NewRecorder(), httptest.NewRequest("POST", "/api/login", nil), name)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		stored := func(s session) (session, bool) {
			t.Helper()
			got, err := st.getSession(s.Key)
			if errors.Is(err, errSessionNotFound) {
				return got, false
			} else if err != nil {
				t.Fatal(err)
			}
			return got, true
		}
		idle := login("idle") // no socket
		busy := login("busy") // a socket open all along: in use
		gone := login("gone") // a socket whose session is deleted behind the hub's back
		busyConn, goneConn := fakeConn("busy", busy.Key), fakeConn("gone", gone.Key)
		h.join(busyConn)
		h.join(goneConn)
		if err := st.deleteSession(gone.Key); err != nil {
			t.Fatal(err)
		}

		// The first sweep closes the socket whose session vanished.
		time.Sleep(interval)
		synctest.Wait()
		if code := closedWith(goneConn); code != closeSessionEnded {
			t.Errorf("after the first sweep, the vanished session's socket: close %d, want %d", code, closeSessionEnded)
		}
		if got := endedKeys(); got != fmt.Sprint([]string{gone.Key}) {
			t.Errorf("ended after the first sweep = %v, want the vanished session's key", got)
		}

		// The last sweep before idle's expiry leaves it; the first after
		// deletes it. busy, in use, is extended at every sweep.
		time.Sleep(time.Until(idle.Expires) - time.Nanosecond)
		synctest.Wait()
		if _, ok := stored(idle); !ok {
			t.Fatal("the idle session was deleted before it expired")
		}
		time.Sleep(interval)
		synctest.Wait()
		if _, ok := stored(idle); ok {
			t.Error("the expired session is still stored a sweep after its expiry")
		}
		if got := endedKeys(); got != fmt.Sprint([]string{gone.Key, idle.Key}) {
			t.Errorf("ended = %v, want the vanished then the expired session's key", got)
		}
		if s, ok := stored(busy); !ok || s.Expires.Before(time.Now().Add(lifetime-interval)) {
			t.Errorf("the session in use: stored %v, expires %v; want it extended by the last sweep, to %v or later", ok, s.Expires, time.Now().Add(lifetime-interval))
		}
		if code := closedWith(busyConn); code != 0 {
			t.Errorf("the socket of the session in use was closed with %d", code)
		}
	})
}

func TestExpiredSessionsSocketsAreClosed(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.loggedIn("ann")
	s := c.dial()
	list, _ := ts.store().listSessions("ann")
	// What the reaper does for a session it finds expired.
	keys, err := ts.store().deleteExpiredSessions(list[0].Expires.Add(time.Second))
	if err != nil || len(keys) != 1 {
		t.Fatalf("deleteExpiredSessions = %v, %v", keys, err)
	}
	ts.app.hub.closeSessions(keys...)
	if code := s.closed(time.Second); code != closeSessionEnded {
		t.Errorf("close code = %d, want %d", code, closeSessionEnded)
	}
}

func TestBadFramesGetErrorsAndKeepTheConnection(t *testing.T) {
	ts := newTestServer(t, func(c *config) { c.MaxBody = 100 })
	s := ts.loggedIn("ann").dial()
	tests := []struct {
		name  string
		raw   string
		code  string
		cid   string
		fixup func()
	}{
		{name: "empty body", raw: `{"type":"send","room":"general","body":"","client_id":"c-1"}`, code: "empty", cid: "c-1"},
		{name: "blank body", raw: `{"type":"send","room":"general","body":" \n\t ","client_id":"c-2"}`, code: "empty", cid: "c-2"},
		{name: "too long", raw: `{"type":"send","room":"general","body":"` + strings.Repeat("x", 101) + `","client_id":"c-3"}`, code: "too_long", cid: "c-3"},
		{name: "malformed JSON", raw: `{"type":"send",`, code: "bad_json"},
		{name: "not an object", raw: `[1,2,3]`, code: "bad_json"},
		{name: "unknown type", raw: `{"type":"shout","client_id":"c-4"}`, code: "unknown_type", cid: "c-4"},
		{name: "unknown room", raw: `{"type":"send","room":"attic","body":"hi","client_id":"c-5"}`, code: "unknown_room", cid: "c-5"},
		{name: "invalid room name", raw: `{"type":"send","room":"../etc","body":"hi","client_id":"c-6"}`, code: "unknown_room", cid: "c-6"},
		{name: "long client id", raw: `{"type":"send","room":"general","body":"hi","client_id":"` + strings.Repeat("c", 65) + `"}`, code: "bad_client_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.ws.WriteMessage(websocket.TextMessage, []byte(tc.raw)); err != nil {
				t.Fatal(err)
			}
			f := s.expect(func(f wireFrame) bool { return f.Type == "error" })
			if f.Code != tc.code || f.ClientID != tc.cid || f.Message == "" {
				t.Errorf("error frame = %+v, want code %q client_id %q", f, tc.code, tc.cid)
			}
		})
	}
	// Binary frames are refused too.
	s.ws.WriteMessage(websocket.BinaryMessage, []byte("hi"))
	if f := s.expect(func(f wireFrame) bool { return f.Type == "error" }); f.Code != "bad_frame" {
		t.Errorf("binary frame: %+v", f)
	}
	// The connection still works and nothing was stored.
	s.say("general", strings.Repeat("y", 100), "c-ok")
	if got := s.ack("c-ok"); got.ID != 1 {
		t.Errorf("first stored id = %d, want 1 (refused frames stored nothing)", got.ID)
	}
}

func TestOversizedFrameClosesWith1009(t *testing.T) {
	ts := newTestServer(t, func(c *config) { c.MaxBody = 100 })
	s := ts.loggedIn("ann").dial()
	big := `{"type":"send","room":"general","body":"` + strings.Repeat("x", int(maxFrameSize(100))) + `"}`
	if err := s.ws.WriteMessage(websocket.TextMessage, []byte(big)); err != nil {
		t.Fatal(err)
	}
	if code := s.closed(2 * time.Second); code != websocket.CloseMessageTooBig {
		t.Errorf("close code = %d, want 1009", code)
	}
	// The server keeps serving others.
	other := ts.loggedIn("bob").dial()
	other.say("general", "fine", "c-1")
	other.ack("c-1")
}

// In a synctest bubble over in-memory pipes, so the burst takes no time
// and the refill comes exactly when the rate says.
func TestMessageRateLimitBurstThenRefill(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// 5 at once, then one every 100 ms.
		ts := newPipeServer(t, func(c *config) { c.MsgBurst = 5; c.MsgRate = 10 })
		s := ts.loggedIn("ann").dial()
		for i := range 6 {
			s.say("general", "spam", fmt.Sprint("c-", i))
		}
		accepted, limited := 0, 0
		for accepted+limited < 6 {
			f := s.expect(func(f wireFrame) bool { return f.Type == "message" || f.Type == "error" })
			if f.Type == "message" {
				accepted++
			} else if f.Code == "rate_limited" {
				limited++
				if f.ClientID != "c-5" {
					t.Errorf("limited %s, want the sixth (c-5)", f.ClientID)
				}
			} else {
				t.Fatalf("unexpected error %+v", f)
			}
		}
		if accepted != 5 || limited != 1 {
			t.Fatalf("accepted %d, limited %d; want 5 and 1 (burst 5)", accepted, limited)
		}
		// The bucket refills one message every 100 ms: not sooner. (Not
		// 1 ns sooner either, but x/time/rate rounds waits down to whole
		// nanoseconds.)
		send := func(cid string) wireFrame {
			s.say("general", "later", cid)
			return s.expect(func(f wireFrame) bool { return f.ClientID == cid })
		}
		time.Sleep(99 * time.Millisecond)
		if f := send("c-early"); f.Type != "error" || f.Code != "rate_limited" {
			t.Errorf("a send 1 ms before the refill: %+v, want rate_limited", f)
		}
		time.Sleep(time.Millisecond)
		if f := send("c-later"); f.Type != "message" {
			t.Errorf("a send once the bucket refilled: %+v, want it stored", f)
		}
		msgs, _ := ts.store().history("general", historyQuery{Limit: 50})
		if len(msgs) != 6 {
			t.Errorf("stored %d, want 6 (5 of the burst and the later one)", len(msgs))
		}
	})
}

func TestSlowReaderIsDroppedNotWaitedFor(t *testing.T) {
	const bodySize = 60000
	ts := newTestServer(t, func(c *config) { c.MsgBurst = 100000; c.MsgRate = 100000; c.MaxBody = bodySize })
	ann, bob, cy := ts.loggedIn("ann"), ts.loggedIn("bob"), ts.loggedIn("cy")
	stalled := bob.dial() // never reads until the end
	sa := ann.dial()
	// cy reads normally all along and must get every message.
	healthy := cy.dial()
	cyGot := make(chan int, 1)
	go func() {
		n := 0
		for {
			// Raw reads: decoding 60 KB frames under -race is slow.
			healthy.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, data, err := healthy.ws.ReadMessage()
			if err != nil {
				cyGot <- -1
				return
			}
			if bytes.HasPrefix(data, []byte(`{"type":"message"`)) {
				if n++; n == 2*sendQueueSize+300 {
					cyGot <- n
					return
				}
			}
		}
	}()
	// Big bodies fill the stalled socket's TCP buffers (a few MB on
	// loopback), then its queue, bounded at maxQueuedBytes (48 MB are
	// sent). ann's acknowledgements keep coming all the while.
	body := strings.Repeat("z", bodySize)
	const total = 2*sendQueueSize + 300
	const inFlight = 8
	for i := range total + inFlight {
		if i < total {
			sa.say("general", body, fmt.Sprint("c-", i))
		}
		if i >= inFlight {
			sa.ack(fmt.Sprint("c-", i-inFlight))
		}
	}
	// The stalled socket got what fitted, then was cut off: it reads the
	// frames buffered for it and then finds the connection closed.
	code := stalled.closed(10 * time.Second)
	if code != websocket.ClosePolicyViolation && code != websocket.CloseAbnormalClosure {
		t.Errorf("stalled reader close code = %d, want 1008 or 1006", code)
	}
	if n := <-cyGot; n != total {
		t.Errorf("the healthy reader got %d messages, want all %d", n, total)
	}
}

func TestSessionKeyIsAHashOfTheCookieID(t *testing.T) {
	// A stolen database must not hold usable cookie ids.
	id := make([]byte, 32)
	sum := sha256.Sum256(id)
	if sessionKey(id) != hex.EncodeToString(sum[:]) {
		t.Fatal("session key is not sha256(id)")
	}
}

// Shutdown leaves no goroutine behind: every goroutine alive once the
// server and its clients are gone was alive before the server started.
// Goroutines are compared by id, not counted, so others ending meanwhile
// (left by earlier tests) cannot hide a leak.
func TestShutdownLeavesNoGoroutines(t *testing.T) {
	before := goroutines()
	ts := newTestServer(t, nil)
	var clients []*client
	for _, name := range []string{"ann", "bob", "cy"} {
		c := ts.loggedIn(name)
		clients = append(clients, c)
		s := c.dial()
		s.say("general", "hi from "+name, "c-1")
		s.ack("c-1")
	}
	ts.stop()
	for _, c := range clients {
		c.http.CloseIdleConnections()
	}
	// Closed sockets and connections take a moment to wind down.
	var leaked []string
	deadline := time.Now().Add(10 * time.Second)
	for {
		leaked = leaked[:0]
		for id, stack := range goroutines() {
			if _, ok := before[id]; !ok {
				leaked = append(leaked, stack)
			}
		}
		if len(leaked) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(leaked) > 0 {
		t.Fatalf("%d goroutines started since the server did are still running 10 s after shutdown:\n\n%s", len(leaked), strings.Join(leaked, "\n\n"))
	}
}

// goroutines returns the stack of every goroutine, by goroutine id.
func goroutines() map[string]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	stacks := make(map[string]string)
	for _, g := range strings.Split(string(buf), "\n\n") {
		// "goroutine 42 [chan receive]:\n..."
		if id, _, ok := strings.Cut(strings.TrimPrefix(g, "goroutine "), " "); ok {
			stacks[id] = g
		}
	}
	return stacks
}

func TestSocketFloodsAreCappedPerUserAndAddress(t *testing.T) {
	ts := newTestServer(t, func(c *config) { c.MaxConnsPerUser = 3; c.MaxConnsPerAddr = 5 })
	ann := ts.loggedIn("ann")
	var anns []*socket
	for range 3 {
		anns = append(anns, ann.dial())
	}
	refused := func(c *client, want string) {
		t.Helper()
		h := http.Header{"Cookie": {c.cookieHeader()}, "Origin": {ts.URL}}
		ws, _, err := dialWS(ts, h)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer ws.Close()
		s := &socket{t: t, ws: ws}
		s.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _, err = ws.ReadMessage()
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation || !strings.Contains(ce.Text, want) {
			t.Fatalf("excess socket got %v, want close 1008 saying %q", err, want)
		}
	}
	refused(ann, "too many connections for ann (limit 3)")

	// Others from the same address fill it up to 5 sockets, then are
	// refused too; everyone admitted keeps working.
	bob := ts.loggedIn("bob")
	bob.dial()
	bob.dial()
	refused(bob, "too many connections from 127.0.0.1 (limit 5)")
	anns[0].say("general", "still fine", "c-1")
	anns[0].ack("c-1")

	// Closing one frees its place.
	anns[2].ws.Close()
	eventually(t, 2*time.Second, "a freed place", func() bool {
		h := http.Header{"Cookie": {bob.cookieHeader()}, "Origin": {ts.URL}}
		ws, _, err := dialWS(ts, h)
		if err != nil {
			return false
		}
		defer ws.Close()
		ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		var f wireFrame
		return ws.ReadJSON(&f) == nil && f.Type == "hello"
	})
}

func TestPresenceWithManyRoomsTakesOneQueueSlot(t *testing.T) {
	ts := newTestServer(t, nil)
	for i := range 400 {
		if err := ts.store().createRoom(room{Name: fmt.Sprintf("room-%03d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	ts.restart() // the hub loads the rooms at start
	ann, bob := ts.loggedIn("ann"), ts.loggedIn("bob")
	sa := ann.dial()
	// ann reads as any client does, while bob comes and goes: each time,
	// 400 presence frames head her way.
	got := make(chan error, 1)
	go func() {
		for {
			f, err := sa.next()
			if err != nil {
				got <- err
				return
			}
			if f.Type == "message" && f.ClientID == "c-1" {
				got <- nil
				return
			}
		}
	}()
	for range 40 {
		sb := bob.dial()
		sb.ws.Close()
	}
	other := ts.loggedIn("cy").dial()
	other.say("general", "are you there?", "c-1")
	other.ack("c-1")
	if err := <-got; err != nil {
		t.Fatalf("ann was dropped: %v", err)
	}
}

func TestReloginClosesTheReplacedSessionsSockets(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.loggedIn("ann")
	old := c.dial()
	if status, _ := c.do("POST", "/api/login", map[string]string{"username": "ann", "password": "password-ann"}, nil); status != 200 {
		t.Fatal("re-login failed")
	}
	if code := old.closed(time.Second); code != closeSessionEnded {
		t.Errorf("socket of the replaced session: close %d, want %d", code, closeSessionEnded)
	}
}

func TestSocketWhoseSessionVanishedIsClosedByTheReaper(t *testing.T) {
	ts := newTestServer(t, func(c *config) { c.ReapInterval = 20 * time.Millisecond })
	c := ts.loggedIn("ann")
	s := c.dial()
	list, _ := ts.store().listSessions("ann")
	// Deleted behind the hub's back, as when a logout races the handshake.
	if err := ts.store().deleteSession(list[0].Key); err != nil {
		t.Fatal(err)
	}
	if code := s.closed(2 * time.Second); code != closeSessionEnded {
		t.Errorf("close %d, want %d", code, closeSessionEnded)
	}
}

func TestRefusedSocketStoresNothing(t *testing.T) {
	ts := newTestServer(t, func(c *config) { c.MaxConnsPerUser = 1 })
	c := ts.loggedIn("ann")
	c.dial()
	h := http.Header{"Cookie": {c.cookieHeader()}, "Origin": {ts.URL}}
	ws, _, err := dialWS(ts, h)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	for i := range 5 {
		ws.WriteJSON(clientFrame{Type: "send", Room: "general", Body: "sneaky", ClientID: fmt.Sprint("c-", i)})
	}
	s := &socket{t: t, ws: ws}
	if code := s.closed(2 * time.Second); code != websocket.ClosePolicyViolation {
		t.Errorf("close %d, want 1008", code)
	}
	if msgs, _ := ts.store().history("general", historyQuery{Limit: 10}); len(msgs) != 0 {
		t.Errorf("a refused socket stored %d messages", len(msgs))
	}
}

func TestFramesOfEveryLengthEncodingArrive(t *testing.T) {
	// 7-bit, 16-bit and 64-bit payload lengths (RFC 6455 5.2), each read
	// back by gorilla's client.
	ts := newTestServer(t, func(c *config) { c.MaxBody = 100_000 })
	s := ts.loggedIn("ann").dial()
	for i, n := range []int{1, 30, 125, 126, 65_000, 65_535, 65_536, 70_000} {
		body := strings.Repeat("é", n/2) + strings.Repeat("x", n%2)
		cid := fmt.Sprint("c-", i)
		s.say("general", body, cid)
		if got := s.ack(cid); got.Body != body {
			t.Errorf("body of %d bytes came back as %d bytes", len(body), len(got.Body))
		}
	}
	for _, tc := range []struct {
		n      int
		header []byte
	}{
		{0, []byte{0x81, 0}},
		{125, []byte{0x81, 125}},
		{126, []byte{0x81, 126, 0, 126}},
		{65535, []byte{0x81, 126, 0xff, 0xff}},
		{65536, []byte{0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
	} {
		f := textFrame(make([]byte, tc.n))
		if !bytes.Equal(f[:len(tc.header)], tc.header) || len(f) != len(tc.header)+tc.n {
			t.Errorf("textFrame(%d bytes) header % x, length %d", tc.n, f[:len(tc.header)], len(f))
		}
	}
}

// The pings and their deadline, in a synctest bubble over in-memory pipes:
// time is fake, so a pong takes no time at all and the hub's ping period,
// the reader's pongWait and the peers' answers line up exactly, however
// slow the machine.
func TestPingsKeepSocketsAliveAndSilentPeersAreClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now() // the hub's ticker starts now: pings at start + k·period
		ts := newPipeServer(t, nil)
		period := ts.cfg.PingPeriod
		pongWait := period * 10 / 9 // as readPump has it
		ann, bob := ts.loggedIn("ann").dial(), ts.loggedIn("bob").dial()
		opened := time.Now()

		// ann answers every ping (gorilla's default handler, counted).
		var pings atomic.Int64
		ann.ws.SetPingHandler(func(data string) error {
			pings.Add(1)
			return ann.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		})
		// bob reads (which runs the ping handler) but never answers.
		bob.ws.SetPingHandler(func(string) error { return nil })
		readUntilClosed := func(s *socket) <-chan time.Time {
			closedAt := make(chan time.Time, 1)
			s.ws.SetReadDeadline(time.Time{})
			go func() {
				for {
					if _, _, err := s.ws.ReadMessage(); err != nil {
						closedAt <- time.Now()
						return
					}
				}
			}()
			return closedAt
		}
		annClosed, bobClosed := readUntilClosed(ann), readUntilClosed(bob)

		// Ten ping periods and a half: ten pings, each answered at once.
		time.Sleep(time.Until(start.Add(10*period + period/2)))
		synctest.Wait()
		if n := pings.Load(); n != 10 {
			t.Errorf("ann answered %d pings in ten periods, want 10", n)
		}
		select {
		case at := <-annClosed:
			t.Fatalf("the answering peer was closed after %v", at.Sub(opened))
		default:
		}
		// bob was given up on: not before a ping could have been answered,
		// and no later than pongWait after he last spoke (at the handshake).
		select {
		case at := <-bobClosed:
			if waited := at.Sub(opened); waited <= period || waited > pongWait {
				t.Errorf("the silent peer was closed %v after it connected, want after the first ping (%v) and by pongWait (%v)", waited, period, pongWait)
			}
		default:
			t.Fatal("the silent peer is still open after ten ping periods")
		}
	})
}

// Over a real socket, without timing it: a peer that never answers pings
// is closed in the end (see the test above for when).
func TestSilentPeerIsClosedOnARealSocket(t *testing.T) {
	ts := newTestServer(t, func(c *config) { c.PingPeriod = 50 * time.Millisecond })
	silent := ts.loggedIn("bob").dial()
	silent.ws.SetPingHandler(func(string) error { return nil })
	if code := silent.closed(10 * time.Second); code != websocket.CloseAbnormalClosure && code != websocket.CloseNormalClosure {
		t.Errorf("silent peer closed with %d, want the connection closed", code)
	}
}

func TestQuickReconnectIsNotAnnounced(t *testing.T) {
	// A grace no reload outlasts: when "left" is due is the next test's.
	ts := newTestServer(t, func(c *config) { c.PresenceGrace = time.Hour })
	ann, bob := ts.loggedIn("ann"), ts.loggedIn("bob")
	sa := ann.dial()
	sb := bob.dial()
	sa.expect(func(f wireFrame) bool { return f.Type == "presence" && f.User == "bob" && f.Event == "joined" })
	// bob reloads the page: gone and back within the grace.
	sb.ws.Close()
	bob.dial()
	sa.say("general", "marker", "c-m")
	if f := sa.expect(func(f wireFrame) bool { return f.Type == "presence" || f.ClientID == "c-m" }); f.Type == "presence" {
		t.Fatalf("a reload was announced: %+v", f)
	}
}

// The presence grace, on the hub alone in a synctest bubble: "left" comes
// exactly when the grace runs out, not a moment before; a return within it
// is never announced; and leaving again starts a new grace.
func TestPresenceGraceDelaysLeft(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const grace = 5 * time.Second
		h := newHub([]room{{Name: "general"}}, 16, 64, time.Hour, grace)
		ctx, cancel := context.WithCancel(context.Background())
		go h.run(ctx)
		defer func() { cancel(); <-h.done }()
		join := func(user string) *conn {
			t.Helper()
			c := fakeConn(user, "key-"+user)
			if refusal := h.join(c); refusal != "" {
				t.Fatalf("join %s: %s", user, refusal)
			}
			return c
		}
		// presence returns the presence frames ann was sent since last asked.
		ann := join("ann")
		presence := func() []wireFrame {
			t.Helper()
			synctest.Wait() // the hub and its timers have done what they can
			var got []wireFrame
			for _, f := range queued(t, ann) {
				if f.Type == "presence" {
					got = append(got, f)
				}
			}
			return got
		}
		presence() // her own arrival
		bob := join("bob")
		if got := presence(); len(got) != 1 || got[0].User != "bob" || got[0].Event != "back" {
			t.Fatalf("bob's arrival: %+v, want bob back", got)
		}

		h.leave(bob) // bob's only socket closes
		time.Sleep(grace - time.Nanosecond)
		if got := presence(); len(got) != 0 {
			t.Fatalf("announced before the grace ran out: %+v", got)
		}
		// Still in the grace, bob is shown online to newcomers.
		if cy := join("cy"); !slices.Contains(queued(t, cy)[0].Online, "bob") {
			t.Error("bob not shown online during his grace")
		}
		presence() // cy's arrival
		time.Sleep(time.Nanosecond)
		if got := presence(); len(got) != 1 || got[0].User != "bob" || got[0].Event != "left" || fmt.Sprint(got[0].Online) != "[ann cy]" {
			t.Fatalf("when the grace ran out: %+v, want bob left with [ann cy] online", got)
		}

		// A reload: back within the grace, never announced, even when the
		// first grace's timer fires.
		bob = join("bob")
		presence() // back
		h.leave(bob)
		time.Sleep(grace / 2)
		bob = join("bob")
		time.Sleep(grace)
		if got := presence(); len(got) != 0 {
			t.Fatalf("a reload within the grace was announced: %+v", got)
		}
		// Leaving again restarts the grace: the earlier leave's timer, due
		// first, announces nothing.
		h.leave(bob)
		time.Sleep(grace / 2)
		bob = join("bob")
		h.leave(bob)
		time.Sleep(grace/2 + time.Nanosecond) // the first leave's grace is over
		if got := presence(); len(got) != 0 {
			t.Fatalf("announced at the end of an earlier grace: %+v", got)
		}
		time.Sleep(grace / 2)
		if got := presence(); len(got) != 1 || got[0].Event != "left" {
			t.Fatalf("at the end of the last grace: %+v, want left", got)
		}
	})
}
