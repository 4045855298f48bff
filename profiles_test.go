// profiles_test.go tests profiles.go over a real server: the display name
// rules, the profile endpoints, profile pictures (made from a photo that
// carries GPS tags, read back by someone else, refused to strangers),
// admins' changes and their audit, the profile frame on other sockets,
// and the names and pictures pushes carry.

package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestCleanDisplayName(t *testing.T) {
	tests := []struct {
		name, in, want string
		refused        bool
	}{
		{"plain", "Mum", "Mum", false},
		{"trimmed", "  \tGrandad \n", "Grandad", false},
		{"inner runs of space become one", "Auntie \t\n  Jo", "Auntie Jo", false},
		{"empty means the login name", "", "", false},
		{"only spaces mean the login name", "   ", "", false},
		{"Arabic kept", "أمي", "أمي", false},
		{"Hebrew kept", "סבתא רחל", "סבתא רחל", false},
		{"right-to-left override stripped", "mum\u202Egnp.exe", "mumgnp.exe", false},
		{"every bidi control stripped", "\u061Ca\u200Eb\u200Fc\u202Ad\u202Be\u202Cf\u202Dg\u202Eh\u2066i\u2067j\u2068k\u2069", "abcdefghijk", false},
		{"other format and control characters stripped", "G\u200Bra\u00ADn\u0007\uFEFFdad\u2060", "Grandad", false},
		{"emoji with ZWJ kept", "Dad 👨\u200D👩\u200D👧", "Dad 👨\u200D👩\u200D👧", false},
		{"variation selector and skin tone kept", "❤\uFE0F Gran 👵🏽", "❤\uFE0F Gran 👵🏽", false},
		{"a flag's tags kept", "Jo 🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F", "Jo 🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F", false},
		{"stray tags stripped", "Jo\U000E0067\U000E0062", "Jo", false},
		{"ZWNJ kept in Persian", "مهر\u200Cناز", "مهر\u200Cناز", false},
		{"HTML is only text", "<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>", false},
		{"64 characters", strings.Repeat("é", 64), strings.Repeat("é", 64), false},
		{"64 emoji", strings.Repeat("🦔", 64), strings.Repeat("🦔", 64), false},
		{"65 characters refused", strings.Repeat("a", 65), "", true},
		{"65 after trimming refused", " " + strings.Repeat("ש", 65) + " ", "", true},
		{"only controls refused", "\u202E\u200E\u0007", "", true},
		{"only a joiner refused", "\u200D", "", true},
		{"only blank letters refused", "\u3164\u3164", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cleanDisplayName(tc.in)
			if tc.refused {
				if err == nil {
					t.Errorf("cleanDisplayName(%q) = %q, want refused", tc.in, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("cleanDisplayName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			if n := utf8.RuneCountInString(got); n > maxDisplayName {
				t.Errorf("%d characters kept", n)
			}
		})
	}
}

// listedProfile is one person of GET /api/users.
type listedProfile struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Avatar      int64  `json:"avatar"`
	Zone        string `json:"zone"`
}

// profileIn finds name in GET /api/users as c sees it.
func profileIn(t *testing.T, c *client, name string) listedProfile {
	t.Helper()
	var list struct{ Users []listedProfile }
	if status, body := c.do("GET", "/api/users", nil, &list); status != http.StatusOK {
		t.Fatalf("GET /api/users: %d %s", status, body)
	}
	for _, u := range list.Users {
		if u.Name == name {
			return u
		}
	}
	t.Fatalf("%s is not in %+v", name, list.Users)
	return listedProfile{}
}

// sendPicture sends data as a profile picture with method to path (PUT
// or DELETE), declared as ctype, and decodes the answer.
func sendPicture(t *testing.T, c *client, method, path, ctype string, data []byte) (int, listedProfile, string) {
	t.Helper()
	req, err := http.NewRequest(method, c.ts.URL+path, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var p listedProfile
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatalf("%s %s: %q: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, p, string(raw)
}

// pngOf encodes m as a PNG.
func pngOf(t *testing.T, m image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// gpsPhoto is a 300×200 JPEG whose Exif says to turn it (6) and where it
// was taken.
func gpsPhoto(t *testing.T) []byte {
	t.Helper()
	return jpegWith(t, quadrants(300, 200), segment(0xE1, exifPayload(binary.BigEndian, 6, true)))
}

func TestProfileSetByThePerson(t *testing.T) {
	ts := newTestServer(t, nil)
	mum, dad := ts.loggedIn("mum"), ts.loggedIn("dad")

	var got listedProfile
	status, body := mum.do("PUT", "/api/me/profile", map[string]string{"display_name": "  Mum \u202E🦔 ", "zone": "Europe/London"}, &got)
	if status != http.StatusOK || got.Name != "mum" || got.DisplayName != "Mum 🦔" || got.Zone != "Europe/London" {
		t.Fatalf("PUT /api/me/profile: %d %s", status, body)
	}
	if p := profileIn(t, dad, "mum"); p.DisplayName != "Mum 🦔" || p.Zone != "Europe/London" || p.Avatar != 0 {
		t.Errorf("dad sees mum as %+v", p)
	}
	var me struct {
		Username    string `json:"username"`
		DisplayName string `json:"display_name"`
		Zone        string `json:"zone"`
	}
	if mum.do("GET", "/api/me", nil, &me); me.Username != "mum" || me.DisplayName != "Mum 🦔" || me.Zone != "Europe/London" {
		t.Errorf("GET /api/me: %+v", me)
	}
	// A field left out keeps its value.
	mum.do("PUT", "/api/me/profile", map[string]string{"zone": "Asia/Tokyo"}, &got)
	if got.DisplayName != "Mum 🦔" || got.Zone != "Asia/Tokyo" {
		t.Errorf("after changing only the zone: %+v", got)
	}

	refusals := []struct {
		name string
		body any
		want string
	}{
		{"65 characters", map[string]string{"display_name": strings.Repeat("x", 65)}, "at most 64 characters"},
		{"only controls", map[string]string{"display_name": "\u202E\u200F"}, "at least one letter"},
		{"unknown zone", map[string]string{"zone": "Mars/Olympus_Mons"}, "unknown time zone"},
		{"the server's own zone", map[string]string{"zone": "Local"}, "unknown time zone"},
		{"not a string", map[string]int{"display_name": 7}, "JSON object"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			status, body := mum.do("PUT", "/api/me/profile", tc.body, nil)
			if status != http.StatusBadRequest || !strings.Contains(body, tc.want) {
				t.Errorf("status = %d %s, want 400 saying %q", status, body, tc.want)
			}
		})
	}
	if p := profileIn(t, dad, "mum"); p.DisplayName != "Mum 🦔" || p.Zone != "Asia/Tokyo" {
		t.Errorf("refusals changed the profile: %+v", p)
	}
	// "" goes back to the login name, and clears the zone.
	mum.do("PUT", "/api/me/profile", map[string]string{"display_name": "", "zone": ""}, &got)
	if got.DisplayName != "" || got.Zone != "" {
		t.Errorf("after clearing: %+v", got)
	}
	if status, _ := ts.newClient().do("PUT", "/api/me/profile", map[string]string{"display_name": "x"}, nil); status != http.StatusUnauthorized {
		t.Errorf("logged out: %d, want 401", status)
	}
}

func TestAvatarUpload(t *testing.T) {
	ts := newTestServer(t, nil)
	mum, dad := ts.loggedIn("mum"), ts.loggedIn("dad")
	photo := gpsPhoto(t)
	if _, ok := readExif(t, photo); !ok {
		t.Fatal("the fixture carries no Exif")
	}
	before := time.Now().UnixNano()
	status, p, body := sendPicture(t, mum, "PUT", "/api/me/avatar", "image/jpeg", photo)
	if status != http.StatusOK || p.Name != "mum" || p.Avatar < before {
		t.Fatalf("PUT /api/me/avatar: %d %s", status, body)
	}
	if listed := profileIn(t, dad, "mum"); listed.Avatar != p.Avatar {
		t.Errorf("listed avatar %d, want %d", listed.Avatar, p.Avatar)
	}

	// Dad reads it: a 256×256 JPEG without a trace of the photo's
	// metadata, kept for good when asked for by its version.
	url := fmt.Sprintf("%s/api/users/mum/avatar?v=%d", ts.URL, p.Avatar)
	resp, err := dad.http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	pic, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("GET avatar: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if cc := resp.Header.Get("Cache-Control"); cc != avatarForever {
		t.Errorf("Cache-Control = %q, want %q", cc, avatarForever)
	}
	m, err := jpeg.Decode(bytes.NewReader(pic))
	if err != nil {
		t.Fatal(err)
	}
	if m.Bounds() != image.Rect(0, 0, 256, 256) {
		t.Errorf("avatar is %v, want 256×256", m.Bounds())
	}
	for _, s := range headerOf(t, pic) {
		if s.marker >= 0xE1 && s.marker <= 0xEF {
			t.Errorf("the avatar keeps an APP%d segment", s.marker-0xE0)
		}
	}
	if _, ok := readExif(t, pic); ok || bytes.Contains(pic, []byte("Exif")) || bytes.Contains(pic, []byte("Hearth Optics")) || bytes.Contains(pic, []byte(gpsDateStamp)) {
		t.Error("the avatar keeps the photo's Exif")
	}
	// Turned as its Exif 6 says (a quarter turn clockwise): the stored
	// left column, red over blue, becomes the top row, blue left of red.
	if got := nearest(m.At(20, 20)); got != blue {
		t.Errorf("top left is %v, want blue (turned by Exif 6)", got)
	}

	// Without the version it is checked again each time, by its ETag.
	resp, _ = dad.http.Get(ts.URL + "/api/users/mum/avatar")
	resp.Body.Close()
	etag := resp.Header.Get("ETag")
	if resp.Header.Get("Cache-Control") != "private, no-cache" || etag == "" {
		t.Errorf("unversioned: Cache-Control %q, ETag %q", resp.Header.Get("Cache-Control"), etag)
	}
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("If-None-Match", etag)
	if resp, err = dad.http.Do(req); err != nil || resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %v %v, want 304", resp.StatusCode, err)
	}
	resp.Body.Close()

	// Strangers get nothing.
	resp, _ = ts.newClient().http.Get(url)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("logged out: %d, want 401", resp.StatusCode)
	}

	// A new picture, a new version.
	_, p2, _ := sendPicture(t, mum, "PUT", "/api/me/avatar", "image/png", pngOf(t, quadrants(40, 40)))
	if p2.Avatar <= p.Avatar {
		t.Errorf("new version %d, not after %d", p2.Avatar, p.Avatar)
	}

	refusals := []struct {
		name, ctype string
		data        []byte
		status      int
		want        string
	}{
		{"not declared an image", "application/octet-stream", photo, http.StatusUnsupportedMediaType, "Content-Type"},
		{"no type", "", photo, http.StatusUnsupportedMediaType, "Content-Type"},
		{"no image inside", "image/jpeg", []byte("hello, this is text"), http.StatusUnsupportedMediaType, "JPEG, PNG, GIF and WebP"},
		{"damaged", "image/jpeg", photo[:len(photo)/2], http.StatusBadRequest, "could not be read"},
		{"empty", "image/png", nil, http.StatusBadRequest, "empty"},
		{"over 10 MiB", "image/jpeg", append(slices.Clone(photo), make([]byte, 10<<20)...), http.StatusRequestEntityTooLarge, "at most 10 MiB"},
		{"too many pixels", "image/png", pngHeader(20_000, 20_000), http.StatusRequestEntityTooLarge, "megapixels"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := sendPicture(t, mum, "PUT", "/api/me/avatar", tc.ctype, tc.data)
			if status != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("status = %d %s, want %d saying %q", status, body, tc.status, tc.want)
			}
		})
	}
	if listed := profileIn(t, dad, "mum"); listed.Avatar != p2.Avatar {
		t.Errorf("refusals changed the avatar: %d, want %d", listed.Avatar, p2.Avatar)
	}

	// Removed: 404, and so for someone who never had one.
	if status, p, body := sendPicture(t, mum, "DELETE", "/api/me/avatar", "", nil); status != http.StatusOK || p.Avatar != 0 {
		t.Errorf("DELETE: %d %s", status, body)
	}
	for _, who := range []string{"mum", "dad", "nobody"} {
		resp, _ := dad.http.Get(ts.URL + "/api/users/" + who + "/avatar")
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s's avatar: %d, want 404", who, resp.StatusCode)
		}
	}
}

