// api_test.go tests the HTTP API on a real server: login and its limits,
// the setup link, invites, rooms, history paging, the sessions page,
// request caps, cross-origin refusals and security headers.

package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestLogin(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.addUser("ann", "correct horse", true)
	tests := []struct {
		name string
		body any
		want int
	}{
		{"right password", map[string]string{"username": "ann", "password": "correct horse"}, http.StatusOK},
		{"wrong password", map[string]string{"username": "ann", "password": "wrong horse"}, http.StatusUnauthorized},
		{"unknown user", map[string]string{"username": "zed", "password": "correct horse"}, http.StatusUnauthorized},
		{"empty", map[string]string{}, http.StatusUnauthorized},
		{"not JSON", "just a string", http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ts.newClient()
			var me meResponse
			status, body := c.do("POST", "/api/login", tc.body, &me)
			if status != tc.want {
				t.Fatalf("status = %d, want %d (%s)", status, tc.want, body)
			}
			if status == http.StatusOK && (me.Username != "ann" || !me.Admin) {
				t.Errorf("login answer = %+v", me)
			}
			if status != http.StatusOK && !strings.Contains(body, `"error"`) {
				t.Errorf("error body %q lacks an error field", body)
			}
		})
	}
}

func TestLoginCookieAttributes(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.addUser("ann", "correct horse", false)
	resp, err := http.Post(ts.URL+"/api/login", "application/json", strings.NewReader(`{"username":"ann","password":"correct horse"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var ck *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			ck = c
		}
	}
	if ck == nil {
		t.Fatal("no session cookie")
	}
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure {
		t.Errorf("cookie = %+v, want HttpOnly, SameSite=Lax, Path=/, not Secure over plain HTTP", ck)
	}
	if ck.MaxAge != int((30 * 24 * time.Hour).Seconds()) {
		t.Errorf("MaxAge = %d, want 30 days", ck.MaxAge)
	}
	// The cookie carries an encrypted id, not the user's name.
	if strings.Contains(ck.Value, "ann") {
		t.Errorf("cookie value reveals the user: %q", ck.Value)
	}
}

func TestLoginIssuesFreshSessionID(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.loggedIn("ann")
	before := c.cookieHeader()
	if status, _ := c.do("POST", "/api/login", map[string]string{"username": "ann", "password": "password-ann"}, nil); status != 200 {
		t.Fatal("second login failed")
	}
	if after := c.cookieHeader(); after == before {
		t.Fatal("login kept the old session cookie (fixation)")
	}
	// The replaced session is gone: the old cookie no longer works.
	old := ts.newClient()
	req, _ := http.NewRequest("GET", ts.URL+"/api/me", nil)
	req.Header.Set("Cookie", before)
	resp, err := old.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("old cookie after re-login: %d, want 401", resp.StatusCode)
	}
	if list, _ := ts.store().listSessions("ann"); len(list) != 1 {
		t.Errorf("%d sessions stored, want 1", len(list))
	}
}

func TestFailedLoginsAreLimited(t *testing.T) {
	ts := newTestServer(t, func(c *config) { c.LoginBurst = 3; c.LoginRate = 0.001 })
	ts.addUser("ann", "correct horse", false)
	c := ts.newClient()
	bad := map[string]string{"username": "ann", "password": "guess"}
	for i := range 3 {
		if status, _ := c.do("POST", "/api/login", bad, nil); status != http.StatusUnauthorized {
			t.Fatalf("guess %d: status %d, want 401", i, status)
		}
	}
	status, body := c.do("POST", "/api/login", bad, nil)
	if status != http.StatusTooManyRequests {
		t.Fatalf("fourth guess: status %d, want 429 (%s)", status, body)
	}
	// Even the right password waits now: the limit is checked first.
	if status, _ := c.do("POST", "/api/login", map[string]string{"username": "ann", "password": "correct horse"}, nil); status != http.StatusTooManyRequests {
		t.Errorf("right password while limited: %d, want 429", status)
	}
}

func TestSuccessfulLoginsDoNotCountAgainstTheLimit(t *testing.T) {
	ts := newTestServer(t, func(c *config) { c.LoginBurst = 2; c.LoginRate = 0.001 })
	ts.addUser("ann", "correct horse", false)
	for i := range 5 {
		c := ts.newClient()
		if status, _ := c.do("POST", "/api/login", map[string]string{"username": "ann", "password": "correct horse"}, nil); status != 200 {
			t.Fatalf("login %d: status %d", i, status)
		}
	}
}

func TestSetupLink(t *testing.T) {
	ts := newTestServer(t, nil)
	m := regexp.MustCompile(`(http://\S+)/setup\?token=(\S+)`).FindStringSubmatch(ts.output.String())
	if m == nil {
		t.Fatalf("no setup link in output %q", ts.output.String())
	}
	if m[1] != ts.URL {
		t.Errorf("link host %s, want %s", m[1], ts.URL)
	}
	token := m[2]
	c := ts.newClient()
	var status struct{ Valid bool }
	c.do("GET", "/api/setup?token="+url.QueryEscape(token), nil, &status)
	if !status.Valid {
		t.Fatal("setup status says the printed token is invalid")
	}
	c.do("GET", "/api/setup?token=wrong", nil, &status)
	if status.Valid {
		t.Fatal("a wrong token is valid")
	}

	tests := []struct {
		name string
		body map[string]string
		want int
	}{
		{"wrong token", map[string]string{"token": "wrong", "username": "ann", "password": "long enough"}, http.StatusForbidden},
		{"bad username", map[string]string{"token": token, "username": "Ann!", "password": "long enough"}, http.StatusBadRequest},
		{"short password", map[string]string{"token": token, "username": "ann", "password": "short"}, http.StatusBadRequest},
		{"ok", map[string]string{"token": token, "username": "ann", "password": "long enough"}, http.StatusCreated},
		{"reused", map[string]string{"token": token, "username": "bob", "password": "long enough"}, http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var me meResponse
			status, body := c.do("POST", "/api/setup", tc.body, &me)
			if status != tc.want {
				t.Fatalf("status = %d, want %d (%s)", status, tc.want, body)
			}
			if status == http.StatusCreated && (!me.Admin || me.Username != "ann") {
				t.Errorf("setup created %+v, want admin ann", me)
			}
		})
	}
	// Setup logged the admin in.
	if status, _ := c.do("GET", "/api/me", nil, nil); status != 200 {
		t.Errorf("/api/me after setup = %d", status)
	}
	// After a restart there is no setup link: the admin exists.
	ts.output.Reset()
	ts.restart()
	if strings.Contains(ts.output.String(), "/setup?token=") {
		t.Errorf("setup link printed although the admin exists: %q", ts.output.String())
	}
	users, _ := ts.store().listUsers()
	if len(users) != 1 || !users[0].Admin {
		t.Errorf("users = %+v, want the one admin", users)
	}
}

func TestInvites(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.addUser("mum", "password-mum", true)
	admin := ts.newClient()
	admin.do("POST", "/api/login", map[string]string{"username": "mum", "password": "password-mum"}, nil)
	kid := ts.loggedIn("kid")

	if status, _ := kid.do("POST", "/api/invites", map[string]int{}, nil); status != http.StatusForbidden {
		t.Errorf("non-admin creating an invite: %d, want 403", status)
	}
	if status, _ := ts.newClient().do("POST", "/api/invites", map[string]int{}, nil); status != http.StatusUnauthorized {
		t.Errorf("anonymous creating an invite: %d, want 401", status)
	}
	var inv inviteResponse
	if status, body := admin.do("POST", "/api/invites", map[string]int{"hours": 24, "max_uses": 1}, &inv); status != http.StatusCreated {
		t.Fatalf("create invite: %d %s", status, body)
	}
	if !strings.HasPrefix(inv.URL, ts.URL+"/join?code=") || inv.MaxUses != 1 || !inv.Usable {
		t.Errorf("invite = %+v", inv)
	}
	for _, bad := range []map[string]int{{"hours": -1}, {"hours": 10000}, {"max_uses": 1000}} {
		if status, _ := admin.do("POST", "/api/invites", bad, nil); status != http.StatusBadRequest {
			t.Errorf("invite %v: %d, want 400", bad, status)
		}
	}

	guest := ts.newClient()
	if status, _ := guest.do("GET", "/api/join/"+inv.Code, nil, nil); status != 200 {
		t.Errorf("invite status: %d", status)
	}
	if status, _ := guest.do("POST", "/api/join", map[string]string{"code": inv.Code, "username": "kid", "password": "long enough"}, nil); status != http.StatusConflict {
		t.Errorf("taken name: %d, want 409", status)
	}
	var me meResponse
	if status, body := guest.do("POST", "/api/join", map[string]string{"code": inv.Code, "username": "gran", "password": "long enough"}, &me); status != http.StatusCreated {
		t.Fatalf("join: %d %s", status, body)
	}
	if me.Username != "gran" || me.Admin {
		t.Errorf("joined as %+v", me)
	}
	if status, _ := guest.do("GET", "/api/me", nil, nil); status != 200 {
		t.Error("joining did not log in")
	}
	// Single use: the second person is refused.
	if status, _ := ts.newClient().do("POST", "/api/join", map[string]string{"code": inv.Code, "username": "uncle", "password": "long enough"}, nil); status != http.StatusNotFound {
		t.Errorf("reused single-use invite: %d, want 404", status)
	}
	if status, _ := ts.newClient().do("POST", "/api/join", map[string]string{"code": "GUESSED", "username": "uncle", "password": "long enough"}, nil); status != http.StatusNotFound {
		t.Errorf("guessed code: %d, want 404", status)
	}
	// Expired invites are refused.
	expired := invite{Code: "old", CreatedBy: "mum", Created: time.Now().Add(-2 * time.Hour), Expires: time.Now().Add(-time.Hour), MaxUses: 5}
	ts.store().putInvite(expired)
	if status, _ := ts.newClient().do("POST", "/api/join", map[string]string{"code": "old", "username": "uncle", "password": "long enough"}, nil); status != http.StatusNotFound {
		t.Errorf("expired invite: %d, want 404", status)
	}
	var list struct{ Invites []inviteResponse }
	admin.do("GET", "/api/invites", nil, &list)
	if len(list.Invites) != 2 {
		t.Errorf("listed %d invites, want 2", len(list.Invites))
	}
	if status, _ := admin.do("DELETE", "/api/invites/"+inv.Code, nil, nil); status != http.StatusNoContent {
		t.Errorf("delete invite: %d", status)
	}
}

func TestRooms(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.loggedIn("ann")
	s := c.dial()
	tests := []struct {
		name, room string
		want       int
	}{
		{"new", "holidays", http.StatusCreated},
		{"exists", "holidays", http.StatusConflict},
		{"general exists from the start", "general", http.StatusConflict},
		{"upper case", "Holidays", http.StatusBadRequest},
		{"too long", strings.Repeat("a", 33), http.StatusBadRequest},
		{"empty", "", http.StatusBadRequest},
		{"slash", "a/b", http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if status, body := c.do("POST", "/api/rooms", map[string]string{"name": tc.room}, nil); status != tc.want {
				t.Errorf("status = %d, want %d (%s)", status, tc.want, body)
			}
		})
	}
	// Open sockets hear of the new room and can use it at once.
	s.expect(func(f wireFrame) bool { return f.Type == "room" && f.Room == "holidays" })
	s.say("holidays", "beach?", "c-1")
	s.ack("c-1")
	var list struct{ Rooms []room }
	c.do("GET", "/api/rooms", nil, &list)
	if len(list.Rooms) != 2 || list.Rooms[0].Name != "general" || list.Rooms[1].Name != "holidays" {
		t.Errorf("rooms = %+v", list.Rooms)
	}
	if status, _ := ts.newClient().do("GET", "/api/rooms", nil, nil); status != http.StatusUnauthorized {
		t.Errorf("anonymous room list: %d, want 401", status)
	}
}

func TestHistoryAPI(t *testing.T) {
	ts := newTestServer(t, func(c *config) { c.MsgBurst = 1000 })
	c := ts.loggedIn("ann")
	s := c.dial()
	for i := 1; i <= 120; i++ {
		s.say("general", fmt.Sprint(i), fmt.Sprint("c-", i))
	}
	s.ack("c-120")
	page := func(query string) (int, []uint64) {
		var out struct{ Messages []message }
		status, _ := c.do("GET", "/api/rooms/general/messages"+query, nil, &out)
		var ids []uint64
		for _, m := range out.Messages {
			ids = append(ids, m.ID)
		}
		return status, ids
	}
	// Scroll back from the newest page to the first message.
	status, ids := page("")
	if status != 200 || len(ids) != 50 || ids[0] != 71 || ids[49] != 120 {
		t.Fatalf("latest page: %d %v", status, ids)
	}
	var all []uint64
	all = append(ids, all...)
	for ids[0] > 1 {
		_, ids = page(fmt.Sprintf("?before=%d", ids[0]))
		all = append(ids, all...)
	}
	for i, id := range all {
		if id != uint64(i+1) {
			t.Fatalf("scrolling back gave %v, want 1..120 once each", all)
		}
	}
	// Catch up forwards from an id.
	if _, ids := page("?after=100&limit=200"); len(ids) != 20 || ids[0] != 101 {
		t.Errorf("after=100: %v", ids)
	}
	if _, ids := page("?after=0&limit=10"); len(ids) != 10 || ids[0] != 1 {
		t.Errorf("after=0: %v", ids)
	}
	bad := []string{"?limit=0", "?limit=201", "?limit=x", "?before=x", "?before=0", "?after=-1", "?before=5&after=2", "?after=99999999999999999999"}
	for _, q := range bad {
		if status, _ := page(q); status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", q, status)
		}
	}
	if status, _ := c.do("GET", "/api/rooms/attic/messages", nil, nil); status != http.StatusNotFound {
		t.Errorf("unknown room: %d, want 404", status)
	}
}

