// admin_test.go tests the admin console's API: disabling people and making
// admins, password reset links, sessions, archiving and deleting rooms,
// server facts and the audit log.

package main

import (
	"fmt"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func adminClient(t *testing.T, ts *testServer) *client {
	t.Helper()
	ts.addUser("mum", "password-mum", true)
	c := ts.newClient()
	if status, _ := c.do("POST", "/api/login", map[string]string{"username": "mum", "password": "password-mum"}, nil); status != 200 {
		t.Fatal("admin login failed")
	}
	return c
}

func TestAdminDisablesAndEnablesPeople(t *testing.T) {
	ts := newTestServer(t, nil)
	admin := adminClient(t, ts)
	kid := ts.loggedIn("kid")
	sk := kid.dial()

	if status, _ := kid.do("PUT", "/api/admin/users/mum", map[string]bool{"disabled": true}, nil); status != http.StatusForbidden {
		t.Errorf("non-admin disabling: %d", status)
	}
	if status, _ := admin.do("PUT", "/api/admin/users/mum", map[string]bool{"admin": true, "disabled": true}, nil); status != http.StatusBadRequest {
		t.Errorf("admin disabling themself: %d", status)
	}
	if status, body := admin.do("PUT", "/api/admin/users/kid", map[string]bool{"disabled": true}, nil); status != 200 {
		t.Fatalf("disable: %d %s", status, body)
	}
	if code := sk.closed(time.Second); code != closeSessionEnded {
		t.Errorf("disabled user's socket: close %d", code)
	}
	if status, _ := kid.do("GET", "/api/me", nil, nil); status != http.StatusUnauthorized {
		t.Errorf("disabled user's cookie: %d", status)
	}
	again := ts.newClient()
	if status, body := again.do("POST", "/api/login", map[string]string{"username": "kid", "password": "password-kid"}, nil); status != http.StatusForbidden || !strings.Contains(body, "disabled") {
		t.Errorf("disabled login: %d %s", status, body)
	}
	if status, _ := again.do("POST", "/api/login", map[string]string{"username": "kid", "password": "wrong"}, nil); status != http.StatusUnauthorized {
		t.Errorf("disabled login with a wrong password reveals the account: %d", status)
	}
	admin.do("PUT", "/api/admin/users/kid", map[string]bool{"admin": true}, nil)
	if status, _ := again.do("POST", "/api/login", map[string]string{"username": "kid", "password": "password-kid"}, nil); status != 200 {
		t.Errorf("re-enabled login: %d", status)
	}
	var me meResponse
	again.do("GET", "/api/me", nil, &me)
	if !me.Admin {
		t.Error("kid was made admin but is not")
	}
	var users struct{ Users []adminUser }
	admin.do("GET", "/api/admin/users", nil, &users)
	if len(users.Users) != 2 || users.Users[0].Name != "kid" || !users.Users[0].Admin || users.Users[0].Sessions != 1 {
		t.Errorf("users = %+v", users.Users)
	}
	var log struct{ Entries []auditEntry }
	admin.do("GET", "/api/admin/audit", nil, &log)
	var actions []string
	for _, e := range log.Entries {
		actions = append(actions, e.Action+":"+e.Target)
	}
	if got := fmt.Sprint(actions); got != "[enable user:kid make admin:kid disable user:kid]" {
		t.Errorf("audit log = %s", got)
	}
}

func TestPasswordResetLink(t *testing.T) {
	ts := newTestServer(t, nil)
	admin := adminClient(t, ts)
	kid := ts.loggedIn("kid")
	sk := kid.dial()
	var reset struct{ URL string }
	if status, body := admin.do("POST", "/api/admin/users/kid/reset", nil, &reset); status != http.StatusCreated {
		t.Fatalf("reset link: %d %s", status, body)
	}
	u, _ := url.Parse(reset.URL)
	token := u.Query().Get("token")
	if u.Path != "/reset" || token == "" {
		t.Fatalf("link %q", reset.URL)
	}
	browser := ts.newClient()
	var who struct{ User string }
	if status, _ := browser.do("GET", "/api/reset?token="+url.QueryEscape(token), nil, &who); status != 200 || who.User != "kid" {
		t.Errorf("reset status: %d %+v", status, who)
	}
	if status, _ := browser.do("POST", "/api/reset", map[string]string{"token": token, "password": "short"}, nil); status != http.StatusBadRequest {
		t.Errorf("short password: %d", status)
	}
	if status, body := browser.do("POST", "/api/reset", map[string]string{"token": token, "password": "a brand new one"}, nil); status != 200 {
		t.Fatalf("reset: %d %s", status, body)
	}
	if code := sk.closed(time.Second); code != closeSessionEnded {
		t.Errorf("old session's socket after reset: %d", code)
	}
	if status, _ := browser.do("GET", "/api/me", nil, nil); status != 200 {
		t.Error("the reset did not log in")
	}
	if status, _ := browser.do("POST", "/api/reset", map[string]string{"token": token, "password": "another new one"}, nil); status != http.StatusNotFound {
		t.Errorf("reused link: %d", status)
	}
	if status, _ := ts.newClient().do("POST", "/api/login", map[string]string{"username": "kid", "password": "password-kid"}, nil); status != http.StatusUnauthorized {
		t.Errorf("old password still works: %d", status)
	}
}

func TestAdminSessionsRoomsAndFacts(t *testing.T) {
	ts := newTestServer(t, nil)
	admin := adminClient(t, ts)
	kid := ts.loggedIn("kid")
	sk := kid.dial()

	var list struct{ Sessions []sessionResponse }
	admin.do("GET", "/api/admin/users/kid/sessions", nil, &list)
	if len(list.Sessions) != 1 {
		t.Fatalf("kid's sessions: %+v", list.Sessions)
	}
	if status, _ := admin.do("DELETE", "/api/admin/sessions/"+list.Sessions[0].ID, nil, nil); status != http.StatusNoContent {
		t.Errorf("revoke: %d", status)
	}
	if code := sk.closed(time.Second); code != closeSessionEnded {
		t.Errorf("revoked socket: %d", code)
	}

	kid = ts.newClient()
	kid.do("POST", "/api/login", map[string]string{"username": "kid", "password": "password-kid"}, nil)
	kid.do("POST", "/api/rooms", map[string]any{"name": "homework"}, nil)
	sk = kid.dial()
	sk.say("homework", "maths done", "c-1")
	sk.ack("c-1")
	if status, _ := admin.do("PUT", "/api/admin/rooms/homework", map[string]bool{"archived": true}, nil); status != 200 {
		t.Fatalf("archive: %d", status)
	}
	sk.expect(func(f wireFrame) bool { return f.Type == "room" && f.Room == "homework" })
	sk.say("homework", "more", "c-2")
	if f := sk.expect(func(f wireFrame) bool { return f.ClientID == "c-2" }); f.Type != "error" || f.Code != "archived" {
		t.Errorf("send to an archived room: %+v", f)
	}
	var page struct{ Messages []message }
	if kid.do("GET", "/api/rooms/homework/messages", nil, &page); len(page.Messages) != 1 {
		t.Errorf("archived history: %+v", page.Messages)
	}
	if status, _ := admin.do("DELETE", "/api/admin/rooms/homework", nil, nil); status != http.StatusNoContent {
		t.Fatalf("delete room: %d", status)
	}
	sk.expect(func(f wireFrame) bool { return f.Type == "room_removed" && f.Room == "homework" })
	if status, _ := kid.do("GET", "/api/rooms/homework/messages", nil, nil); status != http.StatusNotFound {
		t.Errorf("deleted room's history: %d", status)
	}
	if status, _ := admin.do("DELETE", "/api/admin/rooms/general", nil, nil); status != http.StatusBadRequest {
		t.Errorf("deleting general: %d", status)
	}
	ts.restart()
	if _, ok := ts.store().room("homework"); ok {
		t.Error("the deleted room is back after a restart")
	}

	var facts map[string]any
	if status, _ := admin.do("GET", "/api/admin/facts", nil, &facts); status != 200 {
		t.Fatal("facts")
	}
	for _, k := range []string{"version", "uptime_seconds", "database_bytes", "connections", "online", "users", "rooms"} {
		if _, ok := facts[k]; !ok {
			t.Errorf("facts lack %s: %v", k, facts)
		}
	}
}

func TestRetention(t *testing.T) {
	ts := newTestServer(t, nil)
	admin := adminClient(t, ts)
	for _, name := range []string{"chatter", "daily"} {
		admin.do("POST", "/api/rooms", map[string]string{"name": name}, nil)
	}
	st := ts.store()
	add := func(roomName, body string, at time.Time) {
		req := &appendRequest{Msg: message{Room: roomName, User: "mum", Body: body, ClientID: "c-" + body}}
		if err := st.appendMessages([]*appendRequest{req}, at); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	for i := range 5 {
		add("chatter", fmt.Sprint("washing ", i), now)
		add("daily", fmt.Sprint("old news ", i), now.AddDate(0, 0, -10+i)) // 10 to 6 days ago
	}
	add("daily", "fresh news", now)
	if status, body := admin.do("PUT", "/api/admin/rooms/chatter", map[string]int{"keep_messages": 2}, nil); status != 200 {
		t.Fatalf("set retention: %d %s", status, body)
	}
	admin.do("PUT", "/api/admin/rooms/daily", map[string]int{"keep_days": 7}, nil)
	if status, _ := admin.do("PUT", "/api/admin/rooms/daily", map[string]int{"keep_days": -1}, nil); status != http.StatusBadRequest {
		t.Errorf("negative retention: %d", status)
	}

	if n := pruneAll(t.Context(), st, now); n != 3+4 {
		t.Errorf("pruned %d, want 7", n)
	}
	bodies := func(roomName string) string {
		msgs, _ := st.history(roomName, historyQuery{Limit: 50})
		var out []string
		for _, m := range msgs {
			out = append(out, m.Body)
		}
		return strings.Join(out, ",")
	}
	if got := bodies("chatter"); got != "washing 3,washing 4" {
		t.Errorf("chatter keeps %q", got)
	}
	if got := bodies("daily"); got != "old news 4,fresh news" {
		t.Errorf("daily keeps %q", got)
	}
	// Gone from search, and a resend of a removed client_id is new again;
	// catch-up skips what retention removed.
	if res, _ := st.search([]string{"washing"}, func(string) bool { return true }, 10); len(res) != 2 {
		t.Errorf("search finds %d, want the 2 kept", len(res))
	}
	if _, _, err := st.changes("chatter", 0, 50); err != nil {
		t.Errorf("changes after pruning: %v", err)
	}
	if n := pruneAll(t.Context(), st, now); n != 0 {
		t.Errorf("a second pass pruned %d", n)
	}
}

func TestInviteJoinCardQR(t *testing.T) {
	ts := newTestServer(t, nil)
	admin := adminClient(t, ts)
	var inv inviteResponse
	admin.do("POST", "/api/invites", map[string]int{"hours": 24}, &inv)
	resp, err := admin.http.Get(ts.URL + "/api/invites/" + inv.Code + "/qr.png")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(resp.Body)
	resp.Body.Close()
	if err != nil || resp.Header.Get("Content-Type") != "image/png" || img.Bounds().Dx() < 200 {
		t.Fatalf("QR: %v %v", err, resp.Header)
	}
	kid := ts.loggedIn("kid")
	if status, _ := kid.do("GET", "/api/invites/"+inv.Code+"/qr.png", nil, nil); status != http.StatusForbidden {
		t.Errorf("non-admin QR: %d", status)
	}
	if status, _ := admin.do("GET", "/api/invites/nope/qr.png", nil, nil); status != http.StatusNotFound {
		t.Errorf("unknown invite QR: %d", status)
	}
}
