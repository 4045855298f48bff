// rooms_test.go tests who can see what: private rooms, their members,
// direct conversations, over HTTP and on open sockets, across a restart.

package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// noFrameFor checks that s receives nothing matching within a marker round
// trip: the sender says something in a public room, and s must see that
// before anything that matches.
func noFrameFor(t *testing.T, s, marker *socket, match func(wireFrame) bool) {
	t.Helper()
	cid := fmt.Sprint("marker-", time.Now().UnixNano())
	marker.say("general", "marker", cid)
	f := s.expect(func(f wireFrame) bool { return match(f) || f.ClientID == cid })
	if f.ClientID != cid {
		t.Fatalf("got %+v, want nothing", f)
	}
}

func TestPrivateRoomsAreInvisibleToNonMembers(t *testing.T) {
	ts := newTestServer(t, nil)
	alice, bob, carol := ts.loggedIn("alice"), ts.loggedIn("bob"), ts.loggedIn("carol")
	sa, sb, sc := alice.dial(), bob.dial(), carol.dial()

	var created roomResponse
	if status, body := alice.do("POST", "/api/rooms", map[string]any{"name": "family", "private": true, "members": []string{"bob"}}, &created); status != http.StatusCreated {
		t.Fatalf("create private room: %d %s", status, body)
	}
	if !created.Private || fmt.Sprint(created.Members) != "[alice bob]" || !created.CanManage {
		t.Errorf("created %+v", created)
	}
	// Members' sockets learn of it at once; carol's do not.
	sb.expect(func(f wireFrame) bool { return f.Type == "room" && f.Room == "family" })
	sa.say("family", "secret plans", "c-1")
	sa.ack("c-1")
	if f := sb.expect(func(f wireFrame) bool { return f.Type == "message" }); f.Body != "secret plans" {
		t.Errorf("bob got %+v", f)
	}
	noFrameFor(t, sc, sa, func(f wireFrame) bool { return f.Room == "family" })

	// Over HTTP carol learns nothing, not even that it exists.
	var list struct{ Rooms []roomResponse }
	carol.do("GET", "/api/rooms", nil, &list)
	for _, r := range list.Rooms {
		if r.Name == "family" {
			t.Error("carol's room list shows the private room")
		}
	}
	for _, path := range []string{"/api/rooms/family", "/api/rooms/family/messages", "/api/rooms/nosuchroom/messages"} {
		if status, _ := carol.do("GET", path, nil, nil); status != http.StatusNotFound {
			t.Errorf("carol GET %s: %d, want 404", path, status)
		}
	}
	// Her sends are refused like a room that does not exist; nothing stored.
	sc.say("family", "let me in", "c-x")
	if f := sc.expect(func(f wireFrame) bool { return f.ClientID == "c-x" }); f.Type != "error" || f.Code != "unknown_room" {
		t.Errorf("carol's send: %+v", f)
	}
	if status, _ := bob.do("PUT", "/api/rooms/family/members", map[string]any{"members": []string{"bob", "carol"}}, nil); status != http.StatusForbidden {
		t.Errorf("bob (not creator, not admin) changing members: %d, want 403", status)
	}
	var page struct{ Messages []message }
	bob.do("GET", "/api/rooms/family/messages", nil, &page)
	if len(page.Messages) != 1 {
		t.Errorf("family holds %d messages, want 1", len(page.Messages))
	}
}

func TestMembershipChangesReachOpenSockets(t *testing.T) {
	ts := newTestServer(t, nil)
	alice, bob, carol := ts.loggedIn("alice"), ts.loggedIn("bob"), ts.loggedIn("carol")
	alice.do("POST", "/api/rooms", map[string]any{"name": "family", "private": true, "members": []string{"bob"}}, nil)
	sa, sb, sc := alice.dial(), bob.dial(), carol.dial()

	// carol in, bob out.
	var updated roomResponse
	if status, body := alice.do("PUT", "/api/rooms/family/members", map[string]any{"members": []string{"alice", "carol"}}, &updated); status != 200 {
		t.Fatalf("set members: %d %s", status, body)
	}
	sc.expect(func(f wireFrame) bool { return f.Type == "room" && f.Room == "family" })
	sb.expect(func(f wireFrame) bool { return f.Type == "room_removed" && f.Room == "family" })

	sa.say("family", "welcome carol", "c-1")
	sa.ack("c-1")
	if f := sc.expect(func(f wireFrame) bool { return f.Type == "message" && f.Room == "family" }); f.Body != "welcome carol" {
		t.Errorf("carol got %+v", f)
	}
	noFrameFor(t, sb, sa, func(f wireFrame) bool { return f.Room == "family" })
	sb.say("family", "still here?", "c-b")
	if f := sb.expect(func(f wireFrame) bool { return f.ClientID == "c-b" }); f.Type != "error" {
		t.Errorf("removed member's send: %+v", f)
	}
	if status, _ := bob.do("GET", "/api/rooms/family/messages", nil, nil); status != http.StatusNotFound {
		t.Errorf("removed member reading history: %d, want 404", status)
	}
	if status, _ := carol.do("GET", "/api/rooms/family/messages", nil, nil); status != 200 {
		t.Errorf("new member reading history: %d", status)
	}
}