func TestSessionsPage(t *testing.T) {
	ts := newTestServer(t, nil)
	laptop := ts.loggedIn("ann")
	phone := ts.newClient()
	phone.do("POST", "/api/login", map[string]string{"username": "ann", "password": "password-ann"}, nil)
	bob := ts.loggedIn("bob")

	var list struct{ Sessions []sessionResponse }
	laptop.do("GET", "/api/sessions", nil, &list)
	if len(list.Sessions) != 2 {
		t.Fatalf("ann has %d sessions listed, want 2", len(list.Sessions))
	}
	var current, other sessionResponse
	for _, s := range list.Sessions {
		if s.Current {
			current = s
		} else {
			other = s
		}
		if s.RemoteAddr != "127.0.0.1" || s.UserAgent == "" || s.LastSeen.IsZero() {
			t.Errorf("session = %+v, want address, agent and last seen", s)
		}
	}
	if current.ID == "" || other.ID == "" {
		t.Fatalf("want one current and one other session: %+v", list.Sessions)
	}
	// bob cannot revoke ann's sessions, nor learn they exist.
	if status, _ := bob.do("DELETE", "/api/sessions/"+other.ID, nil, nil); status != http.StatusNotFound {
		t.Errorf("bob revoking ann's session: %d, want 404", status)
	}
	if status, _ := laptop.do("DELETE", "/api/sessions/"+other.ID, nil, nil); status != http.StatusNoContent {
		t.Errorf("revoke: %d", status)
	}
	if status, _ := phone.do("GET", "/api/me", nil, nil); status != http.StatusUnauthorized {
		t.Errorf("revoked phone: %d, want 401", status)
	}
	if status, _ := laptop.do("GET", "/api/me", nil, nil); status != 200 {
		t.Errorf("laptop after revoking the phone: %d", status)
	}
}

