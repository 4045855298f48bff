// session_test.go tests the session manager directly.

package main

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
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