func TestAvatarByAdmin(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.addUser("mum", "password-mum", true)
	mum := ts.newClient()
	mum.do("POST", "/api/login", map[string]string{"username": "mum", "password": "password-mum"}, nil)
	grandad, kid := ts.loggedIn("grandad"), ts.loggedIn("kid")

	// The display name alone: the flags and quota stay as they were.
	var au struct {
		Name        string `json:"name"`
		Admin       bool   `json:"admin"`
		Disabled    bool   `json:"disabled"`
		DisplayName string `json:"display_name"`
		Avatar      int64  `json:"avatar"`
	}
	status, body := mum.do("PUT", "/api/admin/users/grandad", map[string]string{"display_name": "Grandad 👴"}, &au)
	if status != http.StatusOK || au.DisplayName != "Grandad 👴" || au.Admin || au.Disabled {
		t.Fatalf("admin sets a display name: %d %s", status, body)
	}
	if status, body := mum.do("PUT", "/api/admin/users/grandad", map[string]string{"display_name": "\u202E"}, nil); status != http.StatusBadRequest {
		t.Errorf("an invisible name: %d %s, want 400", status, body)
	}
	if status, _, body := sendPicture(t, mum, "PUT", "/api/admin/users/grandad/avatar", "image/jpeg", gpsPhoto(t)); status != http.StatusOK {
		t.Fatalf("admin sets a picture: %d %s", status, body)
	}
	p := profileIn(t, grandad, "grandad")
	if p.DisplayName != "Grandad 👴" || p.Avatar == 0 {
		t.Errorf("grandad sees himself as %+v", p)
	}
	var users struct {
		Users []struct {
			Name        string `json:"name"`
			DisplayName string `json:"display_name"`
			Avatar      int64  `json:"avatar"`
		}
	}
	mum.do("GET", "/api/admin/users", nil, &users)
	if i := slices.IndexFunc(users.Users, func(u struct {
		Name        string `json:"name"`
		DisplayName string `json:"display_name"`
		Avatar      int64  `json:"avatar"`
	}) bool {
		return u.Name == "grandad"
	}); i < 0 || users.Users[i].DisplayName != "Grandad 👴" || users.Users[i].Avatar != p.Avatar {
		t.Errorf("the admins' list: %+v", users.Users)
	}
	if status, _, body := sendPicture(t, mum, "DELETE", "/api/admin/users/grandad/avatar", "", nil); status != http.StatusOK {
		t.Errorf("admin removes a picture: %d %s", status, body)
	}
	if status, _, _ := sendPicture(t, mum, "PUT", "/api/admin/users/nobody/avatar", "image/jpeg", gpsPhoto(t)); status != http.StatusNotFound {
		t.Errorf("a picture for nobody: %d, want 404", status)
	}
	// Not for anyone else.
	if status, _, _ := sendPicture(t, kid, "PUT", "/api/admin/users/grandad/avatar", "image/jpeg", gpsPhoto(t)); status != http.StatusForbidden {
		t.Errorf("kid sets grandad's picture: %d, want 403", status)
	}
	if status, _ := kid.do("PUT", "/api/admin/users/grandad", map[string]string{"display_name": "Old Man"}, nil); status != http.StatusForbidden {
		t.Errorf("kid renames grandad: %d, want 403", status)
	}

	// Each is in the audit log; people changing their own are not.
	var log struct{ Entries []auditEntry }
	mum.do("GET", "/api/admin/audit", nil, &log)
	var got []string
	for _, e := range log.Entries {
		got = append(got, e.Admin+" "+e.Action+" "+e.Target+" "+e.Detail)
	}
	for _, want := range []string{"mum set display name grandad Grandad 👴", "mum set profile picture grandad ", "mum remove profile picture grandad "} {
		if !slices.Contains(got, want) {
			t.Errorf("audit log %q lacks %q", got, want)
		}
	}
	sendPicture(t, kid, "PUT", "/api/me/avatar", "image/jpeg", gpsPhoto(t))
	mum.do("GET", "/api/admin/audit", nil, &log)
	if len(log.Entries) != len(got) {
		t.Errorf("kid's own picture was audited: %+v", log.Entries[0])
	}
}