func TestRequestBodiesAreCapped(t *testing.T) {
	ts := newTestServer(t, nil)
	big := `{"username":"` + strings.Repeat("a", maxRequestBody) + `","password":"x"}`
	resp, err := http.Post(ts.URL+"/api/login", "application/json", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d, want 413", resp.StatusCode)
	}
	resp, err = http.Post(ts.URL+"/api/login", "application/json", strings.NewReader(`{"username":"a"} {"x":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("trailing data: %d, want 400", resp.StatusCode)
	}
}

func TestCrossOriginPostsAreRefused(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.loggedIn("ann")
	for _, h := range []http.Header{
		{"Origin": {"http://evil.example"}},
		{"Sec-Fetch-Site": {"cross-site"}},
	} {
		req, _ := http.NewRequest("POST", ts.URL+"/api/rooms", strings.NewReader(`{"name":"pwned"}`))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range h {
			req.Header[k] = v
		}
		resp, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-origin POST with %v: %d, want 403", h, resp.StatusCode)
		}
	}
	var list struct{ Rooms []room }
	c.do("GET", "/api/rooms", nil, &list)
	if len(list.Rooms) != 1 {
		t.Errorf("a cross-origin POST created a room: %+v", list.Rooms)
	}
}

func TestPagesAndHeaders(t *testing.T) {
	ts := newTestServer(t, nil)
	tests := []struct {
		path        string
		status      int
		contentType string
	}{
		{"/", 200, "text/html; charset=utf-8"},
		{"/setup?token=x", 200, "text/html; charset=utf-8"},
		{"/join?code=x", 200, "text/html; charset=utf-8"},
		{"/js/main.js", 200, "text/javascript; charset=utf-8"},
		{"/api/config", 200, "application/json"},
		{"/style.css", 200, "text/css; charset=utf-8"},
		{"/icon.svg", 200, "image/svg+xml"},
		{"/nope", 404, ""},
		{"/api/nope", 404, "application/json"},
		{"POST /api/nope", 404, "application/json"},
		{"/../main.go", 404, ""},
		{"/%2e%2e/main.go", 404, ""},
		{"/assets/js/main.js", 404, ""},
		{"/..%2f..%2fetc%2fpasswd", 404, ""},
		{"//etc/passwd", 404, ""},
		{"/.git/config", 404, ""},
		{"/js/main.js%00.html", 404, ""},
		{"/index.html/", 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			method, path := "GET", tc.path
			if m, p, ok := strings.Cut(tc.path, " "); ok {
				method, path = m, p
			}
			req, _ := http.NewRequest(method, ts.URL+path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.contentType != "" && resp.Header.Get("Content-Type") != tc.contentType {
				t.Errorf("Content-Type = %q, want %q", resp.Header.Get("Content-Type"), tc.contentType)
			}
			for k, want := range map[string]string{
				"X-Content-Type-Options": "nosniff",
				"Referrer-Policy":        "same-origin",
			} {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			csp := resp.Header.Get("Content-Security-Policy")
			for _, part := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'self'"} {
				if !strings.Contains(csp, part) {
					t.Errorf("CSP %q lacks %q", csp, part)
				}
			}
		})
	}
}

func TestSessionIsExtendedOnUse(t *testing.T) {
	ts := newTestServer(t, func(c *config) { c.SessionLifetime = time.Hour })
	c := ts.loggedIn("ann")
	list, _ := ts.store().listSessions("ann")
	s := list[0]
	// Pretend the session was last used long ago and ends soon.
	s.LastSeen = time.Now().Add(-50 * time.Minute)
	s.Expires = time.Now().Add(10 * time.Minute)
	ts.store().putSession(s)

	req, _ := http.NewRequest("GET", ts.URL+"/api/me", nil)
	req.Header.Set("Cookie", c.cookieHeader())
	before := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/api/me = %d", resp.StatusCode)
	}
	answered := time.Now()
	after, _ := ts.store().getSession(s.Key)
	// Seen during the request, and a full lifetime from then.
	if after.LastSeen.Before(before.Round(0)) || after.LastSeen.After(answered.Round(0)) || after.Expires.Sub(after.LastSeen) != time.Hour {
		t.Errorf("session not extended: last seen %v (request between %v and %v), expires %v", after.LastSeen, before, answered, after.Expires)
	}
	var refreshed bool
	for _, ck := range resp.Cookies() {
		refreshed = refreshed || (ck.Name == sessionCookie && ck.MaxAge == 3600)
	}
	if !refreshed {
		t.Error("the cookie was not re-sent with the full lifetime")
	}
}

func TestCookieIsSecureOverTLS(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.addUser("ann", "correct horse", false)
	tlsServer := httptest.NewTLSServer(ts.app.srv)
	defer tlsServer.Close()
	resp, err := tlsServer.Client().Post(tlsServer.URL+"/api/login", "application/json", strings.NewReader(`{"username":"ann","password":"correct horse"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookies := resp.Cookies()
	if len(cookies) != 1 || !cookies[0].Secure || !cookies[0].HttpOnly {
		t.Errorf("cookies over TLS = %+v, want one Secure HttpOnly cookie", cookies)
	}
}

// loginFrom posts a login as if from addr, straight into the handler.
func loginFrom(ts *testServer, addr, name, password string) int {
	req := httptest.NewRequest("POST", "/api/login", jsonBody(map[string]string{"username": name, "password": password}))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = addr + ":40000"
	rec := httptest.NewRecorder()
	ts.app.srv.ServeHTTP(rec, req)
	return rec.Code
}

func TestGuessingCannotLockTheOwnerOut(t *testing.T) {
	ts := newTestServer(t, func(c *config) { c.LoginBurst = 3; c.LoginRate = 0.0001 })
	ts.addUser("mum", "the right one", false)
	if code := loginFrom(ts, "192.168.1.20", "mum", "the right one"); code != 200 {
		t.Fatalf("mum at home: %d", code)
	}
	// An attacker tries mum's name from many addresses until the name is
	// limited.
	limited := false
	for i := range 20 {
		code := loginFrom(ts, fmt.Sprintf("203.0.113.%d", i), "mum", "guess")
		if code == http.StatusTooManyRequests {
			limited = true
			break
		}
		if code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, code)
		}
	}
	if !limited {
		t.Fatal("guesses at one name from many addresses were never limited")
	}
	if code := loginFrom(ts, "203.0.113.200", "mum", "guess"); code != http.StatusTooManyRequests {
		t.Errorf("a fresh attacker address: %d, want 429 (the name is limited)", code)
	}
	// Mum, at home, still gets in.
	if code := loginFrom(ts, "192.168.1.20", "mum", "the right one"); code != 200 {
		t.Errorf("mum from her usual address during the attack: %d, want 200", code)
	}
	// The attacker's own address stays limited whatever name it tries.
	for range 3 {
		loginFrom(ts, "198.51.100.7", "nobody", "guess")
	}
	if code := loginFrom(ts, "198.51.100.7", "mum", "the right one"); code != http.StatusTooManyRequests {
		t.Errorf("a limited address: %d, want 429", code)
	}
}

// In a synctest bubble (the handler is called directly, on a server that
// listens on pipes), so the limit refills exactly when the rate says.
func TestFailedLoginLimitRefills(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := newPipeServer(t, func(c *config) { c.LoginBurst = 2; c.LoginRate = 20 }) // one more try every 50 ms
		ts.addUser("ann", "correct horse", false)
		for range 2 {
			loginFrom(ts, "10.0.0.9", "ann", "wrong")
		}
		if code := loginFrom(ts, "10.0.0.9", "ann", "correct horse"); code != http.StatusTooManyRequests {
			t.Fatalf("after the burst: %d, want 429", code)
		}
		time.Sleep(49 * time.Millisecond)
		if code := loginFrom(ts, "10.0.0.9", "ann", "correct horse"); code != http.StatusTooManyRequests {
			t.Fatalf("1 ms before the refill: %d, want 429", code)
		}
		time.Sleep(time.Millisecond)
		if code := loginFrom(ts, "10.0.0.9", "ann", "correct horse"); code != http.StatusOK {
			t.Fatalf("once the bucket refilled: %d, want 200", code)
		}
	})
}

