// conn_test.go tests the socket itself: the handshake matrix, bad and
// oversized frames, the per-user rate limit, frame lengths, pings and
// silent peers, and the caps on sockets per account and address.

package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
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

// A ping to an idle socket starts a writer that writes it and exits at
// once: no timer of writerLinger per socket and ping, so an idle server
// sleeps between pings. Data still makes the writer linger.
func TestWriterDoesNotLingerAfterAPing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := newPipeServer(t, nil)
		period := ts.cfg.PingPeriod
		ann := ts.loggedIn("ann").dial()
		ann.ws.SetReadDeadline(time.Time{})
		go func() {
			for {
				if _, _, err := ann.ws.ReadMessage(); err != nil { // answers pings as it reads
					return
				}
			}
		}()
		writing := func() (on bool) {
			ts.app.hub.do(func() {
				for c := range ts.app.hub.conns {
					c.q.mu.Lock()
					on = c.q.writing
					c.q.mu.Unlock()
				}
			})
			return on
		}
		time.Sleep(period + time.Millisecond) // the first ping is written
		synctest.Wait()
		if writing() {
			t.Error("a writer lingers after writing a ping")
		}
		// A message keeps its writer for writerLinger, ready for the next.
		ann.say("general", "hello", "c-1")
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if !writing() {
			t.Error("no writer lingers after a message")
		}
		time.Sleep(writerLinger)
		synctest.Wait()
		if writing() {
			t.Error("a writer lingers past writerLinger")
		}
	})
}