// profileFrameOf reads s until a profile frame about user comes.
func profileFrameOf(t *testing.T, s *socket, user string) profileFrame {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		s.ws.SetReadDeadline(deadline)
		_, data, err := s.ws.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for a profile frame: %v", err)
		}
		var f profileFrame
		if json.Unmarshal(data, &f) == nil && f.Type == "profile" && f.User == user {
			return f
		}
	}
	t.Fatal("no profile frame")
	return profileFrame{}
}

func TestProfileFrameReachesEverySocket(t *testing.T) {
	ts := newTestServer(t, nil)
	mum, dad, kid := ts.loggedIn("mum"), ts.loggedIn("dad"), ts.loggedIn("kid")
	sd, sk, sm := dad.dial(), kid.dial(), mum.dial()

	// Every socket, the changer's own too, hears each change in order.
	heard := func(step string, want profile) {
		t.Helper()
		for who, s := range map[string]*socket{"dad": sd, "kid": sk, "mum": sm} {
			if f := profileFrameOf(t, s, "mum"); f.profile != want {
				t.Errorf("%s: %s heard %+v, want %+v", step, who, f.profile, want)
			}
		}
	}
	mum.do("PUT", "/api/me/profile", map[string]string{"display_name": "أمي ❤️", "zone": "Asia/Amman"}, nil)
	want := profile{DisplayName: "أمي ❤️", Zone: "Asia/Amman"}
	heard("display name", want)
	_, p, _ := sendPicture(t, mum, "PUT", "/api/me/avatar", "image/jpeg", gpsPhoto(t))
	want.Avatar = p.Avatar
	heard("picture", want)
	sendPicture(t, mum, "DELETE", "/api/me/avatar", "", nil)
	want.Avatar = 0
	heard("picture removed", want)
}

