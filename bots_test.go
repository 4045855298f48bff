// bots_test.go tests the webhook: a bot's token posts into its room and
// nowhere else, is stored hashed, never opens a session, is rate limited
// and revocable.

package main

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
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

// postHook posts body as the bot with token to room's hook URL and returns
// the status.
func postHook(t *testing.T, ts *testServer, room, token, body string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", ts.URL+"/api/rooms/"+room+"/hook", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A bot belongs to its room, not to the room's name: deleting the room
// revokes it (audited), whoever re-creates the name never receives its
// posts, and its name is never given to a person.
func TestBotDiesWithItsRoom(t *testing.T) {
	ts := newTestServer(t, nil)
	admin := adminClient(t, ts)
	admin.do("POST", "/api/rooms", map[string]any{"name": "front-door"}, nil)
	var doorbell botResponse
	if status, body := admin.do("POST", "/api/bots", map[string]string{"name": "doorbell", "room": "front-door"}, &doorbell); status != http.StatusCreated {
		t.Fatalf("create bot: %d %s", status, body)
	}
	if status := postHook(t, ts, "front-door", doorbell.Token, "ding"); status != http.StatusCreated {
		t.Fatalf("hook before the delete: %d", status)
	}
	if status, body := admin.do("DELETE", "/api/admin/rooms/front-door", nil, nil); status != http.StatusNoContent {
		t.Fatalf("delete room: %d %s", status, body)
	}
	var log struct{ Entries []auditEntry }
	admin.do("GET", "/api/admin/audit", nil, &log)
	if !slices.ContainsFunc(log.Entries, func(e auditEntry) bool { return e.Action == "revoke bot" && e.Target == "doorbell" }) {
		t.Errorf("the bot's revocation is not in the audit log: %+v", log.Entries)
	}
	if bots, _ := ts.store().listBots(); len(bots) != 0 {
		t.Errorf("bots after their room was deleted: %+v", bots)
	}

	// Someone else makes a private room with the same name.
	kid := ts.loggedIn("kid")
	if status, body := kid.do("POST", "/api/rooms", map[string]any{"name": "front-door", "private": true, "members": []string{"kid"}}, nil); status != http.StatusCreated {
		t.Fatalf("re-create the room: %d %s", status, body)
	}
	sk := kid.dial()
	if status := postHook(t, ts, "front-door", doorbell.Token, "alarm code 1234"); status != http.StatusUnauthorized {
		t.Errorf("the deleted room's bot posting to the new room: %d, want 401", status)
	}
	sk.say("front-door", "marker", "k1")
	if f := sk.expect(func(f wireFrame) bool { return f.Type == "message" }); f.ClientID != "k1" {
		t.Errorf("the new room's owner received %+v", f)
	}

	// The name stays a bot's: no person may take it.
	if u, _ := newUser("doorbell", "long enough", false); ts.store().createUser(u) == nil {
		t.Error("a person took a revoked bot's name")
	}
	// An admin may give it to a new bot.
	if status, body := admin.do("POST", "/api/bots", map[string]string{"name": "doorbell", "room": "general"}, nil); status != http.StatusCreated {
		t.Errorf("a new bot with a revoked bot's name: %d %s", status, body)
	}
}

// A bot left behind by an older release (its room deleted, or deleted and
// re-created) is revoked when the server starts.
func TestStrayBotsAreRevokedAtStart(t *testing.T) {
	ts := newTestServer(t, nil)
	st := ts.store()
	old := time.Now().Add(-time.Hour).UTC()
	// As an older release stored them: no room identity.
	for _, b := range []bot{
		{ID: "aaaaaaaaaaaaaaaa", Name: "gone", Room: "nowhere", Created: old},
		{ID: "bbbbbbbbbbbbbbbb", Name: "recreated", Room: "garage", Created: old},
		{ID: "cccccccccccccccc", Name: "fine", Room: "general", Created: time.Now().UTC()},
	} {
		if err := st.db.Update(func(tx *bbolt.Tx) error {
			return putJSON(tx.Bucket(bucketBots), []byte(b.ID+strings.Repeat("0", 48)), b)
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.createRoom(room{Name: "garage", Created: time.Now().UTC()}); err != nil { // newer than its bot
		t.Fatal(err)
	}
	ts.restart()
	bots, _ := ts.store().listBots()
	if len(bots) != 1 || bots[0].Name != "fine" || bots[0].RoomCreated.IsZero() {
		t.Errorf("live bots after start = %+v, want only fine, with its room's identity", bots)
	}
	if status := postHook(t, ts, "garage", "anything", "x"); status != http.StatusUnauthorized {
		t.Errorf("hook: %d", status)
	}
}
