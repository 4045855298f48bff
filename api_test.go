// api_test.go tests what every endpoint shares, on a real server: request
// caps, cross-origin refusals, JSON content types, security headers and
// pages, bad cookies, and share links.

package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

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
