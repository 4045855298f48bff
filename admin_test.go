// admin_test.go tests the admin console's API: disabling people and making
// admins, password reset links, sessions, archiving and deleting rooms,
// server facts and the audit log.

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
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

// TestAdminRenamesRoom renames a private room with history, a file, read
// markers, search entries and a bot, and checks each of them follows the
// new name, now and after a restart, and the old name is free.
func TestAdminRenamesRoom(t *testing.T) {
	ts := newTestServer(t, nil)
	admin := adminClient(t, ts)
	kid, gran := ts.loggedIn("kid"), ts.loggedIn("gran")
	if status, body := kid.do("POST", "/api/rooms", map[string]any{"name": "kids", "private": true, "members": []string{"mum"}}, nil); status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	sk := kid.dial()
	sk.say("kids", "homework about volcanoes", "c-1")
	first := sk.ack("c-1")
	sk.say("kids", "done by six", "c-2")
	last := sk.ack("c-2")
	status, fileMsg := upload(t, kid, "kids", "map.png", tinyPNG)
	if status != http.StatusCreated {
		t.Fatalf("upload: %d", status)
	}
	admin.do("POST", "/api/rooms/kids/read", map[string]uint64{"id": last.ID}, nil)
	var bot struct {
		Token   string `json:"token"`
		HookURL string `json:"hook_url"`
	}
	if status, body := admin.do("POST", "/api/bots", map[string]string{"name": "homework-bot", "room": "kids"}, &bot); status != http.StatusCreated {
		t.Fatalf("bot: %d %s", status, body)
	}
	sg := gran.dial() // not a member: must not hear of the rename

	var renamed roomResponse
	if status, body := admin.do("POST", "/api/admin/rooms/kids/rename", map[string]string{"name": "#School"}, &renamed); status != http.StatusOK || renamed.Name != "school" {
		t.Fatalf("rename: %d %s", status, body)
	}
	if f := sk.expect(func(f wireFrame) bool { return f.Type == "room_renamed" }); f.Room != "school" || f.From != "kids" {
		t.Errorf("room_renamed frame: %+v", f)
	}

	check := func(when string, messages int) {
		t.Helper()
		var page struct{ Messages []message }
		if status, _ := kid.do("GET", "/api/rooms/school/messages", nil, &page); status != 200 || len(page.Messages) != messages ||
			page.Messages[0].ID != first.ID || page.Messages[0].Room != "school" || page.Messages[2].File == nil {
			t.Errorf("%s: history under the new name: %d %+v", when, status, page.Messages)
		}
		for _, c := range []*client{kid, gran} {
			if status, _ := c.do("GET", "/api/rooms/kids/messages", nil, nil); status != http.StatusNotFound {
				t.Errorf("%s: the old name still answers: %d", when, status)
			}
		}
		if status, _ := gran.do("GET", "/api/rooms/school/messages", nil, nil); status != http.StatusNotFound {
			t.Errorf("%s: a non-member sees the renamed private room: %d", when, status)
		}
		var res struct{ Results []message }
		kid.do("GET", "/api/search?q=volcanoes", nil, &res)
		if len(res.Results) != 1 || res.Results[0].Room != "school" || res.Results[0].ID != first.ID {
			t.Errorf("%s: search: %+v", when, res.Results)
		}
		resp, err := kid.http.Get(fmt.Sprintf("%s/api/files/%d", ts.URL, fileMsg.File.ID))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: the file: %d", when, resp.StatusCode)
		}
		var rooms struct{ Rooms []roomResponse }
		admin.do("GET", "/api/rooms", nil, &rooms)
		found := false
		for _, r := range rooms.Rooms {
			if r.Name == "school" {
				found = true
				if r.Read != last.ID || !r.Private || fmt.Sprint(r.Members) != "[kid mum]" {
					t.Errorf("%s: the admin's view of the room: %+v", when, r)
				}
			}
			if r.Name == "kids" {
				t.Errorf("%s: the old name is listed", when)
			}
		}
		if !found {
			t.Errorf("%s: the room is not listed", when)
		}
	}
	check("at once", 3)

	// The socket sends to the new name and ids go on from the old ones; the
	// old name is refused.
	sk.say("kids", "where did it go?", "c-3")
	if f := sk.expect(func(f wireFrame) bool { return f.ClientID == "c-3" }); f.Type != "error" || f.Code != "unknown_room" {
		t.Errorf("send to the old name: %+v", f)
	}
	sk.say("school", "found it", "c-4")
	if f := sk.ack("c-4"); f.ID != fileMsg.ID+1 {
		t.Errorf("next id after the rename = %d, want %d", f.ID, fileMsg.ID+1)
	}
	// The bot's old hook URL keeps working and posts into the new name.
	for _, path := range []string{"kids", "school"} {
		req, _ := http.NewRequest("POST", ts.URL+"/api/rooms/"+path+"/hook", strings.NewReader("via "+path))
		req.Header.Set("Authorization", "Bearer "+bot.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Errorf("hook at /api/rooms/%s: %d", path, resp.StatusCode)
		}
		sk.expect(func(f wireFrame) bool { return f.Type == "message" && f.Room == "school" && f.Body == "via "+path })
	}
	var audit struct{ Entries []auditEntry }
	admin.do("GET", "/api/admin/audit", nil, &audit)
	if len(audit.Entries) == 0 || audit.Entries[0].Action != "rename room" || audit.Entries[0].Target != "kids" || audit.Entries[0].Detail != "to #school" {
		t.Errorf("audit: %+v", audit.Entries)
	}
	// gran heard nothing of it: frames come in order, so by the time she
	// hears a later message in general she would have heard the rename.
	admin.dial().say("general", "after the rename", "c-5")
	sg.expect(func(f wireFrame) bool {
		if f.Type == "room_renamed" {
			t.Errorf("a non-member was told: %+v", f)
		}
		return f.Type == "message" && f.Body == "after the rename"
	})

	ts.restart()
	check("after a restart", 6)

	// The old name is free for a new, empty room.
	if status, body := kid.do("POST", "/api/rooms", map[string]any{"name": "kids"}, nil); status != http.StatusCreated {
		t.Fatalf("reuse the old name: %d %s", status, body)
	}
	var page struct{ Messages []message }
	if kid.do("GET", "/api/rooms/kids/messages", nil, &page); len(page.Messages) != 0 {
		t.Errorf("the new room under the old name has history: %+v", page.Messages)
	}
}