func TestDirectMessages(t *testing.T) {
	ts := newTestServer(t, nil)
	alice, bob, carol := ts.loggedIn("alice"), ts.loggedIn("bob"), ts.loggedIn("carol")
	sa, sb, sc := alice.dial(), bob.dial(), carol.dial()

	var dm roomResponse
	if status, body := alice.do("POST", "/api/dms", map[string]string{"user": "bob"}, &dm); status != http.StatusCreated {
		t.Fatalf("open dm: %d %s", status, body)
	}
	if dm.Name != "@alice+bob" || !dm.DM || !dm.Private || dm.CanManage {
		t.Errorf("dm = %+v", dm)
	}
	var again roomResponse
	if status, _ := bob.do("POST", "/api/dms", map[string]string{"user": "alice"}, &again); status != http.StatusOK || again.Name != dm.Name {
		t.Errorf("bob opening the same dm: %d %+v", status, again)
	}
	for _, bad := range []string{"alice", "nobody"} {
		if status, _ := alice.do("POST", "/api/dms", map[string]string{"user": bad}, nil); status != http.StatusBadRequest {
			t.Errorf("dm with %q: %d, want 400", bad, status)
		}
	}
	sb.expect(func(f wireFrame) bool { return f.Type == "room" && f.Room == dm.Name })
	sa.say(dm.Name, "psst", "c-1")
	sa.ack("c-1")
	sb.expect(func(f wireFrame) bool { return f.Type == "message" && f.Room == dm.Name && f.Body == "psst" })
	noFrameFor(t, sc, sa, func(f wireFrame) bool { return f.Room == dm.Name })
	if status, _ := carol.do("GET", "/api/rooms/"+dm.Name+"/messages", nil, nil); status != http.StatusNotFound {
		t.Errorf("carol reading the dm: %d, want 404", status)
	}
	if status, _ := carol.do("PUT", "/api/rooms/"+dm.Name+"/members", map[string]any{"members": []string{"carol"}}, nil); status != http.StatusNotFound {
		t.Errorf("carol joining the dm: %d, want 404", status)
	}

	// All of it survives a restart; the hello lists the dm for its members only.
	ts.restart()
	hello := func(c *client) []string {
		h := http.Header{"Cookie": {c.cookieHeader()}, "Origin": {ts.URL}}
		ws, _, err := dialWS(ts, h)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		s := &socket{t: t, ws: ws}
		return s.expect(func(f wireFrame) bool { return f.Type == "hello" }).Rooms
	}
	if rooms := hello(bob); !slices.Contains(rooms, dm.Name) {
		t.Errorf("bob's hello after restart: %v", rooms)
	}
	if rooms := hello(carol); slices.Contains(rooms, dm.Name) {
		t.Errorf("carol's hello lists the dm: %v", rooms)
	}
	var page struct{ Messages []message }
	bob.do("GET", "/api/rooms/"+dm.Name+"/messages", nil, &page)
	if len(page.Messages) != 1 || page.Messages[0].Body != "psst" {
		t.Errorf("dm history after restart: %+v", page.Messages)
	}
}