func TestPushNamesTheSenderByDisplayName(t *testing.T) {
	f := newPushFixture(t, "mum", "kid")
	kid := f.people["kid"]
	kid.do("PUT", "/api/me/profile", map[string]string{"display_name": "Kiddo 🦖"}, nil)
	_, p, body := sendPicture(t, kid, "PUT", "/api/me/avatar", "image/jpeg", gpsPhoto(t))
	if p.Avatar == 0 {
		t.Fatalf("kid's picture: %s", body)
	}
	icon := fmt.Sprintf("/api/users/kid/avatar?v=%d", p.Avatar)

	f.say("kid", "general", "@mum pick me up at 5")
	// Pushes go out on parallel workers, in no promised order (nor do push
	// services keep one): the next is said once this one has arrived.
	f.svc.waitPush(t, f.subs["mum"], 1, 10*time.Second)
	var dm struct{ Name string }
	kid.do("POST", "/api/dms", map[string]string{"user": "mum"}, &dm)
	f.say("kid", dm.Name, "thanks")
	f.svc.waitPush(t, f.subs["mum"], 2, 10*time.Second)
	f.set("mum", "PUT", "/api/notifications", map[string]any{"hide_text": true})
	f.say("kid", dm.Name, "secret")
	f.svc.waitPush(t, f.subs["mum"], 3, 10*time.Second)

	got := f.payloads("mum")
	want := []struct{ title, body string }{
		{"Kiddo 🦖 in #general", "@mum pick me up at 5"},
		{"Kiddo 🦖", "thanks"},
		{"Kiddo 🦖", "New message from Kiddo 🦖"},
	}
	for i, w := range want {
		if got[i].Title != w.title || got[i].Body != w.body || got[i].From != "kid" || got[i].Icon != icon {
			t.Errorf("push %d: title %q body %q from %q icon %q; want %q, %q, kid, %q", i, got[i].Title, got[i].Body, got[i].From, got[i].Icon, w.title, w.body, icon)
		}
	}
	// The icon is the picture itself, for mum's cookie.
	resp, err := f.people["mum"].http.Get(f.ts.URL + icon)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the icon: %d", resp.StatusCode)
	}
}

