// golden_test.go keeps every old database format opening in this release.
// testdata/golden/format-N.db is a small database written by the release
// that introduced format N, with format-N.json saying what it holds (the
// passwords, a session cookie, a bot token, what history and search must
// find). TestGoldenDatabases opens each with this build, which migrates
// it, and checks every record through the public API, as a person and a
// script would use them.
//
// A new format adds its own golden file, made by the release that writes
// it: HEARTH_GOLDEN=testdata/golden go test -count=1 -run TestMakeGolden .

package main

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// goldenFacts is what a golden database holds, written beside it.
type goldenFacts struct {
	Format    int               `json:"format"`
	Commit    string            `json:"commit"`
	Passwords map[string]string `json:"passwords"`
	Cookie    string            `json:"cookie"` // mum's session, as her browser sends it
	CookieFor string            `json:"cookie_for"`
	BotToken  string            `json:"bot_token"`
	BotRoom   string            `json:"bot_room"`
	Invite    string            `json:"invite"`
	// Rooms maps a room to its history as each reader sees it: id, user,
	// body, and what was done to it.
	Rooms map[string][]goldenMessage `json:"rooms"`
	// Visible says which rooms each user may see (DMs and private rooms).
	Visible  map[string][]string `json:"visible"`
	Searches map[string][]uint64 `json:"searches"` // query (as mum) → ids, newest first
	File     goldenFile          `json:"file"`
	Reads    map[string]uint64   `json:"reads"` // user → read marker in general
	// Notify is mum's notification settings, and PushDevices how many
	// push subscriptions her Cookie's session has (format 3 on; older
	// files have the defaults and none).
	Notify      *notifySettings `json:"notify,omitempty"`
	PushDevices int             `json:"push_devices,omitempty"`
	// Profile is mum's display name, time zone and picture (format 4
	// on; older files have none of them).
	Profile *goldenProfile `json:"profile,omitempty"`
}

// goldenProfile is a profile as stored, its picture by its hash.
type goldenProfile struct {
	DisplayName  string `json:"display_name"`
	Zone         string `json:"zone"`
	Avatar       int64  `json:"avatar"` // the picture's version
	AvatarSHA256 string `json:"avatar_sha256"`
}

type goldenMessage struct {
	ID        uint64              `json:"id"`
	User      string              `json:"user"`
	Body      string              `json:"body"`
	Edited    bool                `json:"edited,omitempty"`
	Deleted   bool                `json:"deleted,omitempty"`
	Reactions map[string][]string `json:"reactions,omitempty"`
	ReplyTo   uint64              `json:"reply_to,omitempty"`
	Bot       bool                `json:"bot,omitempty"`
	File      bool                `json:"file,omitempty"`
}

