// fuzz_test.go holds the fuzz targets for everything a stranger can send:
// socket frames, cookies, names, history query strings, the JSON bodies
// of the account and room endpoints, and the first bytes of a connection. Seed corpora live in testdata/fuzz; CI
// runs each target for a short fixed time. No input may panic, hang, be
// answered with a 500, or store anything invalid.

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzClientFrame(f *testing.F) {
	f.Add([]byte(`{"type":"send","room":"general","body":"hi","client_id":"c-1"}`))
	f.Add([]byte(`{"type":"send","room":"general","body":"` + strings.Repeat("x", 200) + `"}`))
	f.Add([]byte(`{"type":"send","room":"GENERAL","body":"\u0000"}`))
	f.Add([]byte(`{"type":"send","room":"general","body":"\ud800"}`))
	f.Add([]byte(`{"type":"typing"}`))
	f.Add([]byte(`{"type":"send","room":"general","body":"yes","reply_to":7}`))
	f.Add([]byte(`{"type":"send","room":"general","body":"yes","reply_to":-1}`))
	f.Add([]byte(`[{"type":"send"}]`))
	f.Add([]byte(`{"type":"send","type":"x","room":null,"body":12}`))
	f.Add([]byte{0xff, 0xfe, '{'})
	const maxBody = 128
	codes := map[string]bool{"bad_json": true, "unknown_type": true, "unknown_room": true, "empty": true, "too_long": true, "bad_client_id": true}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := decodeClientFrame(data, maxBody)
		if err != nil {
			e, ok := err.(sendError)
			if !ok || !codes[e.code] || e.msg == "" || len(e.clientID) > maxClientIDLen {
				t.Fatalf("refusal %#v for %q", err, data)
			}
			return
		}
		switch {
		case fr.Type != "send":
			t.Fatalf("accepted type %q", fr.Type)
		case !isRoomName(fr.Room) && !isDMKey(fr.Room):
			t.Fatalf("accepted room %q", fr.Room)
		case strings.TrimSpace(fr.Body) == "" || len(fr.Body) > maxBody || !utf8.ValidString(fr.Body):
			t.Fatalf("accepted body %q", fr.Body)
		case len(fr.ClientID) > maxClientIDLen:
			t.Fatalf("accepted client_id %q", fr.ClientID)
		}
	})
}

func FuzzSessionCookie(f *testing.F) {
	st := newTestStore(f)
	sm, err := newSessionManager(st, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	// One real session, so the fuzzer starts from a valid cookie.
	rec := httptest.NewRecorder()
	s, _, err := sm.create(rec, httptest.NewRequest("POST", "/api/login", nil), "ann")
	if err != nil {
		f.Fatal(err)
	}
	good := rec.Result().Cookies()[0].Value
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(good + "A")
	f.Add(strings.ToUpper(good))
	f.Add("")
	f.Add("MTIzNDU2Nzg5MHxhYmN8ZGVm")
	f.Add(strings.Repeat("A", 5000))
	f.Fuzz(func(t *testing.T, value string) {
		req := httptest.NewRequest("GET", "/api/me", nil)
		req.Header.Set("Cookie", sessionCookie+"="+value)
		got, err := sm.fromRequest(req)
		if err == nil && (value != good || got.Key != s.Key) {
			t.Fatalf("cookie %q opened session %s", value, got.Key)
		}
	})
}

// isUsername and isRoomName restate the name rules byte by byte, as a
// second opinion on the regular expressions.
func isUsername(s string) bool { return isName(s, "_.-") }
func isRoomName(s string) bool { return isName(s, "-") }

// isDMKey restates dmName's form: "@" user "+" user.
func isDMKey(s string) bool {
	a, b, ok := strings.Cut(strings.TrimPrefix(s, "@"), "+")
	return strings.HasPrefix(s, "@") && ok && isUsername(a) && isUsername(b)
}

func isName(s, punct string) bool {
	if len(s) < 1 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte(punct, c) >= 0) {
			return false
		}
	}
	return true
}

func FuzzNames(f *testing.F) {
	for _, s := range []string{"ann", "a", "", strings.Repeat("a", 32), strings.Repeat("a", 33), "Ann", "a b", "a\n", "é", "../x", "x.y_z-1", "-", "general\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validUsername(s) == nil, isUsername(s); got != want {
			t.Fatalf("validUsername(%q) accepts=%v, want %v", s, got, want)
		}
		if got, want := validRoomName(s) == nil, isRoomName(s); got != want {
			t.Fatalf("validRoomName(%q) accepts=%v, want %v", s, got, want)
		}
	})
}

