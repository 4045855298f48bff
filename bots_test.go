// bots_test.go tests the webhook: a bot's token posts into its room and
// nowhere else, is stored hashed, never opens a session, is rate limited
// and revocable.

package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestWebhookBot(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.addUser("mum", "password-mum", true)
	admin := ts.newClient()
	admin.do("POST", "/api/login", map[string]string{"username": "mum", "password": "password-mum"}, nil)
	kid := ts.loggedIn("kid")
	sk := kid.dial()

	if status, _ := kid.do("POST", "/api/bots", map[string]string{"name": "washer", "room": "general"}, nil); status != http.StatusForbidden {
		t.Errorf("non-admin creating a bot: %d", status)
	}
	var created botResponse
	if status, body := admin.do("POST", "/api/bots", map[string]string{"name": "washer", "room": "general"}, &created); status != http.StatusCreated {
		t.Fatalf("create bot: %d %s", status, body)
	}
	if created.Token == "" || !strings.HasSuffix(created.HookURL, "/api/rooms/general/hook") {
		t.Fatalf("bot = %+v", created)
	}
	for _, bad := range []map[string]string{{"name": "kid", "room": "general"}, {"name": "washer", "room": "general"}, {"name": "Bad Name", "room": "general"}, {"name": "x", "room": "nowhere"}} {
		if status, _ := admin.do("POST", "/api/bots", bad, nil); status != http.StatusConflict && status != http.StatusBadRequest {
			t.Errorf("bot %v: %d, want 409 or 400", bad, status)
		}
	}
	// A user cannot take a bot's name either.
	if u, _ := newUser("washer", "long enough", false); ts.store().createUser(u) == nil {
		t.Error("a user took the bot's name")
	}
	// The token is not stored, only its hash.
	bots, _ := ts.store().listBots()
	if len(bots) != 1 || strings.Contains(fmtAll(bots), created.Token) {
		t.Errorf("bots stored: %+v", bots)
	}

	hook := func(room, token, contentType, body string) (*http.Response, string) {
		req, _ := http.NewRequest("POST", ts.URL+"/api/rooms/"+room+"/hook", strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp, string(data)
	}
	// The curl line from the README: plain text.
	resp, body := hook("general", created.Token, "application/x-www-form-urlencoded", "The washing machine is done")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("hook: %d %s", resp.StatusCode, body)
	}
	if len(resp.Cookies()) != 0 {
		t.Error("the hook set a cookie: a token must never grant a session")
	}
	if f := sk.expect(func(f wireFrame) bool { return f.Type == "message" }); f.User != "washer" || f.Body != "The washing machine is done" {
		t.Errorf("kid saw %+v", f)
	}
	if resp, body := hook("general", created.Token, "application/json", `{"body":"Dryer too"}`); resp.StatusCode != http.StatusCreated || !strings.Contains(body, `"bot":true`) {
		t.Errorf("JSON hook: %d %s", resp.StatusCode, body)
	}
	refusals := []struct {
		name, room, token, ct, body string
		want                        int
	}{
		{"no token", "general", "", "", "hi", http.StatusUnauthorized},
		{"wrong token", "general", "nope", "", "hi", http.StatusUnauthorized},
		{"another room", "other", created.Token, "", "hi", http.StatusForbidden},
		{"empty", "general", created.Token, "", "   ", http.StatusBadRequest},
		{"bad JSON", "general", created.Token, "application/json", "{", http.StatusBadRequest},
		{"too long", "general", created.Token, "", strings.Repeat("x", 5000), http.StatusRequestEntityTooLarge},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			if resp, body := hook(tc.room, tc.token, tc.ct, tc.body); resp.StatusCode != tc.want {
				t.Errorf("%d %s, want %d", resp.StatusCode, body, tc.want)
			}
		})
	}
	// The token opens nothing else.
	req, _ := http.NewRequest("GET", ts.URL+"/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+created.Token)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("token on /api/me: %v %v", resp.StatusCode, err)
	}
	// Rate limited: a burst, then 429.
	limited := false
	for range hookBurst + 2 {
		if resp, _ := hook("general", created.Token, "", "spam"); resp.StatusCode == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Error("the hook was never rate limited")
	}
	// Revoked: the token stops working.
	if status, _ := admin.do("DELETE", "/api/bots/"+created.ID, nil, nil); status != http.StatusNoContent {
		t.Fatalf("revoke: %d", status)
	}
	if resp, _ := hook("general", created.Token, "", "still here?"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("revoked token: %d", resp.StatusCode)
	}
}

func fmtAll(v any) string { return fmt.Sprintf("%+v", v) }