// TestArchivesShowProfiles: an admin's HTML download and hearth export's
// archive name people by display name (escaped, in a <bdi>, the login
// name on hover) with their picture, put in the page once however many
// messages show it.
func TestArchivesShowProfiles(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.addUser("mum", "password-mum", true)
	mum := loginClient(t, ts, "mum", "password-mum")
	kid := ts.loggedIn("kid")
	mustDo(t, kid, http.StatusOK, "PUT", "/api/me/profile", map[string]string{"display_name": "Kiddo <3"}, nil)
	sendPicture(t, kid, "PUT", "/api/me/avatar", "image/jpeg", gpsPhoto(t))
	s := kid.dial()
	for i := range 3 {
		s.say("general", fmt.Sprint("hello ", i), fmt.Sprint("a-", i))
		s.ack(fmt.Sprint("a-", i))
	}
	sm := mum.dial()
	sm.say("general", "hi love", "m-1")
	sm.ack("m-1")
	pic, _, err := ts.store().avatar("kid")
	if err != nil {
		t.Fatal(err)
	}
	check := func(what, page string) {
		t.Helper()
		if n := strings.Count(page, base64.StdEncoding.EncodeToString(pic)); n != 1 {
			t.Errorf("%s holds kid's picture %d times, want once", what, n)
		}
		if n := strings.Count(page, `<span class="a p0"></span><span class="u" title="@kid"><bdi>Kiddo &lt;3</bdi></span>`); n != 3 {
			t.Errorf("%s shows kid with her picture on %d messages, want 3:\n%s", what, n, page)
		}
		if !strings.Contains(page, `<span class="u" title="@mum"><bdi>mum</bdi></span>`) {
			t.Errorf("%s does not show mum by her login name:\n%s", what, page)
		}
	}
	resp, err := mum.http.Get(ts.URL + "/api/admin/rooms/general/export?format=html")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	check("the download", string(page))
	dir := t.TempDir()
	if _, err := exportHTML(ts.store(), dir); err != nil {
		t.Fatal(err)
	}
	index, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	check("the archive", string(index))
}