func FuzzHistoryQuery(f *testing.F) {
	st := newTestStore(f)
	var reqs []*appendRequest
	for range 300 {
		reqs = append(reqs, &appendRequest{Msg: message{Room: "general", User: "ann", Body: "x"}})
	}
	if err := st.appendMessages(reqs, time.Now()); err != nil {
		f.Fatal(err)
	}
	for _, q := range []string{"", "before=100", "after=0&limit=200", "limit=1", "before=1", "after=300", "before=18446744073709551615",
		"after=18446744073709551616", "limit=-1", "before=5&after=5", "limit=201", "limit=%zz", "before=&after=", "limit=50&limit=2", "since=0", "since=250&limit=10"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, _ := url.ParseQuery(raw)
		q, err := parseHistoryQuery(v)
		if err != nil {
			return
		}
		if q.Limit < 1 || q.Limit > maxPageSize {
			t.Fatalf("%q: limit %d accepted", raw, q.Limit)
		}
		if q.Changes {
			changed, upTo, err := st.changes("general", q.Since, q.Limit)
			if err != nil || len(changed) > q.Limit || upTo < q.Since {
				t.Fatalf("%q: %d changes up to %d: %v", raw, len(changed), upTo, err)
			}
			for _, m := range changed {
				if m.Rev <= q.Since || m.Rev > upTo {
					t.Fatalf("%q: rev %d not in (%d, %d]", raw, m.Rev, q.Since, upTo)
				}
			}
			return
		}
		msgs, err := st.history("general", q)
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		if len(msgs) > q.Limit {
			t.Fatalf("%q: %d messages for limit %d", raw, len(msgs), q.Limit)
		}
		for i, m := range msgs {
			switch {
			case i > 0 && m.ID <= msgs[i-1].ID:
				t.Fatalf("%q: not ascending", raw)
			case q.Forward && m.ID <= q.After:
				t.Fatalf("%q: id %d not after %d", raw, m.ID, q.After)
			case !q.Forward && q.Before > 0 && m.ID >= q.Before:
				t.Fatalf("%q: id %d not before %d", raw, m.ID, q.Before)
			}
		}
	})
}

// fuzzEndpoints are the JSON endpoints a fuzz input can hit, by its first
// byte.
var fuzzEndpoints = []struct {
	method, path string
	asAdmin      bool // send the admin's cookie (login would replace the session)
	allowed      []int
}{
	{"POST", "/api/login", false, []int{200, 400, 401, 413}},
	{"POST", "/api/setup", false, []int{400, 403, 413}},
	{"POST", "/api/join", false, []int{201, 400, 404, 409, 413}},
	{"POST", "/api/rooms", true, []int{201, 400, 409, 413, 429}}, // 429: too many unavailable names
	{"POST", "/api/invites", true, []int{201, 400, 413}},
	{"POST", "/api/admin/rooms/fuzzroom/rename", true, []int{200, 400, 404, 409, 413}},
}

