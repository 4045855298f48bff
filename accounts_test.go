// accounts_test.go tests the account endpoints: login and its cookie,
// fresh session ids, the login limits, setup, invites, a user's sessions
// and their extension on use.

package main

import (
	"fmt"
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
	var status struct{ Valid, Done bool }
	c.do("GET", "/api/setup?token="+url.QueryEscape(token), nil, &status)
	if !status.Valid || status.Done {
		t.Fatalf("setup status of the printed token = %+v, want valid", status)
	}
	c.do("GET", "/api/setup?token=wrong", nil, &status)
	if status.Valid || status.Done {
		t.Fatalf("setup status of a wrong token before setup = %+v, want neither", status)
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
	// The used link's page says setup is done, not that the link is stale.
	var used struct{ Valid, Done bool }
	c.do("GET", "/api/setup?token="+url.QueryEscape(token), nil, &used)
	if used.Valid || !used.Done {
		t.Errorf("the used link's status = %+v, want done", used)
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
	c.do("GET", "/api/setup?token="+url.QueryEscape(token), nil, &used)
	if used.Valid || !used.Done {
		t.Errorf("after a restart the link's status = %+v, want done", used)
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