func TestBadCookiesAreRefusedOverHTTPAndStoreNothing(t *testing.T) {
	ts := newTestServer(t, nil)
	ann := ts.loggedIn("ann")
	valid := ann.cookieHeader()
	v := strings.TrimPrefix(valid, sessionCookie+"=")
	tampered := sessionCookie + "=" + v[:10] + strings.Map(func(r rune) rune {
		if r == 'A' {
			return 'B'
		}
		return 'A'
	}, v[10:11]) + v[11:]

	expired := ts.loggedIn("exp")
	expireAll(t, ts.store(), "exp")
	revoked := ts.loggedIn("rev")
	revokeAll(t, ts, "rev")
	out := ts.loggedIn("out")
	replayed := out.cookieHeader()
	out.do("POST", "/api/logout", nil, nil)

	cases := map[string]string{
		"tampered":               tampered,
		"truncated":              valid[:len(valid)-8],
		"signed with other keys": sessionCookie + "=" + foreignCookie(t),
		"expired":                expired.cookieHeader(),
		"revoked":                revoked.cookieHeader(),
		"replayed after logout":  replayed,
	}
	for name, cookie := range cases {
		t.Run(name, func(t *testing.T) {
			for _, r := range []struct{ method, path, body string }{
				{"GET", "/api/me", ""},
				{"GET", "/api/rooms/general/messages", ""},
				{"GET", "/api/sessions", ""},
				{"POST", "/api/rooms", `{"name":"sneaky"}`},
				{"POST", "/api/invites", `{}`},
			} {
				req, _ := http.NewRequest(r.method, ts.URL+r.path, strings.NewReader(r.body))
				req.Header.Set("Cookie", cookie)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("%s %s: %d, want 401", r.method, r.path, resp.StatusCode)
				}
			}
		})
	}
	rooms := ts.store().listRooms()
	invites, _ := ts.store().listInvites()
	if len(rooms) != 1 || len(invites) != 0 {
		t.Errorf("refused requests stored something: rooms %v, invites %v", rooms, invites)
	}
}