func TestAdminRenameRoomRefusals(t *testing.T) {
	ts := newTestServer(t, nil)
	admin := adminClient(t, ts)
	kid := ts.loggedIn("kid")
	kid.do("POST", "/api/rooms", map[string]any{"name": "games"}, nil)
	kid.do("POST", "/api/rooms", map[string]any{"name": "music"}, nil)
	kid.do("POST", "/api/dms", map[string]any{"user": "mum"}, nil)
	for _, tc := range []struct {
		who        *client
		room, name string
		want       int
	}{
		{kid, "games", "fun", http.StatusForbidden},
		{admin, "games", "music", http.StatusConflict},
		{admin, "games", "Fun & Games", http.StatusBadRequest},
		{admin, "games", "", http.StatusBadRequest},
		{admin, "games", strings.Repeat("a", 33), http.StatusBadRequest},
		{admin, "general", "lounge", http.StatusBadRequest},
		{admin, "@kid+mum", "secrets", http.StatusBadRequest},
		{admin, "nowhere", "somewhere", http.StatusNotFound},
	} {
		status, body := tc.who.do("POST", "/api/admin/rooms/"+url.PathEscape(tc.room)+"/rename", map[string]string{"name": tc.name}, nil)
		if status != tc.want {
			t.Errorf("rename %s to %q: %d %s, want %d", tc.room, tc.name, status, body, tc.want)
		}
	}
	// Nothing moved.
	for _, name := range []string{"games", "music", "general", "@kid+mum"} {
		if _, ok := ts.store().room(name); !ok {
			t.Errorf("%s is gone after refused renames", name)
		}
	}
}

