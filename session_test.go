// session_test.go tests the session manager directly.

package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestTouchNeverResurrectsADeletedSession(t *testing.T) {
	st := newTestStore(t)
	sm, err := newSessionManager(st, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/api/me", nil)
	s, _, err := sm.create(httptest.NewRecorder(), req, "ann")
	if err != nil {
		t.Fatal(err)
	}
	s.LastSeen = time.Now().Add(-time.Hour) // due for a touch
	// A logout deletes it while this request still holds the old record.
	if err := st.deleteSession(s.Key); err != nil {
		t.Fatal(err)
	}
	sm.touch(httptest.NewRecorder(), req, &s)
	if _, err := st.getSession(s.Key); !errors.Is(err, errSessionNotFound) {
		t.Fatalf("touch wrote a logged-out session back: %v", err)
	}
}

// A refreshed cookie must leave the previous value working: parallel
// requests, a second tab racing the refresh, or a tool that ignores
// Set-Cookie all still carry it.
func TestPreviousCookieValueWorksAfterARefresh(t *testing.T) {
	ts := newTestServer(t, func(c *config) { c.SessionLifetime = time.Hour })
	c := ts.loggedIn("ann")
	old := c.cookieHeader()
	get := func() *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", ts.URL+"/api/me", nil)
		req.Header.Set("Cookie", old)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := get(); resp.StatusCode != 200 { // the decoded value is now remembered
		t.Fatalf("/api/me = %d", resp.StatusCode)
	}
	list, _ := ts.store().listSessions("ann")
	s := list[0]
	s.LastSeen = time.Now().Add(-2 * touchInterval) // due for a refresh
	ts.store().putSession(s)

	resp := get()
	refreshed := false
	for _, ck := range resp.Cookies() {
		refreshed = refreshed || ck.Name == sessionCookie
	}
	if resp.StatusCode != 200 || !refreshed {
		t.Fatalf("refreshing request: status %d, cookie re-sent %v", resp.StatusCode, refreshed)
	}
	for i := range 2 {
		if resp := get(); resp.StatusCode != 200 {
			t.Fatalf("request %d with the previous cookie value after a refresh = %d, want 200", i+1, resp.StatusCode)
		}
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

func TestSessionKeyIsAHashOfTheCookieID(t *testing.T) {
	// A stolen database must not hold usable cookie ids.
	id := make([]byte, 32)
	sum := sha256.Sum256(id)
	if sessionKey(id) != hex.EncodeToString(sum[:]) {
		t.Fatal("session key is not sha256(id)")
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