// foreignCookie is a well-formed session cookie made with keys that are not
// the server's.
func foreignCookie(t *testing.T) string {
	t.Helper()
	st := newTestStore(t)
	sm, err := newSessionManager(st, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	if _, _, err := sm.create(rec, httptest.NewRequest("POST", "/", nil), "ann"); err != nil {
		t.Fatal(err)
	}
	return rec.Result().Cookies()[0].Value
}

func TestGuessingSetupTokensAndInviteCodesIsLimited(t *testing.T) {
	ts := newTestServer(t, func(c *config) { c.LoginBurst = 5; c.LoginRate = 0.0001 })
	c := ts.newClient()
	for _, ep := range []struct {
		path string
		body func(i int) map[string]string
	}{
		{"/api/setup", func(i int) map[string]string {
			return map[string]string{"token": fmt.Sprint("GUESS", i), "username": "eve", "password": "long enough"}
		}},
		{"/api/join", func(i int) map[string]string {
			return map[string]string{"code": fmt.Sprint("GUESS", i), "username": "eve", "password": "long enough"}
		}},
	} {
		limited := false
		for i := range 10 {
			if status, _ := c.do("POST", ep.path, ep.body(i), nil); status == http.StatusTooManyRequests {
				limited = true
				break
			}
		}
		if !limited {
			t.Errorf("%s: 10 wrong guesses were never limited", ep.path)
		}
	}
	if users, _ := ts.store().listUsers(); len(users) != 0 {
		t.Errorf("guesses created users: %+v", users)
	}
}

// TestShareURLLeavesLoopbackForTheLAN: links made at the server's own
// screen (localhost) name the LAN address when other devices can reach it.
func TestShareURLLeavesLoopbackForTheLAN(t *testing.T) {
	for _, tc := range []struct {
		listen, host, lan, want string
	}{
		{":8080", "localhost:8080", "192.168.1.20", "http://192.168.1.20:8080"},
		{":8080", "127.0.0.1:8080", "192.168.1.20", "http://192.168.1.20:8080"},
		{"0.0.0.0:8080", "[::1]:8080", "192.168.1.20", "http://192.168.1.20:8080"},
		{":80", "localhost", "192.168.1.20", "http://192.168.1.20"},
		{":8080", "hearth.local:8080", "192.168.1.20", "http://hearth.local:8080"},
		{":8080", "192.168.1.20:8080", "192.168.1.20", "http://192.168.1.20:8080"},
		{"127.0.0.1:8080", "localhost:8080", "192.168.1.20", "http://localhost:8080"}, // nobody else can reach it
		{":8080", "localhost:8080", "localhost", "http://localhost:8080"},             // no LAN address known
	} {
		s := &server{cfg: config{Addr: tc.listen}, lanAddress: func() string { return tc.lan }}
		r := httptest.NewRequest("GET", "http://"+tc.host+"/api/invites", nil)
		if got := s.shareURL(r); got != tc.want {
			t.Errorf("listening on %s, request to %s: %s, want %s", tc.listen, tc.host, got, tc.want)
		}
	}
}

func TestJSONEndpointsRequireJSONContentType(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.addUser("ann", "correct horse", false)
	login := `{"username":"ann","password":"correct horse"}`
	for _, tc := range []struct {
		contentType string
		want        int
	}{
		{"text/plain", http.StatusUnsupportedMediaType}, // what a cross-site form or simple fetch can send
		{"text/plain;charset=UTF-8", http.StatusUnsupportedMediaType},
		{"application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
		{"", http.StatusUnsupportedMediaType},
		{"application/jsonx", http.StatusUnsupportedMediaType},
		{"application/json", http.StatusOK},
		{"application/json; charset=utf-8", http.StatusOK},
		{"Application/JSON", http.StatusOK},
	} {
		req, _ := http.NewRequest("POST", ts.URL+"/api/login", strings.NewReader(login))
		if tc.contentType != "" {
			req.Header.Set("Content-Type", tc.contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("login as %q: %d %s, want %d", tc.contentType, resp.StatusCode, body, tc.want)
		}
		if got := len(resp.Cookies()) > 0; got != (tc.want == http.StatusOK) {
			t.Errorf("login as %q: session cookie set = %v", tc.contentType, got)
		}
	}
	// A logged-in, same-origin request is refused too: the check does not
	// rest on CrossOriginProtection.
	c := ts.loggedIn("bob")
	req, _ := http.NewRequest("POST", ts.URL+"/api/rooms", strings.NewReader(`{"name":"plain"}`))
	req.Header.Set("Content-Type", "text/plain")
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("create a room as text/plain: %d, want 415", resp.StatusCode)
	}
	if _, ok := ts.store().room("plain"); ok {
		t.Error("a text/plain request created a room")
	}
}