// A reset link is a password: disabling the account voids it, a new link
// voids the old one, and a disabled account's reset is refused, so no
// session can be made for an account an admin has shut.
func TestResetLinksFollowTheAccount(t *testing.T) {
	ts := newTestServer(t, nil)
	admin := adminClient(t, ts)
	ts.addUser("kid", "password-kid", false)
	link := func() string {
		t.Helper()
		var reset struct{ URL string }
		if status, body := admin.do("POST", "/api/admin/users/kid/reset", nil, &reset); status != http.StatusCreated {
			t.Fatalf("reset link: %d %s", status, body)
		}
		u, _ := url.Parse(reset.URL)
		return u.Query().Get("token")
	}
	use := func(token string) int {
		t.Helper()
		status, _ := ts.newClient().do("POST", "/api/reset", map[string]string{"token": token, "password": "a brand new one"}, nil)
		return status
	}
	live := func(token string) bool {
		status, _ := ts.newClient().do("GET", "/api/reset?token="+url.QueryEscape(token), nil, nil)
		return status == http.StatusOK
	}
	setFlags := func(disabled bool) {
		t.Helper()
		if status, body := admin.do("PUT", "/api/admin/users/kid", map[string]bool{"admin": false, "disabled": disabled}, nil); status != 200 {
			t.Fatalf("set disabled=%v: %d %s", disabled, status, body)
		}
	}

	first := link()
	second := link()
	if live(first) {
		t.Error("an older link still works after a new one was made")
	}
	if !live(second) {
		t.Fatal("the newest link does not work")
	}

	setFlags(true)
	if live(second) {
		t.Error("a link made before the disable still works")
	}
	if status := use(second); status != http.StatusNotFound {
		t.Errorf("using a link of a disabled account = %d, want 404", status)
	}
	if status, body := admin.do("POST", "/api/admin/users/kid/reset", nil, nil); status != http.StatusConflict || !strings.Contains(body, "disabled") {
		t.Errorf("reset link for a disabled account: %d %s, want 409 saying it is disabled", status, body)
	}

	// Re-enabling brings back neither the links nor any session from them.
	setFlags(false)
	if live(second) || use(second) != http.StatusNotFound {
		t.Error("a voided link came back when the account was enabled again")
	}
	if list, _ := ts.store().listSessions("kid"); len(list) != 0 {
		t.Errorf("kid has %d sessions, want none", len(list))
	}
	if status := use(link()); status != http.StatusOK {
		t.Errorf("a fresh link after enabling = %d, want 200", status)
	}
}

// Rights are what the store says now, not what they were when a socket
// opened: a demoted admin's open socket cannot delete others' messages, and
// every socket of a user whose admin flag changes reconnects to a hello
// that says the new rights.
func TestRightsChangesReachOpenSockets(t *testing.T) {
	ts := newTestServer(t, nil)
	boss := adminClient(t, ts) // "mum", an admin
	ts.addUser("dad", "password-dad", true)
	dad := ts.newClient()
	if status, _ := dad.do("POST", "/api/login", map[string]string{"username": "dad", "password": "password-dad"}, nil); status != 200 {
		t.Fatal("dad's login failed")
	}
	kid := ts.loggedIn("kid")
	sk := kid.dial()
	sk.say("general", "first", "k1")
	first := sk.ack("k1")
	sk.say("general", "second", "k2")
	second := sk.ack("k2")

	sd := dad.dial()
	if !sd.hello.Admin {
		t.Fatal("dad's hello does not say admin")
	}
	// Demoted behind the hub's back (as if the change raced the socket):
	// the commit itself must refuse.
	if _, _, err := ts.store().setUserFlags("dad", false, false); err != nil {
		t.Fatal(err)
	}
	sd.send(map[string]any{"type": "delete", "room": "general", "id": first.ID, "client_id": "d1"})
	if f := sd.expect(func(f wireFrame) bool { return f.Type == "error" || f.Type == "update" }); f.Type != "error" || f.Code != "forbidden" {
		t.Fatalf("a demoted admin's delete on an old socket: %+v, want error forbidden", f)
	}

	// Through the admin API, his sockets reconnect and hear the new rights.
	if status, body := boss.do("PUT", "/api/admin/users/dad", map[string]bool{"admin": true}, nil); status != 200 {
		t.Fatalf("make admin: %d %s", status, body)
	}
	if code := sd.closed(time.Second); code != closeRightsChanged {
		t.Fatalf("dad's socket on promotion closed with %d, want %d", code, closeRightsChanged)
	}
	sd = dad.dial()
	if !sd.hello.Admin {
		t.Error("dad's new hello after promotion does not say admin")
	}
	if status, body := boss.do("PUT", "/api/admin/users/dad", map[string]bool{"admin": false}, nil); status != 200 {
		t.Fatalf("remove admin: %d %s", status, body)
	}
	if code := sd.closed(time.Second); code != closeRightsChanged {
		t.Fatalf("dad's socket on demotion closed with %d, want %d", code, closeRightsChanged)
	}
	sd = dad.dial()
	if sd.hello.Admin {
		t.Error("dad's new hello after demotion still says admin")
	}
	sd.send(map[string]any{"type": "delete", "room": "general", "id": second.ID, "client_id": "d2"})
	if f := sd.expect(func(f wireFrame) bool { return f.Type == "error" || f.Type == "update" }); f.Type != "error" || f.Code != "forbidden" {
		t.Fatalf("a demoted admin's delete: %+v, want error forbidden", f)
	}
	var page struct{ Messages []wireFrame }
	kid.do("GET", "/api/rooms/general/messages", nil, &page)
	for _, m := range page.Messages {
		if m.Deleted {
			t.Errorf("message %d was deleted by a demoted admin", m.ID)
		}
	}
}