func FuzzJSONRequests(f *testing.F) {
	ts := newTestServer(f, func(c *config) { c.LoginBurst = 1 << 30 })
	ts.addUser("admin", "password-admin", true)
	admin := ts.newClient()
	if status, _ := admin.do("POST", "/api/login", map[string]string{"username": "admin", "password": "password-admin"}, nil); status != 200 {
		f.Fatal("admin login failed")
	}
	cookie := admin.cookieHeader()
	// A known invite, so joins can succeed.
	ts.store().putInvite(invite{Code: "FUZZINVITE", Created: time.Now(), Expires: time.Now().Add(24 * time.Hour), MaxUses: 1 << 30})
	// A room to rename; a successful rename is undone, so the next input
	// finds it again.
	if err := ts.store().createRoom(room{Name: "fuzzroom", Created: time.Now()}); err != nil {
		f.Fatal(err)
	}
	// The setup token is random, so setup always fails: the first account exists.
	for i, body := range []string{
		`{"username":"admin","password":"password-admin"}`,
		`{"token":"x","username":"mum","password":"long enough"}`,
		`{"code":"FUZZINVITE","username":"kid","password":"long enough"}`,
		`{"name":"holidays"}`,
		`{"hours":24,"max_uses":5}`,
		`{"name":"#Games-Room"}`,
	} {
		f.Add(uint8(i), []byte(body))
	}
	f.Add(uint8(0), []byte(`{"username":"admin","password":"`+strings.Repeat("p", 100)+`"}`))
	f.Add(uint8(2), []byte(`{"code":"FUZZINVITE","username":"Kid!","password":"x"}`))
	f.Add(uint8(3), []byte(`{"name":"a/b"}{"name":"c"}`))
	f.Add(uint8(4), []byte(`{"hours":1e9,"max_uses":-1}`))
	f.Add(uint8(1), []byte(`null`))
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		ep := fuzzEndpoints[int(which)%len(fuzzEndpoints)]
		req := httptest.NewRequest(ep.method, ep.path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if ep.asAdmin {
			req.Header.Set("Cookie", cookie)
		}
		rec := httptest.NewRecorder()
		ts.app.srv.ServeHTTP(rec, req)
		allowed := false
		for _, s := range ep.allowed {
			allowed = allowed || rec.Code == s
		}
		if !allowed {
			t.Fatalf("%s %s %q: status %d: %s", ep.method, ep.path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 300 {
			return
		}
		if ep.path == "/api/admin/rooms/fuzzroom/rename" {
			var r room
			if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil || !isRoomName(r.Name) {
				t.Fatalf("rename %q answered %s", body, rec.Body)
			}
			if _, ok := ts.store().room("fuzzroom"); ok != (r.Name == "fuzzroom") {
				t.Fatalf("rename %q to %q: the old name is still there: %v", body, r.Name, ok)
			}
			if r.Name != "fuzzroom" {
				defer func() {
					if _, err := ts.store().renameRoom(r.Name, "fuzzroom"); err != nil {
						t.Fatal(err)
					}
				}()
			}
		}
		// What was accepted is valid.
		users, err := ts.store().listUsers()
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			if !isUsername(u.Name) || len(u.Hash) == 0 {
				t.Fatalf("stored user %+v", u)
			}
		}
		rooms := ts.store().listRooms()
		for _, r := range rooms {
			if !isRoomName(r.Name) {
				t.Fatalf("stored room %q", r.Name)
			}
		}
		if rec.Code == http.StatusCreated && ep.path == "/api/invites" {
			invites, _ := ts.store().listInvites()
			for _, inv := range invites {
				if inv.MaxUses < 1 || !inv.Expires.After(inv.Created) {
					t.Fatalf("stored invite %+v", inv)
				}
			}
		}
	})
}

// FuzzHandshakeRequest sends any bytes as the start of a connection to the
// handshake listener: nothing may panic, every connection must be answered
// or closed, and the listener's goroutines must all come back.
func FuzzHandshakeRequest(f *testing.F) {
	f.Add([]byte("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n"))
	f.Add([]byte("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-Hijack: 1\r\n\r\nearly"))
	f.Add([]byte("GET /ws HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"))
	f.Add([]byte("GET /ws HTTP/1.1\r\nHost: [::1%25eth0]:80\r\nX: a\r\n b\r\n\r\n"))
	f.Add([]byte("GET /ws HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"))
	f.Add([]byte("GET /ws HTTP/1.1\n\n"))
	f.Add([]byte("GET /w"))
	f.Add([]byte("POST /api/login HTTP/1.1\r\nHost: x\r\n\r\n"))
	f.Add([]byte("\x16\x03\x01"))
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Hijack") != "" {
			if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
				c.Close()
			}
			return
		}
		w.Header().Set("X-Path", r.URL.Path)
		w.WriteHeader(http.StatusTeapot)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	defer ln.Close()
	f.Fuzz(func(t *testing.T, start []byte) {
		given := newPipeListener() // given TCP connections here, not pipes
		hl := newHandshakeListener(given, handler, time.Second)
		defer hl.Close()
		go func() { // net/http's side: whatever is handed on is closed
			for {
				c, err := hl.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		client, server := tcpPair(t, ln)
		given.conns <- server // through the accept loop, to a goroutine of its
		go func() {
			client.Write(start)
			client.(*net.TCPConn).CloseWrite() // all it will say
		}()
		client.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.Copy(io.Discard, client); err != nil && !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("%q: the connection was neither answered nor closed: %v", start, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		hl.Close()
		if err := hl.wait(ctx); err != nil {
			t.Fatalf("%q: the listener's connections were not all done with: %v", start, err)
		}
		for deadline := time.Now().Add(10 * time.Second); workers() > 0; {
			if time.Now().After(deadline) {
				t.Fatalf("%q: %d of the listener's goroutines still there after Close", start, workers())
			}
			runtime.Gosched() // polling, with the deadline above
		}
	})
}