type goldenFile struct {
	ID     uint64 `json:"id"`
	Room   string `json:"room"`
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// TestMakeGolden writes this build's golden database and its facts into
// $HEARTH_GOLDEN. It is skipped unless that is set.
func TestMakeGolden(t *testing.T) {
	dir := os.Getenv("HEARTH_GOLDEN")
	if dir == "" {
		t.Skip("set HEARTH_GOLDEN=testdata/golden to write this release's golden database")
	}
	// Sessions made for a fixture must outlive the years it is kept.
	ts := newTestServer(t, func(c *config) { c.SessionLifetime = 100 * 365 * 24 * time.Hour })
	commit := buildCommit()
	if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
		commit = strings.TrimSpace(string(out)) // test binaries carry no VCS stamp
	}
	facts := goldenFacts{Format: databaseFormat, Commit: commit, Passwords: map[string]string{}, Reads: map[string]uint64{}}
	for _, u := range []struct {
		name  string
		admin bool
	}{{"mum", true}, {"dad", false}, {"kid", false}, {"gran", false}} {
		pw := "golden-" + u.name + "-password"
		ts.addUser(u.name, pw, u.admin)
		facts.Passwords[u.name] = pw
	}
	login := func(name string) *client {
		c := ts.newClient()
		if status, body := c.do("POST", "/api/login", map[string]string{"username": name, "password": facts.Passwords[name]}, nil); status != 200 {
			t.Fatalf("login %s: %d %s", name, status, body)
		}
		return c
	}
	mum, dad, kid, gran := login("mum"), login("dad"), login("kid"), login("gran")
	facts.Cookie, facts.CookieFor = mum.cookieHeader(), "mum"
	must := func(status int, body string, want int, what string) {
		t.Helper()
		if status != want {
			t.Fatalf("%s: %d %s", what, status, body)
		}
	}
	st, sb := mum.do("POST", "/api/rooms", map[string]any{"name": "grans-80th", "private": true, "members": []string{"mum", "dad"}}, nil)
	must(st, sb, http.StatusCreated, "private room")
	st, sb = mum.do("POST", "/api/rooms", map[string]any{"name": "shopping"}, nil)
	must(st, sb, http.StatusCreated, "room")
	var dm struct{ Name string }
	st, sb = mum.do("POST", "/api/dms", map[string]string{"user": "kid"}, &dm)
	must(st, sb, http.StatusCreated, "DM")

	sm, sd, sk := mum.dial(), dad.dial(), kid.dial()
	n := 0
	say := func(s *socket, room, body string, replyTo uint64) wireFrame {
		n++
		cid := fmt.Sprintf("golden-%d", n)
		f := map[string]any{"type": "send", "room": room, "body": body, "client_id": cid}
		if replyTo != 0 {
			f["reply_to"] = replyTo
		}
		s.send(f)
		return s.ack(cid)
	}
	change := func(s *socket, f map[string]any) {
		n++
		f["client_id"] = fmt.Sprintf("golden-%d", n)
		s.send(f)
		s.expect(func(w wireFrame) bool {
			if w.Type == "error" && w.ClientID == f["client_id"] {
				t.Fatalf("%v refused: %s %s", f, w.Code, w.Message)
			}
			return w.Type == "update" && w.ID == f["id"]
		})
	}
	pizza := say(sd, "general", "Pizza tonight? 🍕", 0)
	say(sk, "general", "YES. Pepperoni please", pizza.ID)
	lasagne := say(sm, "general", "Or lasagne, @dad makes the best lasagne", 0)
	change(sd, map[string]any{"type": "react", "room": "general", "id": pizza.ID, "emoji": "👍"})
	change(sk, map[string]any{"type": "react", "room": "general", "id": pizza.ID, "emoji": "👍"})
	change(sm, map[string]any{"type": "react", "room": "general", "id": lasagne.ID, "emoji": "🦔"})
	typo := say(sm, "general", "Who is picking up gran on Sundya?", 0)
	change(sm, map[string]any{"type": "edit", "room": "general", "id": typo.ID, "body": "Who is picking up gran on Sunday?"})
	oops := say(sk, "general", "oops, wrong chat", 0)
	change(sk, map[string]any{"type": "delete", "room": "general", "id": oops.ID})
	say(sm, "grans-80th", "Cake from the bakery on Main Street, order by Friday", 0)
	say(sd, "grans-80th", "I'll pick it up", 0)
	say(sm, dm.Name, "Dentist at 4, I'll pick you up from school", 0)
	say(sk, dm.Name, "ok 👍", 0)
	say(sd, "shopping", "Milk, eggs, bread", 0)

	var photo bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	for x := range 4 {
		for y := range 3 {
			img.Set(x, y, color.RGBA{uint8(60 * x), uint8(80 * y), 200, 255})
		}
	}
	png.Encode(&photo, img)
	status, fm := upload(t, kid, "general", "garden.png", photo.Bytes())
	if status != http.StatusCreated || fm.File == nil {
		t.Fatalf("upload: %d %+v", status, fm)
	}
	sum := sha256.Sum256(photo.Bytes())
	facts.File = goldenFile{ID: fm.File.ID, Room: "general", Name: "garden.png", SHA256: hex.EncodeToString(sum[:])}

	var bot botResponse
	st, sb = mum.do("POST", "/api/bots", map[string]string{"name": "washer", "room": "general"}, &bot)
	must(st, sb, http.StatusCreated, "bot")
	facts.BotToken, facts.BotRoom = bot.Token, "general"
	if got := postHook(t, ts, "general", bot.Token, "The washing machine is done"); got != http.StatusCreated {
		t.Fatalf("hook: %d", got)
	}
	var inv struct{ Code string }
	st, sb = mum.do("POST", "/api/invites", map[string]int{"hours": 720, "max_uses": 5}, &inv)
	must(st, sb, http.StatusCreated, "invite")
	facts.Invite = inv.Code

	for name, c := range map[string]*client{"dad": dad, "kid": kid} {
		var r struct{ Read uint64 }
		st, sb = c.do("POST", "/api/rooms/general/read", map[string]uint64{"id": lasagne.ID}, &r)
		must(st, sb, http.StatusOK, "read marker")
		facts.Reads[name] = r.Read
	}

	// Mum's notification settings and her phone's push subscription.
	mum.do("PUT", "/api/notifications/rooms/shopping", map[string]string{"level": "all"}, nil)
	mum.do("PUT", "/api/notifications/rooms/"+dm.Name, map[string]string{"level": "none"}, nil)
	var ns notifySettings
	st, sb = mum.do("PUT", "/api/notifications", map[string]any{"hide_text": true, "breakthrough": []string{"kid"},
		"quiet": map[string]any{"enabled": true, "from": "21:30", "to": "06:45", "zone": "Europe/London"}}, &ns)
	must(st, sb, http.StatusOK, "notification settings")
	facts.Notify = &ns
	key, _ := ecdh.P256().GenerateKey(rand.Reader)
	auth := make([]byte, 16)
	rand.Read(auth)
	st, sb = mum.do("POST", "/api/push", map[string]any{"endpoint": "https://push.example.net/golden/mum-phone",
		"keys": map[string]string{"p256dh": base64.RawURLEncoding.EncodeToString(key.PublicKey().Bytes()), "auth": base64.RawURLEncoding.EncodeToString(auth)}}, nil)
	must(st, sb, http.StatusCreated, "push subscription")
	facts.PushDevices = 1

	// Mum's profile: a display name with an emoji, her time zone, and a
	// picture made of the garden photo.
	st, sb = mum.do("PUT", "/api/me/profile", map[string]string{"display_name": "Mum 🦔", "zone": "Europe/London"}, nil)
	must(st, sb, http.StatusOK, "profile")
	st, prof, sb := sendPicture(t, mum, "PUT", "/api/me/avatar", "image/png", photo.Bytes())
	must(st, sb, http.StatusOK, "profile picture")
	resp, err := mum.http.Get(fmt.Sprintf("%s/api/users/mum/avatar?v=%d", ts.URL, prof.Avatar))
	if err != nil {
		t.Fatal(err)
	}
	pic, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	must(resp.StatusCode, "", http.StatusOK, "read the profile picture")
	picSum := sha256.Sum256(pic)
	facts.Profile = &goldenProfile{DisplayName: prof.DisplayName, Zone: prof.Zone, Avatar: prof.Avatar, AvatarSHA256: hex.EncodeToString(picSum[:])}

	// What each reader must find afterwards, as this release answers.
	facts.Rooms = map[string][]goldenMessage{}
	for _, room := range []string{"general", "grans-80th", dm.Name, "shopping"} {
		var page struct{ Messages []message }
		st, sb = mum.do("GET", "/api/rooms/"+room+"/messages?limit=200", nil, &page)
		must(st, sb, http.StatusOK, "history of "+room)
		for _, m := range page.Messages {
			facts.Rooms[room] = append(facts.Rooms[room], goldenMessage{ID: m.ID, User: m.User, Body: m.Body, Edited: !m.Edited.IsZero(),
				Deleted: m.Deleted, Reactions: m.Reactions, ReplyTo: m.ReplyTo, Bot: m.Bot, File: m.File != nil})
		}
	}
	facts.Visible = map[string][]string{}
	for name, c := range map[string]*client{"mum": mum, "dad": dad, "kid": kid, "gran": gran} {
		var rooms struct{ Rooms []struct{ Name string } }
		c.do("GET", "/api/rooms", nil, &rooms)
		for _, r := range rooms.Rooms {
			facts.Visible[name] = append(facts.Visible[name], r.Name)
		}
		slices.Sort(facts.Visible[name])
	}
	facts.Searches = map[string][]uint64{}
	for _, q := range []string{"lasagne", "pizza tonight", "sunday", "cake"} {
		var res struct{ Results []message }
		mum.do("GET", "/api/search?q="+strings.ReplaceAll(q, " ", "+"), nil, &res)
		facts.Searches[q] = []uint64{}
		for _, m := range res.Results {
			facts.Searches[q] = append(facts.Searches[q], m.ID)
		}
	}
	ts.stop()

	name := fmt.Sprintf("format-%d", databaseFormat)
	data, err := os.ReadFile(ts.cfg.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".db"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	js, _ := json.MarshalIndent(facts, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, name+".json"), append(js, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s.db (%d bytes) and %s.json", name, len(data), name)
}

// TestGoldenDatabases opens every golden database with this build and
// checks what people and scripts rely on: logins, the session cookie,
// history with its edits, reactions, replies and tombstones, privacy,
// search, the shared file, the bot's token and the read markers.
func TestGoldenDatabases(t *testing.T) {
	facts, _ := filepath.Glob("testdata/golden/format-*.json")
	if len(facts) == 0 {
		t.Fatal("no golden databases in testdata/golden")
	}
	for _, path := range facts {
		t.Run(filepath.Base(path), func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var g goldenFacts
			if err := json.Unmarshal(raw, &g); err != nil {
				t.Fatal(err)
			}
			db, err := os.ReadFile(strings.TrimSuffix(path, ".json") + ".db")
			if err != nil {
				t.Fatal(err)
			}
			ts := &testServer{t: t, cfg: testConfig(t)}
			ts.addr = ts.cfg.Addr
			if err := os.WriteFile(ts.cfg.DBPath, db, 0o600); err != nil {
				t.Fatal(err)
			}
			ts.start()
			t.Cleanup(ts.stop)
			checkGolden(t, ts, g)
		})
	}
}

func checkGolden(t *testing.T, ts *testServer, g goldenFacts) {
	// The session cookie from the old release still works.
	mum := ts.newClient()
	req, _ := http.NewRequest("GET", ts.URL+"/api/me", nil)
	req.Header.Set("Cookie", g.Cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"username":"`+g.CookieFor+`"`) {
		t.Errorf("the old session cookie: %d %s", resp.StatusCode, body)
	}
	// Notification settings follow mum; her phone's subscription stays
	// with the session it was made in.
	checkGoldenNotifications(t, ts, g)
	checkGoldenProfile(t, ts, g)
	// Every password still logs in.
	clients := map[string]*client{}
	for name, pw := range g.Passwords {
		c := ts.newClient()
		if status, body := c.do("POST", "/api/login", map[string]string{"username": name, "password": pw}, nil); status != 200 {
			t.Fatalf("login %s with the old password: %d %s", name, status, body)
		}
		clients[name] = c
	}
	mum = clients["mum"]
	// History, as each reader sees it.
	for room, want := range g.Rooms {
		var page struct{ Messages []message }
		if status, body := mum.do("GET", "/api/rooms/"+room+"/messages?limit=200", nil, &page); status != 200 {
			t.Fatalf("history of %s: %d %s", room, status, body)
		}
		var got []goldenMessage
		for _, m := range page.Messages {
			got = append(got, goldenMessage{ID: m.ID, User: m.User, Body: m.Body, Edited: !m.Edited.IsZero(),
				Deleted: m.Deleted, Reactions: m.Reactions, ReplyTo: m.ReplyTo, Bot: m.Bot, File: m.File != nil})
		}
		gotJSON, _ := json.Marshal(got)
		wantJSON, _ := json.Marshal(want)
		if !bytes.Equal(gotJSON, wantJSON) {
			t.Errorf("history of %s:\n got %s\nwant %s", room, gotJSON, wantJSON)
		}
	}
	// Who sees what.
	for name, want := range g.Visible {
		var rooms struct{ Rooms []struct{ Name string } }
		clients[name].do("GET", "/api/rooms", nil, &rooms)
		var got []string
		for _, r := range rooms.Rooms {
			got = append(got, r.Name)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s sees %v, want %v", name, got, want)
		}
	}
	// Search finds what it found.
	for q, want := range g.Searches {
		var res struct{ Results []message }
		mum.do("GET", "/api/search?q="+strings.ReplaceAll(q, " ", "+"), nil, &res)
		var got []uint64
		for _, m := range res.Results {
			got = append(got, m.ID)
		}
		for _, id := range want {
			if !slices.Contains(got, id) {
				t.Errorf("search %q found %v, want it to include %d", q, got, id)
			}
		}
	}
	// The shared file, byte for byte.
	resp, err = clients["kid"].http.Get(fmt.Sprintf("%s/api/files/%d", ts.URL, g.File.ID))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	sum := sha256.Sum256(data)
	if resp.StatusCode != 200 || hex.EncodeToString(sum[:]) != g.File.SHA256 {
		t.Errorf("file %d: %d, sha256 %x, want %s", g.File.ID, resp.StatusCode, sum, g.File.SHA256)
	}
	// The bot's token still posts, into its room.
	if status := postHook(t, ts, g.BotRoom, g.BotToken, "Dryer too"); status != http.StatusCreated {
		t.Errorf("the old bot token: %d", status)
	}
	// Read markers.
	var rooms struct {
		Rooms []struct {
			Name string
			Read uint64
		}
	}
	for name, want := range g.Reads {
		clients[name].do("GET", "/api/rooms", nil, &rooms)
		for _, r := range rooms.Rooms {
			if r.Name == "general" && r.Read != want {
				t.Errorf("%s's read marker in general = %d, want %d", name, r.Read, want)
			}
		}
	}
	// The invite is still listed for admins.
	var invites struct{ Invites []struct{ Code string } }
	mum.do("GET", "/api/invites", nil, &invites)
	if !slices.ContainsFunc(invites.Invites, func(i struct{ Code string }) bool { return i.Code == g.Invite }) {
		t.Errorf("invite %s is gone: %+v", g.Invite, invites.Invites)
	}
}

// checkGoldenNotifications checks, with mum's old session cookie, her
// notification settings and that session's push subscriptions: as stored,
// or the defaults and none for a file older than format 3.
func checkGoldenNotifications(t *testing.T, ts *testServer, g goldenFacts) {
	t.Helper()
	get := func(path string, out any) {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.Header.Set("Cookie", g.Cookie)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	want := defaultNotifySettings()
	if g.Notify != nil {
		want = *g.Notify
	}
	var got notifySettings
	get("/api/notifications", &got)
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("notification settings:\n got %s\nwant %s", gotJSON, wantJSON)
	}
	var push struct {
		PublicKey     string       `json:"public_key"`
		Subscriptions []pushDevice `json:"subscriptions"`
	}
	get("/api/push", &push)
	if len(push.Subscriptions) != g.PushDevices || push.PublicKey == "" {
		t.Errorf("push: key %q, devices %+v, want %d", push.PublicKey, push.Subscriptions, g.PushDevices)
	}
	for _, d := range push.Subscriptions {
		if !d.ThisDevice || d.Service != "push.example.net" {
			t.Errorf("push device %+v", d)
		}
	}
}

// checkGoldenProfile checks, with mum's old session cookie, her profile
// and picture: as stored, or none for a file older than format 4.
func checkGoldenProfile(t *testing.T, ts *testServer, g goldenFacts) {
	t.Helper()
	get := func(path string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.Header.Set("Cookie", g.Cookie)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	want := goldenProfile{}
	if g.Profile != nil {
		want = *g.Profile
	}
	_, body := get("/api/users")
	var list struct{ Users []listedProfile }
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatalf("GET /api/users: %q: %v", body, err)
	}
	i := slices.IndexFunc(list.Users, func(u listedProfile) bool { return u.Name == "mum" })
	if i < 0 {
		t.Fatalf("mum is not listed: %s", body)
	}
	if got := list.Users[i]; got.DisplayName != want.DisplayName || got.Zone != want.Zone || got.Avatar != want.Avatar {
		t.Errorf("mum's profile: %+v, want %+v", got, want)
	}
	resp, pic := get(fmt.Sprintf("/api/users/mum/avatar?v=%d", want.Avatar))
	if g.Profile == nil {
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("a picture before format 4: %d, want 404", resp.StatusCode)
		}
		return
	}
	sum := sha256.Sum256(pic)
	if resp.StatusCode != http.StatusOK || hex.EncodeToString(sum[:]) != want.AvatarSHA256 {
		t.Errorf("mum's picture: %d, sha256 %x, want %s", resp.StatusCode, sum, want.AvatarSHA256)
	}
}