// A disabled person's sockets are told why, so the client can say so.
func TestDisabledSocketHearsWhy(t *testing.T) {
	ts := newTestServer(t, nil)
	boss := adminClient(t, ts)
	sk := ts.loggedIn("kid").dial()
	if status, _ := boss.do("PUT", "/api/admin/users/kid", map[string]bool{"disabled": true}, nil); status != 200 {
		t.Fatal("disable failed")
	}
	sk.ws.SetReadDeadline(time.Now().Add(time.Second))
	for {
		_, _, err := sk.ws.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			if ce.Code != closeSessionEnded || ce.Text != "account disabled" {
				t.Errorf("close %d %q, want %d \"account disabled\"", ce.Code, ce.Text, closeSessionEnded)
			}
			return
		}
		if err != nil {
			t.Fatalf("not closed: %v", err)
		}
	}
}

// TestDisabledSessionSaysWhy: a device whose session ended because an admin
// disabled the account is told so by its next request (401 "account
// disabled"), until enabling the account again forgets it or the session
// would have expired anyway; a device that never had a session hears the
// usual "not logged in".
func TestDisabledSessionSaysWhy(t *testing.T) {
	ts := newTestServer(t, nil)
	boss := adminClient(t, ts)
	kid := ts.loggedIn("kid")
	errorOf := func(c *client) string {
		t.Helper()
		status, body := c.do("GET", "/api/me", nil, nil)
		var e struct{ Error string }
		if err := json.Unmarshal([]byte(body), &e); err != nil || status != http.StatusUnauthorized {
			t.Fatalf("/api/me: %d %s", status, body)
		}
		return e.Error
	}
	mustDo(t, boss, http.StatusOK, "PUT", "/api/admin/users/kid", map[string]bool{"disabled": true}, nil)
	if got := errorOf(kid); got != "account disabled" {
		t.Errorf("the disabled kid's device hears %q, want \"account disabled\"", got)
	}
	// The socket's handshake is refused the same way.
	if _, resp, err := dialWS(ts, http.Header{"Cookie": {kid.cookieHeader()}}); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the disabled kid's socket: %v %v", resp, err)
	}
	if got := errorOf(ts.newClient()); got != "not logged in" {
		t.Errorf("a stranger hears %q", got)
	}
	// Kept across a restart: it is in the database.
	ts.restart()
	if got := errorOf(kid); got != "account disabled" {
		t.Errorf("after a restart the kid's device hears %q", got)
	}
	// Gone with the time the session would have lasted.
	if _, err := ts.store().deleteExpiredSessions(time.Now().Add(31 * 24 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := errorOf(kid); got != "not logged in" {
		t.Errorf("after its session's lifetime the kid's device hears %q", got)
	}

	// Enabled again: the old device is just logged out.
	boss = loginClient(t, ts, "mum", "password-mum") // that lifetime ended the admin's session too
	kid2 := ts.newClient()
	mustDo(t, kid2, http.StatusForbidden, "POST", "/api/login", map[string]string{"username": "kid", "password": "password-kid"}, nil)
	mustDo(t, boss, http.StatusOK, "PUT", "/api/admin/users/kid", map[string]bool{"disabled": false}, nil)
	mustDo(t, kid2, http.StatusOK, "POST", "/api/login", map[string]string{"username": "kid", "password": "password-kid"}, nil)
	mustDo(t, boss, http.StatusOK, "PUT", "/api/admin/users/kid", map[string]bool{"disabled": true}, nil)
	if got := errorOf(kid2); got != "account disabled" {
		t.Errorf("disabled again, the kid's device hears %q", got)
	}
	mustDo(t, boss, http.StatusOK, "PUT", "/api/admin/users/kid", map[string]bool{"disabled": false}, nil)
	if got := errorOf(kid2); got != "not logged in" {
		t.Errorf("enabled again, the kid's old device hears %q, want \"not logged in\"", got)
	}
}