func TestPrivateRoomPresenceListsMembersOnly(t *testing.T) {
	ts := newTestServer(t, nil)
	alice, bob, carol := ts.loggedIn("alice"), ts.loggedIn("bob"), ts.loggedIn("carol")
	alice.do("POST", "/api/rooms", map[string]any{"name": "family", "private": true, "members": []string{"bob"}}, nil)
	sa := alice.dial()
	carol.dial()
	sa.expect(func(f wireFrame) bool { return f.Type == "presence" && f.User == "carol" && f.Room == "general" })
	bob.dial()
	f := sa.expect(func(f wireFrame) bool { return f.Type == "presence" && f.User == "bob" && f.Room == "family" })
	if fmt.Sprint(f.Online) != "[alice bob]" {
		t.Errorf("family's online list = %v, want its members", f.Online)
	}
}

// TestDeliveryFollowsTheRoomAsCommitted: a message committed to a private
// room reaches its members only, even when by delivery the hub no longer
// knows the room under that name (a rename or delete got there first): an
// unknown room must not pass for a public one.
func TestDeliveryFollowsTheRoomAsCommitted(t *testing.T) {
	ts := newTestServer(t, nil)
	admin := adminClient(t, ts)
	kid, gran := ts.loggedIn("kid"), ts.loggedIn("gran")
	if status, body := kid.do("POST", "/api/rooms", map[string]any{"name": "kids", "private": true, "members": []string{"mum"}}, nil); status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	sk, sg := kid.dial(), gran.dial()
	kids, _ := ts.store().room("kids")
	h := ts.app.hub
	h.roomRenamed("kids", room{Name: "school", Private: true, Members: kids.Members})

	// What the committer hands over for a message committed just before.
	m := message{Type: "message", Room: "kids", ID: 1, Rev: 1, User: "kid", Body: "secret plan", TS: time.Now()}
	h.do(func() { h.fanOut([]*pendingSend{{req: appendRequest{Msg: m, Room: kids}, reply: prepare(m)}}) })
	sk.expect(func(f wireFrame) bool { return f.Type == "message" && f.Body == "secret plan" })
	admin.dial().say("general", "after", "c-1")
	sg.expect(func(f wireFrame) bool {
		if f.Type == "message" && f.Body == "secret plan" {
			t.Errorf("a non-member got the private room's message: %+v", f)
		}
		return f.Type == "message" && f.Body == "after"
	})
}

func TestCreatingARoomDoesNotRevealPrivateOnes(t *testing.T) {
	ts := newTestServer(t, nil)
	ann, bob, carol, dave := ts.loggedIn("ann"), ts.loggedIn("bob"), ts.loggedIn("carol"), ts.loggedIn("dave")
	if status, body := ann.do("POST", "/api/rooms", map[string]any{"name": "surprise", "private": true, "members": []string{"bob"}}, nil); status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	create := func(c *client, name string, private bool) (int, string) {
		t.Helper()
		return c.do("POST", "/api/rooms", map[string]any{"name": name, "private": private}, nil)
	}
	// To carol, who cannot see it, the private room's name is refused in
	// the very words a reserved name that no room holds gets.
	status, hidden := create(carol, "surprise", false)
	if status != http.StatusConflict {
		t.Fatalf("carol creating surprise: %d %s, want 409", status, hidden)
	}
	if _, ok := ts.store().room("admin"); ok {
		t.Fatal("a room called admin exists")
	}
	for _, tc := range []struct {
		name    string
		private bool
	}{{"admin", false}, {"surprise", true}, {"everyone", true}} {
		if status, body := create(carol, tc.name, tc.private); status != http.StatusConflict || body != hidden {
			t.Errorf("carol creating %s (private %v): %d %s, want 409 %s", tc.name, tc.private, status, body, hidden)
		}
	}
	// Bob, a member, may be told plainly: he can see the room anyway.
	if status, body := create(bob, "surprise", false); status != http.StatusConflict || !strings.Contains(body, "already a room called #surprise") {
		t.Errorf("bob creating surprise: %d %s", status, body)
	}
	// Trying names one by one is limited per user.
	limited := false
	for i := range roomGuessBurst + 1 {
		status, body := create(carol, "surprise", false)
		if status == http.StatusTooManyRequests && strings.Contains(body, "too many unavailable room names") {
			limited = true
			break
		}
		if status != http.StatusConflict {
			t.Fatalf("guess %d: %d %s", i, status, body)
		}
	}
	if !limited {
		t.Errorf("carol tried %d unavailable names and was never limited", roomGuessBurst+1)
	}
	if status, body := create(dave, "dave-room", false); status != http.StatusCreated {
		t.Errorf("another user creating a room: %d %s", status, body)
	}
}
