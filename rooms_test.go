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
	// The rename as the committer would hand it over, delivered first.
	rename := appendRequest{Op: opRenameRoom, Msg: message{Room: "kids"}, Room: room{Name: "school", Private: true, Members: kids.Members}}
	rename.Change.Was = kids
	h.do(func() { h.fanOut([]*pendingSend{{req: rename}}) })

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

// recordFrames reads s in a goroutine of its own until the message whose
// client_id is until, and hands over every frame before it (a read error
// ends the record as a frame of type "read error"). With a window, it takes
// a place back from it for every answer to a send of sendUntil's.
func recordFrames(s *socket, until string, window chan struct{}) <-chan []wireFrame {
	out := make(chan []wireFrame, 1)
	go func() {
		var got []wireFrame
		for {
			s.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
			var f wireFrame
			if err := s.ws.ReadJSON(&f); err != nil {
				got = append(got, wireFrame{Type: "read error", Message: err.Error()})
				break
			}
			if f.Type == "message" && f.ClientID == until {
				break
			}
			if window != nil && strings.HasPrefix(f.ClientID, "s-") && (f.Type == "message" || f.Type == "error") {
				<-window
			}
			got = append(got, f)
		}
		out <- got
	}()
	return out
}

// sendUntil writes sends from s in a goroutine of its own, the i-th to
// roomOf(i) with client_id "s-i", until stop is closed (at most max), so
// they race with whatever the test does meanwhile. It keeps at most
// cap(window) unanswered (recordFrames takes their places back), so the
// sends go on for as long as the test's changes do. The returned channel
// gives how many it sent, or -1 if a write failed.
func sendUntil(s *socket, stop <-chan struct{}, max int, window chan struct{}, roomOf func(int) string) <-chan int {
	sent := make(chan int, 1)
	go func() {
		i := 0
		for ; i < max; i++ {
			select {
			case <-stop:
				sent <- i
				return
			case window <- struct{}{}:
			}
			s.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := s.ws.WriteJSON(map[string]string{"type": "send", "room": roomOf(i), "body": fmt.Sprint("m ", i), "client_id": fmt.Sprint("s-", i)}); err != nil {
				sent <- -1
				return
			}
		}
		sent <- i
	}()
	return sent
}

// answers checks that the sender's record answers each of its n sends once,
// stored or refused as unknown_room, and returns how many were stored.
func answers(t *testing.T, record []wireFrame, n int) int {
	t.Helper()
	seen, stored := map[string]bool{}, 0
	for _, f := range record {
		if !strings.HasPrefix(f.ClientID, "s-") || (f.Type != "message" && f.Type != "error") {
			continue
		}
		if seen[f.ClientID] {
			t.Errorf("%s answered twice: %+v", f.ClientID, f)
		}
		seen[f.ClientID] = true
		switch {
		case f.Type == "message":
			stored++
		case f.Code != "unknown_room":
			t.Errorf("%s refused: %+v", f.ClientID, f)
		}
	}
	if len(seen) != n {
		t.Errorf("%d of %d sends answered", len(seen), n)
	}
	return stored
}

// TestRoomChangesAndMessagesArriveInCommitOrder: messages and renames (and
// at last a delete) of one room committed concurrently reach a socket in
// exactly the order they were committed. Every message frame names the
// room as the socket last heard it called, ids increase, and after
// room_removed nothing of the room arrives: no frame needs fixing up.
func TestRoomChangesAndMessagesArriveInCommitOrder(t *testing.T) {
	const renames, maxSends = 12, 20000
	ts := newTestServer(t, func(c *config) { c.MsgBurst, c.MsgRate = 1e6, 1e6 })
	admin := adminClient(t, ts)
	ann, bob := ts.loggedIn("ann"), ts.loggedIn("bob")
	if status, body := bob.do("POST", "/api/rooms", map[string]any{"name": "den"}, nil); status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	names := [2]string{"den", "lair"}
	sa, sb := ann.dial(), bob.dial()
	window := make(chan struct{}, 32)
	heard, answered := recordFrames(sa, "end", nil), recordFrames(sb, "end", window)

	// bob sends to both names, so some sends commit just before each
	// rename and some just after; the rest are refused.
	stop := make(chan struct{})
	sent := sendUntil(sb, stop, maxSends, window, func(i int) string { return names[i%2] })
	for i := range renames {
		from, to := names[i%2], names[(i+1)%2]
		if status, body := admin.do("POST", "/api/admin/rooms/"+from+"/rename", map[string]string{"name": to}, nil); status != http.StatusOK {
			t.Fatalf("rename %d: %d %s", i, status, body)
		}
	}
	last := names[renames%2]
	if status, body := admin.do("DELETE", "/api/admin/rooms/"+last, nil, nil); status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", status, body)
	}
	close(stop)
	n := <-sent
	if n < 0 {
		t.Fatal("a send failed")
	}
	sb.say("general", "end", "end") // after every send of bob's socket
	stored := answers(t, <-answered, n)

	name, got, renamed, removed := "den", 0, 0, false
	var lastID uint64
	for _, f := range <-heard {
		switch {
		case f.Type == "read error":
			t.Fatalf("ann's socket: %s", f.Message)
		case f.Type == "room_renamed":
			if f.From != name {
				t.Fatalf("room_renamed %s → %s while the room is %q", f.From, f.Room, name)
			}
			name = f.Room
			renamed++
		case f.Type == "room_removed" && f.Room == name:
			name, removed = "", true
		case f.Type == "message" && f.Room != "general":
			if f.Room != name {
				t.Fatalf("message %d under %q while the room is %q (renamed %d times, removed %v)", f.ID, f.Room, name, renamed, removed)
			}
			if f.ID <= lastID {
				t.Fatalf("message %d after %d", f.ID, lastID)
			}
			lastID = f.ID
			got++
		}
	}
	if renamed != renames || !removed {
		t.Errorf("heard %d renames (want %d), removed %v", renamed, renames, removed)
	}
	if got != stored {
		t.Errorf("ann heard %d messages, bob had %d stored", got, stored)
	}
	t.Logf("%d sends: %d stored, %d refused", n, stored, n-stored)
}

