// unread_test.go tests read markers, unread and mention counts, and that a
// marker set on one device reaches the user's others.

package main

import (
	"fmt"
	"net/http"
	"testing"
)

func roomsOf(t *testing.T, c *client) map[string]roomResponse {
	t.Helper()
	var list struct{ Rooms []roomResponse }
	if status, body := c.do("GET", "/api/rooms", nil, &list); status != 200 {
		t.Fatalf("rooms: %d %s", status, body)
	}
	out := map[string]roomResponse{}
	for _, r := range list.Rooms {
		out[r.Name] = r
	}
	return out
}

func TestUnreadMentionsAndReadMarkersAcrossDevices(t *testing.T) {
	ts := newTestServer(t, func(c *config) { c.MsgBurst = 100 })
	ann, bob := ts.loggedIn("ann"), ts.loggedIn("bob")
	sa := ann.dial()
	var newest uint64
	for i, body := range []string{"hi all", "@bob are you coming?", "dinner @ 7", "@bobby? no, @bob.", "@nobody here"} {
		sa.say("general", body, fmt.Sprint("c-", i))
		m := sa.ack(fmt.Sprint("c-", i))
		newest = m.ID
		if i == 1 && fmt.Sprint(m.Mentions) != "[bob]" {
			t.Errorf("mentions of %q = %v", body, m.Mentions)
		}
	}
	r := roomsOf(t, bob)["general"]
	if r.Unread != 5 || r.Mentions != 2 || r.Read != 0 {
		t.Errorf("bob's general: unread %d mentions %d read %d; want 5, 2, 0", r.Unread, r.Mentions, r.Read)
	}
	// Where the count stopped, so that a client adds only later messages.
	if r.Newest != newest {
		t.Errorf("bob's general was counted up to %d, want the newest, %d", r.Newest, newest)
	}
	if own := roomsOf(t, ann)["general"]; own.Unread != 0 {
		t.Errorf("ann's own messages count as unread: %d", own.Unread)
	}

	// bob reads on his phone; his laptop's socket hears it.
	laptop := bob.dial()
	phone := ts.newClient()
	phone.do("POST", "/api/login", map[string]string{"username": "bob", "password": "password-bob"}, nil)
	var got struct{ Read uint64 }
	if status, body := phone.do("POST", "/api/rooms/general/read", map[string]uint64{"id": 3}, &got); status != 200 || got.Read != 3 {
		t.Fatalf("read: %d %s", status, body)
	}
	if f := laptop.expect(func(f wireFrame) bool { return f.Type == "read" }); f.Room != "general" || f.ID != 3 {
		t.Errorf("laptop heard %+v", f)
	}
	r = roomsOf(t, bob)["general"]
	if r.Unread != 2 || r.Mentions != 1 || r.Read != 3 {
		t.Errorf("after reading to 3: unread %d mentions %d read %d; want 2, 1, 3", r.Unread, r.Mentions, r.Read)
	}
	// The marker never moves back, and survives a restart.
	phone.do("POST", "/api/rooms/general/read", map[string]uint64{"id": 1}, &got)
	if got.Read != 3 {
		t.Errorf("marker moved back to %d", got.Read)
	}
	ts.restart()
	if r := roomsOf(t, bob)["general"]; r.Read != 3 || r.Unread != 2 {
		t.Errorf("after restart: %+v", r)
	}
	if status, _ := bob.do("POST", "/api/rooms/nowhere/read", map[string]uint64{"id": 1}, nil); status != http.StatusNotFound {
		t.Errorf("read marker in an unknown room: %d", status)
	}
}