// TestNonMembersNeverHearAPrivateRoom: while a private room's members
// change and messages are posted to it concurrently, someone taken in and
// out hears its messages only between the room frame that lets them in and
// the room_removed that shuts them out, and someone never a member hears
// nothing of it at all.
func TestNonMembersNeverHearAPrivateRoom(t *testing.T) {
	const changes, maxSends = 30, 20000
	ts := newTestServer(t, func(c *config) { c.MsgBurst, c.MsgRate = 1e6, 1e6 })
	alice, carol, dave := ts.loggedIn("alice"), ts.loggedIn("carol"), ts.loggedIn("dave")
	ts.loggedIn("bob")
	if status, body := alice.do("POST", "/api/rooms", map[string]any{"name": "club", "private": true, "members": []string{"bob"}}, nil); status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	sa, sc, sd := alice.dial(), carol.dial(), dave.dial()
	window := make(chan struct{}, 32)
	answered, carolHeard, daveHeard := recordFrames(sa, "end", window), recordFrames(sc, "end", nil), recordFrames(sd, "end", nil)

	stop := make(chan struct{})
	sent := sendUntil(sa, stop, maxSends, window, func(int) string { return "club" })
	for i := range changes {
		members := []string{"alice", "bob"}
		if i%2 == 0 {
			members = append(members, "carol")
		}
		if status, body := alice.do("PUT", "/api/rooms/club/members", map[string]any{"members": members}, nil); status != http.StatusOK {
			t.Fatalf("members %d: %d %s", i, status, body)
		}
	}
	close(stop)
	n := <-sent
	if n < 0 {
		t.Fatal("a send failed")
	}
	sa.say("general", "end", "end")
	stored := answers(t, <-answered, n)

	member, in, heard := slices.Contains(sc.hello.Rooms, "club"), 0, 0
	for _, f := range <-carolHeard {
		switch {
		case f.Type == "read error":
			t.Fatalf("carol's socket: %s", f.Message)
		case f.Type == "room" && f.Room == "club":
			if !member {
				in++
			}
			member = true
		case f.Type == "room_removed" && f.Room == "club":
			member = false
		case f.Room == "club":
			if !member {
				t.Fatalf("carol, not a member, heard %+v", f)
			}
			heard++
		}
	}
	if in != changes/2 || member {
		t.Errorf("carol was let in %d times (want %d), a member at the end: %v", in, changes/2, member)
	}
	for _, f := range <-daveHeard {
		if f.Type == "read error" {
			t.Fatalf("dave's socket: %s", f.Message)
		}
		if f.Room == "club" {
			t.Fatalf("dave, never a member, heard %+v", f)
		}
	}
	t.Logf("%d sends stored, carol heard %d of them", stored, heard)
}

// TestABusyHubHearsARenameInCommitOrder: however far the hub falls behind
// the commits, it hears a rename between the messages committed before and
// after it, so a socket does too. (When renames reached the hub by a call of
// their own, a message already committed could come after it.)
func TestABusyHubHearsARenameInCommitOrder(t *testing.T) {
	ts := newTestServer(t, nil)
	admin := adminClient(t, ts)
	ann, bob := ts.loggedIn("ann"), ts.loggedIn("bob")
	if status, body := bob.do("POST", "/api/rooms", map[string]any{"name": "den"}, nil); status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	sa, sb := ann.dial(), bob.dial()
	h := ts.app.hub
	busy, release := make(chan struct{}), make(chan struct{})
	go h.do(func() { close(busy); <-release })
	<-busy

	committed := func(room string, rev uint64) func() bool {
		return func() bool { got, err := ts.store().roomRev(room); return err == nil && got >= rev }
	}
	sb.say("den", "before", "c-1")
	eventually(t, 5*time.Second, "the first message's commit", committed("den", 1))
	renamed := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", ts.URL+"/api/admin/rooms/den/rename", jsonBody(map[string]string{"name": "lair"}))
		req.Header.Set("Content-Type", "application/json")
		resp, err := admin.http.Do(req)
		if err != nil {
			renamed <- 0
			return
		}
		resp.Body.Close()
		renamed <- resp.StatusCode
	}()
	eventually(t, 5*time.Second, "the rename's commit", func() bool { _, ok := ts.store().room("lair"); return ok })
	sb.say("lair", "after", "c-2")
	eventually(t, 5*time.Second, "the second message's commit", committed("lair", 2))
	close(release)

	var order []string
	for len(order) < 3 {
		switch f := sa.expect(func(f wireFrame) bool { return f.Type == "message" || f.Type == "room_renamed" }); f.Type {
		case "message":
			order = append(order, f.Room+":"+f.Body)
		default:
			order = append(order, f.From+"→"+f.Room)
		}
	}
	if got, want := strings.Join(order, " "), "den:before den→lair lair:after"; got != want {
		t.Errorf("ann heard %s, want %s", got, want)
	}
	if status := <-renamed; status != http.StatusOK {
		t.Errorf("rename: %d", status)
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
